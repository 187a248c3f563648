"""Pyodide's own packages: the ``packages`` table of a distribution's ``pyodide-lock.json``.

Each Pyodide release builds a set of packages (numpy, pandas, pydantic-core, ... and, on the
versions that split them out of the standard library, ``ssl``, ``sqlite3``, ``lzma``) and lists
them in its lock with a file name, a sha256 and the names they depend on. The files are not in
the npm package: Pyodide fetches them from its CDN (``CDN_URL``, the URL its own loader uses),
or a mirror, or they sit beside the core in a full distribution directory (``--dist-dir``).

Fetched files are checked against the lock's sha256 and kept in the content store, so a
second run needs no network.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from harness.errors import HarnessError
from harness.provision import progress
from harness.provision.store import content_path, file_sha256, store_bytes, store_file

# The URL Pyodide's loader itself uses for a release's packages (pyodide.asm.js/.mjs).
CDN_URL = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"
PACKAGE_URL_ENV = "HARNESS_PACKAGE_URL"
CHUNK = 1 << 16  # bytes read at a time (progress is reported per chunk)
FETCH_TIMEOUT = float(os.environ.get("HARNESS_FETCH_TIMEOUT", "60"))


class Unreachable(HarnessError):
    """A lock package's file could not be downloaded and no copy is cached."""


@dataclass(frozen=True)
class LockPackage:
    """One entry of the lock's ``packages`` table."""

    name: NormalizedName
    version: str
    file_name: str
    sha256: str
    depends: tuple[NormalizedName, ...]
    package_type: str  # "package", "cpython_module" (split-out stdlib) or "shared_library"
    install_dir: str  # "site" (site-packages) or "dynlib" (shared libraries: /usr/lib)

    @property
    def is_wheel(self) -> bool:
        return self.file_name.endswith(".whl")

    @property
    def is_pure(self) -> bool:
        """A ``none-any`` wheel: the same release as on PyPI, re-hosted by Pyodide."""
        return self.file_name.endswith("-none-any.whl")


@dataclass(frozen=True)
class Lock:
    """The packages of one distribution, by normalized name."""

    packages: dict[NormalizedName, LockPackage]
    sha256: str  # of the lock file: part of every resolution key

    def get(self, name: str) -> LockPackage | None:
        return self.packages.get(canonicalize_name(name))

    def closure(self, name: str) -> list[LockPackage]:
        """``name`` and everything it depends on in the lock, dependencies first."""
        order: list[LockPackage] = []
        seen: set[str] = set()

        def visit(current: NormalizedName, chain: tuple[str, ...]) -> None:
            if current in seen:
                return
            seen.add(current)
            package = self.packages.get(current)
            if package is None:
                raise HarnessError(f"pyodide-lock.json: {chain[-1]} depends on {current}, which the lock does not list")
            for dep in package.depends:
                visit(dep, (*chain, current))
            order.append(package)

        visit(canonicalize_name(name), (name,))
        return order


# Split-out stdlib modules the harness does not load by itself (CPython's own test suite).
_NOT_AUTOMATIC = frozenset({"test"})


def split_stdlib(lock: Lock) -> list[LockPackage]:
    """The stdlib modules this distribution ships as separate packages (``ssl``, ``sqlite3``,
    ``lzma``, ... on 0.27.x; none from 0.28 on), which natively are simply there."""
    return [p for p in lock.packages.values() if p.package_type == "cpython_module" and p.name not in _NOT_AUTOMATIC]


def read(path: Path) -> Lock:
    """The lock's packages; HarnessError naming the file for anything malformed."""
    try:
        raw = path.read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise HarnessError(f"{path} does not parse: {exc}") from None
    table = data.get("packages") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise HarnessError(f"{path} does not parse: expected an object 'packages'")
    packages = {}
    for key, entry in table.items():
        package = _package(path, key, entry)
        packages[package.name] = package
    return Lock(packages, hashlib.sha256(raw).hexdigest())


def _package(path: Path, key: str, entry: Any) -> LockPackage:
    fields = ("name", "version", "file_name", "sha256")
    if not isinstance(entry, dict) or not all(isinstance(entry.get(f), str) and entry[f] for f in fields):
        raise HarnessError(f"{path} does not parse: package {key!r} lacks one of {', '.join(fields)}")
    depends = entry.get("depends", [])
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise HarnessError(f"{path} does not parse: package {key!r} has a bad 'depends'")
    return LockPackage(
        name=canonicalize_name(entry["name"]),
        version=entry["version"],
        file_name=entry["file_name"],
        sha256=entry["sha256"].lower(),
        depends=tuple(canonicalize_name(d) for d in depends),
        package_type=str(entry.get("package_type", "package")),
        install_dir=str(entry.get("install_dir", "site")),
    )


def base_url(version: str, option: str | None) -> str:
    """Where the lock's files are: the option, else ``$HARNESS_PACKAGE_URL``, else Pyodide's CDN.

    ``{version}`` in a mirror URL is replaced by the Pyodide version (one mirror for several).
    """
    url = option or os.environ.get(PACKAGE_URL_ENV) or CDN_URL
    url = url.replace("{version}", version)
    return url if url.endswith("/") else url + "/"


def url_of(package: LockPackage, base: str) -> str:
    """The URL of a package's file (0.28+ locks may give an absolute URL as file_name)."""
    if "://" in package.file_name:
        return package.file_name
    return base + package.file_name


def fetch(package: LockPackage, base: str, dist_dir: Path | None, label: str) -> Path:
    """The package's file in the content store: already there, from ``dist_dir``, or downloaded.

    Every path checks the sha256 against the lock. ``label`` names the lock in messages
    ("Pyodide 314.0.7").
    """
    stored = content_path(package.sha256, package.file_name.rsplit("/", 1)[-1])
    if stored.is_file():
        return stored
    if dist_dir is not None and (dist_dir / package.file_name).is_file():
        local = dist_dir / package.file_name
        actual = file_sha256(local)
        _check(package, actual, str(local), label)
        return store_file(local, stored.name)[0]
    url = url_of(package, base)
    data = _download(url, package, label)
    _check(package, hashlib.sha256(data).hexdigest(), url, label)
    return store_bytes(data, package.sha256, stored.name)


def _download(url: str, package: LockPackage, label: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
            size = response.headers.get("Content-Length")
            total = int(size) if size and size.isdigit() else None
            chunks = []
            with progress.task("downloading", "downloaded", package.file_name, total) as advance:
                while chunk := response.read(CHUNK):
                    chunks.append(chunk)
                    advance(len(chunk))
            return b"".join(chunks)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise Unreachable(
            f"cannot fetch {package.name} {package.version} from {label}'s lock at {url} ({reason}) and no copy "
            f"is cached; point --package-url (or {PACKAGE_URL_ENV}) at a mirror, or use a full --dist-dir"
        ) from None


def _check(package: LockPackage, actual: str, where: str, label: str) -> None:
    if actual != package.sha256:
        raise HarnessError(
            f"sha256 mismatch for {package.file_name} from {where}: {label}'s pyodide-lock.json says "
            f"{package.sha256}, the file has {actual}"
        )
