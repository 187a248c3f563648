"""No harness option changes what pytest does natively: rootdir, node ids, ``.pytest_cache``.

Each path-valued option is given a path outside the project (a sibling directory), which
pytest would fold into rootdir if the value ever reached its argument list.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_harness

from harness.provision import distribution as dist

pytestmark = pytest.mark.usefixtures("warm_dists")


def _layout(tmp_path: Path) -> tuple[Path, Path]:
    project = tmp_path / "work" / "project"
    project.mkdir(parents=True)
    (project / "test_ok.py").write_text("import covered\n\n\ndef test_ok():\n    assert covered.ONE == 1\n")
    (project / "covered.py").write_text("ONE = 1\n")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / ".coveragerc").write_text("[run]\nbranch = false\n")
    (outside / "requirements.txt").write_text("# nothing beyond pytest\n")
    return project, outside


@pytest.mark.parametrize(
    "option",
    ["--dist-dir", "--requirements", "--cov-config", "--cov", "--cov-report"],
)
def test_path_option_keeps_native_rootdir(tmp_path: Path, option: str) -> None:
    project, outside = _layout(tmp_path)
    values = {
        "--dist-dir": ["--dist-dir", str(dist.resolve("314.0.7", None).path)],
        "--requirements": ["--requirements", str(outside / "requirements.txt")],
        "--cov-config": ["--cov", str(project), "--cov-config", str(outside / ".coveragerc")],
        "--cov": ["--cov", str(outside), "--cov", str(project)],
        "--cov-report": ["--cov", str(project), "--cov-report", f"html:{outside / 'html'}"],
    }[option]
    ran = run_harness(project, "-v", harness_args=tuple(values))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"rootdir: {project}\n" in ran.stdout
    assert "test_ok.py::test_ok PASSED" in ran.stdout.replace("\n", " ")
    assert (project / ".pytest_cache").is_dir()
    for place in (outside, tmp_path / "work", tmp_path):
        assert not (place / ".pytest_cache").exists(), place


def test_plugin_mode_refuses_a_detached_path_value(tmp_path: Path) -> None:
    """pytest reads rootdir before loading ``-p harness.plugin``: a separate value that names a
    path would be taken for a test path, so it is refused with the spelling that works."""
    project, outside = _layout(tmp_path)
    dist_dir = str(dist.resolve("314.0.7", None).path)
    base = [sys.executable, "-m", "pytest", "-p", "harness.plugin", "--harness-runtime", "node", "-v"]
    refused = subprocess.run([*base, "--harness-dist-dir", dist_dir], cwd=project, capture_output=True, text=True)
    assert refused.returncode == 4
    assert refused.stderr.strip() == (
        "ERROR: pytest takes the separate value of --harness-dist-dir for a test path (it moves rootdir): "
        f"write --harness-dist-dir={dist_dir}"
    )
    ran = subprocess.run([*base, f"--harness-dist-dir={dist_dir}"], cwd=project, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"rootdir: {project}\n" in ran.stdout and "test_ok.py::test_ok PASSED" in ran.stdout
    assert not (Path(dist_dir) / ".pytest_cache").exists()
