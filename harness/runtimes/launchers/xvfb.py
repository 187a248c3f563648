"""A private virtual X display for browsers that cannot run headless (WebKitGTK's
MiniBrowser), started only when the user has no display of their own."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

from harness.errors import HarnessError


def needed() -> bool:
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class VirtualDisplay:
    """``Xvfb`` on the first free display number (it picks and reports it: ``-displayfd``)."""

    def __init__(self) -> None:
        executable = shutil.which("Xvfb")
        if executable is None:
            raise HarnessError("WebKitGTK needs a display: set DISPLAY, or apt-get install xvfb")
        read, write = os.pipe()
        try:
            self._process = subprocess.Popen(
                [executable, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                pass_fds=(write,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            os.close(write)
        with os.fdopen(read, "rb") as reply:
            number = reply.readline().strip()  # written once the display accepts clients
        if not number.isdigit():
            self.close()
            raise HarnessError("Xvfb did not start a display")
        self.display = f":{number.decode()}"

    def close(self) -> None:
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
