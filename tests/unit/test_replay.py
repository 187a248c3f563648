"""The two halves of the report path, end to end but in one process (no runtime boot):
the in-runtime ``EventPlugin`` turns a real pytest session into protocol lines, and the
host's ``Replayer`` turns those lines back into hook calls in a second session that never
imports the tests. Outcomes, reports and the stand-in items must be what pytest saw."""

from __future__ import annotations

import collections
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.host.items import RuntimeItem
from harness.host.replay import Replayer
from harness.inside import protocol
from harness.inside.reporter import EventPlugin

SUITE = """
import warnings
import pytest

class ProjectWarning(UserWarning):
    pass

@pytest.fixture
def broken():
    raise RuntimeError("fixture failed")

def test_pass():
    warnings.warn("careful", ProjectWarning)

def test_fail():
    assert 1 + 1 == 3

def test_error(broken):
    pass

@pytest.mark.skip(reason="not here")
def test_skip():
    pass

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False

@pytest.mark.xfail(strict=True)
def test_xpass_strict():
    pass

@pytest.mark.parametrize("n", [1, 2, 3])
def test_param(n):
    assert n != 2

class TestGroup:
    def test_method(self):
        pass
"""


class Runtime:
    """The runtime's side of the channel: records events, answers with ``schedule`` for
    everything collected, then ``shutdown``."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.commands: collections.deque[str] = collections.deque()

    def send(self, line: str, hold: bool = False) -> None:
        self.lines.append(line)
        event = protocol.decode_event(line)
        if event["type"] == "collection_finish":
            self.commands.append(protocol.encode(protocol.Schedule(type="schedule", nodeids=event["nodeids"])))
            self.commands.append(protocol.encode(protocol.Shutdown(type="shutdown")))

    def recv(self) -> str | None:
        return self.commands.popleft() if self.commands else None


class Host:
    """The host's side: no collection of its own, the runtime's events replayed instead."""

    def __init__(self, lines: list[str], after: Callable[[Replayer], None] | None = None) -> None:
        self.lines = lines
        self.after = after  # what the controller does once the stream ends (crash handling)
        self.replayer: Replayer | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self) -> bool:
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        self.replayer = Replayer(session)
        for line in self.lines:
            event: Any = protocol.decode_event(line)
            kind = event["type"]
            if kind in ("collectreport", "deselected", "collection_finish"):
                getattr(self.replayer, "on_" + kind)(event)
            elif kind in ("logstart", "logreport", "logfinish", "warning"):
                getattr(self.replayer, "on_" + kind)("rt0", event)
        if self.after is not None:
            self.after(self.replayer)
        return True


class Recorder:
    """What a session reported: every test report, every warning, its exit status."""

    def __init__(self) -> None:
        self.reports: list[pytest.TestReport] = []
        self.warnings: list[Any] = []
        self.status: int | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.append(report)

    def pytest_warning_recorded(self, warning_message: Any) -> None:
        self.warnings.append(warning_message)

    def pytest_sessionfinish(self, exitstatus: int) -> None:
        self.status = exitstatus

    def outcomes(self) -> dict[str, list[tuple[str, str]]]:
        """{nodeid: [(when, outcome)]}."""
        seen: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
        for report in self.reports:
            seen[report.nodeid].append((report.when, report.outcome))
        return dict(seen)


def session(directory: Path, *plugins: object) -> Recorder:
    """One in-process pytest session in ``directory`` (no third-party plugins, no cache)."""
    recorder = Recorder()
    cwd, autoload = Path.cwd(), os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.chdir(directory)
    try:
        pytest.main(["-q", "-p", "no:cacheprovider", "--import-mode=importlib"], plugins=[*plugins, recorder])
    finally:
        os.chdir(cwd)
        if autoload is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = autoload
    return recorder


Sides = tuple[Recorder, Recorder, "Host"]


@pytest.fixture(scope="module")
def both_sides(tmp_path_factory: pytest.TempPathFactory) -> Sides:
    """The suite run once as the runtime would, and once replayed as the host does."""
    directory = tmp_path_factory.mktemp("suite")
    (directory / "test_suite.py").write_text(SUITE)
    runtime = Runtime()
    native = session(directory, EventPlugin(runtime.send, runtime.recv))
    host = Host(runtime.lines)
    replayed = session(directory, host)
    return native, replayed, host


def test_replayed_outcomes_equal_the_runtime_session(both_sides: Sides) -> None:
    native, replayed, _ = both_sides
    assert replayed.outcomes() == native.outcomes()
    assert len(native.outcomes()) == 10
    assert replayed.status == native.status == pytest.ExitCode.TESTS_FAILED


def test_failure_text_and_skip_location_survive(
    both_sides: Sides,
) -> None:
    _, replayed, _ = both_sides
    by_id = {(r.nodeid, r.when): r for r in replayed.reports}
    fail = by_id[("test_suite.py::test_fail", "call")]
    assert "assert (1 + 1) == 3" in fail.longreprtext
    skip = by_id[("test_suite.py::test_skip", "setup")]
    assert isinstance(skip.longrepr, tuple) and skip.longrepr[2] == "Skipped: not here"
    xfail = by_id[("test_suite.py::test_xfail", "call")]
    assert xfail.skipped and xfail.wasxfail == "known"


def test_collected_items_are_stand_ins_sharing_one_path_per_file(
    both_sides: Sides,
) -> None:
    _, replayed, host = both_sides
    assert host.replayer is not None
    session = host.replayer.session
    assert all(isinstance(item, RuntimeItem) for item in session.items)
    assert len({id(item.path) for item in session.items}) == 1
    method = next(item for item in session.items if item.name == "test_method")
    assert method.nodeid == "test_suite.py::TestGroup::test_method"
    assert [type(n).__name__ for n in method.listchain()][-1] == "RuntimeItem"
    assert method.location[0] == "test_suite.py"
    with pytest.raises(RuntimeError, match="runs inside the runtime"):
        method.runtest()


def test_a_warning_of_a_category_only_the_runtime_has_is_recorded_by_name(
    both_sides: Sides,
) -> None:
    _, replayed, _ = both_sides
    assert any(w.category.__name__ == "ProjectWarning" and str(w.message) == "careful" for w in replayed.warnings)


def test_a_runtime_that_dies_mid_test_fails_that_test_in_its_phase(tmp_path: Path) -> None:
    """``fail_running``: what the controller calls after a crash or a timeout."""
    (tmp_path / "test_one.py").write_text("def test_a(): pass\n")
    runtime = Runtime()
    session(tmp_path, EventPlugin(runtime.send, runtime.recv))
    # Cut the stream right after the call phase started (setup reported, call not).
    cut = []
    for line in runtime.lines:
        cut.append(line)
        event: Any = protocol.decode_event(line)
        if event["type"] == "logreport" and event["report"]["when"] == "setup":
            break
    blamed: list[str | None] = []

    def crash(replayer: Replayer) -> None:
        blamed.append(replayer.fail_running("rt0", "runtime exited unexpectedly"))
        blamed.append(replayer.fail_running("rt0", "again"))  # nothing is running any more

    replayed = session(tmp_path, Host(cut, after=crash))
    assert blamed == ["test_one.py::test_a", None]
    reports = [(r.when, r.outcome) for r in replayed.reports]
    # No teardown can come from a dead runtime: a passed one closes the test's record and
    # carries the crash cause for JUnit XML.
    assert reports == [("setup", "passed"), ("call", "failed"), ("teardown", "passed")]
    assert replayed.reports[-1].user_properties == [("runtime_crash", "runtime exited unexpectedly")]
