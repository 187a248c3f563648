"""Patch: fd-based file operations must not depend on the file still having a path.

Why: Emscripten 3.1.58 (Pyodide 0.26.x/0.27.x) answers ``fstat(fd)`` by looking the fd's
*path* up again, and NODEFS answers ``ftruncate``/``fchmod``/``fchown``/``futimens`` through
the host path too. For a file that was unlinked while open (every ``tempfile.TemporaryFile``)
those calls raise ``FileNotFoundError: [Errno 44]``; pytest >= 9.2 calls
``os.fstat(tmpfile.fileno())`` in fd capture, so every run crashes. ``os.utime(fd)`` on an
unlinked file still fails on Emscripten 4/5 (Pyodide 0.28 ... 315).

The probe measures each sub-check on MEMFS and, when one is mounted, on a NODEFS directory.
The fix lives in ``fd_without_path.js``: it wraps Emscripten's JS-side functions so that,
only after the original raised ENOENT for an fd-based call, the answer comes from the open
stream (MEMFS node, or the host fd through Node's ``fs``). Importable on plain CPython: the
``js``/``pyodide`` modules are imported inside functions only.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .emscripten import SCRATCH_PREFIX, in_pyodide, load_js, module, probe_dirs, switched

NAME = "fd-without-path"

CHECKS: tuple[str, ...] = (
    "fstat",
    "stat_fd",
    "ftruncate",
    "truncate",
    "fchmod",
    "fchown",
    "utime_fd",
    "dup_fstat",
    "pipe_fstat",
    "tempfile_on_nodefs",
)

# Which JS hook (see fd_without_path.js) repairs which sub-check.
HOOKS: dict[str, tuple[str, ...]] = {
    "stat": ("fstat", "stat_fd", "dup_fstat", "pipe_fstat", "tempfile_on_nodefs"),
    "ftruncate": ("ftruncate", "truncate", "tempfile_on_nodefs"),
    "fchmod": ("fchmod",),
    "fchown": ("fchown",),
    "utime": ("utime_fd",),
}

_STATE_KEY = "__wasmPatchesFdWithoutPath"

#: Filesystems the last probe/verify ran on, e.g. ``["memfs:/tmp", "nodefs:/work/proj"]``.
PROBED_ON: list[str] = []
#: JS functions wrapped by the last ``apply`` (e.g. ``"SYSCALLS.doStat"``).
INSTALLED: list[str] = []


@contextlib.contextmanager
def _unlinked(d: str, data: bytes = b"12345") -> Iterator[int]:
    """An fd of a file in `d` that was unlinked while open (what TemporaryFile gives)."""
    fd, p = tempfile.mkstemp(prefix=SCRATCH_PREFIX, dir=d)
    try:
        os.write(fd, data)
        os.unlink(p)
        yield fd
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(p)


def _expect(cond: bool, what: str) -> None:
    if not cond:
        raise AssertionError(what)


def _c_fstat(d: str) -> None:
    with _unlinked(d) as fd:
        st = os.fstat(fd)
        _expect(stat.S_ISREG(st.st_mode) and st.st_size == 5, f"fstat gave {st}")


def _c_stat_fd(d: str) -> None:
    with _unlinked(d) as fd:
        st = os.stat(fd)
        _expect(stat.S_ISREG(st.st_mode) and st.st_size == 5, f"stat(fd) gave {st}")


def _c_ftruncate(d: str) -> None:
    with _unlinked(d) as fd:
        os.ftruncate(fd, 2)
        _expect(os.lseek(fd, 0, os.SEEK_END) == 2, "size after ftruncate")


def _c_truncate(d: str) -> None:
    with _unlinked(d) as fd, open(fd, "r+b", closefd=False) as f:
        f.truncate(3)
        _expect(f.seek(0, os.SEEK_END) == 3, "size after truncate")


def _c_fchmod(d: str) -> None:
    with _unlinked(d) as fd:
        os.fchmod(fd, 0o640)
        os.fchmod(fd, 0o600)


def _c_fchown(d: str) -> None:
    with _unlinked(d) as fd:
        os.fchown(fd, os.getuid(), os.getgid())


def _c_utime_fd(d: str) -> None:
    with _unlinked(d) as fd:
        os.utime(fd, (1_000_000, 2_000_000))
        with contextlib.suppress(OSError):  # fstat may be broken on its own; checked there
            _expect(int(os.fstat(fd).st_mtime) == 2_000_000, "mtime after utime(fd)")


def _c_dup_fstat(d: str) -> None:
    with _unlinked(d) as fd:
        dup = os.dup(fd)
        try:
            a, b = os.fstat(fd), os.fstat(dup)
            _expect((a.st_ino, a.st_size) == (b.st_ino, b.st_size), "dup disagrees")
        finally:
            os.close(dup)


def _c_pipe_fstat() -> None:
    r, w = os.pipe()
    try:
        _expect(all(stat.S_ISFIFO(os.fstat(x).st_mode) for x in (r, w)), "pipe not S_IFIFO")
    finally:
        os.close(r)
        os.close(w)


def _c_tempfile(d: str) -> None:
    """What pytest's fd capture does with its TemporaryFile."""
    with tempfile.TemporaryFile(dir=d) as f:
        f.write(b"abc")
        f.flush()
        _expect(os.fstat(f.fileno()).st_size == 3, "size after write")
        f.seek(0)
        f.truncate()
        _expect(os.fstat(f.fileno()).st_size == 0, "size after truncate")


_PER_DIR: dict[str, Callable[[str], None]] = {
    "fstat": _c_fstat,
    "stat_fd": _c_stat_fd,
    "ftruncate": _c_ftruncate,
    "truncate": _c_truncate,
    "fchmod": _c_fchmod,
    "fchown": _c_fchown,
    "utime_fd": _c_utime_fd,
    "dup_fstat": _c_dup_fstat,
}


def detail(nodefs_dirs: Sequence[str] | None = None) -> dict[str, dict[str, str | None]]:
    """Run every sub-check as the runtime behaves right now (patched or not).

    Returns ``{check: {"memfs"|"nodefs"|"-": None if it worked else the error}}``.
    """
    out: dict[str, dict[str, str | None]] = {c: {} for c in CHECKS}
    if not in_pyodide():
        PROBED_ON[:] = []
        return out
    old_umask = os.umask(0o077)  # Pyodide <= 0.27 starts with umask 0o777: files would be 000
    try:
        dirs = probe_dirs(nodefs_dirs)
        PROBED_ON[:] = [f"{kind}:{d}" for kind, d in dirs]

        def run(check: str, where: str, fn: Callable[[], None]) -> None:
            try:
                fn()
                out[check][where] = None
            except Exception as e:  # noqa: BLE001 - any failure (OSError, bad value) is the defect
                out[check][where] = f"{type(e).__name__}: {e}"

        for kind, d in dirs:
            for check, fn in _PER_DIR.items():
                if check == "dup_fstat" and kind == "nodefs" and not _dup_shares_host_fd():
                    continue
                run(check, kind, functools.partial(fn, d))
            if kind == "nodefs":
                run("tempfile_on_nodefs", kind, functools.partial(_c_tempfile, d))
        run("pipe_fstat", "-", _c_pipe_fstat)
    finally:
        os.umask(old_umask)
    return out


def _dup_shares_host_fd() -> bool:
    """Emscripten < 3.1.58 (Pyodide <= 0.25) dups NODEFS streams without a refcount: closing
    the dup closes the host fd under the original (a separate upstream bug). Probing it there
    would close a host fd twice, so that sub-check is skipped on NODEFS."""
    return bool(getattr(module().FS, "dupStream", None))


def _collapse(det: dict[str, dict[str, str | None]]) -> dict[str, bool]:
    return {c: any(v is not None for v in det[c].values()) for c in CHECKS}


def _state() -> Any:
    """The installed wrappers' switch, or None (none installed in this JS world)."""
    return getattr(module(), _STATE_KEY, None) if in_pyodide() else None


def probe(nodefs_dirs: Sequence[str] | None = None, **_: object) -> dict[str, bool]:
    """Defects of the runtime itself (installed wrappers bypassed): True = defect present."""
    with switched(_state(), False):
        return _collapse(detail(nodefs_dirs))


def verify(nodefs_dirs: Sequence[str] | None = None, **_: object) -> dict[str, bool]:
    """Same checks with the wrappers active: True = still failing after `apply`."""
    with switched(_state(), True):
        return _collapse(detail(nodefs_dirs))


def apply(defects: dict[str, bool], **_: object) -> None:
    """Install the JS hooks needed for the present defects (idempotent per Module).

    Options such as `nodefs_dirs` are accepted and ignored: the hooks cover every mount.
    """
    wanted = [h for h, checks in HOOKS.items() if any(defects.get(c) for c in checks)]
    if not wanted or not in_pyodide():
        return
    keys = str(load_js("fd_without_path.js")(module(), ",".join(wanted)))
    INSTALLED[:] = [k for k in keys.split(",") if k]
