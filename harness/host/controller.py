"""The host-side controller: the session's pytest hooks and its one main loop.

Registered as a plugin on the host's pytest session (the role pytest-xdist's DSession
plays): it stops local collection, and its ``pytest_runtestloop`` is the single main loop
that takes events off the queue (one queue for every runtime) and dispatches each to one
``_on_<type>`` method. Those hand reports to the ``Replayer`` (host hooks), tell the
scheduler what finished and the runtimes what to run next, and ask the
``RuntimePool`` to replace a runtime that died or timed out. How the session ends (exit
status 0-5) is decided by the same pytest machinery as natively: counters fed by the
replayed reports, or the exception the runtime's session ended with, raised again here.
"""

from __future__ import annotations

import atexit
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.errors import HarnessError
from harness.host import autoscale, limitations
from harness.host.intake import Eof, Incoming
from harness.host.pool import PoolError, RuntimePool, Slot
from harness.host.pytest_cache import write_value
from harness.host.replay import Replayer
from harness.host.scheduler import Scheduler, make_scheduler
from harness.host.standby import Standby
from harness.inside import protocol, pytest_compat
from harness.options import Settings, strip_plugin_args
from harness.provision import distribution as dist
from harness.provision import gather, shadow, wheels
from harness.provision.boot import boot_config, request_for
from harness.report.durations import recorded
from harness.runtimes.base import BOOT_TIMEOUT, BootConfig, BootFailure, boot_failure, fatal_headline, strip_js_stack

# Where the hints of failures that are WebAssembly limitations are kept between runs.
LIMITATIONS_KEY = "harness/limitations"


def _wheel_line(imported: protocol.WheelImport) -> str:
    """The header line that says where a --wheel's module was imported from inside."""
    if imported["error"]:
        return f"harness: --wheel {imported['wheel']}: cannot import {imported['module']}: {imported['error']}"
    return f"harness: --wheel {imported['wheel']}: {imported['module']} from {imported['file']}"


def session_boot_config(config: pytest.Config, settings: Settings) -> BootConfig:
    """Boot description for this pytest invocation: its directory, rootdir and path args.

    Packages the tests ask for pytest-pyodide's way (``packages=[...]``, ``load_package``)
    are found in the files being run and installed like ``--with`` requirements.
    """
    cwd = Path(config.invocation_params.dir)
    args = strip_plugin_args(config.invocation_params.args)
    testpaths = config.getini("testpaths")
    found = gather.for_run(args, cwd, config.rootpath, settings.with_packages, testpaths=testpaths)
    try:
        boot = boot_config(
            dataclasses.replace(settings, with_packages=(*settings.with_packages, *found.requirements)),
            cwd=cwd,
            paths=rootdir_reads(config.rootpath, config.inipath, cwd),
            args=args,
        )
    except HarnessError as exc:
        named = [f"{e.name} ({e.origin})" for e in found.named if e.name.lower() in str(exc).lower()]
        if named:
            raise HarnessError(f"{exc}; asked for by the tests: {', '.join(named)}") from None
        raise
    # A pytest-pyodide suite gets the pytest_pyodide stand-in registered in the runtime, and,
    # where the runtime has JSPI, Python entered through a promising call so that its tests
    # can await JavaScript (browsers/boot.mjs). Other suites run exactly as before.
    extra = {
        "runtime": settings.runtime,
        "test_packages": found.requirements,
        "pytest_pyodide": found.pytest_pyodide,
    }
    return dataclasses.replace(boot, extra={**boot.extra, **extra})


def runtime_args(args: Sequence[str]) -> list[str]:
    """The pytest arguments a runtime's session gets for a host session's ``args``."""
    return [
        a
        for a in strip_plugin_args(args)
        if a != "--cache-clear"  # the host cleared it already; the runtime never writes
    ]


def rootdir_reads(rootpath: Path, inipath: Path | None, cwd: Path) -> list[Path]:
    """What the runtime's pytest reads of rootdir: all of it when it is the project (the
    invocation directory or above it: conftests, packages); else, when ``-c FILE`` or
    ``--rootdir`` put it elsewhere, only the ini file and the cache (``--lf``)."""
    if rootpath == cwd or rootpath in cwd.parents:
        return [rootpath]
    return [path for path in (inipath, rootpath / ".pytest_cache") if path is not None and path.exists()]


@dataclass
class Ending:
    """How the runtimes' sessions ended, as far as it differs from "ran to the end"."""

    error: protocol.Error | None = None  # first non-fatal error: usage, internal, protocol
    interrupted: protocol.Interrupted | None = None  # first ``interrupted`` event
    collection_crash: str | None = None  # a runtime died before anything could be scheduled
    crashes: list[str] = field(default_factory=list)  # runtime deaths no test can be blamed for


class Controller:
    """Owns the session's runtimes and turns their events into host hook calls."""

    def __init__(
        self,
        config: pytest.Config,
        settings: Settings,
        boot: BootConfig,
        on_coverage: Callable[[protocol.CoverageEvent], None] | None = None,
        select: Callable[[list[str]], list[str]] | None = None,
        standby: Standby | None = None,
    ) -> None:
        self.config = config
        self.on_coverage = on_coverage
        self.select = select  # --shard: which of the collected tests this session runs
        self.settings = settings
        self.args = runtime_args(config.invocation_params.args)
        # Runtimes booted before this session (watch mode) are used if they were booted
        # the way this session would boot its own; else they are stopped.
        self.adopted = standby is not None and standby.fits(settings.runtime, boot, settings.first_runtimes, self.args)
        if standby is not None and self.adopted:
            boot.cleanup()
            boot = standby.boot
        elif standby is not None:
            standby.discard()
            standby = None
        self.boot = boot
        self.pool = RuntimePool(settings.runtime, boot, settings.first_runtimes, standby)
        self.ready: protocol.Ready | None = None
        self.session_start: protocol.SessionStart | None = None  # the primary's
        self.early: list[tuple[str, Incoming]] = []  # events read before the main loop
        self.summaries: list[str] = []  # the runtimes' own pytest_terminal_summary output
        self.session_times: dict[str, float] = {}  # worker id -> its session's own duration (-v)
        self.replayer: Replayer | None = None
        self.scheduler: Scheduler | None = None
        self.run_sent = 0.0  # when the first runtimes were told to run (monotonic)
        self.start_cost = 0.0  # seconds from a runtime's launch to its collection's end
        self.scheduled_at = 0.0  # when the first tests were handed out
        self.ran = 0  # tests finished
        self.last_finish: dict[str, float] = {}  # worker id -> when its last test finished (or began)
        self.autoscale: str | None = None  # -n auto: what was decided and why, so far
        self.autoscaled = False  # -n auto: runtimes were added (asked no more)
        self.collected: frozenset[str] = frozenset()  # the primary's collection (before --shard)
        self.ending = Ending()
        self.tree_packages: list[protocol.TreePackage] = []

    # -- boot -------------------------------------------------------------------------

    def start(self) -> protocol.Described:
        """Boot every runtime and prepare the primary's session: what its conftests and
        plugins add to the command line. Called before the host parses it; a
        ``HarnessError`` (one line) if a runtime cannot start or the session is refused."""
        atexit.register(self.close)  # also when the host's own parsing fails later
        self.ready = self._boot()
        running = ".".join(self.ready["python"].split(".")[:2])
        if running != self.boot.dist.python_xy:
            # Lock metadata is not always right; the interpreter is. Wheels were resolved
            # for the lock's version, so a mismatch must stop the run, not confuse it.
            raise HarnessError(
                f"pyodide-lock.json says Python {self.boot.dist.python} but the runtime runs "
                f"{self.ready['python']}; use a distribution whose lock file matches"
            )
        # Every runtime prepares its session now, so that all start the run alike (the
        # primary's description is the one the host's parser takes).
        for slot in self.pool:
            slot.runtime.describe(self.args)
        described: dict[str, protocol.Described] = {}
        while len(described) < len(self.pool):
            got = self.pool.events.get(timeout=BOOT_TIMEOUT)
            if got is None:
                raise HarnessError(f"the runtime did not prepare the session within {BOOT_TIMEOUT:.0f} s")
            worker, event = got
            current = self.pool.slot_of(worker)
            if current is None:
                continue
            if event["type"] == "described":
                described[worker] = event
            elif event["type"] == "error" and event["kind"] == "usage":
                raise HarnessError(event["message"])
            elif event["type"] in ("error", "eof"):
                reason = boot_failure(current.runtime, event)
                raise HarnessError(f"the runtime failed while preparing the session: {reason}")
            else:
                self.early.append(got)
        return described[self.pool.primary]

    def close(self) -> None:
        """Stop every runtime and remove what the boot made (idempotent)."""
        self.pool.kill()
        self.boot.cleanup()
        atexit.unregister(self.close)  # a watch runs many sessions in one process

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Start the runtimes' sessions before the terminal prints its header, so the header
        can show what the runtime's own plugins and conftests add to it."""
        self.replayer = Replayer(session)
        self.run_sent = time.monotonic()
        for slot in self.pool:
            self._run(slot, report_collection=slot.worker_id == self.pool.primary)
        primary = self.pool.primary
        while True:
            got = self.pool.events.get(timeout=None)
            assert got is not None
            worker, event = got
            if worker == primary and event["type"] == "session_start":
                self.session_start = event
                return
            self.early.append(got)
            if worker == primary:
                return  # the session ended before it started (usage error, crash): the loop reports it

    def _boot(self) -> protocol.Ready:
        """Boot the pool; after a failed boot, repair a damaged cache and boot once more."""
        try:
            return self.pool.start()
        except BootFailure:
            if not self._repair_cache():
                raise
            return self.pool.start()

    def _repair_cache(self) -> bool:
        """After a failed boot: check every byte of the cache entries it used (distribution,
        site-packages); if any was damaged, rebuild it and set up a fresh pool (True)."""
        repaired = [dist.repair(self.boot.dist), wheels.repair(self.boot.site_packages)]
        if not any(repaired):
            return False
        self.boot.cleanup()
        self.boot = session_boot_config(self.config, self.settings)  # fetches/builds them anew
        self.pool = RuntimePool(self.settings.runtime, self.boot, self.settings.first_runtimes)
        return True

    def _expected_runtimes(self) -> int:
        """How many runtimes the work is shared by (or may be, under ``-n auto``)."""
        return self.settings.workers if self.settings.workers_auto else len(self.pool)

    def _run(self, slot: Slot, *, report_collection: bool) -> None:
        """Start ``slot``'s session; only the primary reports its collection (the host
        replays that one), and xdist_group names travel only when loadgroup needs them."""
        groups = report_collection and self.settings.dist == "loadgroup"
        slot.runtime.run(self.args, report_collection=report_collection, groups=groups)

    def pytest_report_header(self) -> list[str]:
        """The host's lines are pytest's own, above; these say where the tests run (as
        pytest-xdist describes its workers), then what the runtime's plugins add."""
        d = self.boot.dist
        r = self.ready
        if r is None:
            return []
        count = len(self.pool)
        name = self.settings.runtime
        runtimes = f"{count} {name} runtimes (-n {count})" if count > 1 else f"{name} runtime"
        if self.settings.workers_auto:
            runtimes = (
                f"{name} runtime (-n auto: one to start with, up to {self.settings.workers} when the tests left "
                f"would take over {autoscale.START_FACTOR:g}x what starting a runtime takes)"
            )
        if count > 1 or self.settings.workers_auto:
            runtimes += f", --dist {self.settings.dist}"
        start = self.session_start
        plugins = ", ".join(start["plugins"]) if start and start["plugins"] else "none"
        return [
            "harness: the lines above describe the host; the tests run inside:",
            f"harness: {runtimes}, Pyodide {d.version} "
            f"(Python {r['python']}, {d.platform}, {d.arch}"
            + (f", abi {d.abi_version}" if d.abi_version else "")
            + f"), pytest {r['pytest']} inside, ready in {r['boot_ms'] / 1000:.1f} s ({r['boot']} boot)",
            f"harness: runtime plugins: {plugins}",
            f"harness: {r['patch_summary']}",
            *([f"harness: browser {self.boot.launch.summary}"] if self.boot.launch else []),
            *(f"harness: {note}" for note in (*self.boot.notes, *r["notes"])),
            *(_wheel_line(w) for w in r["wheels"]),
            *(start["header"] if start else []),
            *self._package_lines(),
        ]

    def _package_lines(self) -> list[str]:
        found = self.boot.extra.get("test_packages") or []
        if not found:
            return []
        return [f"harness: installed for the tests' packages=/load_package: {', '.join(found)}"]

    def run_info(self) -> dict[str, Any]:
        """What reports state about this run (JSON report header, step summary)."""
        d, r = self.boot.dist, self.ready
        info: dict[str, Any] = {"runtime": self.settings.runtime, "pyodide": d.version, "python": d.python}
        if r is not None:
            info.update(
                python=r["python"],
                pytest=r["pytest"],
                patches=[p["name"] for p in r["patches"] if p["applied"]],
                patch_summary=r["patch_summary"],
            )
        return info | {"workers": len(self.pool), "dist": self.settings.dist}

    # -- the run ----------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self) -> bool:
        return True  # the runtime collects; its reports are replayed

    def pytest_report_collectionfinish(self) -> list[str]:
        return self.replayer.collectionfinish_lines if self.replayer else []

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        writer = pytest_compat.terminal_writer(terminal) if terminal is not None else None
        try:
            while not self.pool.all_finished():
                got = self.early.pop(0) if self.early else self.pool.events.get(timeout=0.25)
                if got is None:
                    self._check_clocks()
                    continue
                worker, event = got
                current = self.pool.slot_of(worker)
                if current is None or current.finished:
                    continue  # a replaced runtime's last words
                self._dispatch(current, event)
                if writer is not None and self.pool.events.empty():
                    writer.flush()  # live even when stdout is a pipe (CI logs), batched in bursts
        except PoolError as exc:
            raise pytest.exit.Exception(str(exc), returncode=3) from None
        self._end(session)
        return True

    def _dispatch(self, slot: Slot, event: Incoming) -> None:
        if slot.booting_since is not None:
            self._replacement_booting(slot, event)
        else:
            getattr(self, "_on_" + event["type"])(slot, event)

    @property
    def _replay(self) -> Replayer:
        assert self.replayer is not None, "events arrive only during the run loop"
        return self.replayer

    def _on_ready(self, slot: Slot, event: protocol.Ready) -> None:
        pass  # the first runtimes' ready was read at boot; replacements' in _replacement_booting

    def _on_done(self, slot: Slot, event: protocol.Done) -> None:
        slot.finished = True
        self.tree_packages += event["tree_packages"]
        self.session_times[slot.worker_id] = event["session_s"]

    def _on_eof(self, slot: Slot, event: Eof) -> None:
        self._lost(slot)

    def _on_error(self, slot: Slot, event: protocol.Error) -> None:
        if event["kind"] == "fatal":
            slot.fatal = event["message"]  # the end of the stream follows; report it then
        elif self.ending.error is None:
            self.ending.error = event

    def _on_interrupted(self, slot: Slot, event: protocol.Interrupted) -> None:
        if self.ending.interrupted is None:
            self.ending.interrupted = event

    def _on_cache_set(self, slot: Slot, event: protocol.CacheSet) -> None:
        cache = getattr(self.config, "cache", None)
        if cache is None or event["key"] == "cache/lastfailed":
            return  # lastfailed: the host's own LFPlugin computes it from the replayed reports
        write_value(cache, event["key"], event["value"])

    def _on_coverage(self, slot: Slot, event: protocol.CoverageEvent) -> None:
        if self.on_coverage is not None:
            self.on_coverage(event)

    # Collection is replayed from the primary runtime only (every runtime collects;
    # natively pytest collects once).

    def _on_session_start(self, slot: Slot, event: protocol.SessionStart) -> None:
        pass  # the primary's was read before the header; the others' add nothing

    def _on_described(self, slot: Slot, event: protocol.Described) -> None:
        pass  # read at boot

    def _on_terminal_summary(self, slot: Slot, event: protocol.TerminalSummary) -> None:
        """Every runtime runs the same plugins and conftests: under ``-n`` a text they all
        write alike is shown once (one that depends on the runtime's own tests differs, and
        each is shown). Alike means up to the blank lines around it: a runtime whose progress
        line was still open starts its text with a newline."""
        if event["text"].strip("\n") not in (text.strip("\n") for text in self.summaries):
            self.summaries.append(event["text"])

    def _on_collectreport(self, slot: Slot, event: protocol.CollectReportEvent) -> None:
        if slot.worker_id == self.pool.primary:
            self._replay.on_collectreport(event)

    def _on_deselected(self, slot: Slot, event: protocol.Deselected) -> None:
        if slot.worker_id == self.pool.primary:
            self._replay.on_deselected(event)

    def _on_collection_finish(self, slot: Slot, event: protocol.CollectionFinish) -> None:
        """A runtime finished collecting: the primary's list is replayed and scheduled;
        every runtime must have collected the same tests (as pytest-xdist checks)."""
        slot.collected = True
        if slot.worker_id != self.pool.primary:
            # Compared when the primary's list is known (a runtime may finish first).
            slot.collection = frozenset(event["nodeids"])
        else:
            self.collected = frozenset(event["nodeids"])
            self.start_cost = time.monotonic() - self.run_sent + self.ready["boot_ms"] / 1000 if self.ready else 0.0
            if self.select is not None:
                event = self._select(event, self.select)
            self._replay.on_collection_finish(event)
            runtimes = self._expected_runtimes()
            # Earlier runs' durations only matter when the tests are shared (read from disk).
            durations = recorded(getattr(self.config, "cache", None)) if runtimes > 1 else {}
            self.scheduler = make_scheduler(self.settings.dist, event["nodeids"], runtimes, event["groups"], durations)
            self.scheduled_at = time.monotonic()
        if self.scheduler is None:
            return
        for other in self.pool if slot.worker_id == self.pool.primary else [slot]:
            if other.collection is not None and other.collection != self.collected:
                if self.ending.error is None:
                    self.ending.error = protocol.Error(
                        type="error",
                        kind="internal",
                        message=f"runtime {other.worker_id} collected different tests than {self.pool.primary}",
                    )
                self.scheduler.stop()
            other.collection = None
            self._top_up(other)

    def _select(
        self, event: protocol.CollectionFinish, select: Callable[[list[str]], list[str]]
    ) -> protocol.CollectionFinish:
        """Keep the tests ``select`` chooses; the others are deselected as ``-k`` does
        natively, before ``pytest_collection_finish`` (so counts and reports are native)."""
        chosen = select(event["nodeids"])
        kept = set(chosen)
        self._replay.deselect([n for n in event["nodeids"] if n not in kept])
        return {**event, "nodeids": chosen}

    def _on_warning(self, slot: Slot, event: protocol.WarningEvent) -> None:
        if event["when"] != "runtest" and slot.worker_id != self.pool.primary:
            return  # collection/config warnings: the primary's, once
        self._replay.on_warning(slot.worker_id, event)

    def _on_logstart(self, slot: Slot, event: protocol.LogStart) -> None:
        self._replay.on_logstart(slot.worker_id, event)

    def _on_logreport(self, slot: Slot, event: protocol.LogReport) -> None:
        self._replay.on_logreport(slot.worker_id, event)

    def _on_logfinish(self, slot: Slot, event: protocol.LogFinish) -> None:
        # The pace: time between a runtime's finished tests as the host sees them (what a
        # test costs end to end, events included; runtimes send a test's events in bursts).
        now = time.monotonic()
        last = self.last_finish.get(slot.worker_id)
        self.last_finish[slot.worker_id] = now
        duration = now - last if last is not None else None
        self._replay.on_logfinish(slot.worker_id, event)
        self.ran += 1
        if self.scheduler is not None:
            self.scheduler.finished(slot.worker_id, event["nodeid"], duration)
            if self._replay.session.shouldfail or self._replay.session.shouldstop:
                self.scheduler.stop()  # -x/--maxfail: no new tests, anywhere
            if self.settings.workers_auto and not self.autoscaled:
                self._autoscale()
            self._top_up(slot)

    def _autoscale(self) -> None:
        """``-n auto``: after the first tests, start more runtimes if the rest is worth it."""
        assert self.scheduler is not None
        elapsed = time.monotonic() - self.scheduled_at
        left = self.scheduler.unfinished()
        if elapsed < autoscale.PROBE_SECONDS and left:
            return
        decision = autoscale.decide(
            self.ran, elapsed, left, self.start_cost, running=len(self.pool), most=self.settings.workers
        )
        if not decision.add:
            self.autoscale = self.autoscale or decision.line  # the first estimate says why
            return
        self.autoscale = decision.line
        self.autoscaled = True
        self.scheduler.runtimes = len(self.pool) + decision.add
        for _ in range(decision.add):
            self.pool.grow()

    def _top_up(self, slot: Slot) -> None:
        """Send ``slot`` more tests if it is about to run out, or ``shutdown`` if none are left."""
        if self.scheduler is None or not slot.collected or slot.finished or not slot.runtime.alive():
            return
        chunk, last = self.scheduler.top_up(slot.worker_id)
        if chunk:
            self.last_finish.setdefault(slot.worker_id, time.monotonic())  # its first tests
            slot.runtime.schedule(chunk)
        if last:
            slot.runtime.shutdown()

    # -- crashes, timeouts, restarts ---------------------------------------------------

    def _check_clocks(self) -> None:
        """Nothing arrived for a moment: enforce test time limits and replacement boots."""
        now = time.monotonic()
        self.pool.check_boots(now)
        for slot in self.pool:
            running = self._replay.running.get(slot.worker_id)
            if slot.finished or running is None:
                continue
            limit = running.timeout or self.settings.timeout
            if limit and now - running.since > limit:
                slot.runtime.kill()
                nodeid = self._replay.fail_running(
                    slot.worker_id,
                    f"timed out after {limit:g} s; the host stopped the runtime "
                    "(Pyodide cannot interrupt a running test) and restarted it",
                    cause="timeout",
                )
                self._replace(slot, f"{nodeid} timed out after {limit:g} s", nodeid)

    def _lost(self, slot: Slot) -> None:
        """The runtime's event stream ended without ``done``: blame the test it was running."""
        status, _, tail = slot.runtime.exit_description().partition("\n")
        cause = fatal_headline(slot.fatal) or status
        running = self._replay.running.get(slot.worker_id)
        if running is None:
            where = "between tests" if slot.collected else "during collection"
            crash = f"runtime exited unexpectedly {where}: {cause}"
            self.ending.crashes.append(crash)
            if not self._replay.collection_done:
                # Nothing can be scheduled: the run ends here, for every runtime.
                self.ending.collection_crash = self.ending.collection_crash or crash
                for other in self.pool:
                    self.pool.retire(other)
            self._replace(slot, crash, None)
            return
        what = f"runtime exited unexpectedly while running {running.nodeid}: {cause}"
        self._replay.fail_running(slot.worker_id, f"{what}\n({status})", self._last_words(tail, slot.fatal))
        self._replace(slot, what, running.nodeid)

    def _last_words(self, tail: str, fatal: str) -> list[tuple[str, str]]:
        """What the runtime printed as it died, for the failure report: its stderr tail (and
        the fatal message, when it came as an event), JavaScript stack frames only with -v."""
        text = tail if fatal in tail else "\n".join(filter(None, (tail, fatal)))
        if self.config.get_verbosity() < 1:
            text = strip_js_stack(text)
        return [("runtime's last words", text)] if text.strip() else []

    def _replace(self, slot: Slot, summary: str, blamed: str | None) -> None:
        """Put a fresh runtime in ``slot`` if tests are left for it, else retire the slot."""
        session = self._replay.session
        slot.runtime.kill()
        if self.scheduler is not None:
            self.scheduler.lost(slot.worker_id, blamed)
        resumable = (
            self.scheduler is not None
            and self.scheduler.unsent()
            and not session.shouldfail
            and not session.shouldstop
            and self.ending.collection_crash is None
        )
        if not resumable:
            self._note(summary)
            self.pool.retire(slot)
            return
        self._note(f"{summary}; restarting the runtime")
        self.pool.replace(slot)

    def _replacement_booting(self, slot: Slot, event: Incoming) -> None:
        """Events of a replacement runtime before and at its ``ready``."""
        if event["type"] == "ready":
            self.pool.booted(slot)
            self._run(slot, report_collection=False)
        elif event["type"] in ("error", "eof"):
            reason = boot_failure(slot.runtime, event)
            raise self.pool.boot_failure(slot, reason)

    def _note(self, message: str) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_sep("!", message, red=True)

    def _end(self, session: pytest.Session) -> None:
        """Raise what the runtimes' sessions ended with, so the host ends the same way."""
        ending = self.ending
        if ending.error is not None:
            self._raise_error(ending.error)
        if ending.collection_crash is not None:
            raise session.Interrupted(ending.collection_crash)
        if ending.crashes and not session.shouldfail:
            raise session.Failed(ending.crashes[-1])
        interrupted = ending.interrupted
        if interrupted and interrupted["kind"] == "exit":
            raise pytest.exit.Exception(interrupted["message"], returncode=interrupted["returncode"])
        if session.shouldfail:
            raise session.Failed(session.shouldfail)
        if interrupted:
            raise session.Interrupted(interrupted["message"])
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)

    def _raise_error(self, error: protocol.Error) -> None:
        """A usage error ends the host as one (exit 4), anything else as INTERNALERROR (3)."""
        if error["kind"] == "usage":
            raise pytest.UsageError(error["message"])
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            for line in error["message"].splitlines():
                terminal.write_line(f"INTERNALERROR> {line}")
        raise pytest.exit.Exception(f"{error['kind']} error inside the runtime", returncode=3)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """What the runtime's own plugins and conftests wrote here; whether the tree was tested
        instead of a wheel; then how many failures are WebAssembly limitations rather than the
        project's bugs."""
        for text in self.summaries:
            for line in text.rstrip("\n").split("\n"):
                terminalreporter.write_line(line)
        if self.session_times and terminalreporter.verbosity > 0:
            times = ", ".join(f"{worker} {seconds:.2f} s" for worker, seconds in self.session_times.items())
            terminalreporter.write_line(f"harness: pytest's time inside the runtime: {times}")
        if self.autoscale is not None:
            terminalreporter.write_line(f"harness: {self.autoscale}")
        if self.tree_packages:
            request = request_for(self.settings, self.boot.dist)
            for line in shadow.warnings(self.tree_packages, request):
                terminalreporter.write_line(f"harness: warning: {line}", yellow=True)
        hints = self.replayer.limitation_hints if self.replayer else {}
        if not hints:
            return
        failed = {r.nodeid for key in ("failed", "error") for r in terminalreporter.stats.get(key, [])}
        head, *lines = limitations.summarize(hints, failed=len(failed))
        terminalreporter.write_sep("=", head, yellow=True)
        for line in lines:
            terminalreporter.write_line(line)

    # -- teardown ---------------------------------------------------------------------

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.pool.exit()
        self._remember_limitations(session)

    def _remember_limitations(self, session: pytest.Session) -> None:
        """Keep the hints beside ``--lf``'s data (``.pytest_cache/v/harness/limitations``):
        this run's for the tests it ran, earlier ones for the rest, as lastfailed does."""
        cache = getattr(self.config, "cache", None)
        if cache is None or self.replayer is None:
            return
        ran = {item.nodeid for item in session.items}
        known = cache.get(LIMITATIONS_KEY, {})
        kept = {nodeid: hint for nodeid, hint in known.items() if nodeid not in ran} if isinstance(known, dict) else {}
        kept.update(self.replayer.limitation_hints)
        if kept or known:
            write_value(cache, LIMITATIONS_KEY, kept)

    def pytest_unconfigure(self) -> None:
        self.close()
