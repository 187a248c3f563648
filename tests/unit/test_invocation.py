"""What the runtime is told about the host's invocation: environment, mounts, path args."""

from __future__ import annotations

import os
from pathlib import Path

from harness.provision.invocation import HOST_ONLY_ENV, host_umask, mount_points, path_args, runtime_env


def test_host_only_variables_and_addopts() -> None:
    env, unset = runtime_env(
        {
            "HOME": "/root",
            "TMPDIR": "/var/tmp/me",
            "PWD": "/somewhere",
            "PYTHONPATH": "/x",
            "API_TOKEN": "s3",
            "PYTEST_ADDOPTS": "-v --harness-timeout 3 -x",
        }
    )
    # HOME stays the runtime's own (not passed, not unset); temp dirs point at the runtime's
    assert env == {"API_TOKEN": "s3", "TMPDIR": "/tmp", "PYTEST_ADDOPTS": "-v -x"}
    assert unset == ("PYTHONPATH",)
    assert {"HOME", "TMPDIR", "PWD", "PYTHONPATH"} <= set(HOST_ONLY_ENV)


def test_mount_points_are_the_smallest_covering_set(tmp_path: Path) -> None:
    (tmp_path / "proj" / "tests").mkdir(parents=True)
    (tmp_path / "site").mkdir()
    conf = tmp_path / "cfg.toml"
    conf.write_text("")
    mounts = mount_points([tmp_path / "proj", tmp_path / "proj" / "tests", tmp_path / "site", conf])
    # nested directories collapse into their ancestor; a file contributes its directory
    assert mounts == (tmp_path,)


def test_sibling_directories_stay_separate(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "c").mkdir(parents=True)
    assert set(mount_points([tmp_path / "a", tmp_path / "b" / "c", tmp_path / "b"])) == {tmp_path / "a", tmp_path / "b"}


def test_the_root_directory_is_never_mounted() -> None:
    assert mount_points([Path("/")]) == ()


def test_path_args_are_existing_paths_with_node_id_suffixes_removed(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("")
    args = ["-k", "tests/test_x.py::test_y[1]", "tests", "missing.py", "-v"]
    assert path_args(args, tmp_path) == [tmp_path / "tests" / "test_x.py", tmp_path / "tests"]


def test_host_umask_reads_without_changing_it() -> None:
    before = os.umask(0o027)
    try:
        assert host_umask() == 0o027
        assert host_umask() == 0o027
    finally:
        os.umask(before)
