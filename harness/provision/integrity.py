"""What a cache entry held when it was written, to tell later whether it still does.

Entries land atomically (``store.atomic_dir``), but a disk that fills up, a backup restore or
a stray editor can still damage a file inside one afterwards, and a damaged entry would fail
every later run. So each entry records every file's size and SHA-256 when it is built.
Every run compares sizes (a ``stat`` per file: truncation, the common damage); a failure
that points at the entry (a runtime that cannot boot) compares contents too. The caller
rebuilds what does not match and says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from harness.provision.store import file_sha256

# relative path -> [size, sha256 hex]
Records = dict[str, list[object]]


def record(root: Path, skip: Iterable[str] = ()) -> Records:
    """Size and SHA-256 of every regular file under ``root`` (paths relative, ``/``-separated)."""
    skipped = set(skip)
    records: Records = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if relative in skipped or not path.is_file() or path.is_symlink():
            continue
        records[relative] = [path.stat().st_size, file_sha256(path)]
    return records


def wrong_sizes(root: Path, records: Mapping[str, list[object]]) -> list[str]:
    """The recorded files that are missing or whose size changed (cheap: one stat each)."""
    wrong = []
    for relative, (size, _) in records.items():
        try:
            if os.stat(root / relative).st_size != size:
                wrong.append(relative)
        except OSError:
            wrong.append(relative)
    return wrong


def wrong_contents(root: Path, records: Mapping[str, list[object]]) -> list[str]:
    """The recorded files that are missing or whose content changed (reads every byte)."""
    wrong = []
    for relative, (size, digest) in records.items():
        try:
            if os.stat(root / relative).st_size != size or file_sha256(root / relative) != digest:
                wrong.append(relative)
        except OSError:
            wrong.append(relative)
    return wrong


def describe(names: list[str]) -> str:
    """``a, b and 3 more`` for a one-line message."""
    shown = ", ".join(names[:2])
    return shown + (f" and {len(names) - 2} more" if len(names) > 2 else "")
