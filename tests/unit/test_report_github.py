"""harness.report.github and .annotations: workflow commands, escaped as GitHub requires."""

from __future__ import annotations

from harness.report import github
from harness.report.annotations import annotation, annotation_lines
from harness.report.failures import Failure


def failure(n: int = 0, hint: str | None = None, when: str = "call", crash: str | None = None) -> Failure:
    return Failure(f"tests/test_a.py::test_{n}", when, "tests/test_a.py", 10 + n, "assert 1 == 2", hint, crash)


def test_data_escapes_percent_first_then_line_breaks() -> None:
    assert github.escape_data("100%\r\nnext %0A") == "100%25%0D%0Anext %250A"


def test_properties_also_escape_colon_and_comma() -> None:
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_command_leaves_out_missing_properties() -> None:
    line = github.command("error", "x: y", {"file": "t,1.py", "line": None, "title": "a::b"})
    assert line == "::error file=t%2C1.py,title=a%3A%3Ab::x: y"
    assert github.command("notice", "plain") == "::notice::plain"


def test_a_failure_is_an_error_at_its_line() -> None:
    line = annotation(failure(3))
    assert line == "::error file=tests/test_a.py,line=13,title=tests/test_a.py%3A%3Atest_3 failed::assert 1 == 2"


def test_titles_say_what_happened() -> None:
    assert "title=error in setup of " in annotation(failure(when="setup"))
    assert "timed out::" in annotation(failure(crash="timeout"))
    assert "crashed the runtime::" in annotation(failure(crash="crash"))
    assert "could not be collected::" in annotation(failure(when="collect"))


def test_a_limitation_is_a_warning_with_its_hint() -> None:
    line = annotation(failure(hint="not possible in Pyodide: threads cannot be started"))
    assert line.startswith("::warning file=tests/test_a.py,line=10,title=WebAssembly limitation%3A ")
    assert line.endswith("::not possible in Pyodide: threads cannot be started%0Aassert 1 == 2")


def test_each_kind_is_capped_with_a_count_of_the_rest() -> None:
    errors = [failure(i) for i in range(15)]
    warnings = [failure(i, hint="h") for i in range(10)]
    lines = annotation_lines(errors + warnings)
    error_lines = [line for line in lines if line.startswith("::error")]
    warning_lines = [line for line in lines if line.startswith("::warning")]
    assert len(error_lines) == github.ANNOTATIONS_PER_KIND
    assert error_lines[-1] == "::error::… and 6 more failures (see the log)"
    assert len(warning_lines) == 10 and all("line=" in w for w in warning_lines)  # exactly 10: no "more"


def test_blob_url_needs_the_run_context() -> None:
    env = {"GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "abc"}
    assert github.blob_url("t/x.py", 7, env) == "https://github.example/o/r/blob/abc/t/x.py#L7"
    assert github.blob_url("t/x.py", None, env) == "https://github.example/o/r/blob/abc/t/x.py"
    assert github.blob_url("t/x.py", 7, {}) is None
    assert github.on_github({"GITHUB_ACTIONS": "true"}) and not github.on_github({})
