"""The annotation and step-summary plugins in a native in-process pytest session: the same
hooks the replayed reports go through, with real reports of every kind (failed call, setup
and teardown errors, a module that fails to import)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import PROJECTS, run_pytest_in_process

from harness.commands.probe import rows
from harness.report import summary
from harness.report.annotations import Annotations
from harness.report.summary import StepSummary


class _Register:
    def pytest_configure(self, config: pytest.Config) -> None:
        config.pluginmanager.register(Annotations(config), "annotations")
        config.pluginmanager.register(StepSummary(config), "summary")


def run(project: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The annotation lines of a native run of ``project``."""
    run_pytest_in_process(project, ["-q"], [_Register()])
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("::")]


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("basic", "broken"):
        shutil.copytree(PROJECTS / name, tmp_path / name)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_every_kind_of_failure_is_annotated(github: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = run(github / "basic", capsys)
    source = (github / "basic/test_outcomes.py").read_text().splitlines()
    fail_line = next(i for i, line in enumerate(source, 1) if "assert 1 + 1 == 3" in line)
    assert lines[0] == (
        f"::error file=basic/test_outcomes.py,line={fail_line},"
        "title=test_outcomes.py%3A%3Atest_fail_with_output failed::assert (1 + 1) == 3"
    )
    setup = next(line for line in lines if "test_setup_error" in line)
    assert setup.startswith("::error file=basic/conftest.py,line=")  # the fixture's raise
    assert "title=error in setup of test_outcomes.py%3A%3Atest_setup_error::RuntimeError: fixture setup fails" in setup
    teardown = next(line for line in lines if "test_teardown_error" in line)
    assert "file=basic/test_teardown.py" in teardown and "title=error in teardown of " in teardown
    assert len(lines) == 5  # 3 failed, 2 errors
    text = (github / "summary.md").read_text()
    assert "## harness (native): 3 failed, 7 passed, 2 skipped, 1 xfailed, 1 xpassed, 2 errors in " in text
    assert "- `` test_outcomes.py::test_setup_error `` error at basic/conftest.py:" in text


def test_a_module_that_fails_to_import(github: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = run(github / "broken", capsys)
    assert lines == [
        "::error file=broken/test_broken.py,title=test_broken.py could not be collected::"
        "E   ModuleNotFoundError: No module named 'module_that_does_not_exist'"
    ]


def test_a_version_matrix_is_a_markdown_table(tmp_path: Path) -> None:
    def ready(version: str, present: bool) -> dict[str, object]:
        patch = {"name": "fd", "applied": present, "defects": {"fstat": present}, "fixed": {"fstat": present}}
        return {"pyodide": version, "python": "3.x", "patches": [patch]}

    header, *body = rows([ready("0.27.8", True), ready("314.0.7", False)])  # type: ignore[list-item]
    path = tmp_path / "summary.md"
    summary.append("\n".join(summary.table(header, body)), environ={"GITHUB_STEP_SUMMARY": str(path)})
    assert path.read_text().splitlines() == [
        "| defect | 0.27.8 (py 3.x) | 314.0.7 (py 3.x) |",
        "|---|---|---|",
        "| fd: fstat | present, patched | absent |",
    ]
