"""fd-based file operations on files that have no path any more (unlinked while open).

Why: Pyodide <= 0.27 (Emscripten 3.1.58) fails these with ``[Errno 44]`` and pytest >= 9.2
crashes in fd capture; ``wasm_patches.fd_without_path`` repairs them. These tests run inside
the runtime (after ``wasm_patches.apply_all()``) and on host CPython, where they document
the POSIX behaviour the patch has to reproduce. Each file test runs on MEMFS (``/tmp`` in the
runtime) and on a host-mounted NODEFS directory (a scratch dir next to this file).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

IN_PYODIDE = sys.platform == "emscripten"
HERE = Path(__file__).resolve().parent


def _fs_type(path: str) -> str:
    """'nodefs' / 'memfs'-ish name of the Emscripten filesystem holding `path`."""
    import pyodide_js  # only inside Pyodide

    m = pyodide_js._module
    node = m.FS.lookupPath(path).node
    return "nodefs" if m.NODEFS and node.mount.type == m.NODEFS else "memfs"


@pytest.fixture(params=["memfs", "nodefs"])
def fs_dir(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh directory on MEMFS or on the host mount (NODEFS); removed afterwards."""
    name = f".fdtmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    root = Path("/tmp") if request.param == "memfs" and IN_PYODIDE else HERE
    if request.param == "memfs" and not IN_PYODIDE:
        root = Path(tempfile.gettempdir())
    d = root / name
    d.mkdir()
    d.chmod(0o700)  # not mode 000 even under Pyodide <= 0.27's initial umask 0o777
    try:
        if IN_PYODIDE and _fs_type(str(d)) != request.param:
            pytest.skip(f"{d} is not on {request.param} in this runtime")
        yield str(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _unlinked(d: str, data: bytes = b"") -> tuple[int, os.stat_result]:
    """fd of a file unlinked while open, and the file's stat taken while it had a path."""
    fd, p = tempfile.mkstemp(dir=d)
    os.write(fd, data)
    before = os.stat(p)
    os.unlink(p)
    return fd, before


def test_size_tracks_writes_and_truncation(fs_dir: str) -> None:
    with tempfile.TemporaryFile(dir=fs_dir) as f:
        fd = f.fileno()
        assert os.fstat(fd).st_size == 0
        f.write(b"x" * 10)
        f.flush()
        assert os.fstat(fd).st_size == 10
        assert os.stat(fd).st_size == 10
        f.truncate(4)  # shrink through FileIO.truncate
        assert os.fstat(fd).st_size == 4
        os.ftruncate(fd, 100)  # grow through os.ftruncate
        assert os.fstat(fd).st_size == 100
        f.seek(0)
        assert f.read() == b"x" * 4 + b"\0" * 96
        f.seek(0)
        f.truncate()
        assert os.fstat(fd).st_size == 0
        f.write(b"abc")
        f.flush()
        assert os.fstat(fd).st_size == 3


def test_mode_and_inode_survive_unlink(fs_dir: str) -> None:
    fd, before = _unlinked(fs_dir, b"12345")
    try:
        st = os.fstat(fd)
        assert stat.S_ISREG(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == stat.S_IMODE(before.st_mode)
        assert (st.st_ino, st.st_dev, st.st_size) == (before.st_ino, before.st_dev, 5)
        assert os.fstat(fd).st_ino == st.st_ino  # stable across calls
        assert os.stat(fd).st_ino == st.st_ino
    finally:
        os.close(fd)


def test_distinct_files_have_distinct_inodes(fs_dir: str) -> None:
    with tempfile.TemporaryFile(dir=fs_dir) as a, tempfile.TemporaryFile(dir=fs_dir) as b:
        assert os.fstat(a.fileno()).st_ino != os.fstat(b.fileno()).st_ino


def test_dup_and_dup2_agree(fs_dir: str) -> None:
    if IN_PYODIDE and fs_dir.startswith(str(HERE)):
        import pyodide_js

        if not getattr(pyodide_js._module.FS, "dupStream", None):
            pytest.skip("Emscripten < 3.1.58: dup of a NODEFS fd shares the host fd unrefcounted")
    fd, _ = _unlinked(fs_dir)
    d1 = os.dup(fd)
    d2 = os.open(os.devnull, os.O_RDONLY)
    os.dup2(fd, d2)
    try:
        os.write(d1, b"hello")
        stats = [os.fstat(x) for x in (fd, d1, d2)]
        assert {(s.st_ino, s.st_size) for s in stats} == {(stats[0].st_ino, 5)}
        os.ftruncate(d2, 2)
        assert os.fstat(fd).st_size == 2
    finally:
        for x in (fd, d1, d2):
            os.close(x)


def test_fchmod_fchown_on_unlinked(fs_dir: str) -> None:
    fd, _ = _unlinked(fs_dir, b"z")
    try:
        os.fchmod(fd, 0o640)
        assert stat.S_IMODE(os.fstat(fd).st_mode) == 0o640
        os.chmod(fd, 0o600)  # os.chmod(fd) is fchmod too
        assert stat.S_IMODE(os.fstat(fd).st_mode) == 0o600
        os.fchown(fd, os.getuid(), os.getgid())
        assert stat.S_ISREG(os.fstat(fd).st_mode)
    finally:
        os.close(fd)


def test_utime_fd_on_unlinked(fs_dir: str) -> None:
    fd, _ = _unlinked(fs_dir, b"z")
    try:
        os.utime(fd, (1_000_000, 2_000_000))
        assert int(os.fstat(fd).st_mtime) == 2_000_000
        os.utime(fd)  # "now"
        assert abs(os.fstat(fd).st_mtime - time.time()) < 60
    finally:
        os.close(fd)


def test_path_calls_still_see_the_unlink(fs_dir: str) -> None:
    """The fallback is for fd-based calls only: path lookups must keep failing."""
    fd, p = tempfile.mkstemp(dir=fs_dir)
    try:
        os.unlink(p)
        os.fstat(fd)  # leaves the fd's stream as the most recent one
        with pytest.raises(FileNotFoundError):
            os.stat(p)
        os.fstat(fd)
        with pytest.raises(FileNotFoundError):
            os.utime(p, (1, 2))
        if os.stat in os.supports_dir_fd:
            dfd = os.open(fs_dir, os.O_RDONLY)
            try:
                os.fstat(dfd)
                with pytest.raises(FileNotFoundError):
                    os.stat(os.path.basename(p), dir_fd=dfd)
            finally:
                os.close(dfd)
    finally:
        os.close(fd)


def test_files_with_a_path_are_untouched(fs_dir: str) -> None:
    p = os.path.join(fs_dir, "kept")
    with open(p, "wb") as f:
        f.write(b"abcdef")
        f.flush()
        a, b = os.fstat(f.fileno()), os.stat(p)
        assert (a.st_ino, a.st_mode, a.st_size, a.st_dev) == (b.st_ino, b.st_mode, 6, b.st_dev)


def test_bad_fd_still_ebadf() -> None:
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    for call in (os.fstat, lambda x: os.ftruncate(x, 0), lambda x: os.utime(x)):
        with pytest.raises(OSError) as e:
            call(fd)
        assert e.value.errno == errno.EBADF


def test_pipes() -> None:
    r, w = os.pipe()
    try:
        for x in (r, w):
            assert stat.S_ISFIFO(os.fstat(x).st_mode)
        os.write(w, b"ping")
        assert os.read(r, 4) == b"ping"
    finally:
        os.close(r)
        os.close(w)


def test_dev_null() -> None:
    fd = os.open(os.devnull, os.O_RDWR)
    try:
        st = os.fstat(fd)
        ref = os.stat(os.devnull)
        assert stat.S_ISCHR(st.st_mode)
        assert (st.st_ino, st.st_mode, st.st_rdev) == (ref.st_ino, ref.st_mode, ref.st_rdev)
        assert os.write(fd, b"gone") == 4
        assert os.read(fd, 10) == b""
    finally:
        os.close(fd)


def test_pytest_capture_sequence(fs_dir: str) -> None:
    """What pytest's FDCapture.snap() does with its TemporaryFile, several times over."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", dir=fs_dir) as tmp:
        for text in ("first\n", "", "x" * 70_000):
            tmp.write(text)
            tmp.flush()
            assert os.fstat(tmp.fileno()).st_size == len(text)
            tmp.seek(0)
            assert tmp.read() == text
            tmp.seek(0)
            tmp.truncate()


# --- the patch's own report -------------------------------------------------------------


def test_report_matches_the_runtime() -> None:
    import wasm_patches

    nodefs = HERE / f".fdtmp-report-{uuid.uuid4().hex[:8]}"
    nodefs.mkdir()
    try:
        results = wasm_patches.apply_all(nodefs_dirs=[str(nodefs)])
        res = next(r for r in results if r["name"] == "fd-without-path")
    finally:
        shutil.rmtree(nodefs, ignore_errors=True)
    assert res["name"] == "fd-without-path"
    assert "error" not in res
    present = {k for k, v in res["defects"].items() if v}
    if not IN_PYODIDE:
        assert present == set()
        assert not res["applied"]
        assert wasm_patches.summary([res]) == "patches: none needed"
        return
    assert any(p.startswith("nodefs:") for p in res["probed_on"]), res["probed_on"]
    if sys.version_info < (3, 13):  # Pyodide 0.26/0.27, Emscripten 3.1.58
        assert present == set(res["defects"])  # every sub-check fails unpatched
    else:  # Pyodide 0.28+: only FS.utime is still path-based
        assert present == {"utime_fd"}
        hooks = {"SYSCALLS.getStreamFromFD", "SYSCALLS.getStr", "FS.utime"}
        assert set(res["installed"]) == hooks
    assert res["applied"] is True
    assert all(res["fixed"].values()), res["fixed"]
    assert res["unpatchable"] == []
    assert wasm_patches.summary([res]).startswith("patches: fd-without-path (")

    # probing only (--no-patches) must not remove patches that are already in place
    off = next(r for r in wasm_patches.apply_all(enabled=False) if r["name"] == "fd-without-path")
    line = wasm_patches.summary([off])
    assert line.startswith("patches: disabled (--no-patches); defects present: fd-without-path (")
    with tempfile.TemporaryFile() as f:
        os.fstat(f.fileno())
        os.utime(f.fileno())


def test_summary_lines() -> None:
    import wasm_patches

    base = {"name": "p", "enabled": True, "applied": False, "fixed": {}, "unpatchable": []}
    none = {**base, "defects": {"a": False}}
    some = {**base, "defects": {"a": True, "b": False, "c": True}, "applied": True}
    stuck = {**some, "unpatchable": ["c"]}
    assert wasm_patches.summary([none]) == "patches: none needed"
    assert wasm_patches.summary([some]) == "patches: p (a, c)"
    assert wasm_patches.summary([stuck]) == "patches: p (a, c; still failing: c)"
    off = {**some, "enabled": False, "applied": False}
    disabled = "patches: disabled (--no-patches); defects present: "
    assert wasm_patches.summary([off]) == disabled + "p (a, c)"
    assert wasm_patches.summary([{**none, "enabled": False}]) == disabled + "none"
    failed = {**some, "applied": False, "error": "RuntimeError: x"}
    assert wasm_patches.summary([failed]) == "patches: p (a, c; patch failed: RuntimeError: x)"


@pytest.mark.skipif(IN_PYODIDE, reason="host CPython only")
def test_host_import_and_probe_are_inert() -> None:
    from wasm_patches import fd_without_path

    assert fd_without_path.probe() == dict.fromkeys(fd_without_path.CHECKS, False)
    fd_without_path.apply(dict.fromkeys(fd_without_path.CHECKS, True))  # no-op off Pyodide
