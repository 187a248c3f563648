"""The pytest plugin that runs inside the runtime and turns every hook into an event.

Reports are serialized with pytest's own ``pytest_report_to_serializable`` so the host can
rebuild them with ``pytest_report_from_serializable`` and replay them into its own hooks
(the model pytest-xdist's workers follow). Nothing here formats output for a human: the
runtime's terminal writer goes to /dev/null and the host's terminal reporter does the
printing, once.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Generator, Mapping
from typing import Any, Literal, cast

import pytest

from harness.inside import protocol, pytest_compat

Send = Callable[..., None]  # (line) or (line, hold): see EventPlugin.emit
Recv = Callable[[], "str | None"]
Flush = Callable[[], None]

# Events that may wait in the runtime's channel until the next phase starts: what a test
# reports (subtests included), and collection's many small reports. A test's start, the end
# of collection and every session-level event go out at once.
HOLDABLE = frozenset({"logreport", "logfinish", "warning", "coverage", "collectreport", "deselected", "cache_set"})

# Builtin plugins that own .pytest_cache state and whose collection-time status line
# ("run-last-failure: ...") is only known here; the host prints the lines we forward.
_CACHE_PLUGINS = ("lfplugin", "nfplugin", "stepwiseplugin")


class EventPlugin:
    """Emits one protocol event per pytest hook the host needs to replay."""

    def __init__(self, send: Send, recv: Recv, coverage: Any = None, flush: Flush | None = None) -> None:
        self._send = send
        self._flush = flush  # None: send every event at once (see emit)
        self._recv = recv  # the host's scheduling commands arrive here during the run
        self._coverage = coverage  # a started CoverageStream, flushed after every test
        self._timeout: float | None = None
        self.config: pytest.Config | None = None

    def emit(self, event: protocol.Event) -> None:
        """Send ``event``, letting the channel hold it until the next phase starts.

        A test's reports (and a subtest-heavy test has hundreds) then travel in one write
        per phase: the write that wakes the host is the costly part, not the bytes. The
        host still learns of every phase before it runs, which is what it needs when it has
        to stop a runtime from outside (Ctrl-C, SIGTERM): the interrupted test is blamed in
        the right phase. A runtime that dies on its own flushes first. Nothing is held for
        a test with a timeout, nor under a run-wide ``--timeout`` (no ``flush`` then), so a
        test stopped for overrunning keeps every subtest it reported.
        """
        hold = self._flush is not None and self._timeout is None and event["type"] in HOLDABLE
        self._send(protocol.encode(event), hold)

    def _phase_starts(self) -> None:
        if self._flush is not None:
            self._flush()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self) -> None:
        self._phase_starts()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_teardown(self) -> None:
        self._phase_starts()

    def emit_coverage(self, fields: dict[str, Any] | None) -> None:
        """Coverage measured since the last event, if any (sent before the event that
        marks the progress it belongs to, so a crash right after loses nothing)."""
        if fields is not None:
            self.emit(cast(protocol.CoverageEvent, {"type": "coverage", **fields}))

    def _serialize(self, report: Any) -> dict[str, Any]:
        """pytest's own serialization; a report pytest cannot serialize (a subtest whose
        context holds an uncopyable object, with pytest <= 9.0) travels as a plain
        TestReport with the same outcome rather than failing the test."""
        assert self.config is not None
        hook = self.config.hook.pytest_report_to_serializable
        context = getattr(report, "context", None)
        try:
            if context is not None and isinstance(getattr(context, "kwargs", None), Mapping):
                # A subtest: its parameters travel by repr (see protocol.params_out).
                report.context = dataclasses.replace(context, kwargs=protocol.params_out(context.kwargs))
            return cast("dict[str, Any]", hook(config=self.config, report=report))
        except Exception:
            if not isinstance(report, pytest.TestReport):
                raise
            plain = pytest.TestReport(
                nodeid=report.nodeid,
                location=report.location,
                keywords=dict(report.keywords),
                outcome=report.outcome,
                longrepr=report.longrepr,
                when=report.when,
                sections=list(report.sections),
                duration=report.duration,
                user_properties=[(str(k), repr(v)) for k, v in report.user_properties],
            )
            return cast("dict[str, Any]", hook(config=self.config, report=plain))
        finally:
            if context is not None:
                report.context = context

    # -- configuration ---------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_cmdline_main(self, config: pytest.Config) -> None:
        """Turn off file outputs the host produces itself (it would write them twice)."""
        self.config = config
        for name in ("xmlpath", "pastebin", "resultlog", "report_log", "durations"):
            if getattr(config.option, name, None) is not None:
                setattr(config.option, name, None)

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        """Silence the runtime's terminal and route cache writes to the host."""
        config.addinivalue_line(
            "markers", "timeout(seconds): fail the test if it runs longer (enforced by the harness host)"
        )
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            pytest_compat.silence_terminal(reporter)
        cache = getattr(config, "cache", None)
        if cache is not None:
            self._route_cache(cache)

    def _route_cache(self, cache: Any) -> None:
        """Values set here are sent to the host, which owns the directory and writes atomically.

        An overlay keeps ``get`` consistent with ``set`` for the rest of this session.
        """
        original_get = cache.get
        overlay: dict[str, Any] = {}

        def set_(key: str, value: object) -> None:
            overlay[key] = value
            self.emit(protocol.CacheSet(type="cache_set", key=key, value=value))

        def get(key: str, default: Any) -> Any:
            return overlay[key] if key in overlay else original_get(key, default)

        cache.set = set_
        cache.get = get

    # -- session and collection -------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Send what this runtime's own plugins and conftests add to the header, and which
        plugins are active here: the host prints them in its header."""
        config = session.config
        caller = config.pluginmanager.subset_hook_caller("pytest_report_header", self._builtin_plugins())
        header: list[str] = []
        for result in reversed(caller(**pytest_compat.report_header_kwargs(config))):
            header.extend([result] if isinstance(result, str) else result)
        plugins = [f"{dist.project_name}-{dist.version}" for _, dist in config.pluginmanager.list_plugin_distinfo()]
        self.emit(protocol.SessionStart(type="session_start", header=header, plugins=sorted(set(plugins))))

    def _builtin_plugins(self) -> list[object]:
        """pytest's own plugins and this one: what the host has itself."""
        assert self.config is not None
        builtin: list[object] = [self]
        for _, plugin in self.config.pluginmanager.list_name_plugin():
            module = getattr(plugin, "__name__", None) or type(plugin).__module__
            if str(module).startswith("_pytest.") or plugin is self.config:
                builtin.append(plugin)
        return builtin

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> Generator[None]:
        """Send what the runtime's own plugins and conftests write here (the innermost
        wrapper: pytest's own summary sections are not inside it)."""
        with pytest_compat.terminal_capture(terminalreporter) as buffer:
            result = yield
        text = buffer.getvalue()
        if text.strip():
            self.emit(protocol.TerminalSummary(type="terminal_summary", text=text))
        return result

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        items = [
            protocol.CollectedItem(
                nodeid=x.nodeid,
                location=protocol.location_out(x.location),
                chain=[[type(node).__name__, node.name] for node in x.listchain()[1:]],
            )
            for x in report.result
            if isinstance(x, pytest.Item)
        ]
        self.emit(protocol.CollectReportEvent(type="collectreport", report=self._serialize(report), items=items))

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.emit(protocol.Deselected(type="deselected", nodeids=[item.nodeid for item in items]))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self._coverage is not None:
            self.emit_coverage(self._coverage.flush())  # module-level lines run at import
        self.emit(
            protocol.CollectionFinish(
                type="collection_finish",
                nodeids=[item.nodeid for item in session.items],
                lines=self._cache_plugin_lines(session),
            )
        )

    def _cache_plugin_lines(self, session: pytest.Session) -> list[str]:
        """What lf/nf/stepwise would add after "collected N items"; only they know it."""
        config = session.config
        kwargs = {"config": config, "start_path": config.rootpath, "items": session.items}
        lines: list[str] = []
        for impl in config.pluginmanager.hook.pytest_report_collectionfinish.get_hookimpls():
            if impl.plugin_name in _CACHE_PLUGINS:
                result = impl.function(*(kwargs[name] for name in impl.argnames))
                if isinstance(result, str):
                    lines.append(result)
                elif result:
                    lines.extend(cast("list[str]", result))
        return lines

    # -- tests ------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        """Run the tests the host schedules, in the order it sends them.

        Replaces pytest's own loop (same checks, same ``pytest_runtest_protocol`` calls).
        The host decides which collected test runs where (one runtime or ``-n`` of them,
        and after a crash on which restarted runtime), so this loop asks for work: a
        ``schedule`` command adds node ids, ``shutdown`` says no more will come. As in
        pytest-xdist's workers, a test starts only once its successor is known (or none
        will come), because ``nextitem`` decides which fixtures are torn down after it.
        """
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            raise session.Interrupted(
                f"{session.testsfailed} error{'s' if session.testsfailed != 1 else ''} during collection"
            )
        if session.config.option.collectonly:
            return True
        by_id = {item.nodeid: item for item in session.items}
        queue: collections.deque[pytest.Item] = collections.deque()
        more = True
        while True:
            while more and len(queue) < 2:
                more = self._take_commands(by_id, queue)
            if not queue:
                return True
            item = queue.popleft()
            nextitem = queue[0] if queue else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)

    def _take_commands(self, by_id: dict[str, pytest.Item], queue: Any) -> bool:
        """Wait for one command; False once no more tests will come."""
        line = self._recv()
        if line is None:
            raise KeyboardInterrupt("the host went away")
        command = protocol.decode_command(line)
        if command["type"] == "schedule":
            queue.extend(by_id[nodeid] for nodeid in command["nodeids"])
            return True
        if command["type"] == "shutdown":
            return False
        raise KeyboardInterrupt(f"the host sent {command['type']!r} during the run")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        marker = item.get_closest_marker("timeout")
        value = marker.args[0] if marker and marker.args else None
        self._timeout = float(value) if isinstance(value, (int, float)) else None

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.emit(
            protocol.LogStart(
                type="logstart", nodeid=nodeid, location=protocol.location_out(location), timeout=self._timeout
            )
        )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.emit(protocol.LogReport(type="logreport", report=self._serialize(report)))

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        if self._coverage is not None:
            self.emit_coverage(self._coverage.flush())
        self.emit(protocol.LogFinish(type="logfinish", nodeid=nodeid, location=protocol.location_out(location)))

    def pytest_warning_recorded(self, warning_message: Any, when: str, nodeid: str, location: Any) -> None:
        self.emit(
            protocol.WarningEvent(
                type="warning",
                warning=protocol.warning_out(warning_message),
                when=when,
                nodeid=nodeid,
                location=protocol.location_out(location),
            )
        )

    # -- abnormal endings -------------------------------------------------------------

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        value = excinfo.value
        returncode = getattr(value, "returncode", None)
        kind: Literal["exit", "interrupted"] = "exit" if isinstance(value, pytest.exit.Exception) else "interrupted"
        self.emit(protocol.Interrupted(type="interrupted", kind=kind, message=str(value), returncode=returncode))

    def pytest_internalerror(self, excrepr: Any) -> bool:
        self.emit(protocol.Error(type="error", kind="internal", message=str(excrepr)))
        return True
