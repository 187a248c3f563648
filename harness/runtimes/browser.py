"""What every headless-browser runtime shares: the run's server, the page, the stream's end.

A browser runtime launches the browser binary itself, headless, on one URL: a start page
written into its private profile directory (``start_page``), which forwards to the page
``browsers/page/page.html`` served by ``harness.runtimes.web.server.RunServer`` with the
page's one-time secret. The command line names only that file, which no other user can
read; the session cookie the page then gets lives in the browser alone. No driver (WebDriver, CDP
client) sits in between: everything the harness needs travels over the run's own server,
so Chromium and Firefox differ only in the command line (and Firefox in its profile).
A browser that needs a driver to open a page (WebKit) would override ``launch``.

The page has no host file system: the project, site-packages and any path the run names
are packed (``harness.runtimes.web.bundle``) and copied into MEMFS at the same absolute paths; files
tests write stay in the page's memory. Python's stdout goes to the host's fd 1 (as a Node
child's inherited stdout would), its stderr through ``StderrTail``.
"""

from __future__ import annotations

import collections
import html
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from abc import abstractmethod
from pathlib import Path
from typing import IO, Any, ClassVar

import browsers
from harness.errors import HarnessError
from harness.inside import protocol
from harness.runtimes.base import BootConfig, Runtime, StderrTail
from harness.runtimes.web import bundle
from harness.runtimes.web.server import Channel, RunServer

# How long a launched browser may take to open the page's event socket (before Pyodide loads).
CONNECT_TIMEOUT = float(os.environ.get("HARNESS_BROWSER_CONNECT_TIMEOUT", "60"))
# After the browser process ends, how long its socket may take to deliver the last events.
DRAIN_SECONDS = 5.0
# URL name on the run's server -> file under ``browsers/`` (flat URLs: the modules import
# each other by relative URL).
ENTRY_FILES = {
    "page.html": "page/page.html",
    "page.mjs": "page/page.mjs",
    "runtime.mjs": "page/runtime.mjs",
    "boot.mjs": "boot.mjs",
}


def start_page(profile: Path, boot_url: str) -> str:
    """Write the start page (``browsers/page/start.html`` pointing at ``boot_url``) into the
    private ``profile`` directory; its ``file:`` URL is what a launcher opens."""
    template = browsers.entry("page/start.html").read_text(encoding="utf-8")
    page = profile / "start.html"
    fd = os.open(page, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(template.replace("BOOT_URL", html.escape(boot_url)))
    return page.as_uri()


def page_document(boot: BootConfig) -> tuple[dict[str, Any], list[Path], list[bundle.Bundle]]:
    """The boot document as the page reads it, the runtime files and the trees to serve.

    Host paths become URLs relative to the page; the NODEFS probe directories, which only
    a Node runtime can mount, are left out.
    """
    document = boot.document()
    sources = [Path(source) for _, source in document["files"]]
    mounts = [path for path in boot.mounts if path not in boot.probe_dirs]
    bundles = [bundle.pack(path) for path in mounts]
    document.update(
        dist="dist/",
        files=[[target, f"file/{i}"] for i, (target, _) in enumerate(document["files"])],
        mounts=[b.root for b in bundles],
        bundles={b.root: f"bundle/{b.digest}" for b in bundles},
        probe_dirs=[],
    )
    return document, sources, bundles


class BrowserRuntime(Runtime):
    """Pyodide in a page of a headless browser launched for this runtime alone."""

    # The browser (in messages), names looked up on PATH, the variable that overrides
    # them, and how to get one.
    browser: ClassVar[str]
    executables: ClassVar[tuple[str, ...]]
    executable_env: ClassVar[str]
    install_hint: ClassVar[str]
    # Run Pyodide in a module Web Worker instead of on the page's thread (``page.mjs``).
    in_worker: ClassVar[bool] = False

    _process: subprocess.Popen[bytes] | None = None
    _server: RunServer | None = None
    _profile: Path | None = None
    _stdout_fd: int | None = None
    _stderr_fd: int | None = None

    @abstractmethod
    def command(self, executable: str, profile: Path, url: str) -> list[str]:
        """The command line that opens ``url`` headless with the fresh ``profile`` dir."""

    def launch(self, executable: str, profile: Path, url: str) -> subprocess.Popen[bytes]:
        """Start the browser on ``url``: the process whose end means the browser is gone."""
        return subprocess.Popen(
            self.command(executable, profile, url),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=str(profile),
            start_new_session=True,  # its own process group: kill() ends every child
        )

    def prepare_profile(self, profile: Path) -> None:
        """Fill the fresh profile directory before launch (nothing by default)."""

    @classmethod
    def find_executable(cls) -> str:
        """The browser binary (the ``executable_env`` variable overrides), or a one-line error."""
        override = os.environ.get(cls.executable_env)
        if override:
            if shutil.which(override):
                return override
            raise HarnessError(f"{cls.executable_env}={override} is not an executable")
        for name in cls.executables:
            found = shutil.which(name)
            if found:
                return found
        raise HarnessError(f"{cls.browser} not found: {cls.install_hint} (or set {cls.executable_env})")

    def start(self) -> None:
        executable = self.find_executable()
        document, sources, bundles = page_document(self.boot)
        self._io_lock = threading.Lock()  # output vs kill(): never write to a reused fd number
        self._stdout_fd = os.dup(1)
        stderr_read, self._stderr_fd = os.pipe()
        self._stderr = StderrTail(sys.stderr)
        self._stderr.follow(os.fdopen(stderr_read, "rb"))
        self._browser_log: collections.deque[str] = collections.deque(maxlen=20)
        self._channel = Channel(self.events, self.worker_id, self._output)
        entry = {name: browsers.entry(path) for name, path in ENTRY_FILES.items()}
        self._server = RunServer(self._channel, document, entry, self.boot.dist.path, sources, bundles)
        self._profile = Path(tempfile.mkdtemp(prefix=f"harness-{self.name}-"))
        self.prepare_profile(self._profile)
        try:
            boot_url = self._server.boot_url + ("&mode=worker" if self.in_worker else "")
            url = start_page(self._profile, boot_url)
            self._process = self.launch(executable, self._profile, url)
        except OSError as exc:
            self.kill()
            raise HarnessError(f"cannot run {executable}: {exc.strerror}") from None
        assert self._process.stdout is not None
        threading.Thread(target=self._keep_log, args=(self._process.stdout,), daemon=True).start()
        threading.Thread(target=self._watch, args=(self._process, self._channel), daemon=True).start()

    def _output(self, fd: int, data: bytes) -> None:
        """Python's stdout/stderr from the page, to where a Node child's would go."""
        with self._io_lock:
            target = self._stdout_fd if fd == 1 else self._stderr_fd
            try:
                while data and target is not None:
                    data = data[os.write(target, data) :]
            except OSError:
                pass  # the terminal or pipe is gone; the run goes on

    def _keep_log(self, stream: IO[bytes]) -> None:
        """The browser's own output: kept for a failed start, never shown otherwise."""
        with stream:
            for raw in stream:
                self._browser_log.append(raw.decode("utf-8", "replace").rstrip())

    def _watch(self, process: subprocess.Popen[bytes], channel: Channel) -> None:
        """End the stream when the browser cannot deliver one: it never connects, or exits."""
        try:
            process.wait(CONNECT_TIMEOUT)
        except subprocess.TimeoutExpired:
            if not channel.connected.is_set():
                channel.end(self._failure(f"the page did not connect within {CONNECT_TIMEOUT:g} s"))
                return
            process.wait()
        if not channel.connected.is_set():
            channel.end(self._failure(f"{self.browser} {_status(process.returncode)} before its page connected"))
            return
        # Gone after connecting: its socket closes too and ends the stream with every
        # event sent before; only if that does not happen, end it here.
        time.sleep(DRAIN_SECONDS)
        channel.end()

    def _failure(self, message: str) -> protocol.Error:
        return protocol.Error(type="error", kind="fatal", message=message)

    def send(self, command: protocol.Command) -> None:
        if self._server is None:
            raise RuntimeError("runtime not started")
        self._channel.push(protocol.encode(command))

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None and not self._channel.ended

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._stdout_fd is not None or self._stderr_fd is not None:
            with self._io_lock:
                for fd in (self._stdout_fd, self._stderr_fd):
                    if fd is not None:
                        os.close(fd)
                self._stdout_fd = self._stderr_fd = None
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    def booted(self) -> None:
        self._stderr.release()

    def exit_description(self) -> str:
        status = self._process.poll() if self._process is not None else None
        if status is not None:
            how = f"{self.browser} {_status(status)}"
            tail = "\n".join([*self._browser_log, self._stderr.text()])
        else:
            exit_code = _exit_code(self._channel.fatal_message)
            how = f"{self.name} page: Pyodide " + (f"exit code {exit_code}" if exit_code else "stopped")
            tail = self._stderr.text()
        return how + (f"\n{tail.strip()}" if tail.strip() else "")


def _status(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    return f"killed by signal {-returncode}" if returncode < 0 else f"exited with code {returncode}"


def _exit_code(fatal_message: str) -> str | None:
    """The status of ``os._exit(N)`` / ``sys.exit`` as Pyodide reports it, if that was it."""
    marker = "Program terminated with exit("
    start = fatal_message.find(marker)
    if start < 0:
        return None
    return fatal_message[start + len(marker) :].split(")", 1)[0]
