"""The CI options in harness.options: checked once, bad values are one line and exit 4."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import cli
from harness.options import Settings
from harness.report.shard import ShardSpec


def test_values_are_converted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    settings = Settings.from_values({"shard": "2/4", "report_json": "out/r.json"})
    assert settings.shard == ShardSpec(2, 4) and settings.report_json == Path("out/r.json")
    assert not settings.annotations and Settings.from_values({"annotations": "github"}).annotations


@pytest.mark.parametrize(("environment", "given", "expected"), [
    ("true", None, True), ("true", "auto", True), ("true", "none", False), (None, None, False), (None, "github", True),
])  # fmt: skip
def test_annotations_follow_github_actions_unless_told(
    monkeypatch: pytest.MonkeyPatch, environment: str | None, given: str | None, expected: bool
) -> None:
    if environment is None:
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    else:
        monkeypatch.setenv("GITHUB_ACTIONS", environment)
    assert Settings.from_values({"annotations": given} if given else {}).annotations is expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shard", "5/4"], "--shard expects K/N with 1 <= K <= N (like 2/4), not '5/4'"),
        (["--shard"], "--shard needs a value (K/N)"),
        (["--annotations", "gitlab"], "--annotations expects github, none or auto, not 'gitlab'"),
    ],
)
def test_bad_values_are_one_line_exit_4(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", *args]) == 4
    assert capsys.readouterr().err == f"ERROR: {message}\n"


def test_usage_lists_the_ci_options_and_merge(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    for word in ("--report-json PATH", "--shard K/N", "--annotations KIND", "harness merge REPORT.json"):
        assert word in text
