"""The browser binary started by the harness itself, headless, with the URL on its command
line: no driver in between (the default where the binary is installed)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, MutableSequence
from pathlib import Path
from typing import IO

from harness.errors import HarnessError
from harness.runtimes.launchers import Launcher

# (executable, profile dir, url) -> the command line; the runtime knows its browser's flags.
Command = Callable[[str, Path, str], list[str]]


class DirectLauncher(Launcher):
    """One browser process (and its process group) per runtime."""

    def __init__(self, description: str, executable: str, profile: Path, command: Command) -> None:
        super().__init__(description)
        self.executable = executable
        self.profile = profile
        self.command = command
        self._process: subprocess.Popen[bytes] | None = None

    def open(self, url: str) -> None:
        try:
            process = subprocess.Popen(
                self.command(self.executable, self.profile, url),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=str(self.profile),
                start_new_session=True,  # its own process group: close() ends every child
            )
        except OSError as exc:
            raise HarnessError(f"cannot run {self.executable}: {exc.strerror}") from None
        with self._lock:
            self._process = process
        if self.closing:
            self._shut()
        watch(process, self.log, self.ended)

    def _shut(self) -> None:
        with self._lock:
            process = self._process
        kill_group(process)


def remove_profile(profile: Path) -> None:
    """Remove a browser's profile directory once the browser is gone, and the directory its
    ``SingletonSocket`` link points to: Chromium makes that one in TMPDIR and removes it only
    when it exits by itself, never when killed. (Not TMPDIR inside the profile: a socket's
    path must stay under about 100 bytes.)"""
    with contextlib.suppress(OSError):
        singleton = Path(os.readlink(profile / "SingletonSocket")).parent
        if singleton.name.startswith("org.chromium.Chromium."):
            shutil.rmtree(singleton, ignore_errors=True)
    shutil.rmtree(profile, ignore_errors=True)


def watch(process: subprocess.Popen[bytes], log: MutableSequence[str], ended: Callable[[str], None]) -> None:
    """Threads that keep the browser's own output in ``log`` (for a failed start, never shown
    otherwise) and tell ``ended`` how the process ended."""

    def keep_log(stream: IO[bytes]) -> None:
        with stream:
            for raw in stream:
                log.append(raw.decode("utf-8", "replace").rstrip())

    assert process.stdout is not None
    threading.Thread(target=keep_log, args=(process.stdout,), daemon=True).start()
    threading.Thread(target=lambda: ended(exit_status(process.wait())), daemon=True).start()


def kill_group(process: subprocess.Popen[bytes] | None) -> None:
    """End a still running browser and every child of its process group; wait for it."""
    if process is not None and process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def exit_status(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    return f"killed by signal {-returncode}" if returncode < 0 else f"exited with code {returncode}"
