"""Pyodide core distributions (harness.provision.distribution) and the atomic cache helpers they rely on.

Real npm, no mocks. The happy path uses the real cache (one ~6 MB download per machine);
error cases use a throw-away HARNESS_CACHE.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.provision import distribution as dist
from harness.provision.store import atomic_dir, atomic_write_bytes, cache_root


@pytest.fixture(scope="session")
def dist314() -> dist.Distribution:
    return dist.resolve(None, None)


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No npm on PATH and no subprocess at all: proves a code path needs neither."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"unexpected subprocess: {args!r}")

    monkeypatch.setattr(subprocess, "Popen", refuse)


def error_of(fn, *args) -> str:
    """The HarnessError message of ``fn(*args)``, checked to be one line."""
    with pytest.raises(HarnessError) as info:
        fn(*args)
    message = str(info.value)
    assert "\n" not in message and message
    assert info.value.exit_code == 4
    return message


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".tmp-"))


# --- resolve from npm / the cache ---------------------------------------------------------


def test_resolve_default_version(dist314: dist.Distribution) -> None:
    assert dist314.version == dist.DEFAULT_VERSION == "314.0.7"
    assert dist314.python.startswith("3.14.")
    assert dist314.python_xy == "3.14"
    assert dist314.platform.startswith("emscripten")
    assert dist314.arch == "wasm32"
    assert dist314.abi_version == "2026_0"
    assert dist314.path.is_absolute()
    assert dist314.path == cache_root() / "pyodide" / "314.0.7"
    for name in [*dist.REQUIRED_FILES, "pyodide.asm.mjs", "package.json"]:
        assert (dist314.path / name).stat().st_size > 0


def test_second_resolve_is_offline(dist314: dist.Distribution, offline: None) -> None:
    assert dist.resolve("314.0.7", None) == dist314
    assert "314.0.7" in dist.cached_versions()


def test_unknown_version(tmp_cache: Path) -> None:
    assert error_of(dist.resolve, "9.9.9", None) == "no Pyodide release 9.9.9 on npm"
    assert leftovers(tmp_cache / "pyodide") == []
    assert dist.cached_versions() == []


@pytest.mark.parametrize("bad", ["../x", "1.2.3 x", "latest", "0.27", "1.2.3/4", "1.2.3-", "-1.2.3"])
def test_invalid_version_string(bad: str, tmp_cache: Path, offline: None) -> None:
    assert error_of(dist.resolve, bad, None).startswith(f"invalid Pyodide version {bad!r}")


def test_npm_missing(tmp_cache: Path, offline: None) -> None:
    assert error_of(dist.resolve, "0.27.8", None) == ("npm not found; install Node.js 20+ (apt-get install nodejs npm)")


def test_damaged_cache_entry_is_fetched_again(dist314: dist.Distribution, tmp_cache: Path) -> None:
    entry = tmp_cache / "pyodide" / "314.0.7"
    shutil.copytree(dist314.path, entry)
    (entry / "python_stdlib.zip").unlink()
    assert dist.resolve("314.0.7", None) == dist.Distribution(**{**vars(dist314), "path": entry, "cached": True})
    assert (entry / "python_stdlib.zip").stat().st_size > 0
    assert leftovers(tmp_cache / "pyodide") == []


def test_cached_versions_sorted(tmp_cache: Path) -> None:
    for name in ["314.0.7", "0.27.8", "315.0.0-alpha.2", "0.9.0", ".tmp-abc"]:
        (tmp_cache / "pyodide" / name).mkdir(parents=True)
    assert dist.cached_versions() == ["0.9.0", "0.27.8", "314.0.7", "315.0.0-alpha.2"]


# --- --dist-dir ---------------------------------------------------------------------------


@pytest.fixture
def dist_copy(dist314: dist.Distribution, tmp_path: Path) -> Path:
    return Path(shutil.copytree(dist314.path, tmp_path / "dist"))


def test_dist_dir_is_used_in_place(dist314: dist.Distribution, dist_copy: Path, offline: None) -> None:
    assert dist.resolve("0.27.8", dist_copy) == dist.Distribution(
        **{**vars(dist314), "path": dist_copy, "cached": False}
    )
    (dist_copy / "package.json").unlink()
    assert dist.resolve(None, dist_copy).version == "local"  # 314's lock has no version either


@pytest.mark.parametrize("missing", ["pyodide.asm.wasm", "pyodide.mjs", "python_stdlib.zip", "pyodide-lock.json"])
def test_dist_dir_missing_file(dist_copy: Path, missing: str) -> None:
    (dist_copy / missing).unlink()
    assert error_of(dist.resolve, None, dist_copy) == (f"{dist_copy} is not a Pyodide distribution: missing {missing}")


def test_dist_dir_missing_glue(dist_copy: Path) -> None:
    (dist_copy / "pyodide.asm.mjs").unlink()
    assert error_of(dist.resolve, None, dist_copy).endswith("missing pyodide.asm.js or pyodide.asm.mjs")
    (dist_copy / "pyodide.asm.js").write_text("// glue of 0.29 and older")
    assert dist.resolve(None, dist_copy).python_xy == "3.14"


def test_dist_dir_empty_file(dist_copy: Path) -> None:
    (dist_copy / "python_stdlib.zip").write_bytes(b"")
    assert error_of(dist.resolve, None, dist_copy).endswith("python_stdlib.zip is empty or not a file")


@pytest.mark.parametrize(
    ("lock", "detail"),
    [
        ('{"info": {"python": "3.14.2"', "does not parse: Expecting"),
        ("[1, 2]", "does not parse: expected objects 'info' and 'packages'"),
        ('{"info": {"python": "3.14.2", "platform": "emscripten_5"}}', "expected objects"),
        ('{"info": {"platform": "emscripten_5"}, "packages": {}}', "bad info.python None"),
        (
            '{"info": {"python": "3.14.2", "platform": "linux"}, "packages": {}}',
            "bad info.platform 'linux'",
        ),
    ],
)
def test_dist_dir_bad_lock(dist_copy: Path, lock: str, detail: str) -> None:
    (dist_copy / "pyodide-lock.json").write_text(lock)
    message = error_of(dist.resolve, None, dist_copy)
    assert message.startswith(f"{dist_copy / 'pyodide-lock.json'} does not parse: ")
    assert detail in message


def test_dist_dir_old_lock_format(dist_copy: Path) -> None:
    """Locks of 0.25 to 0.27 carry info.version and no abi_version; both are optional."""
    info = {
        "arch": "wasm32",
        "platform": "emscripten_3_1_46",
        "python": "3.11.3",
        "version": "0.25.1",
    }
    (dist_copy / "pyodide-lock.json").write_text(json.dumps({"info": info, "packages": {}}))
    (dist_copy / "package.json").unlink()
    found = dist.resolve(None, dist_copy)
    assert (found.version, found.python_xy, found.abi_version) == ("0.25.1", "3.11", None)


def test_dist_dir_nonexistent(tmp_path: Path) -> None:
    assert error_of(dist.resolve, None, tmp_path / "nope") == (
        f"{tmp_path / 'nope'} is not a Pyodide distribution: no such directory"
    )


def test_dist_dir_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    assert error_of(dist.resolve, None, tmp_path / "f").endswith("not a directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads anything")
def test_dist_dir_unreadable(dist_copy: Path) -> None:
    dist_copy.chmod(0)
    try:
        assert error_of(dist.resolve, None, dist_copy).startswith(f"cannot read {dist_copy}")
    finally:
        dist_copy.chmod(0o755)


# --- harness.provision.store ------------------------------------------------------------------


def test_cache_root_from_env(tmp_cache: Path) -> None:
    assert cache_root() == tmp_cache and tmp_cache.is_dir()


def test_cache_root_unusable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "file" / "cache"))
    assert error_of(cache_root).startswith(f"cannot create cache directory {tmp_path / 'file' / 'cache'}")


def test_atomic_dir_populates(tmp_path: Path) -> None:
    final = tmp_path / "entry"
    with atomic_dir(final) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".tmp-")
        (tmp / "a").write_text("1")
        assert not final.exists()
    assert (final / "a").read_text() == "1"
    assert leftovers(tmp_path) == []


def test_atomic_dir_existing_winner_is_kept(tmp_path: Path) -> None:
    final = tmp_path / "entry"
    with atomic_dir(final) as tmp:
        (tmp / "mine").write_text("late")
        final.mkdir()  # a concurrent process finished first
        (final / "theirs").write_text("first")
    assert sorted(p.name for p in final.iterdir()) == ["theirs"]
    assert leftovers(tmp_path) == []


def test_atomic_dir_failure_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "entry") as tmp:
        (tmp / "half").write_text("x")
        raise RuntimeError("killed half-way")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_atomic_write_bytes(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]
