"""What every browser runtime shares: the run's server, the page, the stream's end.

A browser runtime opens one URL, the page ``browsers/page/page.html`` served by
``harness.runtimes.web.server.RunServer``, through a launcher
(``harness.runtimes.launchers``): the local binary started directly, Playwright or
Selenium, locally or remotely. Everything the harness needs travels over the run's own
server, so the launcher only opens the page and closes the browser; Chromium, Firefox
and WebKit differ only in their ``Browser`` description and direct command line.
No secret is ever on a command line: a direct launch opens a start page written into the
private profile directory (``start_page``), which forwards to the page's one-time URL;
drivers get that URL over their own connection. The session cookie the page then gets
lives in the browser alone (see ``harness.runtimes.web.server``).

The page has no host file system: the project, site-packages and any path the run names
are packed (``harness.runtimes.web.bundle``) and copied into MEMFS at the same absolute paths; files
tests write stay in the page's memory. Python's stdout goes to the host's fd 1 (as a Node
child's inherited stdout would), its stderr through ``StderrTail``.
"""

from __future__ import annotations

import functools
import html
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import browsers
from harness.errors import HarnessError
from harness.inside import protocol
from harness.runtimes import bytecode, snapshot
from harness.runtimes.base import BootConfig, Runtime, StderrTail
from harness.runtimes.launchers import Browser, Launcher, Pages
from harness.runtimes.launchers.direct import DirectLauncher, remove_profile
from harness.runtimes.launchers.plan import Plan, plan
from harness.runtimes.launchers.settings import LaunchSettings
from harness.runtimes.launchers.shared import PageLauncher, SharedBrowser
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
    "snapshot.mjs": "snapshot.mjs",
    "bytecode.mjs": "bytecode.mjs",
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


def page_document(
    boot: BootConfig, cache: bytecode.BrowserBytecode | None = None
) -> tuple[dict[str, Any], list[Path], list[bundle.Bundle]]:
    """The boot document as the page reads it, the runtime files and the trees to serve.

    Host paths become URLs relative to the page; the NODEFS probe directories and the host's
    bytecode directory, which only a Node runtime can mount, are left out. With memory
    snapshots on, ``snapshot`` tells the page to ask the run's server for one
    (``snapshot_for`` makes the server's side); with a bytecode ``cache``, ``bytecode``
    tells it to borrow that archive and keep its bytecode in memory under its prefix.
    """
    document = boot.document()
    if snapshot.usable(document):
        document["snapshot"] = {"format": snapshot.FORMAT}
    sources = [Path(source) for _, source in document["files"]]
    mounts = [path for path in boot.mounts if path not in boot.probe_dirs]
    bundles = [bundle.pack(path) for path in mounts]
    document.update(
        dist="dist/",
        files=[[target, f"file/{i}"] for i, (target, _) in enumerate(document["files"])],
        mounts=[b.root for b in bundles],
        bundles={b.root: f"bundle/{b.digest}" for b in bundles},
        probe_dirs=[],
        pycache_prefix=bytecode.PREFIX if cache else None,
    )
    if cache is not None:
        document["bytecode"] = {"key": cache.key, "prefix": bytecode.PREFIX, "max_bytes": bytecode.MAX_ARCHIVE}
    return document, sources, bundles


class BrowserRuntime(Runtime):
    """Pyodide in a page of a browser: one page of the run's shared browser where the
    launcher allows (``launchers.shared``), else a browser opened for this runtime alone."""

    browser: ClassVar[Browser]
    # Run Pyodide in a module Web Worker instead of on the page's thread (``page.mjs``).
    in_worker: ClassVar[bool] = False

    _launcher: Launcher | None = None
    _server: RunServer | None = None
    _profile: Path | None = None
    _stdout_fd: int | None = None
    _stderr_fd: int | None = None

    @classmethod
    def command(cls, settings: LaunchSettings, executable: str, profile: Path, url: str) -> list[str]:
        """The command line that opens ``url`` headless with the fresh ``profile`` dir
        (the direct launch; a browser without one never gets a direct plan)."""
        raise NotImplementedError(f"{cls.name} has no direct launch")

    def snapshot_for(self) -> snapshot.BrowserSnapshot | None:
        """This runtime's memory snapshot on the run's server, keyed by browser and mode."""
        document = self.boot.document()
        if not snapshot.usable(document):
            return None
        mode = "worker" if self.in_worker else "page"
        return snapshot.BrowserSnapshot(document, f"{self.browser.engine} {mode}")

    def bytecode_for(self) -> bytecode.BrowserBytecode | None:
        """This runtime's bytecode archive on the run's server, for this project and browser
        engine (page and worker alike: the bytecode is the same); None when the host keeps
        no bytecode (``BootConfig.pycache``)."""
        if self.boot.pycache is None:
            return None
        return bytecode.BrowserBytecode(bytecode.key(self.boot.dist.version, self.browser.engine, str(self.boot.cwd)))

    @classmethod
    def prepare_profile(cls, profile: Path) -> None:
        """Fill the fresh profile directory before a direct launch (nothing by default)."""

    @classmethod
    def launch_plan(cls, settings: LaunchSettings) -> Plan:
        return plan(cls.browser, settings)

    def _plan(self) -> Plan:
        if self.boot.launch is None:
            raise HarnessError(f"{self.name}: no launch plan")  # BootConfig made without one
        return self.boot.launch

    def _launcher_for(self, chosen: Plan, profile: Path) -> Launcher:
        shared = self.shared_browser(chosen)
        if shared is not None:
            return PageLauncher(shared)
        if chosen.driver == "selenium":
            from harness.runtimes.launchers.selenium import SeleniumLauncher

            return SeleniumLauncher(chosen, profile)
        assert chosen.executable is not None
        self.prepare_profile(profile)
        command = functools.partial(self.command, chosen.settings)
        return DirectLauncher(chosen.description, chosen.executable, profile, command)

    @classmethod
    def prelaunch(cls, launch: LaunchSettings) -> None:
        """Start Chromium (started directly) while the host is still starting up, so that
        the runtime finds it running: the host's start-up (about a second of imports and
        plugins) and the browser's (about half a second) overlap. Anything that goes wrong
        here is left to the runtime's own start, which reports it."""
        try:
            chosen = cls.launch_plan(launch)
        except HarnessError:
            return
        if chosen.driver == "direct":
            shared = cls.shared_browser(chosen)
            if shared is not None:
                shared.reserve()

    @classmethod
    def shared_browser(cls, chosen: Plan) -> SharedBrowser | None:
        """The run's one browser that this runtime opens a page in, where the launcher can
        hold many pages: Playwright, and Chromium started directly (DevTools over a pipe).
        Selenium and Firefox or WebKit started directly: None, a browser per runtime."""
        if chosen.driver == "playwright":

            def make() -> tuple[Pages, Path | None]:
                from harness.runtimes.launchers.playwright import PlaywrightLauncher

                return PlaywrightLauncher(chosen), None

        elif chosen.driver == "direct" and cls.browser.engine == "chromium" and chosen.executable:
            executable = chosen.executable

            def make() -> tuple[Pages, Path | None]:
                from harness.runtimes.launchers.cdp import CdpLauncher

                profile = Path(tempfile.mkdtemp(prefix=f"harness-{cls.name}-"))
                cls.prepare_profile(profile)
                command = functools.partial(cls.command, chosen.settings)
                return CdpLauncher(chosen.description, executable, profile, command), profile

        else:
            return None
        return SharedBrowser.acquire((cls.name, chosen.identity), make)

    def start(self) -> None:
        chosen = self._plan()
        cache = self.bytecode_for()
        document, sources, bundles = page_document(self.boot, cache)
        self._io_lock = threading.Lock()  # output vs kill(): never write to a reused fd number
        self._stdout_fd = os.dup(1)
        stderr_read, self._stderr_fd = os.pipe()
        self._stderr = StderrTail(sys.stderr)
        self._stderr.follow(os.fdopen(stderr_read, "rb"))
        self._channel = Channel(self.events, self.worker_id, self._output)
        entry = {name: browsers.entry(path) for name, path in ENTRY_FILES.items()}
        settings = chosen.settings
        self._server = RunServer(
            self._channel,
            document,
            entry,
            self.boot.dist.path,
            sources,
            bundles,
            bind=settings.bind,
            url_host=settings.url_host,
            snapshot=self.snapshot_for(),
            bytecode=cache,
        )
        self._profile = Path(tempfile.mkdtemp(prefix=f"harness-{self.name}-"))
        self._launcher = self._launcher_for(chosen, self._profile)
        url = self._server.boot_url + ("&mode=worker" if self.in_worker else "")
        if isinstance(self._launcher, DirectLauncher):
            url = start_page(self._profile, url)  # its URL is on a command line: a private file
        # Opening may take seconds (a remote session): -n runtimes open side by side.
        threading.Thread(target=self._open, args=(self._launcher, url, self._channel), daemon=True).start()

    def _open(self, launcher: Launcher, url: str, channel: Channel) -> None:
        try:
            launcher.open(url)
        except HarnessError as exc:
            channel.end(self._failure(str(exc)))
            return
        self._watch(launcher, channel)

    def _output(self, fd: int, data: bytes) -> None:
        """Python's stdout/stderr from the page, to where a Node child's would go."""
        with self._io_lock:
            target = self._stdout_fd if fd == 1 else self._stderr_fd
            try:
                while data and target is not None:
                    data = data[os.write(target, data) :]
            except OSError:
                pass  # the terminal or pipe is gone; the run goes on

    def _watch(self, launcher: Launcher, channel: Channel) -> None:
        """End the stream when the browser cannot deliver one: it never connects, or goes away."""
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while not channel.connected.is_set() and not launcher.gone.is_set():
            if time.monotonic() > deadline:
                channel.end(self._failure(f"the page did not connect within {CONNECT_TIMEOUT:g} s"))
                return
            launcher.gone.wait(0.1)
        if not channel.connected.is_set():
            channel.end(self._failure(f"{launcher.description} {launcher.status} before its page connected"))
            return
        launcher.gone.wait()
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
        launcher = self._launcher
        return launcher is not None and not launcher.gone.is_set() and not self._channel.ended

    def kill(self) -> None:
        if self._launcher is not None:
            self._launcher.close()
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
            remove_profile(self._profile)
            self._profile = None

    def booted(self) -> None:
        self._stderr.release()

    def exit_description(self) -> str:
        launcher = self._launcher
        if launcher is not None and not launcher.closing:
            launcher.probe()
        if launcher is not None and launcher.gone.is_set() and not launcher.closing:
            how = f"{launcher.description} {launcher.status}"
            tail = "\n".join([*launcher.log, self._stderr.text()])
        else:
            exit_code = _exit_code(self._channel.fatal_message)
            how = f"{self.name} page: Pyodide " + (f"exit code {exit_code}" if exit_code else "stopped")
            tail = self._stderr.text()
        return how + (f"\n{tail.strip()}" if tail.strip() else "")


def _exit_code(fatal_message: str) -> str | None:
    """The status of ``os._exit(N)`` / ``sys.exit`` as Pyodide reports it, if that was it."""
    marker = "Program terminated with exit("
    start = fatal_message.find(marker)
    if start < 0:
        return None
    return fatal_message[start + len(marker) :].split(")", 1)[0]
