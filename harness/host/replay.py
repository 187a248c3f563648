"""Replays runtime events into the host's pytest hooks, as pytest-xdist's controller does.

The host never re-implements reporting: once a report is rebuilt with pytest's own
``pytest_report_from_serializable``, the terminal reporter, junitxml, ``--durations``,
``-x``/``--maxfail`` and any host plugin see it exactly as they would natively.

The terminal reporter keeps every report until the summary, as it does natively; a rebuilt
report is made to share what its native twin shares (the item's node id and location
tuple, one copy of each keyword name and literal) rather than hold fresh decoded strings.
Nothing else is kept per test: what ran where and what is left is the scheduler's business.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from _pytest.reports import CollectErrorRepr

from harness.host import limitations
from harness.host.items import ItemRegistry
from harness.inside import protocol, pytest_compat
from harness.inside.protocol import location_in

# JUnit XML property names (also the keys CI tools can read).
LIMITATION_PROPERTY = "wasm_limitation"
CRASH_PROPERTY = "runtime_crash"


def _append_to_message(report: Any, note: str) -> None:
    """Add ``note`` to the failure's one-line message (JUnit's ``message`` attribute, the
    short test summary), which is all many CI tools show."""
    reprcrash = getattr(report.longrepr, "reprcrash", None)
    if reprcrash is not None:
        reprcrash.message = f"{reprcrash.message} {note}"
    elif isinstance(report.longrepr, str):
        report.longrepr = f"{report.longrepr}\n{note}"


def _memoize_relative_nodeids(config: pytest.Config) -> None:
    """The terminal reporter turns every report's node id into a path relative to the
    invocation directory, building ``Path`` objects each time. Natively that cost hides in
    the test process; here the host pays it for every replayed report, on a core the
    runtimes need, and with subtests one node id comes back thousands of times. Its result
    depends only on the node id (the invocation directory and rootdir are fixed)."""
    relative = functools.lru_cache(maxsize=4096)(config.cwd_relative_nodeid)
    config.cwd_relative_nodeid = relative  # type: ignore[method-assign]  # shadows the method


@dataclass
class Running:
    """The test a runtime is running right now (for crash blame and time limits)."""

    nodeid: str
    location: tuple[Any, ...] | None
    timeout: float | None
    since: float = field(default_factory=time.monotonic)
    phases: set[str] = field(default_factory=set)


class Replayer:
    """Turns one runtime's event stream into host hook calls, keeping track of progress."""

    def __init__(self, session: pytest.Session) -> None:
        self.session = session
        self.config = session.config
        self.hook = session.config.hook
        self.items = ItemRegistry(session)
        self.collection_done = False
        self.collectionfinish_lines: list[str] = []
        self.running: dict[str, Running] = {}  # worker id -> its current test
        self.limitation_hints: dict[str, str] = {}
        self._pending_properties: dict[str, list[tuple[str, str]]] = {}  # until the teardown report
        _memoize_relative_nodeids(self.config)

    def _report(self, data: dict[str, Any]) -> Any:
        # JSON has no tuples; pytest (junitxml, skip reporting) expects the skip longrepr
        # (path, lineno, reason) and the location as tuples, as execnet would deliver them.
        for key in ("longrepr", "location"):
            if isinstance(data.get(key), list):
                data[key] = tuple(data[key])
        context = data.get("_subtest.context")
        if isinstance(context, dict) and isinstance(context.get("kwargs"), dict):
            context["kwargs"] = protocol.params_in(context["kwargs"])
        self._share(data)
        report = self.hook.pytest_report_from_serializable(config=self.config, data=data)
        if isinstance(report, pytest.CollectReport) and report.failed and isinstance(report.longrepr, str):
            # A failed collection's longrepr is always a TerminalRepr natively: a plain string
            # travels as ``str()`` of a CollectErrorRepr. Make it one again, or the summary
            # line would quote its first line (a frame inside the runtime's site-packages).
            report.longrepr = CollectErrorRepr(report.longrepr)
        return report

    def _share(self, data: dict[str, Any]) -> None:
        """Swap decoded strings for the ones the host holds already, as a native report
        shares its item's node id, location and keyword names: reports live until the
        summary, and fresh copies cost about 1.5 KB per test."""
        item = self.items.known(data["nodeid"])
        if item is not None:
            data["nodeid"] = item.nodeid
            if data.get("location") == item.location:
                data["location"] = item.location
        keywords = data.get("keywords")
        if isinstance(keywords, dict):
            data["keywords"] = {sys.intern(name): value for name, value in keywords.items()}
        for key in ("outcome", "when", "$report_type"):
            if isinstance(data.get(key), str):
                data[key] = sys.intern(data[key])

    def _nodeid(self, nodeid: str) -> str:
        """The collected item's own node id string (one copy kept per test, not one per event)."""
        item = self.items.known(nodeid)
        return item.nodeid if item is not None else nodeid

    # Each ``on_*`` calls the hooks pytest would have called natively for one event.
    # (Which runtime's collection to replay is the controller's choice.)

    def on_collectreport(self, event: protocol.CollectReportEvent) -> None:
        report = self._report(event["report"])
        report.result = [self.items.get(i["nodeid"], i["location"], i["chain"]) for i in event["items"]]
        self.hook.pytest_collectreport(report=report)

    def on_deselected(self, event: protocol.Deselected) -> None:
        self.deselect(event["nodeids"])

    def deselect(self, nodeids: list[str]) -> None:
        """Tests the session will not run (the runtime's -k/-m, the host's --shard)."""
        if nodeids:
            self.hook.pytest_deselected(items=[self.items.get(n) for n in nodeids])

    def on_collection_finish(self, event: protocol.CollectionFinish) -> None:
        lines = []
        lfplugin = self.config.pluginmanager.get_plugin("lfplugin")
        for line in event["lines"]:
            # The host's LFPlugin prints this line but only the runtime's knows the status.
            if lfplugin is not None and line.startswith("run-last-failure: "):
                pytest_compat.set_last_failed_status(lfplugin, line.partition(": ")[2])
            else:
                lines.append(line)
        self.collectionfinish_lines = lines
        self.session.items = [self.items.get(n) for n in event["nodeids"]]
        self.session.testscollected = len(self.session.items)
        self.collection_done = True
        self.hook.pytest_collection_finish(session=self.session)

    def on_logstart(self, worker: str, event: protocol.LogStart) -> None:
        location = location_in(event["location"])
        self.running[worker] = Running(self._nodeid(event["nodeid"]), location, event["timeout"])
        self.hook.pytest_runtest_logstart(nodeid=event["nodeid"], location=location)

    def on_logreport(self, worker: str, event: protocol.LogReport) -> None:
        event["report"]["worker_id"] = worker  # as pytest-xdist's workers tag their reports
        report = self._report(event["report"])
        running = self.running.get(worker)
        if running is not None:
            running.phases.add(report.when)
        self._explain(report)
        if report.when == "teardown" and report.nodeid in self._pending_properties:
            report.user_properties.extend(self._pending_properties.pop(report.nodeid))
        self.hook.pytest_runtest_logreport(report=report)

    def _explain(self, report: Any, also: str = "") -> None:
        """Attach a one-line hint when a failure is a known WebAssembly limitation (seen in
        its text, or in ``also``: what a dying runtime printed)."""
        if not report.failed:
            return
        hint = limitations.explain("\n".join(filter(None, (report.longreprtext, also))))
        if hint:
            report.sections.append(("WebAssembly limitation", hint))
            self.limitation_hints[report.nodeid] = hint
            _append_to_message(report, f"[WebAssembly limitation: {hint}]")
            self._properties(report, [(LIMITATION_PROPERTY, hint)])

    def _properties(self, report: Any, properties: list[tuple[str, str]]) -> None:
        """JUnit XML properties for a test: junitxml writes those of the teardown report, so
        they are attached to it (now, or when it arrives)."""
        if report.when == "teardown":
            report.user_properties.extend(properties)
        else:
            self._pending_properties.setdefault(report.nodeid, []).extend(properties)

    def on_logfinish(self, worker: str, event: protocol.LogFinish) -> None:
        self.running.pop(worker, None)
        self.hook.pytest_runtest_logfinish(nodeid=event["nodeid"], location=location_in(event["location"]))

    def on_warning(self, worker: str, event: protocol.WarningEvent) -> None:
        self.hook.pytest_warning_recorded.call_historic(  # historic, as pytest calls it
            kwargs=dict(
                warning_message=protocol.warning_in(event["warning"]),
                when=event["when"],
                nodeid=event["nodeid"],
                location=location_in(event["location"]),
            )
        )

    def fail_running(
        self, worker: str, message: str, sections: Sequence[tuple[str, str]] = (), cause: str = "crash"
    ) -> str | None:
        """Report the test ``worker`` was running as failed with ``message``; its node id.

        Used when a runtime died (``cause`` "crash") or was stopped under a test ("timeout"):
        reports already replayed stay as they are; only the interrupted test gains a failure
        (in the phase it was in), so nothing produced before is lost. None if no test was
        running.
        """
        running = self.running.get(worker)
        if running is None:
            return None
        when: Literal["setup", "call", "teardown"] = "teardown" if "call" in running.phases else "call"
        if "setup" not in running.phases:
            when = "setup"
        report = pytest.TestReport(
            nodeid=running.nodeid,
            location=running.location or (running.nodeid, None, running.nodeid),
            keywords={},
            outcome="failed",
            longrepr=message,
            when=when,
            sections=list(sections),
            duration=time.monotonic() - running.since,
            worker_id=worker,
            harness_crash=cause,  # read by harness.report (JSON report, annotations)
        )
        self._explain(report, also="\n".join(content for _, content in sections))
        self._properties(report, [(CRASH_PROPERTY, message.partition("\n")[0])])
        self.hook.pytest_runtest_logreport(report=report)
        if when != "teardown":
            # No teardown will come from the dead runtime; this one closes the test's JUnit
            # record with its properties (a passed teardown shows nowhere else).
            teardown = pytest.TestReport(
                nodeid=running.nodeid,
                location=report.location,
                keywords={},
                outcome="passed",
                longrepr=None,
                when="teardown",
                user_properties=self._pending_properties.pop(running.nodeid, []),
                worker_id=worker,
            )
            self.hook.pytest_runtest_logreport(report=teardown)
        location = protocol.location_out(running.location)
        self.on_logfinish(worker, protocol.LogFinish(type="logfinish", nodeid=running.nodeid, location=location))
        return running.nodeid
