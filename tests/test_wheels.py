"""The runtime's site-packages (harness.provision.wheels), resolved by the real pip on real PyPI.

Happy paths use the real cache (downloads once per machine); error cases a throw-away one.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.provision import distribution as dist
from harness.provision import wheels
from harness.provision.boot import site_for
from harness.provision.store import cache_root


@functools.cache
def dist314() -> Path:
    """The real cache's 314.0.7 core, used as --dist-dir so a throw-away cache needs no npm."""
    return dist.resolve("314.0.7", None).path


@pytest.fixture(scope="session", autouse=True)
def _real_core() -> None:
    dist314()  # before any test swaps the cache


def site_packages(with_: list[str], requirements: list[Path] | None = None) -> Path:
    settings = {"with_packages": tuple(with_), "requirements": tuple(requirements or ())}
    return site_for(None, dist_dir=dist314(), **settings).path  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sp314() -> Path:
    return site_packages([])


@pytest.fixture
def no_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"unexpected subprocess: {args!r}")

    monkeypatch.setattr(subprocess, "Popen", refuse)


def error_of(*args, **kwargs) -> str:
    """The HarnessError message of ``site_packages(...)``, checked to be one line."""
    with pytest.raises(HarnessError) as info:
        site_packages(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message and message
    return message


def dists(site: Path) -> dict[str, importlib.metadata.Distribution]:
    """What importlib.metadata finds in ``site`` alone, as the runtime will see it."""
    return {d.metadata["Name"].lower(): d for d in importlib.metadata.distributions(path=[str(site)])}


def test_base_requirements(sp314: Path) -> None:
    assert sp314.is_absolute() and sp314.parent == cache_root() / "site-packages"
    assert (sp314 / "pytest" / "__init__.py").is_file()
    assert (sp314 / "_pytest" / "python.py").is_file()
    assert (sp314 / "pluggy" / "__init__.py").is_file()
    assert len(list(sp314.glob("pytest-*.dist-info"))) == 1
    found = dists(sp314)
    assert {"pytest", "pluggy", "iniconfig", "packaging"} <= found.keys()
    manifest = json.loads((sp314 / wheels.MANIFEST).read_text())
    assert manifest["python"] == "3.14" and manifest["requirements"] == [f"pytest=={pytest.__version__}"]
    assert all(w["file"].endswith("-none-any.whl") and w["source"] == "pypi" for w in manifest["wheels"])
    assert all((cache_root() / "wheels" / w["file"]).is_file() for w in manifest["wheels"])
    assert manifest["dynlibs"] == []


def test_second_call_is_offline(sp314: Path, no_subprocess: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    start = time.perf_counter()
    assert site_packages([]) == sp314
    assert time.perf_counter() - start < 0.5


def test_user_pin_wins_and_plugins_are_discoverable() -> None:
    site = site_packages(["pytest==8.3.5", "pytest-timeout"])
    found = dists(site)
    assert found["pytest"].version == "8.3.5"
    assert [p.name for p in site.glob("pytest-*.dist-info")] == ["pytest-8.3.5.dist-info"]
    plugins = [ep for ep in found["pytest-timeout"].entry_points if ep.group == "pytest11"]
    assert [ep.value for ep in plugins] == ["pytest_timeout"]
    assert (site / "pytest_timeout.py").is_file()


def test_markers_are_those_of_the_runtime() -> None:
    """pip alone would evaluate these against the host (Linux, Python 3.11)."""
    site = site_packages(
        [
            "colorama; sys_platform == 'emscripten' and platform_machine == 'wasm32'",
            "six; sys_platform == 'linux'",
            "typing-extensions; python_version >= '3.14'",
        ],
    )
    assert {"colorama", "typing_extensions"} <= dists(site).keys()
    assert "six" not in dists(site)


def test_requirements_files(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("# test deps\nattrs\n")
    site = site_packages([], [req])
    assert "attrs" in dists(site)
    req.write_text("six\n")
    other = site_packages([], [req])
    assert other != site and "six" in dists(other) and "attrs" not in dists(other)


def test_damaged_entry_is_rebuilt(tmp_cache: Path) -> None:
    site = site_packages([])
    (site / wheels.MANIFEST).unlink()
    (site / "pytest" / "__init__.py").unlink()
    assert site_packages([]) == site
    assert (site / wheels.MANIFEST).is_file() and (site / "pytest" / "__init__.py").is_file()


def test_requirements_file_missing(tmp_path: Path, tmp_cache: Path, no_subprocess: None) -> None:
    assert error_of([], [tmp_path / "nope.txt"]).startswith(f"cannot read requirements file {tmp_path / 'nope.txt'}")


def test_no_wheel_for_the_runtime(tmp_cache: Path) -> None:
    message = error_of(["msgpack==0.1"])
    assert message.startswith(
        "no wheel of msgpack==0.1 for Pyodide 314.0.7, which accepts cp314-cp314/abi3 on pyemscripten_2026_0_wasm32 "
        "or pyodide_2026_0_wasm32 or emscripten_5_0_3_wasm32, or pure (py3-none-any): versions on PyPI with such a "
        "wheel: "
    )
    assert message.endswith("1.2.4; Pyodide's lock has msgpack 1.1.2")
    assert not (tmp_cache / "site-packages").exists() or not any((tmp_cache / "site-packages").iterdir())
    assert not any(p.name.startswith(".tmp-") for p in (tmp_cache / "wheels").iterdir())


def test_nonexistent_package(tmp_cache: Path) -> None:
    name = "harness-no-such-package-zq7"
    assert error_of([name]).startswith(f"no wheel of {name} for Pyodide 314.0.7, which accepts cp314-")


def test_lock_package_unreachable(tmp_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy is in Pyodide's lock (not on PyPI for Pyodide): its URL is unreachable here."""
    monkeypatch.setenv("HARNESS_PACKAGE_URL", "http://127.0.0.1:9/pyodide/v{version}/")
    message = error_of(["numpy"])
    assert message.startswith(
        "cannot fetch numpy 2.4.6 from Pyodide 314.0.7's lock at http://127.0.0.1:9/pyodide/v314.0.7/"
    )
    assert message.endswith(
        "and no copy is cached; point --package-url (or HARNESS_PACKAGE_URL) at a mirror, or use a full --dist-dir"
    )


def test_conflicting_pins(tmp_cache: Path) -> None:
    # pip's wording differs between releases; the one-line shape and the named pins do not.
    error = error_of(["pytest==8.3.5", "pluggy==1.0.0"])
    assert error.startswith("pip download failed for Pyodide 314.0.7: ") and "\n" not in error
    assert "pluggy==1.0.0" in error and "pytest==8.3.5" in error


def test_invalid_requirement(tmp_cache: Path, no_subprocess: None) -> None:
    assert error_of(["bad req!!"]) == "invalid requirement 'bad req!!' for --with"


def test_option_as_requirement(tmp_cache: Path, no_subprocess: None) -> None:
    assert "looks like a pip option" in error_of(["--index-url=http://x"])


def test_index_unreachable(tmp_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # no machine-wide find-links or mirrors
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "1")
    assert error_of([]) == "cannot reach the package index to download wheels for Pyodide 314.0.7 (offline?)"


def test_pip_missing(tmp_path: Path, tmp_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    python = tmp_path / "venv" / "bin" / "python"
    monkeypatch.setattr(sys, "executable", str(python))
    assert error_of([]) == f"pip is not available for {python}; install it (python -m ensurepip)"


def test_concurrent_builds_agree(tmp_cache: Path) -> None:
    """Three processes fill one empty cache at once: one entry, complete, no temp dirs left."""
    code = (
        "from harness.provision.boot import site_for; from pathlib import Path; "
        f"print(site_for(None, dist_dir=Path({str(dist314())!r}), with_packages=('attrs',)).path)"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert len(outputs) == 1
    site = Path(outputs.pop())
    assert {"attrs", "pytest"} <= dists(site).keys()
    assert [p.name for p in (tmp_cache / "site-packages").iterdir()] == [site.name]
    assert not any(p.name.startswith(".tmp-") for p in (tmp_cache / "wheels").iterdir())


def test_unpack_layout(tmp_path: Path) -> None:
    """``.data/purelib`` and ``platlib`` go to the root; scripts, data and unsafe paths do not."""
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("demo/__init__.py", "x = 1\n")
        zf.writestr("demo-1.0.dist-info/entry_points.txt", "[pytest11]\ndemo = demo\n")
        zf.writestr("demo-1.0.data/purelib/demo_extra.py", "")
        zf.writestr("demo-1.0.data/platlib/demo_plat/__init__.py", "")
        zf.writestr("demo-1.0.data/scripts/demo-cli", "#!python\n")
        zf.writestr("demo-1.0.data/data/share/demo.txt", "")
        zf.writestr("../escape.py", "")
    dest = tmp_path / "site"
    dest.mkdir()
    wheels._unpack(wheel, dest)
    files = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert files == [
        "demo-1.0.dist-info/entry_points.txt",
        "demo/__init__.py",
        "demo_extra.py",
        "demo_plat/__init__.py",
    ]
    assert not (tmp_path / "escape.py").exists()
