"""Replays runtime events into the host's pytest hooks, as pytest-xdist's controller does.

The host never re-implements reporting: once a report is rebuilt with pytest's own
``pytest_report_from_serializable``, the terminal reporter, junitxml, ``--durations``,
``-x``/``--maxfail`` and any host plugin see it exactly as they would natively.

The terminal reporter keeps every report until the summary, as it does natively; a rebuilt
report is made to share what its native twin shares (the item's node id and location
tuple, one copy of each keyword name and literal) rather than hold fresh decoded strings.
Nothing else is kept per test but the finished node id (for a restart's ``remaining()``).
"""

from __future__ import annotations

import importlib
import sys
import time
import warnings
from typing import Any

import pytest

from harness import limitations
from harness.items import ItemRegistry

_fallback_categories: dict[tuple[str, str], type[Warning]] = {}


def warning_category(module: str, name: str) -> type[Warning]:
    """The warning class by name; a same-named stand-in if the host cannot import it."""
    try:
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        if isinstance(obj, type) and issubclass(obj, Warning):
            return obj
    except Exception:  # the category may live in code only the runtime can import
        pass
    key = (module, name)
    if key not in _fallback_categories:
        _fallback_categories[key] = type(name.rpartition(".")[2], (UserWarning,), {"__module__": module})
    return _fallback_categories[key]


def rebuild_warning(data: dict[str, Any]) -> warnings.WarningMessage:
    category = warning_category(data["category_module"], data["category_name"])
    return warnings.WarningMessage(
        message=category(data["message"]),
        category=category,
        filename=data["filename"],
        lineno=data["lineno"],
        line=data.get("line"),
    )


def _location(value: list[Any] | None) -> tuple[Any, ...] | None:
    return tuple(value) if value is not None else None


class Replayer:
    """Turns one runtime's event stream into host hook calls, keeping track of progress."""

    def __init__(self, session: pytest.Session) -> None:
        self.session = session
        self.config = session.config
        self.hook = session.config.hook
        self.items = ItemRegistry(session)
        self.collection_done = False
        self.collectionfinish_lines: list[str] = []
        self.running: tuple[str, tuple[Any, ...] | None] | None = None
        self.running_since = 0.0
        self.running_timeout: float | None = None
        self.phases_reported: set[str] = set()
        self.finished: set[str] = set()
        self.resuming = False
        self.limitation_hints: dict[str, str] = {}

    def _report(self, data: dict[str, Any]) -> Any:
        # JSON has no tuples; pytest (junitxml, skip reporting) expects the skip longrepr
        # (path, lineno, reason) and the location as tuples, as execnet would deliver them.
        for key in ("longrepr", "location"):
            if isinstance(data.get(key), list):
                data[key] = tuple(data[key])
        self._share(data)
        return self.hook.pytest_report_from_serializable(config=self.config, data=data)

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

    def handle(self, event: dict[str, Any]) -> None:
        """Dispatch one event to the hooks pytest would have called natively."""
        getattr(self, "on_" + event["type"])(event)

    def resume(self) -> None:
        """A restarted runtime re-collects; its collection was already replayed once."""
        self.resuming = True

    def remaining(self) -> list[str]:
        """Collected tests that have not finished, in the original order."""
        return [item.nodeid for item in self.session.items if item.nodeid not in self.finished]

    def on_session_start(self, event: dict[str, Any]) -> None:
        pass  # the host session already started; the header was printed then

    def on_collectreport(self, event: dict[str, Any]) -> None:
        if self.resuming:
            return
        report = self._report(event["report"])
        report.result = [self.items.get(i["nodeid"], i["location"], i.get("chain")) for i in event["items"]]
        self.hook.pytest_collectreport(report=report)

    def on_deselected(self, event: dict[str, Any]) -> None:
        if self.resuming:
            return  # the restarted runtime skips what already ran; natively nothing was deselected
        self.hook.pytest_deselected(items=[self.items.get(n) for n in event["nodeids"]])

    def on_collection_finish(self, event: dict[str, Any]) -> None:
        if self.resuming:
            return
        lines = []
        lfplugin = self.config.pluginmanager.get_plugin("lfplugin")
        for line in event["lines"]:
            # The host's LFPlugin prints this line but only the runtime's knows the status.
            if lfplugin is not None and line.startswith("run-last-failure: "):
                lfplugin._report_status = line.partition(": ")[2]
            else:
                lines.append(line)
        self.collectionfinish_lines = lines
        self.session.items = [self.items.get(n) for n in event["nodeids"]]
        self.session.testscollected = len(self.session.items)
        self.collection_done = True
        self.hook.pytest_collection_finish(session=self.session)

    def on_logstart(self, event: dict[str, Any]) -> None:
        location = _location(event["location"])
        self.running = (event["nodeid"], location)
        self.running_since = time.monotonic()
        self.running_timeout = event.get("timeout")
        self.phases_reported = set()
        self.hook.pytest_runtest_logstart(nodeid=event["nodeid"], location=location)

    def on_logreport(self, event: dict[str, Any]) -> None:
        report = self._report(event["report"])
        self.phases_reported.add(report.when)
        self._explain(report)
        self.hook.pytest_runtest_logreport(report=report)

    def _explain(self, report: Any) -> None:
        """Attach a one-line hint when a failure is a known WebAssembly limitation."""
        if not report.failed:
            return
        hint = limitations.explain(report.longreprtext)
        if hint:
            report.sections.append(("WebAssembly limitation", hint))
            self.limitation_hints[report.nodeid] = hint

    def on_logfinish(self, event: dict[str, Any]) -> None:
        self.running = None
        self.finished.add(self._nodeid(event["nodeid"]))
        self.hook.pytest_runtest_logfinish(nodeid=event["nodeid"], location=_location(event["location"]))

    def on_warning(self, event: dict[str, Any]) -> None:
        if self.resuming and event["when"] != "runtest":
            return  # collection/config warnings of a restarted runtime were reported already
        self.hook.pytest_warning_recorded.call_historic(  # historic, as pytest calls it
            kwargs=dict(
                warning_message=rebuild_warning(event["warning"]),
                when=event["when"],
                nodeid=event["nodeid"],
                location=_location(event["location"]),
            )
        )

    def fail_running(self, message: str) -> str | None:
        """Report the test that was running as failed with ``message``; return its node id.

        Used when the runtime died or was stopped under a test: reports already replayed
        stay as they are; only the interrupted test gains a failure (in the phase it was
        in), so nothing produced before is lost. None if no test was running.
        """
        if self.running is None:
            return None
        nodeid, location = self.running
        when = "teardown" if "call" in self.phases_reported else "call"
        if "setup" not in self.phases_reported:
            when = "setup"
        report = pytest.TestReport(
            nodeid=nodeid,
            location=location or (nodeid, None, nodeid),
            keywords={},
            outcome="failed",
            longrepr=message,
            when=when,
            sections=[],
            duration=time.monotonic() - self.running_since,
        )
        self._explain(report)
        self.hook.pytest_runtest_logreport(report=report)
        self.on_logfinish({"nodeid": nodeid, "location": list(location) if location else None})
        return nodeid
