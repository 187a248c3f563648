"""``-n N``: several runtimes side by side, load-balanced, with native results."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from helpers import copy_project, junit_outcomes, run_harness, run_native


def runtimes_used(project: Path) -> Counter[str]:
    """Tests run per runtime, from the log each test appends to (see the project's conftest)."""
    return Counter(line.split()[0] for line in (project / "ran.txt").read_text().splitlines())


def test_two_runtimes_share_the_work_with_native_results(tmp_path: Path) -> None:
    native_dir = copy_project("workers", tmp_path / "n")
    harness_dir = copy_project("workers", tmp_path / "h")
    native = run_native(native_dir, "--junitxml=out.xml")
    ran = run_harness(harness_dir, "--junitxml=out.xml", harness_args=("-n", "2"))
    assert ran.returncode == native.returncode == 1, ran.stdout + ran.stderr
    assert ran.summary == native.summary == "1 failed, 23 passed"
    assert junit_outcomes(harness_dir / "out.xml") == junit_outcomes(native_dir / "out.xml")
    assert "harness: 2 node runtimes (-n 2)" in ran.stdout
    per_runtime = runtimes_used(harness_dir)
    assert len(per_runtime) == 2 and sum(per_runtime.values()) == 24
    assert min(per_runtime.values()) >= 6, per_runtime  # balanced, not one runtime doing it all


def test_a_crash_on_one_runtime_restarts_only_that_one(tmp_path: Path) -> None:
    project = copy_project("crash", tmp_path)
    ran = run_harness(project, "-rA", harness_args=("-n", "2"))
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ran.summary == "1 failed, 3 passed"
    assert "FAILED test_crash.py::test_kills_the_runtime - runtime exited unexpectedly" in ran.stdout
    assert "restarting the runtime" in ran.stdout
    assert "PASSED test_crash.py::test_after" in ran.stdout


def test_coverage_from_two_runtimes_is_combined(tmp_path: Path) -> None:
    """Both runtimes stream into one data file: the same lines as a single runtime."""
    import coverage

    one = copy_project("coverage", tmp_path / "one")
    two = copy_project("coverage", tmp_path / "two")
    for project, workers in ((one, "1"), (two, "2")):
        ran = run_harness(project, "-k", "not zz", harness_args=("-n", workers, "--cov"))
        assert ran.returncode == 0, ran.stdout + ran.stderr

    def lines(project: Path) -> dict[str, list[int]]:
        data = coverage.CoverageData(basename=str(project / ".coverage"))
        data.read()
        return {str(Path(f).relative_to(project)): sorted(data.lines(f) or []) for f in data.measured_files()}

    assert lines(two) == lines(one)
    assert lines(one)["covpkg/shapes.py"]


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_bad_worker_count_is_one_line(tmp_path: Path, value: str) -> None:
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    ran = run_harness(tmp_path, harness_args=("-n", value))
    assert ran.returncode == 4, ran.stdout + ran.stderr
    assert f"-n/--workers expects a number of runtimes or 'auto', not {value!r}" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_runtimes_that_collect_different_tests_end_the_run(tmp_path: Path) -> None:
    """A test id drawn at random differs per runtime; as pytest-xdist, the run stops."""
    (tmp_path / "test_random.py").write_text(
        "import uuid\nimport pytest\n\n\n"
        "@pytest.mark.parametrize('x', [uuid.uuid4().hex])\ndef test_random_id(x):\n    pass\n"
    )
    ran = run_harness(tmp_path, "-p", "no:cacheprovider", harness_args=("-n", "2"))
    assert ran.returncode == 3, ran.stdout + ran.stderr
    assert "INTERNALERROR> runtime rt1 collected different tests than rt0" in ran.stdout
