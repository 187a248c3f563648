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
side reads, verifies, writes and falls back: Node's entry point (``browsers/node/main.mjs``)
with its own file system, a browser page or worker (``browsers/page/runtime.mjs``) through
the run's server (``BrowserSnapshot`` below, routes in ``harness.runtimes.web.server``).
Both use one format module, ``browsers/snapshot.mjs``. A snapshot that does not verify
(truncated, corrupt, from another build or key) is deleted and the run boots cold and writes
a fresh one. ``HARNESS_NO_SNAPSHOT=1`` turns the whole mechanism off.

What Pyodide itself binds a snapshot to is its build id (checked on restore); the heap is
plain wasm memory. The key still names the engine and, for browsers, the exact user agent
(browser and version) and page-or-worker: what the preload imported ran there, and a restore
into another engine is not something Pyodide promises.

File layout (little-endian), written and read by ``browsers/snapshot.mjs``::

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
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

import harness
from harness.provision.store import TMP_PREFIX, cache_root, upload_chunks

FORMAT = 1
ENV_DISABLE = "HARNESS_NO_SNAPSHOT"
# makeMemorySnapshot/_loadSnapshot exist from 0.26 on; older versions boot cold.
MIN_PYODIDE = Version("0.26")
# Snapshots are 25-40 MB each; keep the most recently used few (one per runtime kind a
# user alternates between: node, chromium, firefox, their worker modes).
KEEP = 10
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


def key(boot_document: dict[str, Any], engine: str) -> str:
    """Hash of everything the saved heap depends on.

    The distribution (path, version, and the wasm file's size and mtime, for a ``--dist-dir``
    that changes in place), the site-packages dir (path and its manifest's mtime, which
    changes if the entry is rebuilt), the content of every runtime-side file (their code is
    in the heap, and ``runner.preload`` decides what is imported), the harness version, the
    ``engine`` (``node 20``; ``chromium page``, ``firefox worker``, ... for browsers, whose
    user agent ``BrowserSnapshot`` adds), Node's V8 flags, and this file's format.
    """
    dist = Path(boot_document["dist"])
    site = [Path(p) for p in boot_document["sys_path"]]
    h = hashlib.sha256()
    h.update(
        json.dumps(
            [
                FORMAT,
                harness.__version__,
                engine,
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


def usable(boot_document: dict[str, Any]) -> bool:
    """Whether this run uses snapshots at all (not turned off, a version that has them)."""
    return not disabled() and supported(str(boot_document.get("pyodide_version", "")))


def _locate(name: str) -> tuple[Path, bool]:
    """(path of snapshot ``name``, whether it exists); marks it used or makes room for it."""
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.snap"
    load = path.is_file()
    if load:
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: pruned last
    else:
        prune(folder)
    return path, load


def plan(boot_document: dict[str, Any], engine: str) -> dict[str, Any] | None:
    """The ``snapshot`` entry of a Node boot document, or None to boot cold without one.

    ``{"path", "key", "load"}``: ``load`` is True when the file exists (restore it, and if
    that fails delete it and make a new one), False when the run should make it.
    """
    if not usable(boot_document):
        return None
    try:
        name = key(boot_document, engine)
        path, load = _locate(name)
    except OSError:
        return None  # an unwritable cache must not stop the run
    return {"path": str(path), "key": name, "load": load, "format": FORMAT, "tmp_prefix": TMP_PREFIX}


# The largest snapshot a page may upload (Pyodide's heaps are 25-60 MB with pytest imported).
MAX_UPLOAD = 1 << 30
MAGIC = b"HRNSSNAP"


class BrowserSnapshot:
    """One browser runtime's snapshot, as its run's server hands it out and takes it in.

    The page asks first (``lookup``, with its user agent, which completes the key); it then
    restores the file it got, or boots cold and uploads a new one (``save``), or reports the
    one it got as unusable (``discard``). Only the key it was told may be saved, once.
    """

    def __init__(self, boot_document: dict[str, Any], engine: str) -> None:
        self._base = key(boot_document, engine)
        self._lock = threading.Lock()
        self._key: str | None = None
        self._served: int | None = None  # inode of the file handed out
        self._saved = False

    def lookup(self, agent: str) -> tuple[str, bytes | None]:
        """(the key, the file's bytes or None when the page should make one)."""
        name = hashlib.sha256(f"{self._base}\0{agent}".encode()).hexdigest()[:32]
        data, ino = None, None
        with contextlib.suppress(OSError):
            path, load = _locate(name)
            if load:
                with path.open("rb") as f:
                    ino = os.fstat(f.fileno()).st_ino
                    data = f.read()
        with self._lock:
            self._key, self._served = name, ino
        return name, data

    def discard(self) -> None:
        """The file handed out did not verify or restore: delete it, unless replaced since."""
        with self._lock:
            name, ino, self._served = self._key, self._served, None
        if name is None or ino is None:
            return
        path = directory() / f"{name}.snap"
        with contextlib.suppress(OSError):
            if path.stat().st_ino == ino:
                path.unlink()

    def save(self, name: str, size: int, read: Callable[[int], bytes]) -> str:
        """Store an upload of ``size`` bytes (``read(n)`` gives them) atomically as ``name``.

        Returns "" when saved, else why not: only the key this run was told, once, within
        ``MAX_UPLOAD``, and only what starts like a snapshot of that key (the next restore
        verifies the rest, checksum included).
        """
        with self._lock:
            if self._saved or name != self._key:
                return "not expected"
            self._saved = True
        if not 0 < size <= MAX_UPLOAD:
            return "too large"
        folder = directory()
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".snap", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                head = b""
                for chunk in upload_chunks(size, read):
                    if len(head) < 4096:
                        head += chunk[:4096]
                    out.write(chunk)
            if not _head_matches(head, name):
                raise ValueError("not a snapshot of this key")
            os.chmod(tmp, 0o644)
            os.replace(tmp, folder / f"{name}.snap")
        except (OSError, ValueError) as exc:
            Path(tmp).unlink(missing_ok=True)
            return str(exc)
        return ""


def _head_matches(head: bytes, name: str) -> bool:
    """Whether a file starts with this format's fixed part and a header naming key ``name``."""
    if len(head) < 40 or head[:8] != MAGIC or int.from_bytes(head[8:12], "little") != FORMAT:
        return False
    length = int.from_bytes(head[12:16], "little")
    try:
        header = json.loads(head[40 : 40 + length])
    except ValueError:
        return False
    return isinstance(header, dict) and header.get("key") == name


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
