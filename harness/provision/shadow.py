"""The warning for a green run that tested the wrong thing: the source tree's pure-Python
fallback instead of a compiled wheel that exists for this runtime.

The runtime reports top-level packages it imported from the project whose extension sources
(``X.pyx``, ``X.c``) have no compiled module beside them (``harness.inside.runner``). Here the
host looks for a wheel this runtime accepts that does carry those modules: a local file
(``--wheel``, ``--find-links``), Pyodide's lock, or PyPI (asked once through pip; the wheel it
fetches stays in the download cache, so later runs answer offline).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from harness.errors import HarnessError
from harness.inside.protocol import TreePackage
from harness.provision import wheelfile
from harness.provision.resolve import Request
from harness.provision.store import TMP_PREFIX, cache_root


def warnings(packages: Sequence[TreePackage], request: Request) -> list[str]:
    """One line per package whose compiled modules a wheel for this runtime has."""
    lines = []
    seen = set()
    for package in packages:
        if package["name"] in seen:
            continue
        seen.add(package["name"])
        found = _compiled_wheel(package["name"], request)
        if found is None:
            continue
        where, wheel, modules = found
        missing = [m for m in package["missing"] if modules is None or m in modules]
        if missing:
            lines.append(
                f"{package['name']} was imported from the source tree ({package['path']}), which lacks its "
                f"compiled {', '.join(missing)}: the tests ran the pure-Python fallback. {where} has {wheel} for "
                f"{request.label}: test it with --wheel or --with {package['name']}"
            )
    return lines


def _compiled_wheel(name: str, request: Request) -> tuple[str, str, set[str] | None] | None:
    """(where, wheel file name, compiled module names or None if unknown) of a wheel for
    ``name`` with compiled code that this runtime accepts."""
    local = [*request.wheels, *(p for d in request.find_links if d.is_dir() for p in d.glob("*.whl"))]
    downloads = cache_root() / "wheels"
    cached = sorted(downloads.glob("*.whl")) if downloads.is_dir() else []
    for where, paths in (("a local directory", local), ("PyPI", cached)):
        for path in paths:
            modules = _extension_modules(path, name, request)
            if modules:
                return where, path.name, modules
    package = request.lock.get(name) if request.lock is not None else None
    if package is not None and package.is_wheel and not package.file_name.endswith("-none-any.whl"):
        return "Pyodide's lock", package.file_name, None  # its file is not fetched just for this
    fetched = _ask_pypi(name, request, downloads)
    if fetched is not None:
        modules = _extension_modules(fetched, name, request)
        if modules:
            return "PyPI", fetched.name, modules
    return None


def _extension_modules(path: Path, name: str, request: Request) -> set[str]:
    try:
        project, _, _, tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename:
        return set()
    if project != canonicalize_name(name) or not request.tags.accepts(tags):
        return set()
    try:
        info = wheelfile.read(path)
    except HarnessError:
        return set()
    return {PurePosixPath(e).name.split(".", 1)[0] for e in info.extensions}


def _ask_pypi(name: str, request: Request, downloads: Path) -> Path | None:
    """The best wheel of ``name`` pip finds for this runtime (no dependencies), or None."""
    downloads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=TMP_PREFIX + "pip-", dir=downloads) as work:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *request.tags.pip_args()]
        cmd += ["-d", work, "--disable-pip-version-check", "--no-input", "-q", name]
        if subprocess.run(cmd, capture_output=True, text=True).returncode != 0:
            return None
        files = list(Path(work).iterdir())
        if len(files) != 1:
            return None
        target = downloads / files[0].name
        files[0].replace(target)
        return target
