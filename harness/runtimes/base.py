"""The one abstraction every runtime implements: start, send a command, be alive, be killed.

Node, Chromium and Firefox differ only in how Pyodide is started and which transport
carries the protocol's lines; what runs inside (``browsers/boot.mjs`` then
``harness.inside.runner``) and what the host does with events are shared. Events go to the
``EventQueue`` handed in, so one controller loop can serve many runtimes (``-n``).
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar

import harness
import wasm_patches
from harness.errors import HarnessError
from harness.host.intake import EventQueue, Incoming
from harness.inside import protocol
from harness.provision.distribution import Distribution
from harness.runtimes.launchers.plan import Plan
from harness.runtimes.launchers.settings import LaunchSettings

# Where the runtime-side Python is copied inside the runtime's own file system.
RUNTIME_ROOT = "/harness-runtime"
# How long a runtime may take from launch to ``ready`` (a cold boot on a busy CI machine).
BOOT_TIMEOUT = float(os.environ.get("HARNESS_BOOT_TIMEOUT", "300"))


@dataclass(frozen=True)
class BootConfig:
    """Everything a runtime needs to boot and look like the host for the project."""

    dist: Distribution
    site_packages: Path
    cwd: Path
    mounts: tuple[Path, ...]
    probe_dirs: tuple[Path, ...]
    env: dict[str, str]
    unset_env: tuple[str, ...]
    umask: int
    patches: bool
    extra: dict[str, Any] = field(default_factory=dict)
    # What the site-packages manifest says (harness.provision.wheels.Site): dynamic libraries
    # to load before anything imports them, modules of each --wheel to import first, and
    # shared libraries copied to /usr/lib as (runtime path, host path).
    dynlibs: tuple[dict[str, Any], ...] = ()
    wheel_imports: tuple[dict[str, Any], ...] = ()
    lib_files: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()  # header lines about provisioning (host side)
    # Host directory for the runtime's bytecode (``sys.pycache_prefix``), None for none: see
    # ``harness.provision.boot.bytecode_cache``.
    pycache: Path | None = None
    launch: Plan | None = None  # browser runtimes: how the browser is had (never sent inside)

    def cleanup(self) -> None:
        """Remove the run's private scratch directories (the probe mount)."""
        for path in self.probe_dirs:
            shutil.rmtree(path, ignore_errors=True)

    def document(self) -> dict[str, Any]:
        """The JSON the JavaScript entry point and ``runner.serve`` read."""
        return {
            "protocol_version": protocol.VERSION,
            "dist": str(self.dist.path),
            "pyodide_version": self.dist.version,
            "files": [*runtime_files(), *self.lib_files],
            "runtime_root": RUNTIME_ROOT,
            "mounts": [str(p) for p in _mount_dirs((*self.mounts, *filter(None, [self.pycache])))],
            "pycache_prefix": str(self.pycache) if self.pycache else None,
            "probe_dirs": [str(p) for p in self.probe_dirs],
            "sys_path": [str(self.site_packages)],
            "dynlibs": list(self.dynlibs),
            "wheel_imports": list(self.wheel_imports),
            "env": self.env,
            "unset_env": list(self.unset_env),
            "cwd": str(self.cwd),
            "umask": self.umask,
            "patches": self.patches,
            **self.extra,
        }


def _mount_dirs(points: tuple[Path, ...]) -> tuple[Path, ...]:
    """``invocation.mount_dirs`` (imported here: invocation needs the options, which need
    the launchers, which need this module)."""
    from harness.provision.invocation import mount_dirs

    return mount_dirs(points)


def runtime_files() -> list[tuple[str, str]]:
    """(path inside the runtime, path on the host) for the Python that runs inside.

    Only ``harness/__init__`` and ``harness/inside`` (with ``inside/compat``, the
    ``pytest_pyodide`` stand-in) go in: they are stdlib-only (plus pytest) by
    design. ``wasm_patches`` goes in whole (Python plus any JS it loads).
    """
    package = Path(harness.__file__).resolve().parent
    sources = [package / "__init__.py"]
    sources += sorted((package / "inside").glob("*.py"))
    compat = package / "inside" / "compat"  # the pytest_pyodide stand-in, .py and .mjs
    sources += sorted(p for p in compat.rglob("*") if p.is_file() and p.suffix in (".py", ".mjs"))
    patches = Path(wasm_patches.__file__).resolve().parent
    sources += sorted(p for p in patches.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    files = []
    for source in sources:
        base = patches.parent if patches in source.parents else package.parent
        files.append((f"{RUNTIME_ROOT}/{source.relative_to(base).as_posix()}", str(source)))
    return files


# How every Pyodide version begins the text it prints when it dies (wasm trap, JS error).
FATAL_MARK = "Pyodide has suffered a fatal error"


class StderrTail:
    """Forwards a runtime's stderr to ours and remembers the last lines for crash reports.

    Output is held back until ``release()`` (called once the runtime is ready): a runtime
    that fails to boot is then reported in one line instead of a page of JS noise. Pyodide's
    fatal-error text (and the JavaScript stack after it) is not forwarded at all: the
    runtime is going down, and the host shows those last words once, in the failure report
    of the test that was running, instead of in the middle of the progress line.
    """

    def __init__(self, sink: IO[str], keep: int = 30) -> None:
        self._sink = sink
        self._lines: collections.deque[str] = collections.deque(maxlen=keep)
        self._held: list[str] | None = []
        self._dying = False
        self._lock = threading.Lock()

    def follow(self, stream: IO[bytes]) -> threading.Thread:
        def pump() -> None:
            with stream:
                for raw in stream:
                    line = raw.decode("utf-8", "replace")
                    with self._lock:
                        self._lines.append(line.rstrip("\n"))
                        self._dying = self._dying or FATAL_MARK in line
                        if self._dying:
                            continue
                        if self._held is not None:
                            self._held.append(line)
                            continue
                    self._sink.write(line)
                    self._sink.flush()

        thread = threading.Thread(target=pump, name="harness-stderr", daemon=True)
        thread.start()
        return thread

    def release(self) -> None:
        """Write what was held back and forward everything from now on."""
        with self._lock:
            held, self._held = self._held or [], None
        self._sink.write("".join(held))
        self._sink.flush()

    def text(self) -> str:
        return "\n".join(self._lines)


class Runtime(ABC):
    """One running Pyodide. Subclasses: ``node.NodeRuntime`` (more to come)."""

    name: ClassVar[str]
    # Whether the project's files are read from the host as they are when a test reads them
    # (mounted), rather than copied in at start: only then can a runtime boot before a change
    # and still test it (watch mode's standby, ``harness.host.standby``).
    sees_live_files: ClassVar[bool] = False

    def __init__(self, boot: BootConfig, events: EventQueue, worker_id: str) -> None:
        self.boot = boot
        self.events = events
        self.worker_id = worker_id

    @classmethod
    def launch_plan(cls, settings: LaunchSettings) -> Plan | None:
        """Decide, before anything is downloaded, how this runtime will be started; only
        browser runtimes take the browser options."""
        if settings.given:
            raise HarnessError(f"{', '.join(settings.given)}: only browser runtimes take this (not {cls.name})")
        return None

    @classmethod
    def prelaunch(cls, settings: LaunchSettings) -> None:
        """Start what this runtime needs and can have before the run is known (a browser),
        while the host starts up; nothing by default."""
        return None

    @abstractmethod
    def start(self) -> None:
        """Launch the runtime; its events (first ``ready``) arrive on ``self.events``."""

    @abstractmethod
    def send(self, command: protocol.Command) -> None:
        """Send one protocol command (see the typed helpers below)."""

    def describe(self, args: Sequence[str]) -> None:
        """Prepare a session for ``args``; the runtime answers ``described``."""
        self.send(protocol.Describe(type="describe", args=list(args)))

    def run(self, args: Sequence[str], *, report_collection: bool = True, groups: bool = False) -> None:
        """Start one pytest session with ``args``; ``report_collection``: send the collection's
        reports (not just its list); ``groups``: send xdist_group names."""
        self.send(protocol.Run(type="run", args=list(args), report_collection=report_collection, groups=groups))

    def schedule(self, nodeids: Sequence[str]) -> None:
        """Queue collected tests, in this order."""
        self.send(protocol.Schedule(type="schedule", nodeids=list(nodeids)))

    def shutdown(self) -> None:
        """No more tests will be scheduled this session."""
        self.send(protocol.Shutdown(type="shutdown"))

    def exit(self) -> None:
        """Leave the command loop (the process or page then ends)."""
        self.send(protocol.Exit(type="exit"))

    @abstractmethod
    def alive(self) -> bool:
        """Whether the runtime can still answer."""

    @abstractmethod
    def kill(self) -> None:
        """Stop the runtime now and release everything it holds (idempotent)."""

    @abstractmethod
    def booted(self) -> None:
        """The runtime said ``ready``: stop holding back its own output."""

    @abstractmethod
    def exit_description(self) -> str:
        """Why the runtime is gone, for crash reports: exit status and last stderr lines."""


class BootFailure(HarnessError):
    """A runtime was launched but did not become ready: what it was given (a cached
    distribution or site-packages) may be at fault, unlike a runtime that cannot be launched."""


def wait_ready(runtime: Runtime, timeout: float = BOOT_TIMEOUT) -> protocol.Ready:
    """Block until ``runtime`` says ``ready``; a one-line HarnessError if it dies or hangs."""
    return wait_all_ready([runtime], timeout)[runtime.worker_id]


def wait_all_ready(runtimes: Sequence[Runtime], timeout: float = BOOT_TIMEOUT) -> dict[str, protocol.Ready]:
    """Block until every runtime (booting side by side) says ``ready``: {worker id: event}.

    Any that dies or hangs is a one-line HarnessError (all are killed then). Call only
    before anything else consumes their queue.
    """
    pending = {runtime.worker_id: runtime for runtime in runtimes}
    readies: dict[str, protocol.Ready] = {}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        got = runtimes[0].events.get(timeout=0.5)
        if got is None:
            continue
        worker, event = got
        runtime = pending.get(worker)
        if runtime is None:
            continue  # a replaced runtime's last words
        if event["type"] == "ready":
            runtime.booted()
            del pending[worker]
            readies[worker] = event
        elif event["type"] in ("error", "eof"):
            for other in runtimes:
                other.kill()
            raise BootFailure(f"{runtime.name} runtime failed to start: {boot_failure(runtime, event)}")
    if pending:
        for other in runtimes:
            other.kill()
        raise BootFailure(f"{runtimes[0].name} runtime did not boot within {timeout:.0f} s")
    return readies


def boot_failure(runtime: Runtime, event: Incoming) -> str:
    """The line that says why a runtime could not start, from its error or its exit.

    When Python itself gave up (``Fatal Python error: ...``, then an exit status: a damaged
    standard library, say) the exit status says nothing; the line Python wrote does.
    """
    message = event["message"] if event["type"] == "error" else ""
    if not message or "Program terminated with exit(" in message:
        said = runtime.exit_description().splitlines()
        fatal = next((line.strip() for line in said if line.startswith("Fatal Python error")), None)
        if fatal is not None:
            return fatal
    detail = message or runtime.exit_description()
    text = strip_js_stack(str(detail))
    lines = [line.strip() for line in text.splitlines() if line.strip()] or ["no output"]
    return next((line for line in reversed(lines) if "Error" in line), lines[0])


# A JavaScript stack frame: V8's ``    at f (file:1:2)``, Firefox's ``f@http://...:1:2``.
_JS_FRAME = re.compile(r"^\s*(at \S|\S*@\S+:\d+:\d+$)")


def strip_js_stack(message: str) -> str:
    """A runtime error without its JavaScript stack frames."""
    return "\n".join(ln for ln in message.splitlines() if not _JS_FRAME.match(ln)).strip()


def fatal_headline(message: str) -> str:
    """The one line that says what killed the runtime.

    A Python exception arrives as ``PythonError: Traceback ...`` whose last line is the
    exception; a JS error (``RangeError: ...``, ``Exit: Program terminated ...``) leads.
    """
    lines = [ln.strip() for ln in strip_js_stack(message).splitlines() if ln.strip()]
    if not lines:
        return ""
    return lines[-1] if lines[0].startswith("PythonError") else lines[0]
