"""The runtime's site-packages: resolved once (``harness.provision.resolve``), unpacked, cached.

Two cache levels make a second run start no pip and touch no network:

- ``resolutions/<inputs key>.json``: the files a resolution chose, keyed by everything that
  decides it (runtime tags, requirements, the bytes of local wheels and requirement files, the
  listing of ``--find-links`` directories, the lock). Unpinned requirements are therefore
  resolved once and then kept: change the requirements (or pin them) to get newer releases.
- ``site-packages/<content key>/``: those files unpacked, keyed by their content (name and
  sha256 of every file), so two resolutions that chose the same files share one directory.

The directory is the runtime's site-packages (mounted in Node, copied into a browser's memory).
Its manifest lists the dynamic libraries the runtime must load before anything imports them
(``browsers/boot.mjs`` hands them to Pyodide's own loader) and, per ``--wheel``, the top-level
modules to import first (see ``harness.inside.runner``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from harness.errors import HarnessError
from harness.provision import integrity, progress, wheelfile
from harness.provision.resolve import Chosen, Request, Resolver
from harness.provision.store import atomic_dir, atomic_write_bytes, cache_root, file_sha256, remove_dir, say

MANIFEST = ".harness-manifest.json"
LIB_DIR = ".harness-lib"  # shared libraries from the lock, copied to /usr/lib in the runtime
RUNTIME_LIB = "/usr/lib"  # Pyodide's DSO_DIR: on its LD_LIBRARY_PATH in every version
_KEY_FORMAT = 2  # bump when the layout of an unpacked site-packages or a record changes


@dataclass(frozen=True)
class Site:
    """A ready site-packages directory and what its manifest says."""

    path: Path
    manifest: dict[str, Any]

    @property
    def dynlibs(self) -> list[dict[str, Any]]:
        """``{"path", "global"}`` in load order: shared libraries first, then extension modules."""
        return list(self.manifest.get("dynlibs", []))

    @property
    def lib_files(self) -> list[tuple[str, str]]:
        """(path in the runtime, host path) of the shared libraries to copy to /usr/lib."""
        lib = self.path / LIB_DIR
        return [
            (f"{RUNTIME_LIB}/{p.relative_to(lib).as_posix()}", str(p)) for p in sorted(lib.rglob("*")) if p.is_file()
        ]

    def wheel_imports(self) -> list[dict[str, Any]]:
        """Per wheel the user handed over: its file name and top-level modules."""
        return [
            {"wheel": w["file"], "modules": w["top_level"]} for w in self.manifest["wheels"] if w["source"] == "wheel"
        ]


def site_packages(request: Request) -> Site:
    """The site-packages for ``request``, built once and then reused offline."""
    record = cache_root() / "resolutions" / f"{_inputs_key(request)}.json"
    chosen = _read_record(record)
    if chosen is None:
        chosen = Resolver(request).run()
        record.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(record, json.dumps([_record_entry(c) for c in chosen], indent=1).encode())
    return _build(request, chosen)


def _inputs_key(request: Request) -> str:
    """Hash of everything that decides the resolution (a nested ``-r`` inside a file is not read)."""
    parts: list[Any] = [
        _KEY_FORMAT,
        request.python_full,
        list(request.tags.platforms),
        sorted(request.requirements),
        sorted(request.base),
        request.lock.sha256 if request.lock else None,
    ]
    h = hashlib.sha256(json.dumps(parts).encode())
    for path in request.wheels:
        h.update(b"\0wheel\0" + _read_or_fail(path, file_sha256, "wheel").encode())
    for directory in request.find_links:
        listing = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in directory.glob("*.whl"))
        h.update(b"\0links\0" + json.dumps([str(directory.absolute()), listing]).encode())
    for path in request.requirement_files:
        h.update(b"\0req\0" + _read_or_fail(path, lambda p: p.read_bytes().hex(), "requirements file").encode())
    return h.hexdigest()[:24]


def _read_or_fail(path: Path, read: Any, what: str) -> str:
    try:
        return str(read(path))
    except OSError as exc:
        raise HarnessError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _record_entry(chosen: Chosen) -> dict[str, Any]:
    return {
        "name": chosen.name,
        "version": chosen.version,
        "source": chosen.source,
        "path": str(chosen.path),
        "dynlib": chosen.dynlib,
    }


def _read_record(record: Path) -> list[Chosen] | None:
    """The files a previous resolution chose, or None if any is gone (resolve again then)."""
    try:
        entries = json.loads(record.read_bytes())
        chosen = [Chosen(e["name"], e["version"], e["source"], Path(e["path"]), e["dynlib"]) for e in entries]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return chosen if all(c.path.is_file() for c in chosen) else None


def _build(request: Request, chosen: list[Chosen]) -> Site:
    content = sorted([c.path.name, c.source, file_sha256(c.path)] for c in chosen)
    key = hashlib.sha256(json.dumps([_KEY_FORMAT, request.tags.python_xy, content]).encode()).hexdigest()[:24]
    final = cache_root() / "site-packages" / key
    if (final / MANIFEST).is_file():
        damage = _damage(final, integrity.wrong_sizes)
        if damage is None:
            return Site(final, json.loads((final / MANIFEST).read_bytes()))
        say(f"cached site-packages {final.name} was damaged ({damage}); rebuilding it")
    try:
        if final.exists():
            remove_dir(final)  # damaged by hand (entries land atomically): build it anew
        unpacking = progress.task("unpacking", "unpacked", f"{len(chosen)} wheels", sum(_sizes(chosen)))
        with atomic_dir(final) as tmp, unpacking as advance:
            manifest = _populate(tmp, final, request, chosen, advance)
            manifest["files"] = integrity.record(tmp)  # what it held, to tell later (integrity)
            atomic_write_bytes(tmp / MANIFEST, json.dumps(manifest, indent=1).encode())
    except (OSError, zipfile.BadZipFile) as exc:
        raise HarnessError(f"cannot prepare wheels in {final.parent}: {exc}") from None
    return Site(final, manifest)


def repair(site: Path) -> bool:
    """After a boot failure: compare every byte of a cached site-packages with what was
    recorded when it was built; if it differs, remove it (the next ``site_packages`` call
    rebuilds it), say so and return True."""
    if not (site / MANIFEST).is_file():
        return False
    damage = _damage(site, integrity.wrong_contents)
    if damage is None:
        return False
    say(f"cached site-packages {site.name} was damaged ({damage}); rebuilding it")
    remove_dir(site)
    return True


def _damage(site: Path, check: Callable[[Path, integrity.Records], list[str]]) -> str | None:
    """Why the cached ``site`` cannot be used as it is, or None (see ``integrity``)."""
    try:
        manifest = json.loads((site / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    if "files" not in manifest:  # from before records were kept: keep them now
        manifest["files"] = integrity.record(site, skip=[MANIFEST])
        with contextlib.suppress(OSError):  # a read-only cache: checked again next time
            atomic_write_bytes(site / MANIFEST, json.dumps(manifest, indent=1).encode())
    wrong = check(site, manifest["files"])
    return f"{integrity.describe(wrong)} changed" if wrong else None


def _sizes(chosen: list[Chosen]) -> list[int]:
    return [item.path.stat().st_size for item in chosen]


def _populate(
    tmp: Path, final: Path, request: Request, chosen: list[Chosen], advance: progress.Advance
) -> dict[str, Any]:
    """Unpack everything into ``tmp`` (renamed to ``final``); the manifest describing it."""
    wheels, shared, extensions = [], [], []
    for item in sorted(chosen, key=lambda c: c.name):
        advance(item.path.stat().st_size)
        if item.dynlib:
            names = _unpack_archive(item.path, tmp / LIB_DIR)
            shared += [f"{RUNTIME_LIB}/{n}" for n in names if _loadable(n, request.tags.python_xy)]
            continue
        info = wheelfile.read(item.path) if item.source != "lock" else None
        names = _unpack(item.path, tmp)
        extensions += [f"{final}/{n}" for n in names if _loadable(n, request.tags.python_xy)]
        wheels.append(
            {
                "file": item.path.name,
                "name": item.name,
                "version": item.version,
                "source": item.source,
                "top_level": list(info.top_level) if info else [],
            }
        )
    return {
        "python": request.tags.python_xy,
        "requirements": [*request.base, *request.requirements],
        "wheels": wheels,
        "dynlibs": [{"path": p, "global": True} for p in shared] + [{"path": p, "global": False} for p in extensions],
    }


def _loadable(name: str, python_xy: str) -> bool:
    """Whether Pyodide's loader would preload this file (``_package_loader.should_load_dynlib``):
    a ``.so`` whose tag is this interpreter's, ``abi3``, or no platform tag at all."""
    base = PurePosixPath(name).name
    if not re.search(r"\.so(\.\d+)*$", base):
        return False
    parts = base.split(".")
    tag = parts[parts.index("so") - 1] if "so" in parts and parts.index("so") >= 2 else ""
    own = f"cpython-{python_xy.replace('.', '')}-wasm32-emscripten"
    return tag in (own, "abi3") or not re.match(r"(cpython-|cp\d|pypy|graalpy|abi\d)", tag)


def _unpack(wheel: Path, dest: Path) -> list[str]:
    """Install a wheel by unzipping it, as an installer does; returns the paths written.

    ``<name>.data/purelib`` and ``platlib`` go to the root; other ``.data`` parts (scripts,
    headers, data) are of no use inside the runtime. ``*.dist-info`` is kept so that
    importlib.metadata finds versions and entry points (``pytest11`` plugins).
    """
    written = []
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            parts = PurePosixPath(info.filename).parts
            if not parts or parts[0] == "/" or ".." in parts or info.is_dir():
                continue
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                parts = parts[2:]
            _extract(zf, info, dest.joinpath(*parts))
            written.append("/".join(parts))
    return written


def _unpack_archive(archive: Path, dest: Path) -> list[str]:
    """A lock's shared-library zip, unpacked as Pyodide installs it into /usr/lib."""
    written = []
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            parts = PurePosixPath(info.filename).parts
            if not parts or parts[0] == "/" or ".." in parts or info.is_dir():
                continue
            _extract(zf, info, dest.joinpath(*parts))
            written.append("/".join(parts))
    return written


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zf.open(info) as src, target.open("wb") as out:
        shutil.copyfileobj(src, out)
