"""harness.report.summary: the Markdown a GitHub job page shows."""

from __future__ import annotations

from pathlib import Path

from harness.report import summary
from harness.report.failures import Failure

ENV = {"GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "abc"}
INFO = {
    "runtime": "node",
    "pyodide": "314.0.7",
    "python": "3.14.2",
    "pytest": "9.0.3",
    "patch_summary": "patches: a (x); b (y)",
}


def render(**kw: object) -> str:
    args: dict = {
        "info": INFO,
        "counts": {"passed": 5, "failed": 2, "error": 1},
        "seconds": 3.25,
        "failures": [],
        "slowest": [],
    }
    args.update(kw)
    return summary.render(**args, environ=ENV)


def test_headline_and_tables() -> None:
    text = render(info={**INFO, "shard": {"index": 2, "count": 4}})
    assert text.startswith("## harness (node, Pyodide 314.0.7, shard 2/4): 2 failed, 5 passed, 1 error in 3.2s\n")
    assert "| node | 314.0.7 | 3.14.2 | 9.0.3 | a (x); b (y) |" in text
    assert "| passed | failed | errors | skipped | xfailed | xpassed | deselected |" in text
    assert "| 5 | 2 | 1 | 0 | 0 | 0 | 0 |" in text


def test_failures_link_to_their_line_and_limitations_are_counted() -> None:
    failures = [
        Failure("t/test_a.py::test_x[a|b]", "call", "t/test_a.py", 12, "assert `x` == 1\nmore", None, None),
        Failure(
            "t/test_a.py::test_t", "call", "t/test_a.py", 20, "RuntimeError: can't start new thread", "no threads", None
        ),
        Failure("t/test_a.py::test_s", "setup", "t/conftest.py", 3, "boom", None, "timeout"),
    ]
    text = render(failures=failures, slowest=[(1.5, "t/test_a.py::test_t")])
    assert "### Failures and errors (3)" in text
    link = "[t/test_a.py:12](https://github.example/o/r/blob/abc/t/test_a.py#L12)"
    assert f"- `` t/test_a.py::test_x[a\\|b] `` failed at {link}: `` assert 'x' == 1 ``" in text
    assert "timed out at [t/conftest.py:3](" in text
    assert "### WebAssembly limitations: 1 of 3 failures\n\n- 1 × no threads" in text
    assert "| 1.50 | `` t/test_a.py::test_t `` |" in text


def test_without_github_context_failures_are_plain_locations() -> None:
    failure = Failure("t.py::t", "call", "t.py", 2, "m", None, None)
    text = summary.render(INFO, {"failed": 1}, 1.0, [failure], [], environ={})
    assert "- `` t.py::t `` failed at t.py:2: `` m ``" in text


def test_append_needs_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    assert not summary.append("x", environ={})
    assert summary.append("one", environ={"GITHUB_STEP_SUMMARY": str(path)})
    assert summary.append("two", environ={"GITHUB_STEP_SUMMARY": str(path)})
    assert path.read_text() == "one\ntwo\n"
