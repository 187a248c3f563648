"""What a runtime gets of the host: directories, and files outside them (never their folder)."""

from __future__ import annotations

from pathlib import Path

from harness.host.controller import rootdir_reads
from harness.provision.invocation import mount_dirs, mount_points


def test_a_file_outside_every_directory_stays_a_file(tmp_path: Path) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "pkg").mkdir(parents=True)
    elsewhere.mkdir()
    inside, outside = project / "pkg" / "setup.cfg", elsewhere / ".coveragerc"
    inside.write_text("")
    outside.write_text("")
    points = mount_points([project, project / "pkg", inside, outside, Path("/")])
    assert points == (project, outside)
    # Node mounts directories only: the file's directory stands for it there.
    assert mount_dirs(points) == (elsewhere, project)


def test_rootdir_elsewhere_gives_only_its_ini_file_and_cache(tmp_path: Path) -> None:
    project, cfg = tmp_path / "project", tmp_path / "cfg"
    project.mkdir()
    (cfg / ".pytest_cache").mkdir(parents=True)
    (cfg / "pytest.ini").write_text("[pytest]\n")
    (cfg / "private.txt").write_text("not read by the run")
    assert rootdir_reads(cfg, cfg / "pytest.ini", project) == [cfg / "pytest.ini", cfg / ".pytest_cache"]
    assert rootdir_reads(tmp_path, None, project) == [tmp_path]  # the project's own root: all of it
    assert rootdir_reads(project, None, project) == [project]
