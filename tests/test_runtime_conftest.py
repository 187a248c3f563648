"""A project whose conftest imports a package that exists only in the runtime: the host
imports no conftest, and the conftest's options, ini keys, header lines, collection
changes and terminal summary behave as natively."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest
from helpers import copy_project, pip, run_harness, run_native

pytestmark = pytest.mark.usefixtures("warm_dists")


@pytest.fixture(scope="module")
def humanize_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """humanize for the *native* run only (on PYTHONPATH); the harness's host never has it."""
    wheels = tmp_path_factory.mktemp("wheels")
    pip("download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(wheels), "humanize")
    site = tmp_path_factory.mktemp("site")
    for wheel in wheels.glob("*.whl"):
        zipfile.ZipFile(wheel).extractall(site)
    return site


def test_the_host_lacks_the_package() -> None:
    """What every test here relies on: the harness's host cannot import humanize (the runs
    start this interpreter), so whatever works, works in the runtime alone."""
    assert importlib.util.find_spec("humanize") is None


def progress(stdout: str) -> list[str]:
    return [line.split(" ")[0] for line in stdout.splitlines() if "::" in line and line.rstrip().endswith("]")]


@pytest.mark.parametrize("args", [["-v", "--greeting", "bonjour"], ["-v", "--runslow"]])
def test_options_header_order_and_summary_match_native(tmp_path: Path, humanize_path: Path, args: list[str]) -> None:
    native = run_native(copy_project("runtime_conftest", tmp_path / "n"), *args, env={"PYTHONPATH": str(humanize_path)})
    ran = run_harness(copy_project("runtime_conftest", tmp_path / "h"), *args, harness_args=("--with", "humanize"))
    assert (ran.returncode, ran.summary) == (native.returncode, native.summary), ran.stdout + ran.stderr
    assert progress(ran.stdout) == progress(native.stdout)  # collection_modifyitems reordered both
    for line in ("humanize says: 1,234,567", "flavour: tangy"):
        assert line in native.stdout and line in ran.stdout
    words = "three" if "--runslow" in args else "two"
    assert (
        f"conftest summary: {ran.summary.count('passed') and ran.summary.split()[0]} passed, {words} in words"
        in ran.stdout
    )
    assert "ImportError" not in ran.stdout + ran.stderr


def test_conftest_options_work_in_ini_addopts_and_unknown_ones_are_refused(tmp_path: Path) -> None:
    project = copy_project("runtime_conftest", tmp_path)
    ini = project / "pytest.ini"
    ini.write_text(ini.read_text() + "addopts = --runslow\n")
    ran = run_harness(project, harness_args=("--with", "humanize"))
    assert (ran.returncode, ran.summary) == (0, "3 passed"), ran.stdout + ran.stderr
    bogus = run_harness(project, "--no-such-option", harness_args=("--with", "humanize"))
    assert bogus.returncode == 4
    assert "unrecognized arguments: --no-such-option" in bogus.stderr


def test_without_the_package_the_runtime_reports_the_conftest_import_error(tmp_path: Path) -> None:
    ran = run_harness(copy_project("runtime_conftest", tmp_path))
    assert ran.returncode == 4
    assert "ImportError while loading conftest" in ran.stderr and "humanize" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_an_ini_key_nobody_knows_is_warned_about_once(tmp_path: Path, humanize_path: Path) -> None:
    """Both sides' pytest know nothing of the key; the runtime's warning is shown, once, as natively."""
    runs = []
    for name in ("n", "h"):
        project = copy_project("runtime_conftest", tmp_path / name)
        ini = project / "pytest.ini"
        ini.write_text(ini.read_text() + "no_such_key = 1\n")
        runs.append(project)
    native = run_native(runs[0], env={"PYTHONPATH": str(humanize_path)})
    ran = run_harness(runs[1], harness_args=("--with", "humanize"))
    assert (ran.returncode, ran.summary) == (native.returncode, native.summary) == (0, "2 passed, 1 skipped, 1 warning")
    message = "PytestConfigWarning: Unknown config option: no_such_key"
    assert ran.stdout.count(message) == native.stdout.count(message) == 1, ran.stdout
