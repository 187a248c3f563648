"""Pure-Python wheels for the runtime, resolved by pip and unpacked into a site-packages dir.

Pyodide cannot build or load native extensions from PyPI, so only ``none-any`` wheels are
accepted. pip resolves for the runtime's Python version, not the host's. The unpacked result
is cached under a key of the inputs, so a second run with the same inputs starts no pip and
needs no network. Unpinned requirements are therefore resolved once and then kept: change the
requirements (or pin them) to get newer releases.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from harness.errors import HarnessError
from harness.provision import progress
from harness.provision.store import TMP_PREFIX, atomic_dir, atomic_write_bytes, cache_root, remove_dir

BASE_REQUIREMENTS = ["pytest"]

MANIFEST = ".harness-manifest.json"
_KEY_FORMAT = 1  # bump when the layout of an unpacked site-packages changes

# pip evaluates environment markers against the host interpreter even with --python-version
# (pypa/pip#11010), which would drop e.g. `dep; python_version >= "3.12"` on a 3.11 host, or keep
# `dep; sys_platform != "emscripten"`. This bootstrap makes pip see the runtime's environment.
_PIP_BOOTSTRAP = """\
import runpy, sys
from pip._vendor.packaging import markers
env = markers.default_environment()
env.update(python_version=sys.argv[1], python_full_version=sys.argv[1] + ".0",
           sys_platform="emscripten", platform_system="Emscripten", platform_machine="wasm32")
markers.default_environment = lambda: dict(env)
sys.argv = ["pip", *sys.argv[2:]]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
"""

_DOWNLOADING = re.compile(r"\s*Downloading (\S+) \(([\d.]+) ([kKMG]?B)\)")
_NOT_FOUND = re.compile(r"No matching distribution found for (\S+)")
_FROM_VERSIONS = re.compile(r"\(from versions: ([^)]*)\)")
_NETWORK_HINTS = (
    "NewConnectionError",
    "connection broken by",
    "Could not fetch URL",
    "ConnectTimeout",
)


def site_packages(python_xy: str, requirements: Sequence[str], requirements_files: Iterable[Path] = ()) -> Path:
    """An absolute site-packages dir holding ``BASE_REQUIREMENTS + requirements`` for Python X.Y.

    A user pin such as ``pytest==8.3.5`` wins over the unpinned base ``pytest``: pip merges
    both specifiers. ``requirements_files`` are passed to pip as ``-r FILE``.
    """
    if not re.fullmatch(r"\d+\.\d+", python_xy):
        raise HarnessError(f"invalid Python version {python_xy!r}: expected X.Y like 3.14")
    reqs = [*BASE_REQUIREMENTS, *requirements]
    for req in reqs:
        if req.strip().startswith("-"):
            raise HarnessError(f"requirement {req!r} looks like a pip option; put it in a requirements file")
    files = [Path(f).absolute() for f in requirements_files]
    final = cache_root() / "site-packages" / _key(python_xy, reqs, files)
    if (final / MANIFEST).is_file():
        return final
    try:
        if final.exists() and not (final / MANIFEST).is_file():
            remove_dir(final)  # damaged by hand (entries land atomically): build it anew
        wheels = _download(python_xy, reqs, files)
        total = sum(w.stat().st_size for w in wheels)
        unpacking = progress.task("unpacking", "unpacked", f"{len(wheels)} wheels", total)
        with atomic_dir(final) as tmp, unpacking as advance:
            for wheel in wheels:
                _unpack(wheel, tmp)
                advance(wheel.stat().st_size)
            manifest = {
                "python": python_xy,
                "requirements": reqs,
                "wheels": [w.name for w in wheels],
            }
            atomic_write_bytes(tmp / MANIFEST, json.dumps(manifest, indent=1).encode())
    except (OSError, zipfile.BadZipFile) as exc:
        raise HarnessError(f"cannot prepare wheels in {final.parent}: {exc}") from None
    return final


def _key(python_xy: str, reqs: list[str], files: list[Path]) -> str:
    """Hash of everything that decides the result (a nested ``-r`` inside a file is not read)."""
    h = hashlib.sha256(json.dumps([_KEY_FORMAT, python_xy, sorted(reqs)]).encode())
    for f in files:
        try:
            h.update(b"\0" + f.read_bytes())
        except OSError as exc:
            raise HarnessError(f"cannot read requirements file {f}: {exc.strerror or exc}") from None
    return h.hexdigest()[:24]


def _download(python_xy: str, reqs: list[str], files: list[Path]) -> list[Path]:
    """Resolve with pip into the shared wheel cache; return the wheels of this resolution."""
    wheel_cache = cache_root() / "wheels"
    wheel_cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=TMP_PREFIX + "pip-", dir=wheel_cache) as work:
        cmd = [
            sys.executable, "-c", _PIP_BOOTSTRAP, python_xy,
            "download", "--only-binary=:all:", "--platform", "any", "--abi", "none",
            "--implementation", "cp", "--python-version", python_xy,
            "--find-links", str(wheel_cache), "-d", work,
            "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
            *reqs, *(arg for f in files for arg in ("-r", str(f))),
        ]  # fmt: skip
        _run_pip(cmd, python_xy)
        downloaded = sorted(Path(work).iterdir())
        for path in downloaded:
            _check_pure(path, python_xy)
        # Same file name means same content on an index, so a concurrent replace is harmless.
        for path in downloaded:
            os.replace(path, wheel_cache / path.name)
    return [wheel_cache / path.name for path in downloaded]


def _run_pip(cmd: list[str], python_xy: str) -> None:
    """Run pip, reporting each wheel it downloads as its line arrives; a failure raises
    HarnessError (inside the progress report, which then shows nothing more).

    pip's own bar is off (it would draw into a pipe); its "Downloading NAME (SIZE)" lines
    drive harness.provision.progress instead. stderr goes to a file, so no pipe fills up.
    """
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8") as err,
        progress.downloads(f"wheels for Python {python_xy}") as announce,
    ):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            found = _DOWNLOADING.match(line)
            if found:
                name = found.group(1).rpartition("/")[2]  # older pip prints the URL
                announce(name, progress.parse_size(found.group(2), found.group(3)))
        if proc.wait() != 0:
            err.seek(0)
            raise HarnessError(_pip_failure(python_xy, "".join(lines) + err.read()))


def _pip_failure(python_xy: str, output: str) -> str:
    """One line explaining a failed ``pip download``."""
    if any(hint in output for hint in _NETWORK_HINTS):
        return f"cannot reach the package index to download wheels for Python {python_xy} (offline?)"
    missing = _NOT_FOUND.search(output)
    if missing:
        versions = _FROM_VERSIONS.search(output)
        found = versions.group(1).split(", ") if versions else ["none"]
        detail = (
            "pip found none"
            if found == ["none"]
            else "versions with one: " + ", ".join(found[-5:]) + (" (newest last)" if len(found) > 5 else "")
        )
        return (
            f"no pure-Python wheel of {missing.group(1)} for Python {python_xy} "
            f"(Pyodide can only use pure wheels from PyPI): {detail}"
        )
    if "No module named pip" in output or "No module named 'pip" in output:
        return f"pip is not available for {sys.executable}; install it (python -m ensurepip)"
    # pip's first error is the cause ("Cannot install a and b ..."); later ones are advice.
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    if errors:
        return f"pip download failed: {errors[0].removeprefix('ERROR:').strip()}"
    # No pip error line: a crash, whose last line (the exception) says the most.
    return f"pip download failed: {(output.strip().splitlines() or ['no output'])[-1]}"


def _check_pure(path: Path, python_xy: str) -> None:
    """Reject anything pip fetched that Pyodide could not import (native or not a wheel)."""
    try:
        name, version, _, tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename:
        raise HarnessError(f"pip fetched {path.name}, which is not a wheel") from None
    if any(tag.abi != "none" or tag.platform != "any" for tag in tags):
        raise HarnessError(
            f"{name} {version} has no pure-Python wheel for Python {python_xy} "
            f"(Pyodide can only use pure wheels from PyPI): got {path.name}"
        )


def _unpack(wheel: Path, dest: Path) -> None:
    """Install a wheel by unzipping it, as pip would for a pure wheel.

    ``<name>.data/purelib`` and ``platlib`` go to the root; other ``.data`` parts (scripts,
    headers, data) are of no use inside the runtime. ``*.dist-info`` is kept so that
    importlib.metadata finds versions and entry points (``pytest11`` plugins).
    """
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            parts = PurePosixPath(info.filename).parts
            if not parts or parts[0] == "/" or ".." in parts or info.is_dir():
                continue
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                parts = parts[2:]
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out)
