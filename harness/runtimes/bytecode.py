"""A browser runtime's bytecode cache: kept on the host, lent to the page for each run.

The Node runtime writes bytecode, and pytest's assertion-rewritten test modules, under a
``sys.pycache_prefix`` in the harness cache (``harness.provision.boot.bytecode_cache``), so a
second run neither recompiles nor rewrites anything. A page or a worker has only an
in-memory file system that ends with it, so its prefix, ``PREFIX``, is lent and taken back
as one archive through the run's server (routes in ``harness.runtimes.web.server``, the
page's side in ``browsers/bytecode.mjs``):

- at boot the page fetches the archive of its key (``GET bytecode``), verifies it and writes
  its files under ``PREFIX``; the runner sets ``sys.pycache_prefix`` to it and
  ``sys.dont_write_bytecode`` to False (``harness.inside.runner.prepare_process``);
- after each session, before its ``done``, the page packs the files it added or rewrote
  under ``PREFIX``, if any, and sends them (``POST bytecode``). The page waits for the
  answer, so every result is already out and nothing is lost when the host closes it next;
- the host checks the upload (session cookie, size, key, checksum, every path relative,
  without ``..``, a ``.pyc``), merges it into what it holds for the key (``-n`` runtimes
  each send what their tests compiled) and writes the result atomically.

The key is the Pyodide version, the browser engine and the project's root (the run's
working directory): two projects or two browsers never share an archive, so neither grows
with the other's files. Nothing in an archive can be stale: importlib and pytest use a
``.pyc`` only if the magic number (the Python version) and the source's size and mtime
recorded in it match the source as the runtime sees it, and the project bundle
(``harness.runtimes.web.bundle``) writes every file with its host mtime. A damaged or
foreign archive is not used (the run compiles afresh and replaces it, with a boot note).

Archive layout (little-endian), written and read here and by ``browsers/bytecode.mjs``::

    0   8   magic b"HRNSPYCA"
    8   4   FORMAT
    12  4   CRC-32 of every byte from offset 16 on
    16  4   length N of the JSON header (bytes)
    20  N   {"key": ..., "files": [[path, size], ...]}  (paths relative to PREFIX)
    20+N    the files' bytes, concatenated in header order
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import hashlib
import json
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from harness.provision.store import TMP_PREFIX, atomic_write_bytes, cache_root, upload_chunks

FORMAT = 1
MAGIC = b"HRNSPYCA"
FIXED = 20  # magic 8, format 4, checksum 4, header length 4
# Where the page keeps its bytecode in memory (``sys.pycache_prefix`` inside the runtime).
PREFIX = "/harness-pycache"
# The largest archive kept: the bytecode of a big project and the libraries its tests import
# is tens of MB; beyond this the run still works, compiling as before.
MAX_ARCHIVE = 128 * 1024 * 1024
# Archives kept (one per project, browser engine and Pyodide version), most recently used.
KEEP = 20
NAME = "bytecode.pyca"
# A temp file older than this was left by a killed process.
STALE_TMP_SECONDS = 600

# One merge-and-replace at a time per key in this process (``-n`` runtimes upload together).
_SAVING = threading.Lock()


class ArchiveError(ValueError):
    """An archive that cannot be used; the message says why, in a few words."""


def directory() -> Path:
    return cache_root() / "browser-bytecode"


def key(pyodide_version: str, engine: str, root: str) -> str:
    """The archive's key: Pyodide version, browser engine, the project's root."""
    text = json.dumps([FORMAT, pyodide_version, engine, root])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def safe_path(path: object) -> bool:
    """Whether ``path`` may name a file of an archive: relative, plain components (no ``..``,
    ``.`` or empty one, no backslash or NUL), and a ``.pyc``."""
    if not isinstance(path, str) or not path.endswith(".pyc") or path.startswith("/"):
        return False
    if "\\" in path or "\0" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def pack(name: str, files: list[tuple[str, bytes]]) -> bytes:
    """The archive of ``files`` ((path relative to ``PREFIX``, bytes)) for key ``name``."""
    for path, _ in files:
        if not safe_path(path):
            raise ArchiveError(f"unsafe path {path!r}")
    entries = [[path, len(data)] for path, data in files]
    header = json.dumps({"key": name, "files": entries}, separators=(",", ":")).encode()  # as JSON.stringify
    body = b"".join([len(header).to_bytes(4, "little"), header, *(data for _, data in files)])
    return MAGIC + FORMAT.to_bytes(4, "little") + zlib.crc32(body).to_bytes(4, "little") + body


def parse(data: bytes, name: str) -> list[tuple[str, bytes]]:
    """The files of an archive made for key ``name``; ``ArchiveError`` if it is not one."""
    if len(data) < FIXED or data[:8] != MAGIC:
        raise ArchiveError("not a bytecode archive")
    if int.from_bytes(data[8:12], "little") != FORMAT:
        raise ArchiveError("other format")
    if zlib.crc32(memoryview(data)[16:]) != int.from_bytes(data[12:16], "little"):
        raise ArchiveError("checksum mismatch")
    length = int.from_bytes(data[16:20], "little")
    files, offset = [], FIXED + length
    for path, size in _entries(data[FIXED : FIXED + length], name):
        files.append((path, bytes(data[offset : offset + size])))
        offset += size
    if offset != len(data):
        raise ArchiveError("truncated")
    return files


def _entries(raw: bytes, name: str) -> list[tuple[str, int]]:
    """(path, size) of each file an archive's JSON header lists, checked."""
    try:
        header = json.loads(raw)
    except ValueError:
        raise ArchiveError("bad header") from None
    if not isinstance(header, dict) or header.get("key") != name:
        raise ArchiveError("other key")
    entries = header.get("files")
    if not isinstance(entries, list):
        raise ArchiveError("bad header")
    checked = []
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], int) and entry[1] >= 0):
            raise ArchiveError("bad header")
        if not safe_path(entry[0]):
            raise ArchiveError(f"unsafe path {str(entry[0])[:80]!r}")
        checked.append((entry[0], entry[1]))
    return checked


def merge(new: list[tuple[str, bytes]], old: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """``new``, then every file of ``old`` it does not have (``new`` wins), within
    ``MAX_ARCHIVE``: what another runtime compiled is kept, unless that would overflow."""
    names = {path for path, _ in new}
    kept = [(path, data) for path, data in old if path not in names]
    total = sum(len(data) for _, data in (*new, *kept))
    return new + kept if total <= MAX_ARCHIVE else new


class BrowserBytecode:
    """One browser runtime's archive, as its run's server lends it and takes it back."""

    def __init__(self, name: str) -> None:
        self.key = name

    @property
    def path(self) -> Path:
        return directory() / self.key / NAME

    def lookup(self) -> bytes | None:
        """The archive's bytes (marked as used), or None when there is none (or no cache)."""
        with contextlib.suppress(OSError):
            folder = self.path.parent
            data = self.path.read_bytes()
            os.utime(folder)  # most recently used: pruned last
            return data
        return None

    def save(self, size: int, read: Callable[[int], bytes]) -> str:
        """Store an upload of ``size`` bytes (``read(n)`` gives them), merged with the archive
        held for this key, atomically. Returns "" when saved, else why not."""
        if size > MAX_ARCHIVE:
            return "too large"
        try:
            files = parse(b"".join(upload_chunks(size, read)), self.key)
        except (OSError, ArchiveError) as exc:
            return str(exc)
        with _SAVING:
            old: list[tuple[str, bytes]] = []
            with contextlib.suppress(OSError, ArchiveError):
                old = parse(self.path.read_bytes(), self.key)
            try:
                folder = self.path.parent
                if not folder.is_dir():
                    prune(directory())
                    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
                atomic_write_bytes(self.path, pack(self.key, merge(files, old)))
            except OSError as exc:
                return f"cannot write it: {exc.strerror or exc}"
        return ""


def drop(sources: Iterable[Path]) -> None:
    """Remove the bytecode of ``sources`` from every archive: watch mode does it for the
    files that changed before it runs them again (``harness.provision.boot.drop_bytecode``
    says why: bytecode is reused while its source's size and mtime in whole seconds match)."""
    patterns = [
        f"{glob.escape(source.parent.relative_to(source.anchor).as_posix())}/{glob.escape(source.stem)}.*.pyc"
        for source in sources
    ]
    with contextlib.suppress(OSError):
        for folder in directory().iterdir():
            held = BrowserBytecode(folder.name)
            with _SAVING, contextlib.suppress(OSError, ArchiveError):
                files = parse(held.path.read_bytes(), held.key)
                kept = [(path, data) for path, data in files if not any(fnmatch.fnmatchcase(path, p) for p in patterns)]
                if len(kept) < len(files):
                    atomic_write_bytes(held.path, pack(held.key, kept))


def prune(folder: Path, keep: int = KEEP) -> None:
    """Delete all but the ``keep - 1`` most recently used archives (room for the one about
    to be written) and temp files left by killed processes."""
    now = time.time()
    used: list[tuple[float, Path]] = []
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            with contextlib.suppress(OSError):
                used.append((entry.stat().st_mtime, entry))
                for tmp in entry.glob(f"{TMP_PREFIX}*"):
                    if now - tmp.stat().st_mtime > STALE_TMP_SECONDS:
                        tmp.unlink()
    used.sort(reverse=True)
    for _, old in used[max(keep - 1, 0) :]:
        with contextlib.suppress(OSError):
            for file in old.iterdir():
                file.unlink()
            old.rmdir()
