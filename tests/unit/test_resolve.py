"""Resolution order (harness.provision.resolve): local files, then Pyodide's lock, then pip.

The walk over local wheels and the lock is exercised without pip: what is left for PyPI is
what ``Resolver.pip_requirements`` holds. Wheels and the lock's files are built here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from helpers import make_wheel
from packaging.requirements import Requirement

from harness.errors import HarnessError
from harness.provision import lock as lockfile
from harness.provision.resolve import NotCompatible, Request, Resolver, best_wheels, is_path
from harness.provision.tags import runtime_tags

TAGS = runtime_tags("3.14", "2026_0", "emscripten_5_0_3", "wasm32", "2026_0")


@pytest.fixture
def dist_dir(tmp_path: Path) -> Path:
    """A full distribution's package files and lock: numpy (no deps), pandas -> numpy, six."""
    root = tmp_path / "dist"
    root.mkdir()
    packages = {}
    for name, version, depends in [
        ("numpy", "2.4.6", []),
        ("pandas", "2.3.0", ["numpy", "six"]),
        ("six", "1.17.0", []),
    ]:
        tag = "py3-none-any" if name == "six" else "cp314-cp314-pyemscripten_2026_0_wasm32"
        wheel = make_wheel(root, name, version, tag)
        sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
        packages[name] = {"name": name, "version": version, "file_name": wheel.name, "sha256": sha, "depends": depends}
    (root / "pyodide-lock.json").write_text(json.dumps({"info": {}, "packages": packages}))
    return root


def resolver(dist_dir: Path | None, **kw: object) -> Resolver:
    lock = lockfile.read(dist_dir / "pyodide-lock.json") if dist_dir else None
    request = Request(tags=TAGS, python_full="3.14.2", label="Pyodide 314.0.7", lock=lock, dist_dir=dist_dir, **kw)  # type: ignore[arg-type]
    return Resolver(request)


def test_lock_closure_then_pip(dist_dir: Path, tmp_cache: Path) -> None:
    r = resolver(dist_dir)
    for text in ["pandas", "msgpack==1.2.4", "numpy<3"]:
        r._add(Requirement(text), via="--with")
    assert {n: (c.source, c.version) for n, c in r.chosen.items()} == {
        "numpy": ("lock", "2.4.6"),
        "six": ("lock", "1.17.0"),
        "pandas": ("lock", "2.3.0"),
    }
    assert r.pip_requirements == ["msgpack==1.2.4"]
    assert all(c.path.is_relative_to(tmp_cache / "files") for c in r.chosen.values())


def test_a_pin_the_lock_does_not_satisfy_goes_to_pypi(dist_dir: Path, tmp_cache: Path) -> None:
    r = resolver(dist_dir)
    r._add(Requirement("numpy==2.3.0"), via="--with")
    assert r.chosen == {} and r.pip_requirements == ["numpy==2.3.0"]


def test_find_links_before_the_lock(dist_dir: Path, tmp_path: Path, tmp_cache: Path) -> None:
    links = tmp_path / "links"
    links.mkdir()
    make_wheel(links, "six", "1.16.0")
    make_wheel(links, "numpy", "9.0", "cp313-cp313-pyemscripten_2025_0_wasm32")  # not for this runtime
    from harness.provision.resolve import _scan_find_links

    r = resolver(dist_dir, find_links=(links,))
    r.local = _scan_find_links([links], TAGS)
    r._add(Requirement("pandas"), via="--with")
    sources = {n: (c.source, c.version) for n, c in r.chosen.items()}
    assert sources == {"numpy": ("lock", "2.4.6"), "six": ("find-links", "1.16.0"), "pandas": ("lock", "2.3.0")}


def test_local_wheel_dependencies_follow_the_order(dist_dir: Path, tmp_path: Path, tmp_cache: Path) -> None:
    wheel = make_wheel(tmp_path, "mine", "1.0", requires=("numpy>=2", "attrs; python_version < '3.10'", "rich"))
    r = resolver(dist_dir)
    r._choose_wheel(wheel, "wheel")
    assert {n: c.source for n, c in r.chosen.items()} == {"mine": "wheel", "numpy": "lock"}
    assert r.pip_requirements == ["rich"]  # the marker of attrs is false in the runtime


def test_conflict_with_a_chosen_package(dist_dir: Path, tmp_cache: Path) -> None:
    r = resolver(dist_dir)
    r._add(Requirement("numpy"), via="--with")
    with pytest.raises(HarnessError) as info:
        r._add(Requirement("numpy>=3"), via="mine 1.0")
    assert str(info.value) == (
        "conflict: mine 1.0 requires numpy>=3, but numpy 2.4.6 was chosen "
        "(Pyodide's lock: numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl)"
    )


def test_best_wheel_per_project_and_not_compatible(tmp_path: Path) -> None:
    w313 = make_wheel(tmp_path, "m", "1.0", "cp313-cp313-pyemscripten_2025_0_wasm32")
    w314 = make_wheel(tmp_path, "m", "1.0", "cp314-cp314-pyemscripten_2026_0_wasm32")
    pure = make_wheel(tmp_path, "m", "1.0", "py3-none-any")
    assert best_wheels([w313, pure, w314], TAGS, "Pyodide 314.0.7") == {"m": w314}
    with pytest.raises(NotCompatible) as info:
        best_wheels([w313], TAGS, "Pyodide 314.0.7")
    assert str(info.value) == (
        f"{w313.name} does not fit Pyodide 314.0.7, which accepts cp314-cp314/abi3 on pyemscripten_2026_0_wasm32 "
        "or pyodide_2026_0_wasm32 or emscripten_5_0_3_wasm32, or pure (py3-none-any)"
    )


@pytest.mark.parametrize(
    ("text", "path"),
    [("./dist/x-1.0-py3-none-any.whl", True), ("x-1.0-py3-none-any.whl", True), ("msgpack==1.2.4", False),
     ("x @ file:///tmp/x-1.0-py3-none-any.whl", False), ("x[extra]", False)],
)  # fmt: skip
def test_is_path(text: str, path: bool) -> None:
    assert is_path(text) is path


def test_marker_environment_is_the_runtime() -> None:
    env = resolver(None).request.marker_env()
    assert env["sys_platform"] == "emscripten" and env["platform_machine"] == "wasm32"
    assert env["python_version"] == "3.14" and env["python_full_version"] == "3.14.2"
