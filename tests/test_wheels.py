"""Pure-Python wheels for the runtime (harness.provision.wheels), resolved by the real pip on real PyPI.

Happy paths use the real cache (downloads once per machine); error cases a throw-away one.
"""

from __future__ import annotations

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
from harness.provision import wheels
from harness.provision.store import cache_root


@pytest.fixture(scope="session")
def sp314() -> Path:
    return wheels.site_packages("3.14", [])


@pytest.fixture
def no_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"unexpected subprocess: {args!r}")

    monkeypatch.setattr(subprocess, "Popen", refuse)


def error_of(*args, **kwargs) -> str:
    """The HarnessError message of ``site_packages(...)``, checked to be one line."""
    with pytest.raises(HarnessError) as info:
        wheels.site_packages(*args, **kwargs)
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
    assert manifest["python"] == "3.14" and manifest["requirements"] == ["pytest"]
    assert all(name.endswith("-none-any.whl") for name in manifest["wheels"])
    assert all((cache_root() / "wheels" / name).is_file() for name in manifest["wheels"])


def test_second_call_is_offline(sp314: Path, no_subprocess: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    start = time.perf_counter()
    assert wheels.site_packages("3.14", []) == sp314
    assert time.perf_counter() - start < 0.5


def test_user_pin_wins_and_plugins_are_discoverable() -> None:
    site = wheels.site_packages("3.14", ["pytest==8.3.5", "pytest-timeout"])
    found = dists(site)
    assert found["pytest"].version == "8.3.5"
    assert [p.name for p in site.glob("pytest-*.dist-info")] == ["pytest-8.3.5.dist-info"]
    plugins = [ep for ep in found["pytest-timeout"].entry_points if ep.group == "pytest11"]
    assert [ep.value for ep in plugins] == ["pytest_timeout"]
    assert (site / "pytest_timeout.py").is_file()


def test_markers_are_those_of_the_runtime() -> None:
    """pip alone would evaluate these against the host (Linux, Python 3.11)."""
    site = wheels.site_packages(
        "3.14",
        [
            "attrs; sys_platform == 'emscripten' and platform_machine == 'wasm32'",
            "six; sys_platform == 'linux'",
            "typing-extensions; python_version >= '3.14'",
        ],
    )
    assert {"attrs", "typing_extensions"} <= dists(site).keys()
    assert "six" not in dists(site)


def test_requirements_files(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("# test deps\nattrs\n")
    site = wheels.site_packages("3.14", [], [req])
    assert "attrs" in dists(site)
    req.write_text("six\n")
    other = wheels.site_packages("3.14", [], [req])
    assert other != site and "six" in dists(other) and "attrs" not in dists(other)


def test_damaged_entry_is_rebuilt(tmp_cache: Path) -> None:
    site = wheels.site_packages("3.14", [])
    (site / wheels.MANIFEST).unlink()
    (site / "pytest" / "__init__.py").unlink()
    assert wheels.site_packages("3.14", []) == site
    assert (site / wheels.MANIFEST).is_file() and (site / "pytest" / "__init__.py").is_file()


def test_requirements_file_missing(tmp_path: Path, tmp_cache: Path, no_subprocess: None) -> None:
    assert error_of("3.14", [], [tmp_path / "nope.txt"]).startswith(
        f"cannot read requirements file {tmp_path / 'nope.txt'}"
    )


def test_no_pure_wheel(tmp_cache: Path) -> None:
    assert error_of("3.14", ["numpy"]) == (
        "no pure-Python wheel of numpy for Python 3.14 (Pyodide can only use pure wheels from PyPI): pip found none"
    )
    assert not (tmp_cache / "site-packages").exists() or not any((tmp_cache / "site-packages").iterdir())
    assert not any(p.name.startswith(".tmp-") for p in (tmp_cache / "wheels").iterdir())


def test_nonexistent_package(tmp_cache: Path) -> None:
    name = "harness-no-such-package-zq7"
    assert error_of("3.14", [name]).startswith(f"no pure-Python wheel of {name} for Python 3.14")


def test_conflicting_pins(tmp_cache: Path) -> None:
    # pip's wording differs between releases; the one-line shape and the named pins do not.
    error = error_of("3.14", ["pytest==8.3.5", "pluggy==1.0.0"])
    assert error.startswith("pip download failed: ") and "\n" not in error
    assert "pluggy==1.0.0" in error and "pytest==8.3.5" in error


def test_invalid_requirement(tmp_cache: Path) -> None:
    # Newer pip appends the parser's reason after the requirement; older pip stops there.
    error = error_of("3.14", ["bad req!!"])
    assert error.startswith("pip download failed: Invalid requirement: 'bad req!!'")
    assert "\n" not in error


@pytest.mark.parametrize("bad", ["3", "3.14.2", "py3.14", "3.14; rm"])
def test_invalid_python_version(bad: str, tmp_cache: Path, no_subprocess: None) -> None:
    assert error_of(bad, []).startswith(f"invalid Python version {bad!r}")


def test_option_as_requirement(tmp_cache: Path, no_subprocess: None) -> None:
    assert "looks like a pip option" in error_of("3.14", ["--index-url=http://x"])


def test_index_unreachable(tmp_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # no machine-wide find-links or mirrors
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "1")
    assert error_of("3.14", []) == ("cannot reach the package index to download wheels for Python 3.14 (offline?)")


def test_pip_missing(tmp_path: Path, tmp_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    python = tmp_path / "venv" / "bin" / "python"
    monkeypatch.setattr(sys, "executable", str(python))
    assert error_of("3.14", []) == f"pip is not available for {python}; install it (python -m ensurepip)"


def test_concurrent_builds_agree(tmp_cache: Path) -> None:
    """Three processes fill one empty cache at once: one entry, complete, no temp dirs left."""
    code = "from harness.provision.wheels import site_packages; print(site_packages('3.14', ['attrs']))"
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
