"""``harness run --watch``: run the suite, then again on every change, until Ctrl-C.

The models: pytest-xdist's ``--looponfail`` and pytest-watch (a whole pytest session per
cycle, in the terminal as if typed again) and Jest's watch mode (failures first). Each cycle
is one ``pytest.main`` in this process (no interpreter start, no re-import of pytest; the
host imports none of the project's code, so nothing of it can go stale here) with the
user's arguments, and from the second cycle on:

- ``--watch``: ``--ff``, pytest's own "last failures first, then the rest", read from the
  ``.pytest_cache`` lastfailed data the previous cycle's host session wrote;
- ``--watch-failed``: ``--lf`` while the last cycle had failures (only those run); when a
  cycle of only failures passes, the whole suite runs at once (``--looponfail``'s rule).

Those flags are left out when the user chose an order (``--lf``, ``--ff``, ``--sw``) or
turned the cache off (``-p no:cacheprovider``), and ``--cache-clear`` applies to the first
cycle only.

Warm runtimes: the runtime of the last cycle has imported the project (a re-run in it
would see stale modules), so as soon as a cycle ends a fresh one boots as a standby and
prepares the next cycle's session (``harness.host.standby``; Node only: a browser page
copies the project when it starts). The next cycle adopts it unless the change made that
preparation stale (a conftest, a configuration file, or a module it imported changed), and
the change is tested after only collection and the tests.

Ending: Ctrl-C (or SIGTERM) stops the watch wherever it is: a running cycle ends as
pytest's does on Ctrl-C (its summary), the standby runtimes and the watcher are stopped,
their scratch directories removed, and the exit status is 2 (pytest's "interrupted"). A
second Ctrl-C while that happens is ignored, so the cleanup is never cut short.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import harness.plugin
from harness.host.controller import runtime_args
from harness.host.standby import Standby
from harness.options import Settings
from harness.provision.boot import drop_bytecode
from harness.provision.store import cache_root
from harness.runtimes import bytecode as browser_bytecode
from harness.runtimes.base import BootConfig
from harness.watch.changes import CONFIG_FILES, ChangeSet, Watcher
from harness.watch.cycle import WatchCycle

# pytest's exit statuses that mean some test did not pass (failed; collection errors).
FAILING = (pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.INTERRUPTED)
ORDER_FLAGS = ("--lf", "--last-failed", "--ff", "--failed-first", "--sw", "--stepwise")
PREFIX = "harness --watch:"


def run(settings: Settings, pytest_args: list[str]) -> int:
    """Watch until interrupted (exit status 2, pytest's "interrupted"); the first cycle's
    status if it could not even start a session (bad arguments: 4)."""
    interrupts = Interrupts()
    loop = WatchLoop(settings, pytest_args, interrupts)
    with interrupts:
        try:
            status = loop.run()
        except KeyboardInterrupt:
            status = None
        finally:
            loop.close()
    if status is not None:
        return status
    print(f"\n{PREFIX} stopped", flush=True)
    return int(pytest.ExitCode.INTERRUPTED)


class Interrupts:
    """While entered, SIGINT and SIGTERM raise KeyboardInterrupt once; later ones are
    ignored, so the cleanup they start is never cut short."""

    def __init__(self) -> None:
        self.raised = False
        self._previous: dict[int, Any] = {}

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        if not self.raised:
            self.raised = True
            raise KeyboardInterrupt

    def __enter__(self) -> Interrupts:
        self._previous = {sig: signal.signal(sig, self._interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class WatchLoop:
    """The cycles of one watch, with the standby and the watcher they share."""

    def __init__(self, settings: Settings, pytest_args: list[str], interrupts: Interrupts) -> None:
        self.settings = settings
        self.args = pytest_args
        self.interrupts = interrupts
        self.cycles = 0
        self.boot: BootConfig | None = None  # what the last session that booted booted from
        self.standby: Standby | None = None
        self.watcher: Watcher | None = None
        self.only_failures = False  # the last cycle ran --lf (--watch-failed)

    def run(self) -> int:
        """Cycles until interrupted (KeyboardInterrupt); returns only if the first session
        could not start, with its exit status."""
        status = self.cycle(None)
        if self.watcher is None:
            return status  # nothing booted, so nothing to watch: bad arguments or input
        while True:
            if self.only_failures and status in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
                self._say("the last failures pass now: running everything")
                status = self.cycle(None)
                continue
            roots = ", ".join(str(root) for root in self.watcher.roots)
            self._say(f"waiting for changes to Python and pytest configuration files in {roots} (Ctrl-C ends)")
            change = self.watcher.wait()
            self._say(f"changed: {change.describe(self.watcher.roots)}")
            status = self.cycle(change, only_failures=self._next_only_failures(status))

    def _next_only_failures(self, status: int) -> bool:
        """Whether the cycle after one that ended with ``status`` runs only the failures."""
        return self.settings.watch == "failed" and status in FAILING

    def cycle(self, change: ChangeSet | None, only_failures: bool = False) -> int:
        """One pytest session; its exit status."""
        args = self._args(only_failures, first=self.cycles == 0)
        self.cycles += 1
        self.only_failures = only_failures
        if change is not None and self.boot is not None and self.boot.pycache is not None:
            drop_bytecode(self.boot.pycache, change.paths)
            browser_bytecode.drop(change.paths)
        standby, self.standby = self.standby, None
        asked = time.time()
        if standby is not None and not self._still_prepared(standby, change):
            standby.discard()
            standby = None
        plugin = WatchCycle(standby, change, time.time() - asked, on_boot=self._booted, on_end=self._ended)
        try:
            status = pytest.main(args, plugins=[harness.plugin.GivenSettings(self.settings), plugin, harness.plugin])
        finally:
            if plugin.standby is not None:  # the session ended before it could adopt it
                plugin.standby.discard()
        sys.stdout.flush()
        if self.interrupts.raised:
            raise KeyboardInterrupt  # the session ended on it (pytest catches it in a session)
        line = plugin.latency_line()
        if line:
            self._say(line)
        return int(status)

    def _booted(self, boot: BootConfig) -> None:
        """A session's runtimes are booting (or adopted) from ``boot``: watch its project
        from now on, and boot the next standby from it."""
        self.boot = boot
        self._watch(_project_paths(boot))

    def _ended(self, status: int) -> None:
        """A session ended (its reports are written, the host's cleanup still runs): boot
        the next cycle's runtimes now, if this runtime can (see ``harness.host.standby``)."""
        if self.boot is None or self.interrupts.raised or not Standby.possible(self.settings.runtime):
            return
        if self.standby is not None:
            self.standby.discard()
        args = runtime_args(self._args(self._next_only_failures(status), first=False))
        self.standby = Standby(self.settings.runtime, self.boot, self.settings.first_runtimes, args)
        if not self.standby.start():
            self.standby = None

    def _still_prepared(self, standby: Standby, change: ChangeSet | None) -> bool:
        """Whether the session ``standby`` prepared before ``change`` is still right: no
        conftest or configuration file changed, nor any file preparing it imported. Waits
        for the preparation if it is still under way (the change came quickly)."""
        paths = change.paths if change is not None else ()
        if any(path.name == "conftest.py" or path.name in CONFIG_FILES for path in paths):
            return False
        return standby.prepared() and not standby.project_files().intersection(paths)

    def _args(self, only_failures: bool, first: bool) -> list[str]:
        """The pytest arguments of a cycle (see the module's docstring)."""
        if first:
            return list(self.args)
        args = [a for a in self.args if a != "--cache-clear"]
        given = [*args, *shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))]
        if any(a in ORDER_FLAGS for a in given) or _cache_off(given):
            return args
        return [*args, "--lf" if only_failures else "--ff"]

    def _watch(self, roots: tuple[Path, ...]) -> None:
        if self.watcher is not None and self.watcher.roots == roots:
            return
        if self.watcher is not None:
            self.watcher.close()
        self.watcher = Watcher(roots, ignore_paths=[cache_root()])

    def _say(self, message: str) -> None:
        print(f"{PREFIX} {message}", flush=True)

    def close(self) -> None:
        """Stop the standby and the watcher (idempotent)."""
        if self.standby is not None:
            self.standby.discard()
            self.standby = None
        if self.watcher is not None:
            self.watcher.close()
            self.watcher = None


def _project_paths(boot: BootConfig) -> tuple[Path, ...]:
    """What the runtime reads of the host besides its packages and scratch space: the
    project (cwd, rootdir or its ini file, the paths on the command line), as mounted."""
    private = {boot.site_packages.resolve(), *(p.resolve() for p in boot.probe_dirs)}
    return tuple(path for path in boot.mounts if path.resolve() not in private and path.exists())


def _cache_off(args: list[str]) -> bool:
    """``-p no:cacheprovider`` (pytest's --lf/--ff do not exist then)."""
    return "no:cacheprovider" in args or "-pno:cacheprovider" in args
