"""Files and directories created inside the runtime must honour the umask, as natively.

Emscripten 4+ (Pyodide 0.28 and later) ignores the umask when creating files and
directories: ``open(path, "w")`` on the host mount gives a world-writable 0666 file where
CPython gives 0644. The fix (``umask_on_create.js``) masks the mode in ``FS.open`` and
``FS.mkdir`` with the umask; ``os.umask`` is wrapped so the JS side always knows it.
In a browser the umask syscall itself is a stub (Emscripten's ``__syscall_umask_js`` calls
``process.umask`` under Node and otherwise answers 0, remembering nothing), so there the
wrapper is what holds the umask: it answers the previous value from its own state.
(Pyodide <= 0.27 applies the umask, but starts with 0o777; the runner sets the host's.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

from .emscripten import in_pyodide, load_js, module

NAME = "umask-on-create"
INSTALLED: list[str] = []
_TEST_MASK = 0o022
_STATE: Any = None  # the JS object the wrappers read {umask, enabled}


def _check(directory: str, set_umask: Callable[[int], int]) -> dict[str, bool]:
    """Create a file and a directory under a 0o022 umask; True where the mode is not masked."""
    old = set_umask(_TEST_MASK)
    base = tempfile.mkdtemp(prefix=".wasm_patches-umask-", dir=directory)
    try:
        file_path, dir_path = os.path.join(base, "f"), os.path.join(base, "d")
        os.close(os.open(file_path, os.O_CREAT | os.O_WRONLY, 0o666))
        os.mkdir(dir_path, 0o777)
        return {
            "open_create": os.stat(file_path).st_mode & 0o777 != 0o644,
            "mkdir": os.stat(dir_path).st_mode & 0o777 != 0o755,
        }
    finally:
        set_umask(old)
        for name in ("f", "d"):
            path = os.path.join(base, name)
            if os.path.isdir(path):
                os.rmdir(path)
            elif os.path.exists(path):
                os.unlink(path)
        os.rmdir(base)


def _set_enabled(enabled: bool) -> bool:
    """Switch installed wrappers on/off; False if none are installed in this JS world."""
    try:
        if _STATE is None:
            return False
        _STATE.enabled = enabled
        return True
    except Exception:  # a proxy from before a memory-snapshot restore is dead
        return False


def probe(nodefs_dirs: Sequence[str] | None = None, **_: object) -> dict[str, bool]:
    """Per check, True if any probed file system (MEMFS /tmp, given NODEFS dirs) ignores the umask.

    Measures the runtime itself: wrappers already installed are off while probing.
    """
    was_on = _set_enabled(False)
    try:
        return _probe_dirs(nodefs_dirs, getattr(os.umask, "__wrapped__", os.umask))
    finally:
        if was_on:
            _set_enabled(True)


def _probe_dirs(nodefs_dirs: Sequence[str] | None, set_umask: Callable[[int], int]) -> dict[str, bool]:
    found = {"open_create": False, "mkdir": False}
    for directory in [tempfile.gettempdir(), *(nodefs_dirs or ())]:
        for key, broken in _check(directory, set_umask).items():
            found[key] |= broken
    return found


def verify(nodefs_dirs: Sequence[str] | None = None, **_: object) -> dict[str, bool]:
    """The same checks through ``os.umask`` as a test calls it (the wrapper, once applied)."""
    return _probe_dirs(nodefs_dirs, os.umask)


def apply(defects: dict[str, bool], **_: object) -> None:
    """Install (or re-bind, e.g. after a snapshot restore) the JS wrappers and the os.umask hook."""
    global _STATE
    if not any(defects.values()) or not in_pyodide():
        return
    import js  # js, pyodide: only exist inside Pyodide
    from pyodide.ffi import to_js

    real_umask = getattr(os.umask, "__wrapped__", os.umask)
    current = real_umask(0)
    real_umask(current)
    _STATE = to_js({"umask": current, "enabled": True}, dict_converter=js.Object.fromEntries)
    INSTALLED[:] = str(load_js("umask_on_create.js")(module(), _STATE)).split(",")

    def umask(mask: int) -> int:
        """os.umask that keeps the umask the JS wrappers apply to every created mode; the
        previous value comes from there too (a browser's own umask call always answers 0)."""
        real_umask(mask)  # Node: process.umask, which NODEFS creates files through
        previous = int(_STATE.umask)
        _STATE.umask = mask & 0o777
        return previous

    umask.__wrapped__ = real_umask  # type: ignore[attr-defined]
    os.umask = umask
