"""The on-disk cache (Pyodide distributions, wheels, unpacked site-packages).

Several harness processes (parallel CI jobs, concurrent workers) may fill the same cache at
once, and any of them may be killed half-way. So nothing is ever written in place: entries are
built under a ``.tmp-*`` name in the same directory and renamed into place, which is atomic on
one filesystem. A reader therefore sees either no entry or a complete one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs

from harness.errors import HarnessError

TMP_PREFIX = ".tmp-"


def cache_root() -> Path:
    """The cache directory: ``$HARNESS_CACHE`` if set (CI, tests), else the user cache dir."""
    env = os.environ.get("HARNESS_CACHE")
    root = Path(env).expanduser() if env else Path(platformdirs.user_cache_dir("harness"))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"cannot create cache directory {root}: {exc.strerror or exc}") from None
    return root.absolute()


@contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Yield a fresh temp dir beside ``final``; on a clean exit rename it to ``final``.

    If ``final`` appeared meanwhile (another process won the race), the temp dir is dropped
    and the winner's entry is kept: both were built from the same inputs. If the body raises,
    the temp dir is removed and ``final`` is left untouched, so no half-written entry is seen.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=final.parent))
    try:
        yield tmp
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def remove_dir(path: Path) -> None:
    """Remove a cache entry so that no reader ever sees it half-deleted.

    The entry is first renamed to a temp name (atomic), then deleted at leisure.
    """
    trash = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=path.parent)) / path.name
    with contextlib.suppress(FileNotFoundError):  # someone else removed it already
        os.rename(path, trash)
    shutil.rmtree(trash.parent, ignore_errors=True)


def upload_chunks(size: int, read: Callable[[int], bytes]) -> Iterator[bytes]:
    """The ``size`` bytes of an upload a runtime sends for the cache (``read(n)`` gives at
    most ``n``), at most 1 MB at a time; ``OSError`` if the upload ends early."""
    left = size
    while left:
        chunk = read(min(left, 1 << 20))
        if not chunk:
            raise OSError("upload ended early")
        yield chunk
        left -= len(chunk)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same dir and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def content_path(sha256: str, name: str) -> Path:
    """Where the content store keeps the file ``name`` whose sha256 is ``sha256``.

    The store is addressed by content: a user's local wheel and a download of the same file
    name with other bytes live side by side and never replace each other, and nothing in it
    is ever handed to pip as a place to find packages.
    """
    return cache_root() / "files" / sha256 / name


def store_file(source: Path, name: str | None = None) -> tuple[Path, str]:
    """Copy ``source`` into the content store (once); return (stored path, sha256)."""
    sha256 = file_sha256(source)
    target = content_path(sha256, name or source.name)
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=target.parent)
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return target, sha256


def store_bytes(data: bytes, sha256: str, name: str) -> Path:
    """Put verified ``data`` (its sha256 already checked) into the content store."""
    target = content_path(sha256, name)
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)
    return target


def say(message: str) -> None:
    """One line about the cache (an entry rebuilt) on stderr: the run goes on."""
    print(f"harness: {message}", file=sys.stderr, flush=True)
