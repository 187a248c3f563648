"""Files and directories created inside the runtime must honour the umask, as natively.

Emscripten 4+ (Pyodide 0.28 and later) ignores the umask when creating files and
directories: ``open(path, "w")`` on the host mount gives a world-writable 0666 file where
CPython gives 0644. The fix (``umask_on_create.js``) masks the mode in ``FS.open`` and
``FS.mkdir`` with the umask; ``os.umask`` is wrapped so the JS side always knows it.
(Pyodide <= 0.27 applies the umask, but starts with 0o777; the runner sets the host's.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

NAME = "umask-on-create"
INSTALLED: list[str] = []
_TEST_MASK = 0o022


def _in_pyodide() -> bool:
    import sys

    return sys.platform == "emscripten"


def _check(directory: str) -> dict[str, bool]:
    """Create a file and a directory under a 0o022 umask; True where the mode is not masked."""
    old = os.umask(_TEST_MASK)
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
        os.umask(old)
        for name in ("f", "d"):
            path = os.path.join(base, name)
            if os.path.isdir(path):
                os.rmdir(path)
            elif os.path.exists(path):
                os.unlink(path)
        os.rmdir(base)


def probe(nodefs_dirs: Sequence[str] | None = None, **_: object) -> dict[str, bool]:
    """Per check, True if any probed file system (MEMFS /tmp, given NODEFS dirs) ignores the umask."""
    found = {"open_create": False, "mkdir": False}
    for directory in [tempfile.gettempdir(), *(nodefs_dirs or ())]:
        for key, broken in _check(directory).items():
            found[key] |= broken
    return found


verify = probe


def apply(defects: dict[str, bool], **_: object) -> None:
    if not any(defects.values()) or not _in_pyodide():
        return
    import js  # type: ignore[import-not-found]  # js, pyodide*: only exist inside Pyodide
    import pyodide_js  # type: ignore[import-not-found]
    from pyodide.code import run_js  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    current = os.umask(0)
    os.umask(current)
    state = to_js({"umask": current}, dict_converter=js.Object.fromEntries)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "umask_on_create.js"), encoding="utf-8") as f:
        installer = run_js(f.read())
    INSTALLED[:] = str(installer(pyodide_js._module, state)).split(",")
    original = os.umask

    def umask(mask: int) -> int:
        """os.umask that also tells the JS wrappers (they mask every created mode)."""
        previous = original(mask)
        state.umask = mask
        return previous

    umask.__wrapped__ = original  # type: ignore[attr-defined]
    os.umask = umask
