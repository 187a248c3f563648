"""The version matrix's pure parts (harness.commands.matrix): table, differences, JUnit arguments."""

from __future__ import annotations

from pathlib import Path

from harness import options
from harness.commands.matrix import Row, _without_junit, differences, table, versions_of


def test_versions_of() -> None:
    assert versions_of("0.27.7, 0.29.5,314.0.7") == ["0.27.7", "0.29.5", "314.0.7"]
    assert versions_of("314.0.7") == ["314.0.7"] and versions_of(None) == []


def test_table_and_differences() -> None:
    counts = {"passed": 3, "failed": 1, "skipped": 0, "errors": 0}
    rows = [
        Row("0.27.7", "3.12.7", "2024_0", status="not compatible: m-1.0-cp314-….whl does not fit"),
        Row("0.29.5", "3.13.2", "2025_0", exit_code=1, counts=counts, seconds=2.04, outcomes={"t::a": "failed"}),
        Row("314.0.7", "3.14.2", "2026_0", counts={**counts, "passed": 4, "failed": 0}, seconds=1.5,
            outcomes={"t::a": "passed", "t::b": "skipped"}),
    ]  # fmt: skip
    lines = table(rows, "node").splitlines()
    assert lines[1].split() == [
        "Pyodide",
        "Python",
        "ABI",
        "runtime",
        "passed",
        "failed",
        "skipped",
        "errors",
        "time",
        "result",
    ]
    assert lines[2].split() == ["0.27.7", "3.12.7", "2024_0", "node", "-", "-", "-", "-", "-", "not", "compatible"]
    assert lines[3].split() == ["0.29.5", "3.13.2", "2025_0", "node", "3", "1", "0", "0", "2.0s", "exit", "1"]
    assert lines[4].split()[-2:] == ["1.5s", "ok"]
    assert differences(rows) == [
        "",
        "outcomes that differ between versions: 2",
        "  t::a: failed on 0.29.5, passed on 314.0.7",
        "  t::b: absent on 0.29.5, skipped on 314.0.7",
    ]


def test_junit_argument_is_taken_out() -> None:
    args, junit = _without_junit(["-q", "--junitxml", "out/r.xml", "tests/"])
    assert args == ["-q", "tests/"] and junit == Path("out/r.xml").absolute()
    assert _without_junit(["--junit-xml=x.xml"]) == ([], Path("x.xml").absolute())
    assert _without_junit(["-k", "x"]) == (["-k", "x"], None)


def test_to_argv_round_trips() -> None:
    argv = ["--runtime", "chromium", "--wheel", "a.whl", "--wheel", "b.whl", "--no-patches", "--cov", "-n", "2"]
    values, rest = options.scan(argv)
    assert rest == []
    again, _ = options.scan(options.to_argv(values))
    assert again == values
