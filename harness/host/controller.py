"""The host-side controller: boots the runtimes, schedules the tests, replays what comes back.

Registered as a plugin on the host's pytest session (the role pytest-xdist's DSession
plays): it stops local collection, and its ``pytest_runtestloop`` is the single main loop
that takes events off the queue (one queue for every runtime), hands them to the
replayer and tells each runtime what to run next (``harness.host.scheduler``). With ``-n N``
there are N runtimes: every one collects, the first one's collection is replayed, and a
runtime that dies is replaced while the others keep going. How the session ends
(exit status 0-5) is decided by the same pytest machinery as natively: counters fed by the
replayed reports, or the exception the runtime's session ended with, raised again here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.host import limitations
from harness.host.pytest_cache import write_value
from harness.host.intake import EventQueue
from harness.errors import HarnessError
from harness.options import Settings, strip_plugin_args
from harness.provision.boot import boot_config
from harness.host.replay import Replayer
from harness.runtimes import runtime_class
from harness.runtimes.base import (
    BOOT_TIMEOUT,
    BootConfig,
    Runtime,
    boot_failure,
    fatal_headline,
    strip_js_stack,
    wait_all_ready,
)
from harness.host.scheduler import LoadScheduler

# Events of a session's collection phase: replayed from the primary runtime only (every
# runtime collects, natively pytest collects once).
COLLECTION_EVENTS = ("session_start", "collectreport", "deselected")



def session_boot_config(config: pytest.Config, settings: Settings) -> BootConfig:
    """Boot description for this pytest invocation: its directory, rootdir and path args."""
    return boot_config(
        settings,
        cwd=Path(config.invocation_params.dir),
        paths=[config.rootpath],
        args=strip_plugin_args(config.invocation_params.args),
    )


@dataclass
class Slot:
    """One of the ``-n`` places a runtime runs in; after a crash a fresh runtime takes it."""

    index: int
    runtime: Runtime
    restarts: int = 0
    booting_since: float | None = None  # a replacement that has not said ``ready`` yet
    collected: bool = False  # its session reached ``collection_finish``
    collection: frozenset[str] | None = None  # what it collected, until checked against the primary
    finished: bool = False  # its session ended, or it is gone for good
    fatal: str = ""  # what a dying runtime said last (``error`` kind "fatal")


class Controller:
    """Owns the session's runtimes and turns their events into host hook calls."""

    def __init__(
        self,
        config: pytest.Config,
        settings: Settings,
        boot: BootConfig,
        on_coverage: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.config = config
        self.on_coverage = on_coverage
        self.settings = settings
        self.boot = boot
        self.events = EventQueue()
        self.slots = [Slot(i, self._new_runtime(i, 0)) for i in range(settings.workers)]
        self.primary = self.slots[0].runtime.worker_id  # whose collection is replayed
        self.ready: dict[str, Any] = {}
        self.replayer: Replayer | None = None
        self.scheduler: LoadScheduler | None = None
        self.ending: dict[str, Any] = {}  # first ``interrupted`` / ``error`` event, ...
        self.unattributed_crashes: list[str] = []
        self.args = [
            a for a in strip_plugin_args(config.invocation_params.args)
            if a != "--cache-clear"  # the host cleared it already; the runtime never writes
        ]

    def _new_runtime(self, index: int, restarts: int) -> Runtime:
        worker_id = f"rt{index}" + (f".{restarts}" if restarts else "")
        return runtime_class(self.settings.runtime)(self.boot, self.events, worker_id)

    # -- boot -------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Boot before the terminal prints its header, so the header can describe the runtime."""
        runtimes = [slot.runtime for slot in self.slots]
        try:
            for runtime in runtimes:
                runtime.start()
            self.ready = wait_all_ready(runtimes)[self.primary]
        except HarnessError as exc:
            for runtime in runtimes:
                runtime.kill()
            raise pytest.UsageError(str(exc)) from None
        running = ".".join(str(self.ready.get("python", "")).split(".")[:2])
        if running != self.boot.dist.python_xy:
            # Lock metadata is not always right; the interpreter is. Wheels were resolved
            # for the lock's version, so a mismatch must stop the run, not confuse it.
            for runtime in runtimes:
                runtime.kill()
            raise pytest.UsageError(
                f"pyodide-lock.json says Python {self.boot.dist.python} but the runtime runs "
                f"{self.ready.get('python')}; use a distribution whose lock file matches"
            )

    def pytest_report_header(self) -> list[str]:
        d = self.boot.dist
        r = self.ready
        count = len(self.slots)
        runtimes = f"{count} {self.settings.runtime} runtimes (-n {count})" if count > 1 else f"{self.settings.runtime} runtime"
        return [
            f"harness: {runtimes}, Pyodide {d.version} "
            f"(Python {r.get('python', d.python)}, {d.platform}, {d.arch}"
            + (f", abi {d.abi_version}" if d.abi_version else "")
            + f"), pytest {r.get('pytest', '?')} inside, ready in {r.get('boot_ms', 0) / 1000:.1f} s"
            + (f" ({r['boot']} boot)" if r.get("boot") else ""),
            f"harness: {r.get('patch_summary', 'patches: unknown')}",
            *(f"harness: {note}" for note in r.get("notes", [])),
        ]

    # -- the run ----------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self) -> bool:
        return True  # the runtime collects; its reports are replayed

    def pytest_report_collectionfinish(self) -> list[str]:
        return self.replayer.collectionfinish_lines if self.replayer else []

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        self.replayer = Replayer(session)
        for slot in self.slots:
            slot.runtime.send("run", args=self.args)
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        writer = terminal._tw if terminal is not None else None
        while not all(slot.finished for slot in self.slots):
            got = self.events.get(timeout=0.25)
            if got is None:
                self._check_clocks()
                continue
            worker, event = got
            slot = next((s for s in self.slots if s.runtime.worker_id == worker), None)
            if slot is None or slot.finished:
                continue  # a replaced runtime's last words
            self._on_event(slot, event)
            if writer is not None and self.events.empty():
                writer.flush()  # live even when stdout is a pipe (CI logs), batched in bursts
        self._end(session)
        return True

    def _on_event(self, slot: Slot, event: dict[str, Any]) -> None:
        assert self.replayer is not None
        kind = event["type"]
        worker = slot.runtime.worker_id
        if slot.booting_since is not None:
            self._replacement_booting(slot, event)
        elif kind == "done":
            slot.finished = True
        elif kind == "eof":
            self._lost(slot)
        elif kind == "error" and event["kind"] == "fatal":
            slot.fatal = event["message"]  # the end of the stream follows; report it then
        elif kind in ("interrupted", "error"):
            self.ending.setdefault(kind, event)
        elif kind == "cache_set":
            self._cache_set(event["key"], event["value"])
        elif kind == "coverage":
            if self.on_coverage is not None:
                self.on_coverage(event)
        elif kind == "collection_finish":
            self._collected(slot, event)
        elif kind in COLLECTION_EVENTS or (kind == "warning" and event["when"] != "runtest"):
            if worker == self.primary:
                self.replayer.handle(worker, event)
        elif kind != "ready":
            self.replayer.handle(worker, event)
            if kind == "logfinish" and self.scheduler is not None:
                self.scheduler.finished(worker, event["nodeid"])
                if self.replayer.session.shouldfail or self.replayer.session.shouldstop:
                    self.scheduler.stop()  # -x/--maxfail: no new tests, anywhere
                self._top_up(slot)

    def _collected(self, slot: Slot, event: dict[str, Any]) -> None:
        """A runtime finished collecting: the primary's list is replayed and scheduled;
        every runtime must have collected the same tests (as pytest-xdist checks)."""
        assert self.replayer is not None
        slot.collected = True
        worker = slot.runtime.worker_id
        if worker != self.primary:
            # Compared when the primary's list is known (a runtime may finish first).
            slot.collection = frozenset(event["nodeids"])
        else:
            self.replayer.handle(worker, event)
            self.scheduler = LoadScheduler(event["nodeids"], len(self.slots))
        if self.scheduler is None:
            return
        expected = {item.nodeid for item in self.replayer.session.items}
        for other in self.slots if worker == self.primary else [slot]:
            if other.collection is not None and other.collection != expected:
                self.ending.setdefault(
                    "error",
                    {
                        "kind": "collection",
                        "message": f"runtime {other.runtime.worker_id} collected different tests than {self.primary}",
                    },
                )
                self.scheduler.stop()
            other.collection = None
            self._top_up(other)

    def _top_up(self, slot: Slot) -> None:
        """Send ``slot`` more tests if it is about to run out, or ``shutdown`` if none are left."""
        if self.scheduler is None or not slot.collected or slot.finished or not slot.runtime.alive():
            return
        chunk, last = self.scheduler.top_up(slot.runtime.worker_id)
        if chunk:
            slot.runtime.send("schedule", nodeids=chunk)
        if last:
            slot.runtime.send("shutdown")

    # -- crashes, timeouts, restarts ---------------------------------------------------

    def _check_clocks(self) -> None:
        """Nothing arrived for a moment: enforce test time limits and replacement boots."""
        assert self.replayer is not None
        now = time.monotonic()
        for slot in self.slots:
            if slot.booting_since is not None and now - slot.booting_since > BOOT_TIMEOUT:
                raise pytest.exit.Exception(
                    f"could not restart the runtime: it did not boot within {BOOT_TIMEOUT:.0f} s", returncode=3
                )
            running = self.replayer.running.get(slot.runtime.worker_id)
            if slot.finished or running is None:
                continue
            limit = running.timeout or self.settings.timeout
            if limit and now - running.since > limit:
                slot.runtime.kill()
                nodeid = self.replayer.fail_running(
                    slot.runtime.worker_id,
                    f"timed out after {limit:g} s; the host stopped the runtime "
                    "(Pyodide cannot interrupt a running test) and restarted it",
                )
                self._replace(slot, f"{nodeid} timed out after {limit:g} s", nodeid)

    def _lost(self, slot: Slot) -> None:
        """The runtime's event stream ended without ``done``: blame the test it was running."""
        assert self.replayer is not None
        runtime = slot.runtime
        description = runtime.exit_description()
        cause = fatal_headline(slot.fatal) or description.splitlines()[0]
        details = "\n".join(filter(None, [description, strip_js_stack(slot.fatal)]))
        running = self.replayer.running.get(runtime.worker_id)
        if running is None:
            where = "between tests" if slot.collected else "during collection"
            self.unattributed_crashes.append(f"runtime exited unexpectedly {where}: {cause}")
            if not self.replayer.collection_done:
                # Nothing can be scheduled: the run ends here, for every runtime.
                self.ending.setdefault("collection_crash", self.unattributed_crashes[-1])
                for other in self.slots:
                    other.runtime.kill()
                    other.finished = True
            self._replace(slot, self.unattributed_crashes[-1], None)
            return
        self.replayer.fail_running(runtime.worker_id, f"runtime exited unexpectedly while running {running.nodeid}\n{details}")
        self._replace(slot, f"runtime exited unexpectedly while running {running.nodeid}: {cause}", running.nodeid)

    def _replace(self, slot: Slot, summary: str, blamed: str | None) -> None:
        """Put a fresh runtime in ``slot`` if tests are left for it, else retire the slot.

        The new runtime gets a new worker id, so late events of the old one are ignored.
        It boots while the other runtimes keep running; ``_replacement_booting`` picks up
        its ``ready``.
        """
        assert self.replayer is not None
        session = self.replayer.session
        slot.runtime.kill()
        if self.scheduler is not None:
            self.scheduler.lost(slot.runtime.worker_id, blamed)
        resumable = (
            self.scheduler is not None
            and self.scheduler.pool
            and not session.shouldfail
            and not session.shouldstop
            and "collection_crash" not in self.ending
        )
        if not resumable:
            self._note(summary)
            slot.finished = True
            return
        self._note(f"{summary}; restarting the runtime")
        slot.restarts += 1
        slot.runtime = self._new_runtime(slot.index, slot.restarts)
        slot.collected, slot.fatal = False, ""
        slot.booting_since = time.monotonic()
        try:
            slot.runtime.start()
        except HarnessError as exc:
            raise pytest.exit.Exception(f"could not restart the runtime: {exc}", returncode=3) from None

    def _replacement_booting(self, slot: Slot, event: dict[str, Any]) -> None:
        """Events of a replacement runtime before and at its ``ready``."""
        if event["type"] == "ready":
            slot.booting_since = None
            slot.runtime.booted()
            slot.runtime.send("run", args=self.args)
        elif event["type"] in ("error", "eof"):
            reason = boot_failure(slot.runtime, event)
            raise pytest.exit.Exception(f"could not restart the runtime: {reason}", returncode=3)

    def _cache_set(self, key: str, value: object) -> None:
        cache = getattr(self.config, "cache", None)
        if cache is None or key == "cache/lastfailed":
            return  # lastfailed: the host's own LFPlugin computes it from the replayed reports
        write_value(cache, key, value)

    def _note(self, message: str) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_sep("!", message, red=True)

    def _end(self, session: pytest.Session) -> None:
        """Raise what the runtimes' sessions ended with, so the host ends the same way."""
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        error = self.ending.get("error")
        if error and error["kind"] == "usage":
            raise pytest.UsageError(error["message"])
        if error:
            if terminal is not None:
                for line in str(error["message"]).splitlines():
                    terminal.write_line(f"INTERNALERROR> {line}")
            raise pytest.exit.Exception(f"{error['kind']} error inside the runtime", returncode=3)
        if "collection_crash" in self.ending:
            raise session.Interrupted(self.ending["collection_crash"])
        if self.unattributed_crashes and not session.shouldfail:
            raise session.Failed(self.unattributed_crashes[-1])
        interrupted = self.ending.get("interrupted")
        if interrupted and interrupted["kind"] == "exit":
            raise pytest.exit.Exception(interrupted["message"], returncode=interrupted["returncode"])
        if session.shouldfail:
            raise session.Failed(session.shouldfail)
        if interrupted:
            raise session.Interrupted(interrupted["message"])
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Say how many failures are WebAssembly limitations rather than the project's bugs."""
        hints = self.replayer.limitation_hints if self.replayer else {}
        if not hints:
            return
        failed = {r.nodeid for key in ("failed", "error") for r in terminalreporter.stats.get(key, [])}
        head, *lines = limitations.summarize(hints, failed=len(failed))
        terminalreporter.write_sep("=", head, yellow=True)
        for line in lines:
            terminalreporter.write_line(line)

    # -- teardown ---------------------------------------------------------------------

    def pytest_sessionfinish(self) -> None:
        for slot in self.slots:
            if slot.runtime.alive():
                slot.runtime.send("exit")
            slot.runtime.kill()

    def pytest_unconfigure(self) -> None:
        for slot in self.slots:
            slot.runtime.kill()
        self.boot.cleanup()
