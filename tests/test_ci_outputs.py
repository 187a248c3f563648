"""CI outputs of real runs (Node, Pyodide 314.0.7): GitHub annotations and step summary, the
JSON report against the JUnit XML of the same run, shards and ``harness merge``, and the
copyable workflow whose every ``harness`` command is run here."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import PYODIDE_VERSIONS, copy_project, junit_totals, run_harness

ROOT = Path(__file__).parent.parent
GITHUB_ENV = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.example",
    "GITHUB_REPOSITORY": "o/r",
    "GITHUB_SHA": "abc123",
}


@pytest.fixture(scope="module")
def ci_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """One run of tests/projects/ci as a GitHub step: (result, project dir)."""
    project = copy_project("ci", tmp_path_factory.mktemp("ci"))
    env = {**GITHUB_ENV, "GITHUB_WORKSPACE": str(project), "GITHUB_STEP_SUMMARY": str(project / "summary.md")}
    result = run_harness(
        project,
        "--junitxml=junit.xml",
        "-p",
        "no:cacheprovider",
        harness_args=("--report-json", "report.json"),
        env=env,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result, project


def test_failures_are_annotations_at_the_failing_line(ci_run: tuple[Any, Path]) -> None:
    result, _ = ci_run
    lines = [line for line in result.stdout.splitlines() if line.startswith("::")]
    source = (ROOT / "tests/projects/ci/test_ci.py").read_text().splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(source, 1) if text in line)

    escapes_line = line_of('assert "a:b,c"')
    assert lines[0] == (
        f"::error file=test_ci.py,line={escapes_line},"
        "title=test_ci.py%3A%3Atest_assertion_with_escapes failed::AssertionError: 100%25 sure%0A  second line%0A"
        "assert 'a:b,c' == 'a:b,c!'%0A  %0A  - a:b,c!%0A  ?      -%0A  + a:b,c"
    )
    # the assertion inside the helper, not the test's call of it
    helper_line = line_of("assert sum(values)")
    title = "title=test_ci.py%3A%3Atest_fails_in_helper failed::"
    assert lines[1].startswith(f"::error file=test_ci.py,line={helper_line},{title}")
    assert lines[2] == (
        f"::error file=test_ci.py,line={line_of('raise RuntimeError')},"
        "title=error in setup of test_ci.py%3A%3Atest_setup_error::RuntimeError: fixture is broken"
    )
    assert lines[3] == (
        f"::warning file=test_ci.py,line={line_of('threading.Thread(')},"
        "title=WebAssembly limitation%3A test_ci.py%3A%3Atest_thread_limitation::"
        "not possible in Pyodide: threads cannot be started%0ARuntimeError: can't start new thread"
    )
    assert len(lines) == 4


def test_step_summary(ci_run: tuple[Any, Path]) -> None:
    _, project = ci_run
    text = (project / "summary.md").read_text()
    assert re.match(
        r"## harness \(node, Pyodide 314\.0\.7\): 3 failed, 1 passed, 1 skipped, 1 xfailed, 1 error in \d+\.\ds\n", text
    )
    assert re.search(r"\| node \| 314\.0\.7 \| 3\.14\.\d+ \| \d+\.\d+\.\d+ \| .*fd-without-path", text)
    assert "| 1 | 3 | 1 | 1 | 1 | 0 | 0 |" in text
    link = "https://github.example/o/r/blob/abc123/test_ci.py#L"
    assert "- `` test_ci.py::test_setup_error `` error at [test_ci.py:" in text and link in text
    assert (
        "### WebAssembly limitations: 1 of 4 failures\n\n- 1 × not possible in Pyodide: threads cannot be started"
        in text
    )
    assert "### Slowest 7 tests" in text


def test_json_report_agrees_with_junit(ci_run: tuple[Any, Path]) -> None:
    _, project = ci_run
    document = json.loads((project / "report.json").read_text())
    assert (document["runtime"], document["pyodide"], document["exitstatus"]) == ("node", "314.0.7", 1)
    assert document["python"].startswith("3.14.") and "fd-without-path" in document["patches"]
    assert document["counts"] == {
        "passed": 1,
        "failed": 3,
        "error": 1,
        "skipped": 1,
        "xfailed": 1,
        "xpassed": 0,
        "deselected": 0,
    }
    totals = junit_totals(project / "junit.xml")
    assert totals["tests"] == len(document["tests"]) == 7
    assert totals["failures"] == document["counts"]["failed"] and totals["errors"] == document["counts"]["error"]
    assert totals["skipped"] == document["counts"]["skipped"] + document["counts"]["xfailed"]
    cases = {c.get("name"): c for c in ET.parse(project / "junit.xml").getroot().iter("testcase")}
    for record in document["tests"]:
        case = cases[record["nodeid"].rpartition("::")[2]]
        tags = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
        expected = {
            "passed": [],
            "failed": ["failure"],
            "error": ["error"],
            "skipped": ["skipped"],
            "xfailed": ["skipped"],
        }
        assert tags == expected[record["outcome"]], record["nodeid"]
        assert abs(float(case.get("time")) - record["duration"]) < 0.002
        for when, phase in record["phases"].items():
            if phase["outcome"] == "failed":
                expected_message = phase["message"] if when == "call" else f'failed on {when} with "{phase["message"]}"'
                outcome = next(c for c in case if c.tag in ("failure", "error"))
                assert outcome.get("message") == expected_message
        assert record["worker"] == "rt0" and record["crash"] is None
        assert (record["runtime"], record["pyodide"]) == ("node", "314.0.7")
    properties = {(c.get("name"), p.get("name")): p.get("value") for c in cases.values() for p in c.iter("property")}
    records = {r["nodeid"].rpartition("::")[2]: r for r in document["tests"]}
    for (name, key), value in properties.items():  # what the JUnit XML's properties say, the records say too
        assert [key, value] in records[name]["user_properties"]
    hints = {r["nodeid"]: r["limitation"] for r in document["tests"] if r["limitation"]}
    assert hints == {"test_ci.py::test_thread_limitation": "not possible in Pyodide: threads cannot be started"}


def _collected(output: str) -> list[str]:
    return [line for line in output.splitlines() if "::" in line and not line.startswith(("harness", "::"))]


@pytest.fixture(scope="module")
def shard_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """tests/projects/shards after one unsharded run (which records the durations)."""
    project = copy_project("shards", tmp_path_factory.mktemp("shards"))
    full = run_harness(project, "--junitxml=full.xml", harness_args=("--report-json", "full.json"))
    assert full.returncode == 1, full.stdout + full.stderr
    durations = json.loads((project / ".pytest_cache/v/harness/durations").read_text())
    assert durations["test_uneven.py::test_work[t0]"] >= 0.8
    return project, json.loads((project / "full.json").read_text())


# N = 1 ... 4 on the partition itself: tests/unit/test_shard.py; here the host's selection in
# real runs (N = 3 also by test_shards_balance_and_merge_to_the_unsharded_run), kept few.
@pytest.mark.parametrize("count", [2])
def test_shards_are_disjoint_and_cover_the_suite(shard_project: tuple[Path, dict[str, Any]], count: int) -> None:
    project, full = shard_project
    suite = [t["nodeid"] for t in full["tests"]]
    parts = []
    for index in range(1, count + 1):
        ran = run_harness(project, "--collect-only", "-q", harness_args=("--shard", f"{index}/{count}"))
        assert ran.returncode == 0, ran.stdout + ran.stderr
        parts.append(_collected(ran.stdout))
        deselected = len(suite) - len(parts[-1])
        counted = f"{len(parts[-1])}/{len(suite)} tests collected ({deselected} deselected)" if deselected else ""
        assert (counted or f"{len(suite)} tests collected") in ran.stdout  # as -k would say
    flat = [n for part in parts for n in part]
    assert sorted(flat) == sorted(suite) and len(set(flat)) == len(flat)


def test_shards_balance_and_merge_to_the_unsharded_run(shard_project: tuple[Path, dict[str, Any]]) -> None:
    project, full = shard_project
    env = {"GITHUB_ACTIONS": "true"}
    reports = []
    for index in (1, 2, 3):
        ran = run_harness(
            project,
            harness_args=("--shard", f"{index}/3", "--report-json", f"s{index}.json", "--annotations", "none"),
            env=env,
        )
        assert ran.returncode in (0, 1), ran.stdout + ran.stderr
        assert "::error" not in ran.stdout  # --annotations none wins over GITHUB_ACTIONS
        assert "harness: shard" in ran.stdout and " deselected" in ran.stdout
        reports.append(json.loads((project / f"s{index}.json").read_text()))
    # By the durations the unsharded run recorded, the slowest shard's share is within 20 %
    # of a third. (What the shards then take is timing, not asserted here: on a loaded
    # machine a 50 ms test can take 200 ms.)
    recorded = json.loads((project / ".pytest_cache/v/harness/durations").read_text())
    total = sum(recorded[t["nodeid"]] for t in full["tests"])
    loads = [sum(recorded[t["nodeid"]] for t in r["tests"]) for r in reports]
    assert max(loads) <= 1.2 * total / 3, loads
    for report, load in zip(reports, loads, strict=True):
        assert report["shard"]["expected"] == pytest.approx(load, abs=0.002)
        assert report["shard"]["ideal"] == pytest.approx(total / 3, abs=0.002)
    outputs = ["--junitxml", "all.xml", "--report-json", "all.json"]
    command = [sys.executable, "-m", "harness.cli", "merge", "s3.json", "s1.json", "s2.json", *outputs]
    merged = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.startswith("harness merge: 3 reports, 19 tests: 1 failed, 16 passed, 1 skipped, 1 error")
    document = json.loads((project / "all.json").read_text())
    assert document["counts"] == full["counts"]
    assert sorted(t["nodeid"] for t in document["tests"]) == sorted(t["nodeid"] for t in full["tests"])
    assert junit_totals(project / "all.xml") == junit_totals(project / "full.xml")


def _harness_commands(workflow: dict[str, Any]) -> list[tuple[str, str]]:
    """(job name, command line) of every `harness` line in the workflow's run steps."""
    found = []
    for name, job in workflow["jobs"].items():
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                if line.strip().startswith("harness "):
                    found.append((name, line.strip()))
    return found


def _expand(line: str, values: dict[str, object], cwd: Path) -> list[str]:
    """The command's argv as the runner's expressions and the shell's globs make it."""
    expanded = re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: str(values[m.group(1)]), line)
    argv = []
    for arg in shlex.split(expanded):
        matches = sorted(str(p.relative_to(cwd)) for p in cwd.glob(arg)) if "*" in arg else []
        argv += matches or [arg]
    return argv


def test_project_workflow_runs_what_ci_runs() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    e2e = workflow["jobs"]["e2e"]
    assert [s["run"] for s in e2e["steps"] if "run" in s] == [".ci/run"]
    cache = next(s for s in e2e["steps"] if str(s.get("uses", "")).startswith("actions/cache@"))
    assert cache["with"]["path"] == e2e["env"]["HARNESS_CACHE"]
    assert "pyproject.toml" in cache["with"]["key"]


def test_example_workflow_commands_run_here(tmp_path: Path) -> None:
    """Every `harness` command of the copyable workflow, with the Node entries of its
    matrix, in a copy of the demo project, jobs in order (results/ stands for the artifacts)."""
    workflow = yaml.safe_load((ROOT / "examples/ci/github-actions.yml").read_text())
    matrix = workflow["jobs"]["test"]["strategy"]["matrix"]
    assert set(matrix["runtime"]) == {"node", "chromium", "firefox"} and len(matrix["pyodide"]) >= 2
    cache_keys = [str(s.get("with", {}).get("key", "")) for s in workflow["jobs"]["test"]["steps"]]
    assert any("matrix.pyodide" in key and "hashFiles(" in key for key in cache_keys)
    project = tmp_path / "demo"
    shutil.copytree(ROOT / "examples/demo", project)
    values: dict[str, object] = {"matrix.runtime": "node", "matrix.pyodide": PYODIDE_VERSIONS[0]}
    assert values["matrix.pyodide"] in matrix["pyodide"]
    commands = _harness_commands(workflow)
    assert [job for job, _ in commands] == ["test", "merge"]
    for _, line in commands:
        for shard in matrix["shard"] if "matrix.shard" in line else [None]:
            argv = _expand(line, {**values, "matrix.shard": shard}, project)
            command = [sys.executable, "-m", "harness.cli", *argv[1:]]
            ran = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=600)
            assert ran.returncode == 0, f"{argv}\n{ran.stdout}\n{ran.stderr}"
    merged = json.loads((project / f"report-node-{PYODIDE_VERSIONS[0]}.json").read_text())
    assert merged["counts"]["passed"] > 0 and len(merged["shards"]) == len(matrix["shard"])
    assert (project / ".pytest_cache/v/harness/durations").is_file()


def test_a_cold_cache_says_what_it_fetches_a_warm_one_nothing(
    tmp_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Off a terminal: one plain line per download and unpacking (the live bar is
    tests/unit/test_progress.py). pip's own HTTP cache decides which wheels it really
    downloads ("Using cached" is no download): each line names one that was installed."""
    from harness.provision.boot import site_for

    site = site_for(PYODIDE_VERSIONS[0], with_packages=("iniconfig",))
    lines = capsys.readouterr().err.splitlines()
    version = re.escape(PYODIDE_VERSIONS[0])
    assert re.fullmatch(rf"harness: downloaded Pyodide {version} from npm \(\d+\.\d MB in [\d.]+ s\)", lines[0])
    assert re.fullmatch(rf"harness: unpacked pyodide-{version}\.tgz \(\d+\.\d MB in [\d.]+ s\)", lines[1])
    installed = {w["file"] for w in site.manifest["wheels"]}
    for line in lines[2:-1]:
        found = re.fullmatch(r"harness: downloaded (\S+\.whl) \([\d.]+ [kM]?B\)", line)
        assert found and found.group(1) in installed, line
    assert re.fullmatch(rf"harness: unpacked {len(installed)} wheels \([\d.]+ [kM]B in [\d.]+ s\)", lines[-1])
    site_for(PYODIDE_VERSIONS[0], with_packages=("iniconfig",))
    assert capsys.readouterr().err == ""
