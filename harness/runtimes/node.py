"""The Node.js runtime: ``node browsers/node/main.mjs BOOT.json`` with two extra pipes.

Events come back on a dedicated pipe (not stdout), so test output printed with ``-s`` goes
straight to the terminal and can never be mistaken for an event.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import browsers
from harness.errors import HarnessError
from harness.inside import protocol
from harness.runtimes import snapshot
from harness.runtimes.base import Runtime, StderrTail

MIN_NODE_MAJOR = 18
# Bytes the event pipe holds before the runtime's write blocks. Linux's default of 64 KB is
# about 40 reports: a host reader thread that is not scheduled for a few milliseconds on a
# busy machine then stalls the tests. 1 MB is the unprivileged maximum.
EVENT_PIPE_BYTES = 1 << 20


def widen_pipe(fd: int) -> None:
    """Make ``fd``'s pipe hold ``EVENT_PIPE_BYTES`` where the system allows it (Linux)."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is None:
        return
    with contextlib.suppress(OSError):  # a lower pipe-max-size: keep the default
        fcntl.fcntl(fd, setsize, EVENT_PIPE_BYTES)


def find_node() -> str:
    """The ``node`` executable (``HARNESS_NODE`` overrides), or a one-line error."""
    override = os.environ.get("HARNESS_NODE")
    if override:
        if shutil.which(override):
            return override
        raise HarnessError(f"HARNESS_NODE={override} is not an executable")
    node = shutil.which("node")
    if not node:
        raise HarnessError("node not found; install Node.js 20+ (apt-get install nodejs)")
    return node


# V8 flags that give Node JSPI (WebAssembly stack switching), newest API first: Pyodide
# 314 uses either (``WebAssembly.Suspending``, or Node 20's ``WebAssembly.Suspender``).
JSPI_FLAGS = ("--experimental-wasm-jspi", "--experimental-wasm-stack-switching")


@functools.cache
def jspi_flag(node: str) -> str | None:
    """The flag this ``node`` accepts for JSPI, if any (asked once per executable)."""
    for flag in JSPI_FLAGS:
        try:
            probe = subprocess.run([node, flag, "-e", "0"], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if probe.returncode == 0:
            return flag
    return None


def node_version(node: str) -> str:
    """``v20.20.2``-style version string of ``node``."""
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    except OSError as exc:
        raise HarnessError(f"cannot run {node}: {exc.strerror}") from None
    return out.stdout.strip()


class NodeRuntime(Runtime):
    """Pyodide inside a Node.js child process."""

    name = "node"
    sees_live_files = True  # the project is mounted (NODEFS)

    _process: subprocess.Popen[bytes] | None = None
    _command_fd: int | None = None
    _boot_file: str | None = None

    def start(self) -> None:
        node = find_node()
        version = node_version(node)
        major = int(version.lstrip("v").split(".")[0] or 0)
        if major < MIN_NODE_MAJOR:
            raise HarnessError(f"node {version} is too old; Pyodide needs Node.js {MIN_NODE_MAJOR}+")
        event_read, event_write = os.pipe()
        widen_pipe(event_write)
        command_read, command_write = os.pipe()
        document = self.boot.document() | {"event_fd": event_write, "command_fd": command_read}
        # A pytest-pyodide suite may await JavaScript from a test: JSPI lets it.
        flags = [flag] if document.get("pytest_pyodide") and (flag := jspi_flag(node)) else []
        document["node_flags"] = flags
        plan = snapshot.plan(document, f"node {major}")
        if plan is not None:
            document["snapshot"] = plan
        fd, self._boot_file = tempfile.mkstemp(prefix="harness-boot-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f)
        self._stderr = StderrTail(sys.stderr)
        try:
            self._process = subprocess.Popen(
                [node, *flags, str(browsers.entry("node/main.mjs")), self._boot_file],
                pass_fds=(event_write, command_read),
                stdin=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd=str(self.boot.cwd),
                start_new_session=True,  # our SIGINT handling decides when it stops
            )
        finally:
            os.close(event_write)
            os.close(command_read)
        self._command_fd = command_write
        assert self._process.stderr is not None
        self._stderr.follow(self._process.stderr)
        self.events.read_lines(self.worker_id, os.fdopen(event_read, "rb"))

    def send(self, command: protocol.Command) -> None:
        if self._command_fd is None:
            raise RuntimeError("runtime not started")
        data = (protocol.encode(command) + "\n").encode("utf-8")
        try:
            while data:
                data = data[os.write(self._command_fd, data) :]
        except BrokenPipeError:
            pass  # it died; the EOF on its event pipe tells the main loop

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self._command_fd is not None:
            os.close(self._command_fd)
            self._command_fd = None
        if self._boot_file is not None:
            Path(self._boot_file).unlink(missing_ok=True)  # node removes it once read
            self._boot_file = None

    def wait(self, timeout: float) -> int | None:
        """Exit status once the process has ended (None if it is still running)."""
        if self._process is None:
            return None
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def booted(self) -> None:
        self._stderr.release()

    def exit_description(self) -> str:
        status = self.wait(5)
        if status is None:
            how = "still running"
        elif status < 0:
            how = f"killed by signal {-status}"
        else:
            how = f"exit code {status}"
        tail = self._stderr.text()
        return f"node {how}" + (f"\n{tail}" if tail else "")
