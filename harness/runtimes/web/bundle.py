"""Directory trees packed into one response, for runtimes that cannot mount the host.

A browser has no NODEFS: the project (and site-packages) must be copied into Pyodide's
in-memory file system at the same absolute paths before pytest starts. One request per
tree keeps that fast; ``browsers/page/runtime.mjs`` unpacks it with ``FS.writeFile`` (no Python
involved, nothing compressed: it travels over loopback).

Format (read by ``unpack`` in ``browsers/page/runtime.mjs``)::

    0  4   length N of the JSON header, little-endian
    4  N   {"dirs": [[path, mode, mtime]], "files": [[path, size, mode, mtime]],
            "links": [[path, target]]}  (absolute paths inside the runtime, mtime in s)
    .. ..  the files' bytes, concatenated in header order

Files written by tests stay in the browser's memory and vanish with it; the host's
``.pytest_cache`` is packed (``--lf``, ``--sw`` read it inside) but written only by the
host, from ``cache_set`` events, exactly as with Node.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

# Directories never copied: version control, caches and environments a test run does not
# read, and which can be huge. A directory holding ``pyvenv.cfg`` is a virtualenv: skipped.
EXCLUDED_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", "node_modules", ".tox", ".nox", ".mypy_cache", ".ruff_cache"}
)
# What a browser runtime accepts per tree; beyond it the user gets a one-line error.
MAX_FILES = 50_000
MAX_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Bundle:
    """One packed tree: where it goes in the runtime, its bytes and their digest (its URL)."""

    root: str
    data: bytes
    digest: str


class _Packer:
    """Collects one tree's directories, files and links, within the size limits."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dirs: list[list[object]] = []
        self.files: list[list[object]] = []
        self.links: list[list[str]] = []
        self.blobs: list[bytes] = []
        self.total = 0

    def add_file(self, path: Path, st: os.stat_result) -> None:
        data = path.read_bytes()
        self.total += len(data)
        if self.total > MAX_BYTES or len(self.files) >= MAX_FILES:
            raise HarnessError(
                f"{self.root} is too large to copy into a browser runtime (over {MAX_FILES} files or "
                f"{MAX_BYTES >> 20} MB); run from a smaller directory or use --runtime node"
            )
        self.files.append([str(path), len(data), stat.S_IMODE(st.st_mode), st.st_mtime])
        self.blobs.append(data)

    def add_dir(self, directory: Path, st: os.stat_result) -> None:
        self.dirs.append([str(directory), stat.S_IMODE(st.st_mode), st.st_mtime])

    def walk(self, directory: Path) -> None:
        self.add_dir(directory, directory.stat())
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                self.links.append([str(path), os.readlink(path)])
            elif entry.is_dir():
                if entry.name not in EXCLUDED_DIRS and not (path / "pyvenv.cfg").exists():
                    self.walk(path)
            elif entry.is_file():
                self.add_file(path, entry.stat())

    def bundle(self) -> Bundle:
        header = json.dumps({"dirs": self.dirs, "files": self.files, "links": self.links}).encode("utf-8")
        data = b"".join([struct.pack("<I", len(header)), header, *self.blobs])
        return Bundle(str(self.root), data, hashlib.sha256(data).hexdigest()[:32])


def pack(root: Path) -> Bundle:
    """Pack the tree at ``root`` (a directory or a single file) for the same path inside."""
    packer = _Packer(root)
    try:
        if root.is_dir():
            packer.walk(root)
        else:
            packer.dirs.append([str(root.parent), 0o755, root.parent.stat().st_mtime])
            packer.add_file(root, root.stat())
    except OSError as exc:
        raise HarnessError(f"cannot read {exc.filename} for the browser runtime: {exc.strerror}") from None
    return packer.bundle()
