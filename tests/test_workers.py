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
    assert ran.summary == native.summary == "1 failed, 23 passed", ran.stdout
    assert junit_outcomes(harness_dir / "out.xml") == junit_outcomes(native_dir / "out.xml")
    assert "harness: 2 node runtimes (-n 2)" in ran.stdout
    per_runtime = runtimes_used(harness_dir)
    assert len(per_runtime) == 2 and sum(per_runtime.values()) == 24
    assert min(per_runtime.values()) >= 6, per_runtime  # balanced, not one runtime doing it all


def test_a_crash_on_one_runtime_restarts_only_that_one(tmp_path: Path) -> None:
    """Under ``loadfile`` the crashing file's later tests are held by the runtime that dies,
    so they are always handed out again and a fresh runtime is always started for them
    (with ``load`` the other runtime may already hold them, and no restart is needed)."""
    project = tmp_path / "crashing"
    project.mkdir()
    (project / "test_dies.py").write_text(
        "import os\n\n\ndef test_kills_the_runtime():\n    os._exit(3)\n\n\n"
        + "".join(f"def test_after_{i}():\n    pass\n\n\n" for i in range(3))
    )
    (project / "test_lives.py").write_text("".join(f"def test_other_{i}():\n    pass\n\n\n" for i in range(3)))
    ran = run_harness(project, "-rA", harness_args=("-n", "2", "--dist", "loadfile"))
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ran.summary == "1 failed, 6 passed", ran.stdout
    assert "FAILED test_dies.py::test_kills_the_runtime - runtime exited unexpectedly" in ran.stdout
    assert "restarting the runtime" in ran.stdout
    for i in range(3):
        assert f"PASSED test_dies.py::test_after_{i}" in ran.stdout
        assert f"PASSED test_lives.py::test_other_{i}" in ran.stdout


@pytest.mark.parametrize("tests", [1, 8], ids=["one runtime idle", "both busy"])
def test_a_summary_every_runtime_writes_alike_is_shown_once(tmp_path: Path, tests: int) -> None:
    """An idle runtime's text has no newline before it (its progress line never opened)."""
    project = tmp_path / "summary"
    project.mkdir()
    (project / "conftest.py").write_text(
        "def pytest_terminal_summary(terminalreporter):\n    terminalreporter.write_line('the conftest summary line')\n"
    )
    (project / "test_many.py").write_text(
        f"import pytest\n\n\n@pytest.mark.parametrize('n', range({tests}))\ndef test_n(n):\n    pass\n"
    )
    ran = run_harness(project, harness_args=("-n", "2"))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "harness: 2 node runtimes (-n 2)" in ran.stdout
    assert ran.stdout.count("the conftest summary line") == 1, ran.stdout


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


# -- --dist modes: the "dist" project has two modules with a module-scoped fixture that logs
# each setup, and three tests in xdist_group "db" across both modules.


def lines_of(project: Path, name: str) -> list[tuple[str, str]]:
    """(runtime, what) per line of a log the project's conftest writes."""
    return [tuple(line.split(" ", 1)) for line in (project / name).read_text().splitlines()]  # type: ignore[misc]


@pytest.fixture(scope="module")
def native_dist(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    project = copy_project("dist", tmp_path_factory.mktemp("native"))
    ran = run_native(project, "--junitxml=out.xml")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    return ran.summary, junit_outcomes(project / "out.xml")


@pytest.mark.parametrize("mode", ["loadscope", "loadfile"])
def test_scope_modes_set_a_module_up_once_with_native_results(
    tmp_path: Path, mode: str, native_dist: tuple[str, dict[str, str]]
) -> None:
    project = copy_project("dist", tmp_path)
    ran = run_harness(project, "--junitxml=out.xml", harness_args=("-n", "2", "--dist", mode))
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert (ran.summary, junit_outcomes(project / "out.xml")) == native_dist, ran.stdout + ran.stderr
    assert f"harness: 2 node runtimes (-n 2), --dist {mode}" in ran.stdout
    setups = Counter(module for _, module in lines_of(project, "setups.txt"))
    assert setups == {"test_alpha": 1, "test_beta": 1}, "one setup per module, as natively"
    assert len({runtime for runtime, _ in lines_of(project, "ran.txt")}) == 2, "both runtimes worked"


def test_loadgroup_runs_a_group_in_one_runtime(tmp_path: Path, native_dist: tuple[str, dict[str, str]]) -> None:
    project = copy_project("dist", tmp_path)
    ran = run_harness(project, "--junitxml=out.xml", harness_args=("-n", "2", "--dist", "loadgroup"))
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert (ran.summary, junit_outcomes(project / "out.xml")) == native_dist
    where = lines_of(project, "ran.txt")
    group = {runtime for runtime, nodeid in where if nodeid.endswith(("_db", "_db_again"))}
    assert len([nodeid for _, nodeid in where if "_db" in nodeid]) == 3
    assert len(group) == 1, "the xdist_group ran in one runtime"
    assert len({runtime for runtime, _ in where}) == 2, "the other tests were spread"


def test_worksteal_accounts_for_every_test_when_a_runtime_crashes(tmp_path: Path) -> None:
    project = copy_project("crash", tmp_path)
    ran = run_harness(project, "-rA", harness_args=("-n", "2", "--dist", "worksteal"))
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ran.summary == "1 failed, 3 passed"
    assert "FAILED test_crash.py::test_kills_the_runtime - runtime exited unexpectedly" in ran.stdout
    for test in ("test_before_one", "test_before_two", "test_after"):
        assert f"PASSED test_crash.py::{test}" in ran.stdout


def test_auto_stays_with_one_runtime_for_a_small_suite(tmp_path: Path) -> None:
    project = copy_project("dist", tmp_path)
    ran = run_harness(project, "-p", "no:cacheprovider", harness_args=("-n", "auto"))
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ran.summary == "1 failed, 14 passed"
    assert "harness: node runtime (-n auto: one to start with" in ran.stdout
    assert "stayed with 1" in ran.stdout or "CPU(s) available: no runtime added" in ran.stdout
    assert len({runtime for runtime, _ in lines_of(project, "ran.txt")}) == 1
