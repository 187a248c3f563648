"""Memory snapshots of a booted runtime: the second run restores instead of booting.

A cold Node boot spends seconds in ``loadPyodide`` and ``import pytest``. Pyodide 0.26+ has a
private API that saves the wasm heap of a running interpreter (``loadPyodide({_makeSnapshot:
true})`` then ``pyodide.makeMemorySnapshot()``) and restores it (``loadPyodide({_loadSnapshot:
bytes})``). The first run with a given key boots cold, imports pytest and the harness's runtime
side (``harness.inside.runner.preload``), saves the heap under ``cache_root()/snapshots/<key>``
and goes on with its run; later runs restore it. Only the heap is saved: the JS side (file
systems, mounts, JS-side patches) and the per-run process state (environment, cwd, umask,
``sys.path``) are set up again after a restore, exactly as after a cold boot.

This module only decides *where* a snapshot lives and *whether* to use one; the JavaScript
entry point (``browsers/node/main.mjs``) reads, verifies, writes and falls back. A snapshot that
does not verify (truncated, corrupt, from another build or key) is deleted and the run boots
cold and writes a fresh one. ``HARNESS_NO_SNAPSHOT=1`` turns the whole mechanism off.

File layout (little-endian), shared with ``browsers/node/main.mjs``::

    0   8   magic b"HRNSSNAP"
    8   4   FORMAT
    12  4   length of the JSON header (bytes)
    16  16  checksum of the payload (four 32-bit lanes)
    32  8   payload length (uint64)
    40  ..  JSON header {"key": ..., "pyodide": ...}, zero-padded to a multiple of 16
    ..      payload: Pyodide's own snapshot bytes (its magic, build id, heap)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

import harness
from harness.provision.store import TMP_PREFIX, cache_root

FORMAT = 1
ENV_DISABLE = "HARNESS_NO_SNAPSHOT"
# makeMemorySnapshot/_loadSnapshot exist from 0.26 on; older versions boot cold.
MIN_PYODIDE = Version("0.26")
# Snapshots are 25-40 MB each; keep the most recently used few.
KEEP = 6
# A temp file older than this was left by a killed process.
STALE_TMP_SECONDS = 600


def disabled() -> bool:
    return os.environ.get(ENV_DISABLE, "").strip().lower() not in ("", "0", "false", "no")


def supported(pyodide_version: str) -> bool:
    """Whether this Pyodide version has the snapshot API (unknown versions: not used)."""
    try:
        return Version(pyodide_version) >= MIN_PYODIDE
    except InvalidVersion:
        return False


def directory() -> Path:
    return cache_root() / "snapshots"


def _stat_part(path: Path) -> list[Any]:
    try:
        st = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), st.st_size, st.st_mtime_ns]


def key(boot_document: dict[str, Any], node_major: int) -> str:
    """Hash of everything the saved heap depends on.

    The distribution (path, version, and the wasm file's size and mtime, for a ``--dist-dir``
    that changes in place), the site-packages dir (path and its manifest's mtime, which
    changes if the entry is rebuilt), the content of every runtime-side file (their code is
    in the heap, and ``runner.preload`` decides what is imported), the harness version, the
    Node major version and V8 flags, and this file's format.
    """
    dist = Path(boot_document["dist"])
    site = [Path(p) for p in boot_document["sys_path"]]
    h = hashlib.sha256()
    h.update(
        json.dumps(
            [
                FORMAT,
                harness.__version__,
                node_major,
                boot_document.get("pyodide_version"),
                _stat_part(dist / "pyodide.asm.wasm"),
                [_stat_part(p / ".harness-manifest.json") for p in site],
                boot_document["runtime_root"],
                boot_document.get("node_flags", []),  # e.g. JSPI's, for pytest-pyodide suites
            ]
        ).encode()
    )
    for target, source in boot_document["files"]:
        h.update(b"\0" + target.encode() + b"\0")
        try:
            h.update(Path(source).read_bytes())
        except OSError:
            h.update(b"<unreadable>")
    return h.hexdigest()[:32]


def plan(boot_document: dict[str, Any], node_major: int) -> dict[str, Any] | None:
    """The ``snapshot`` entry of the boot document, or None to boot cold without one.

    ``{"path", "key", "load"}``: ``load`` is True when the file exists (restore it, and if
    that fails delete it and make a new one), False when the run should make it.
    """
    if disabled() or not supported(str(boot_document.get("pyodide_version", ""))):
        return None
    try:
        folder = directory()
        folder.mkdir(parents=True, exist_ok=True)
        name = key(boot_document, node_major)
        path = folder / f"{name}.snap"
        load = path.is_file()
        if load:
            with contextlib.suppress(OSError):
                os.utime(path)  # most recently used: pruned last
        else:
            prune(folder)
    except OSError:
        return None  # an unwritable cache must not stop the run
    return {"path": str(path), "key": name, "load": load, "format": FORMAT, "tmp_prefix": TMP_PREFIX}


def prune(folder: Path, keep: int = KEEP) -> None:
    """Delete stale temp files and all but the ``keep - 1`` most recently used snapshots
    (room for the one about to be written)."""
    now = time.time()
    snaps: list[tuple[float, Path]] = []
    for entry in folder.iterdir():
        try:
            mtime = entry.stat().st_mtime
        except OSError:
            continue
        if entry.name.startswith(TMP_PREFIX):
            if now - mtime > STALE_TMP_SECONDS:
                with contextlib.suppress(OSError):
                    entry.unlink()
        elif entry.name.endswith(".snap"):
            snaps.append((mtime, entry))
    snaps.sort(reverse=True)
    for _, old in snaps[max(keep - 1, 0) :]:
        with contextlib.suppress(OSError):
            old.unlink()  # a run reading it right now keeps its open file
