"""harness.report.json_report and .merge on real pytest reports (a native in-process run of
the fixture project tests/projects/basic: every outcome pytest has, no runtime needed)."""

from __future__ import annotations

import copy
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from helpers import PROJECTS, run_pytest_in_process

from harness import cli
from harness.errors import HarnessError
from harness.report import merge
from harness.report.json_report import JsonReport


class _Register:
    """Registers the JSON report in a native session, as harness.plugin does in a run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def pytest_configure(self, config: pytest.Config) -> None:
        config.pluginmanager.register(JsonReport(config, self.path, lambda: {"runtime": None}), "json-report")


@pytest.fixture(scope="module")
def native_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """(JSON report, JUnit XML path) of one native run of the basic project."""
    project = tmp_path_factory.mktemp("native") / "basic"
    shutil.copytree(PROJECTS / "basic", project)
    report, junit = project / "report.json", project / "junit.xml"
    status = run_pytest_in_process(project, [f"--junitxml={junit}", "-q", "-rN"], [_Register(report)])
    assert status == pytest.ExitCode.TESTS_FAILED
    return json.loads(report.read_text()), junit


def junit_cases(path: Path) -> dict[str, tuple[str, str | None]]:
    """{name: (outcome tag, message)} of a JUnit XML file."""
    cases = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        tags = [c for c in case if c.tag in ("failure", "error", "skipped")]
        key = f"{case.get('classname')}.{case.get('name')}"
        cases[key] = ("+".join(c.tag for c in tags) or "passed", tags[0].get("message") if tags else None)
    return cases


def test_counts_are_the_terminal_line(native_run: tuple[dict[str, Any], Path]) -> None:
    document, _ = native_run
    # 3 failed, 7 passed, 2 skipped, 1 xfailed, 1 xpassed, 2 errors (the teardown error's test passed)
    assert document["counts"] == {
        "passed": 7, "failed": 3, "error": 2, "skipped": 2, "xfailed": 1, "xpassed": 1, "deselected": 0,
    }  # fmt: skip
    outcomes = {t["nodeid"].partition("::")[2]: t["outcome"] for t in document["tests"]}
    assert outcomes["test_setup_error"] == "error" and outcomes["test_teardown_error"] == "error"
    assert outcomes["test_xfail"] == "xfailed" and outcomes["test_xpass"] == "xpassed"
    assert outcomes["test_skipif"] == "skipped" and outcomes["test_param[2]"] == "failed"


def test_json_agrees_with_junit_of_the_same_run(native_run: tuple[dict[str, Any], Path]) -> None:
    document, junit = native_run
    assert junit_agrees(document, junit)


def junit_agrees(document: dict[str, Any], junit: Path) -> bool:
    """Every record matches its JUnit testcase: outcome, message and duration."""
    cases = junit_cases(junit)
    times = {
        f"{c.get('classname')}.{c.get('name')}": float(c.get("time", 0))
        for c in ET.parse(junit).getroot().iter("testcase")
    }
    tag = {"passed": "passed", "xpassed": "passed", "failed": "failure", "skipped": "skipped", "xfailed": "skipped"}
    assert len(cases) == len(document["tests"])
    for record in document["tests"]:
        path, _, name = record["nodeid"].partition("::")
        key = ".".join([path.removesuffix(".py").replace("/", "."), *name.split("::")])
        kind, message = cases[key]
        phases = record["phases"]
        if record["outcome"] == "error":
            assert "error" in kind.split("+"), key
        else:
            assert kind == tag[record["outcome"]], key
        failed = next((p for p in phases.values() if p["outcome"] == "failed" and "wasxfail" not in p), None)
        if failed is not None and kind == "failure":
            assert message == failed["message"], key
        assert abs(times[key] - record["duration"]) < 0.002, key
    return True


def test_merge_of_one_report_writes_the_same_junit(native_run: tuple[dict[str, Any], Path], tmp_path: Path) -> None:
    document, junit = native_run
    source = tmp_path / "r.json"
    source.write_text(json.dumps(document))
    merged = merge.merge([source])
    merge.write_junit(merged, tmp_path / "m.xml")

    def shape(path: Path) -> str:
        root = ET.parse(path).getroot()
        for element in root.iter():
            for clock in ("time", "timestamp", "hostname"):
                element.attrib.pop(clock, None)
        return ET.tostring(root, encoding="unicode")

    assert shape(tmp_path / "m.xml") == shape(junit)


def as_shards(document: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """The report cut into ``count`` shard reports, as ``--shard`` runs would write them."""
    tests = document["tests"]
    shards = []
    for index in range(count):
        part = copy.deepcopy(document)
        part["tests"] = tests[index::count]
        counts = dict.fromkeys(part["counts"], 0)
        for record in part["tests"]:
            for phase in record["phases"].values():
                if phase["category"]:
                    counts[phase["category"]] += 1
        counts["deselected"] = len(tests) - len(part["tests"])
        part["counts"] = counts
        part["shard"] = {
            "index": index + 1,
            "count": count,
            "fingerprint": "f",
            "collected": len(tests),
            "selected": len(part["tests"]),
        }
        shards.append(part)
    return shards


def write_all(tmp_path: Path, documents: list[dict[str, Any]]) -> list[Path]:
    paths = []
    for i, document in enumerate(documents):
        paths.append(tmp_path / f"s{i}.json")
        paths[-1].write_text(json.dumps(document))
    return paths


def test_merged_shards_count_as_the_whole(native_run: tuple[dict[str, Any], Path], tmp_path: Path) -> None:
    document, _ = native_run
    paths = write_all(tmp_path, as_shards(document, 3))
    merged = merge.merge(list(reversed(paths)))  # any order
    assert merged["counts"] == document["counts"]
    assert sorted(t["nodeid"] for t in merged["tests"]) == sorted(t["nodeid"] for t in document["tests"])
    assert [s["index"] for s in merged["shards"]] == [1, 2, 3]


@pytest.mark.parametrize(
    ("spoil", "error"),
    [
        (lambda ds: ds[1]["shard"].update(fingerprint="g"), "balanced different collections or durations"),
        (lambda ds: ds[1]["shard"].update(index=1), "shard 1/3 given twice"),
        (lambda ds: ds.pop(), "shard 3/3 missing"),
        (lambda ds: ds[2]["shard"].update(count=4), "but .* is one of 3"),
        (lambda ds: ds[1].update(runtime="firefox"), "ran runtime 'firefox'"),
        (lambda ds: ds[1]["tests"].append(ds[0]["tests"][0]), "ran in both"),
        (lambda ds: ds[1].pop("shard"), "is not a shard"),
    ],
)
def test_merge_refuses_what_is_not_one_suite(
    native_run: tuple[dict[str, Any], Path], tmp_path: Path, spoil: Any, error: str
) -> None:
    documents = as_shards(native_run[0], 3)
    spoil(documents)
    with pytest.raises(HarnessError, match=error):
        merge.merge(write_all(tmp_path, documents))


def test_merge_command_bad_input_is_one_line_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    for args in (
        [str(tmp_path / "bad.json"), "--junitxml", "x.xml"],
        [str(tmp_path / "other.json"), "--junitxml", "x.xml"],
        [str(tmp_path / "missing.json"), "--junitxml", "x.xml"],
        [str(tmp_path / "bad.json")],
        ["--junitxml", "x.xml"],
    ):
        assert cli.main(["merge", *args]) == 4
        err = capsys.readouterr().err
        assert err.startswith("ERROR: ") and err.count("\n") == 1, err
