"""``harness inspect WHEEL...``: what a wheel is, which Pyodide versions take it, what it needs.

For each wheel (checked like any ``--wheel``: zip, METADATA, RECORD hashes): its tags, its
compiled modules and the shared libraries they need (``dylink.0``) that the wheel does not
ship; then, for each Pyodide version (``--pyodide A,B``, else the cached ones and the
default), whether its tags accept the wheel and, where they do, every ``Requires-Dist`` with
its markers evaluated for that runtime and where it would come from (a ``--find-links``
directory, Pyodide's lock, PyPI) — or that nothing provides it.

Exit status: 0 when every wheel is accepted by at least one version, 1 when one is accepted by
none, 4 for an unusable wheel or bad option (one line).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from harness import options
from harness.errors import HarnessError
from harness.options import Settings
from harness.provision import distribution as dist
from harness.provision import lock as lockfile
from harness.provision import resolve, wheelfile
from harness.provision.store import TMP_PREFIX, cache_root

USAGE = "usage: harness inspect [--pyodide V[,V...]] [--find-links DIR] [--package-url URL] WHEEL..."


def inspect_command(argv: Sequence[str]) -> int:
    values, paths = options.scan(argv, "inspect")
    if not paths:
        raise HarnessError(USAGE)
    settings = Settings.from_values(values)
    infos = []
    for path in paths:
        if not Path(path).is_file():
            raise HarnessError(f"{path}: no such file")
        infos.append(wheelfile.read(Path(path).absolute()))
    distributions = [dist.resolve(v, settings.dist_dir) for v in _versions(settings)]
    status = 0
    for info in infos:
        accepted = _report(info, distributions, settings)
        status = status if accepted else 1
    return status


def _versions(settings: Settings) -> list[str | None]:
    if settings.dist_dir is not None:
        return [None]
    given: list[str] = [v.strip() for v in (settings.pyodide or "").split(",") if v.strip()]
    known = sorted({*dist.cached_versions(), dist.DEFAULT_VERSION}, key=dist.version_key)
    return list(given or known)


def _report(info: wheelfile.WheelInfo, distributions: list[dist.Distribution], settings: Settings) -> bool:
    print(info.path.name)
    print(f"  project: {info.name} {info.version}")
    print(f"  tags: {', '.join(sorted(str(t) for t in info.tags))}")
    for line in _compiled_lines(info):
        print(f"  {line}")
    accepted = False
    for d in distributions:
        if not d.tags.accepts(info.tags):
            print(f"  Pyodide {d.version} (Python {d.python}): not accepted (it takes {d.tags.describe()})")
            continue
        accepted = True
        print(f"  Pyodide {d.version} (Python {d.python}): accepted")
        request = resolve.Request(
            tags=d.tags,
            python_full=d.python,
            label=f"Pyodide {d.version}",
            find_links=settings.find_links,
            lock=lockfile.read(d.path / "pyodide-lock.json"),
        )
        for line in _requirement_lines(info, request):
            print(f"    {line}")
        for line in _library_lines(info, request):
            print(f"    {line}")
    return accepted


def _compiled_lines(info: wheelfile.WheelInfo) -> list[str]:
    if not info.extensions:
        return ["compiled code: none (pure Python)"]
    return [f"compiled: {path}" for path in info.extensions]


def _requirement_lines(info: wheelfile.WheelInfo, request: resolve.Request) -> list[str]:
    env = request.marker_env()
    lines = []
    for text in info.requires:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
            continue
        lines.append(f"requires {req}: {_source(req, request)}")
    return lines or ["requires: nothing"]


def _source(req: Requirement, request: resolve.Request) -> str:
    """Where ``req`` would come from for this runtime (local, lock, PyPI), without installing."""
    name = canonicalize_name(req.name)
    for directory in request.find_links:
        for path in sorted(directory.glob("*.whl")):
            found = wheelfile.read(path) if canonicalize_name(path.name.split("-")[0]) == name else None
            if found and request.tags.accepts(found.tags) and req.specifier.contains(found.version, True):
                return f"--find-links {path.name}"
    package = request.lock.get(name) if request.lock else None
    if package is not None and req.specifier.contains(package.version, True):
        return f"Pyodide's lock ({package.name} {package.version})"
    with tempfile.TemporaryDirectory(prefix=TMP_PREFIX + "inspect-", dir=_downloads()) as work:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *request.tags.pip_args(), "-d", work]
        proc = subprocess.run([*cmd, "-q", "--disable-pip-version-check", str(req)], capture_output=True, text=True)
        files = [p.name for p in Path(work).iterdir()]
    if proc.returncode == 0 and files:
        return f"PyPI ({files[0]})"
    return f"NOT RESOLVED: no wheel for {request.label} locally, in Pyodide's lock or on PyPI"


def _library_lines(info: wheelfile.WheelInfo, request: resolve.Request) -> list[str]:
    """Shared libraries the extensions need that neither the wheel nor the runtime provides."""
    shipped = {PurePosixPath(p).name for p in info.extensions}
    lines = []
    for module, libraries in info.needed.items():
        for library in libraries:
            if library in shipped:
                continue
            stem = library.split(".so")[0]
            package = request.lock.get(stem) or request.lock.get(stem.removeprefix("lib")) if request.lock else None
            if package is not None and package.package_type == "shared_library":
                lines.append(f"{module} needs {library}: from Pyodide's lock package {package.name}")
            else:
                lines.append(f"{module} needs {library}: NOT PROVIDED by the wheel or {request.label}")
    return lines or ["shared libraries needed beyond the wheel's own: none"]


def _downloads() -> Path:
    path = cache_root() / "wheels"
    path.mkdir(parents=True, exist_ok=True)
    return path
