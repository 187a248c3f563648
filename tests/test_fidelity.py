"""The harness gives native pytest's results: counts, outcomes, JUnit XML, exit codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import (
    PYODIDE_VERSIONS,
    copy_project,
    junit_outcomes,
    junit_totals,
    run_harness,
    run_native,
)

pytestmark = pytest.mark.usefixtures("warm_dists")


@pytest.mark.parametrize("pyodide", PYODIDE_VERSIONS)
def test_basic_project_matches_native(tmp_path: Path, pyodide: str) -> None:
    native_dir = copy_project("basic", tmp_path / "native")
    harness_dir = copy_project("basic", tmp_path / "harness")
    native = run_native(native_dir, "--junitxml=out.xml", "-rA")
    ran = run_harness(harness_dir, "--junitxml=out.xml", "-rA", pyodide=pyodide)

    assert ran.returncode == native.returncode == 1, ran.stdout + ran.stderr
    assert (
        ran.summary == native.summary == ("3 failed, 7 passed, 2 skipped, 1 xfailed, 1 xpassed, 2 warnings, 2 errors")
    )
    assert junit_outcomes(harness_dir / "out.xml") == junit_outcomes(native_dir / "out.xml")
    assert junit_totals(harness_dir / "out.xml") == junit_totals(native_dir / "out.xml")
    # The failing test's captured output reaches the host report, as a section.
    assert "Captured stdout call" in ran.stdout
    assert "output printed before the failure" in ran.stdout
    # The warning category exists only in the project; the summary still names it.
    assert "ProjectWarning: careful with that" in ran.stdout
    # -rA lines are the same set, in the same order.
    native_short = [
        ln
        for ln in native.stdout.splitlines()
        if ln.startswith(("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"))
    ]
    harness_short = [
        ln
        for ln in ran.stdout.splitlines()
        if ln.startswith(("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"))
    ]
    assert harness_short == native_short
    assert f"Pyodide {pyodide}" in ran.stdout


def test_collection_error_interrupts_like_native(tmp_path: Path) -> None:
    native = run_native(copy_project("broken", tmp_path / "n"))
    ran = run_harness(copy_project("broken", tmp_path / "h"))
    assert ran.returncode == native.returncode == 2
    assert ran.summary == native.summary == "1 error"
    assert "Interrupted: 1 error during collection" in ran.stdout
    assert "ModuleNotFoundError: No module named 'module_that_does_not_exist'" in ran.stdout


def test_continue_on_collection_errors(tmp_path: Path) -> None:
    native = run_native(copy_project("broken", tmp_path / "n"), "--continue-on-collection-errors")
    ran = run_harness(copy_project("broken", tmp_path / "h"), "--continue-on-collection-errors")
    assert ran.returncode == native.returncode == 1
    assert ran.summary == native.summary == "1 passed, 1 error"


def test_selection_maxfail_and_exit_codes(tmp_path: Path) -> None:
    """-k, -m, -x and 'no tests' behave (and exit) as natively, in one runtime boot each."""
    project = copy_project("basic", tmp_path)
    cases = [
        (["-k", "param"], 1, "1 failed, 2 passed, 12 deselected"),
        (["-m", "slow"], 0, "1 passed, 14 deselected"),
        (["-k", "no_such_test"], 5, "15 deselected"),
    ]
    for args, code, summary in cases:
        native = run_native(project, "-p", "no:cacheprovider", *args)
        ran = run_harness(project, "-p", "no:cacheprovider", *args)
        assert (ran.returncode, ran.summary) == (native.returncode, native.summary), args
        assert ran.returncode == code, (args, ran.stdout)
        assert ran.summary == summary


def test_stop_after_first_failure(tmp_path: Path) -> None:
    project = copy_project("basic", tmp_path)
    native = run_native(project, "-p", "no:cacheprovider", "-x")
    ran = run_harness(project, "-p", "no:cacheprovider", "-x")
    assert ran.returncode == native.returncode == 1
    assert ran.summary == native.summary == "1 failed, 1 passed"
    assert "stopping after 1 failures" in ran.stdout


def test_missing_file_argument_is_usage_error(tmp_path: Path) -> None:
    project = copy_project("basic", tmp_path)
    native = run_native(project, "no_such_file.py")
    ran = run_harness(project, "no_such_file.py")
    assert ran.returncode == native.returncode == 4
    assert "file or directory not found: no_such_file.py" in ran.stderr


def test_collect_only_tree_matches_native(tmp_path: Path) -> None:
    project = copy_project("basic", tmp_path)
    for args in (["--collect-only"], ["--collect-only", "-q"]):
        native = run_native(project, "-p", "no:cacheprovider", *args)
        ran = run_harness(project, "-p", "no:cacheprovider", *args)
        assert ran.returncode == native.returncode == 0

        def listing(out: str) -> list[str]:
            lines = out.splitlines()
            start = next((i for i, ln in enumerate(lines) if ln.startswith(("collected", "test_"))), 0)
            return [ln for ln in lines[start:] if " in " not in ln]

        assert listing(ran.stdout) == listing(native.stdout)
        assert "<Class TestGroup>" in ran.stdout or "-q" in args


@pytest.mark.parametrize("pyodide", ["0.27.4", "314.0.7"])
def test_recursion_and_sockets_behave_as_on_cpython(tmp_path: Path, pyodide: str) -> None:
    native = run_native(copy_project("semantics", tmp_path / "n"), "-p", "no:cacheprovider")
    ran = run_harness(copy_project("semantics", tmp_path / "h"), "-p", "no:cacheprovider", pyodide=pyodide)
    assert ran.returncode == native.returncode == 0, ran.stdout + ran.stderr
    assert ran.summary == native.summary == "5 passed"
    assert "restarting the runtime" not in ran.stdout


@pytest.mark.parametrize("pyodide", ["0.27.4", *PYODIDE_VERSIONS])
def test_working_directory_is_importable_on_every_version(tmp_path: Path, pyodide: str) -> None:
    """As under ``python -m pytest``: Pyodide >= 0.28 gets this from its "" entry, older
    releases had their own start directory there instead."""
    native_dir = copy_project("cwdimport", tmp_path / "native")
    harness_dir = copy_project("cwdimport", tmp_path / "harness")
    native = run_native(native_dir, "-p", "no:cacheprovider")
    ran = run_harness(harness_dir, "-p", "no:cacheprovider", pyodide=pyodide)
    assert ran.returncode == native.returncode == 0, ran.stdout + ran.stderr
    assert ran.summary == native.summary == "2 passed"


@pytest.mark.parametrize("pyodide", ["314.0.7", "0.27.4"])
def test_environment_matches_native(tmp_path: Path, pyodide: str) -> None:
    """HOME is the runtime's own home (expanduser works) and temp dirs exist."""
    native = run_native(copy_project("environ", tmp_path / "n"), "-p", "no:cacheprovider")
    ran = run_harness(copy_project("environ", tmp_path / "h"), "-p", "no:cacheprovider", pyodide=pyodide)
    assert (ran.returncode, ran.summary) == (native.returncode, native.summary) == (0, "2 passed"), ran.stdout


def test_subtest_labels_and_counts_match_native(tmp_path: Path) -> None:
    """Subtest parameters print as natively (ints, tuples, objects, uncopyable values) and
    no subtest report is counted as a test."""
    native = run_native(copy_project("subtests", tmp_path / "n"), "-p", "no:cacheprovider", "-rA")
    ran = run_harness(copy_project("subtests", tmp_path / "h"), "-p", "no:cacheprovider", "-rA")

    def labels(stdout: str) -> list[str]:
        return [re.sub(r"0x[0-9a-f]+", "ADDR", ln) for ln in stdout.splitlines() if ln.startswith(("SUB", "FAILED"))]

    assert (ran.returncode, ran.summary) == (native.returncode, native.summary), ran.stdout
    assert ran.summary.startswith("6 failed, 2 passed")
    assert labels(ran.stdout) == labels(native.stdout)
    assert "SUBFAILED(i=2)" in ran.stdout and "data=[1, {'k': (1, 2)}]" in ran.stdout


def test_split_out_stdlib_module_that_cannot_be_had_fails_with_its_hint(tmp_path: Path) -> None:
    """0.27.x ships ssl, sqlite3, lzma ... as lock packages. The harness loads them when
    their files can be had; here Pyodide's CDN is unreachable and nothing is cached (a
    private package URL on a closed port): the header says so and the failure says how."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "test_ssl.py").write_text("def test_ssl():\n    import ssl\n")
    ran = run_harness(
        project,
        "--junitxml=out.xml",
        pyodide="0.27.4",
        harness_args=("--package-url", "http://127.0.0.1:9/{version}/"),
        env={"HARNESS_CACHE": str(tmp_path / "cache")},
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "split-out stdlib modules not available" in ran.stdout and "ssl" in ran.stdout
    assert "module ssl is not in this runtime (TLS); add it with --with ssl" in ran.stdout
    assert (
        "[WebAssembly limitation: not possible in Pyodide: module ssl is not in this runtime"
        in (project / "out.xml").read_text()
    )
