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
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

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
_PREFIX = ".wasm_patches-probe-"

#: Filesystems the last probe/verify ran on, e.g. ``["memfs:/tmp", "nodefs:/work/proj"]``.
PROBED_ON: list[str] = []
#: JS functions wrapped by the last ``apply`` (e.g. ``"SYSCALLS.doStat"``).
INSTALLED: list[str] = []


def _in_pyodide() -> bool:
    return sys.platform == "emscripten"


def _module() -> Any:
    """The Emscripten Module (``FS``, ``SYSCALLS``, ``NODEFS`` ...); never cached, because a
    memory-snapshot restore gives a new Module while Python module state survives."""
    import pyodide_js  # only exists inside Pyodide

    return pyodide_js._module


def _node_of(path: str) -> Any:
    return _module().FS.lookupPath(path).node


def _is_nodefs(path: str) -> bool:
    """True when `path` lives on a NODEFS (host directory) mount."""
    try:
        m = _module()
        return bool(m.NODEFS) and _node_of(path).mount.type == m.NODEFS
    except Exception:  # noqa: BLE001 - JsException from lookupPath, or no Module at all
        return False


def _nodefs_mountpoints() -> list[str]:
    """Mountpoints of every NODEFS mount (empty in browsers, where NODEFS does not exist)."""
    try:
        m = _module()
        if not m.NODEFS:
            return []
        return [str(x.mountpoint) for x in m.FS.getMounts(m.FS.root.mount) if x.type == m.NODEFS]
    except Exception:  # noqa: BLE001 - any JS-side surprise means "no mounts known"
        return []


def _writable(d: str) -> bool:
    try:
        fd, p = tempfile.mkstemp(prefix=_PREFIX, dir=d)
    except OSError:
        return False
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(p)
    return True


def _dirs(nodefs_dirs: Sequence[str] | None) -> list[tuple[str, str]]:
    """Pick one MEMFS and at most one NODEFS directory to probe in: explicit dirs first, then
    TMPDIR if it is on NODEFS, then any NODEFS mountpoint that accepts a scratch file."""
    found: list[tuple[str, str]] = []
    for d in ("/tmp", "/home/pyodide", "/"):
        if os.path.isdir(d) and not _is_nodefs(d) and _writable(d):
            found.append(("memfs", d))
            break
    candidates = [*(nodefs_dirs or ()), tempfile.gettempdir(), *_nodefs_mountpoints()]
    for d in candidates:
        if os.path.isdir(d) and _is_nodefs(d) and _writable(d):
            found.append(("nodefs", d))
            break
    return found


@contextlib.contextmanager
def _unlinked(d: str, data: bytes = b"12345") -> Iterator[int]:
    """An fd of a file in `d` that was unlinked while open (what TemporaryFile gives)."""
    fd, p = tempfile.mkstemp(prefix=_PREFIX, dir=d)
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
    if not _in_pyodide():
        PROBED_ON[:] = []
        return out
    old_umask = os.umask(0o077)  # Pyodide <= 0.27 starts with umask 0o777: files would be 000
    try:
        dirs = _dirs(nodefs_dirs)
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
    return bool(getattr(_module().FS, "dupStream", None))


def _collapse(det: dict[str, dict[str, str | None]]) -> dict[str, bool]:
    return {c: any(v is not None for v in det[c].values()) for c in CHECKS}


@contextlib.contextmanager
def _wrappers(enabled: bool) -> Iterator[None]:
    """Temporarily switch installed JS wrappers on/off (no-op when none are installed)."""
    st = None
    if _in_pyodide():
        st = getattr(_module(), _STATE_KEY, None)
    if st is None:
        yield
        return
    before = bool(st.enabled)
    st.enabled = enabled
    try:
        yield
    finally:
        st.enabled = before


def probe(nodefs_dirs: Sequence[str] | None = None, **_: object) -> dict[str, bool]:
    """Defects of the runtime itself (installed wrappers bypassed): True = defect present."""
    with _wrappers(False):
        return _collapse(detail(nodefs_dirs))


def verify(nodefs_dirs: Sequence[str] | None = None, **_: object) -> dict[str, bool]:
    """Same checks with the wrappers active: True = still failing after `apply`."""
    with _wrappers(True):
        return _collapse(detail(nodefs_dirs))


def apply(defects: dict[str, bool], **_: object) -> None:
    """Install the JS hooks needed for the present defects (idempotent per Module).

    Options such as `nodefs_dirs` are accepted and ignored: the hooks cover every mount.
    """
    wanted = [h for h, checks in HOOKS.items() if any(defects.get(c) for c in checks)]
    if not wanted or not _in_pyodide():
        return
    from pyodide.code import run_js

    js_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fd_without_path.js")
    with open(js_file, encoding="utf-8") as f:
        installer = run_js(f.read())
    keys = str(installer(_module(), ",".join(wanted)))
    INSTALLED[:] = [k for k in keys.split(",") if k]
