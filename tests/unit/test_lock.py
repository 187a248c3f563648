"""Pyodide's lock (harness.provision.lock): parsing, dependency closure, URLs, sha256-checked copies."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.provision import lock as lockfile


def write_lock(path: Path, packages: dict[str, dict[str, object]]) -> Path:
    entries = {}
    for name, entry in packages.items():
        entries[name] = {
            "name": name,
            "version": "1.0",
            "file_name": f"{name}-1.0-py3-none-any.whl",
            "sha256": "0" * 64,
        }
        entries[name].update(entry)
    path.write_text(json.dumps({"info": {"python": "3.14.2", "platform": "emscripten_5_0_3"}, "packages": entries}))
    return path


def test_closure_is_dependencies_first(tmp_path: Path) -> None:
    lock = lockfile.read(
        write_lock(
            tmp_path / "l.json",
            {
                "pandas": {"depends": ["numpy", "python-dateutil"]},
                "numpy": {},
                "python-dateutil": {"depends": ["six"]},
                "six": {},
                "ssl": {"depends": ["libopenssl"], "package_type": "cpython_module"},
                "libopenssl": {
                    "file_name": "libopenssl-1.1.1w.zip",
                    "install_dir": "dynlib",
                    "package_type": "shared_library",
                },
            },
        )
    )
    assert [p.name for p in lock.closure("Pandas")] == ["numpy", "six", "python-dateutil", "pandas"]
    ssl = lock.closure("ssl")
    assert [(p.name, p.install_dir, p.is_wheel) for p in ssl] == [
        ("libopenssl", "dynlib", False),
        ("ssl", "site", True),
    ]
    assert lock.get("PYTHON_DATEUTIL") is not None and lock.get("nope") is None


def test_closure_with_a_missing_dependency(tmp_path: Path) -> None:
    lock = lockfile.read(write_lock(tmp_path / "l.json", {"a": {"depends": ["b"]}}))
    with pytest.raises(HarnessError, match="a depends on b, which the lock does not list"):
        lock.closure("a")


@pytest.mark.parametrize(
    ("content", "detail"),
    [("{", "does not parse: Expecting"), ('{"packages": []}', "expected an object 'packages'")],
)
def test_malformed(tmp_path: Path, content: str, detail: str) -> None:
    (tmp_path / "l.json").write_text(content)
    with pytest.raises(HarnessError, match=detail):
        lockfile.read(tmp_path / "l.json")


def test_entry_without_sha(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="package 'a' lacks one of name, version, file_name, sha256"):
        lockfile.read(write_lock(tmp_path / "l.json", {"a": {"sha256": ""}}))


def test_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(lockfile.PACKAGE_URL_ENV, raising=False)
    assert lockfile.base_url("314.0.7", None) == "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/"
    monkeypatch.setenv(lockfile.PACKAGE_URL_ENV, "http://mirror/pyodide/{version}")
    assert lockfile.base_url("0.27.7", None) == "http://mirror/pyodide/0.27.7/"
    assert lockfile.base_url("0.27.7", "http://other/x/") == "http://other/x/"


def test_absolute_file_name() -> None:
    package = lockfile.LockPackage("a", "1", "https://host/a.whl", "0" * 64, (), "package", "site")
    assert lockfile.url_of(package, "http://mirror/") == "https://host/a.whl"


def test_fetch_from_a_full_dist_dir(tmp_path: Path, tmp_cache: Path) -> None:
    data = b"wheel bytes"
    (tmp_path / "a-1.0-py3-none-any.whl").write_bytes(data)
    good = lockfile.LockPackage(
        "a", "1.0", "a-1.0-py3-none-any.whl", hashlib.sha256(data).hexdigest(), (), "package", "site"
    )
    stored = lockfile.fetch(good, "http://127.0.0.1:9/", tmp_path, "Pyodide 314.0.7")
    assert stored.read_bytes() == data and stored.is_relative_to(tmp_cache)
    bad = lockfile.LockPackage("b", "1.0", "a-1.0-py3-none-any.whl", "f" * 64, (), "package", "site")
    with pytest.raises(HarnessError) as info:
        lockfile.fetch(bad, "http://127.0.0.1:9/", tmp_path, "Pyodide 314.0.7")
    assert str(info.value).startswith("sha256 mismatch for a-1.0-py3-none-any.whl from ")
    assert "Pyodide 314.0.7's pyodide-lock.json says ffff" in str(info.value)
