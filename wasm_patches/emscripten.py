"""What every patch needs from the runtime it fixes: the Emscripten Module, its JS halves,
and the directories to probe in.

Why one module: each patch probes and installs through the same few handles, and the
probe directories must be chosen alike (one MEMFS and at most one host-mounted NODEFS
directory) so that ``harness probe`` reports every patch on the same file systems.
Importable on plain CPython: ``js``/``pyodide`` are imported inside functions only.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

SCRATCH_PREFIX = ".wasm_patches-probe-"


def in_pyodide() -> bool:
    return sys.platform == "emscripten"


def module() -> Any:
    """The Emscripten Module (``FS``, ``SYSCALLS``, ``NODEFS`` ...); never cached, because a
    memory-snapshot restore gives a new Module while Python module state survives."""
    import pyodide_js  # only exists inside Pyodide

    return pyodide_js._module


def load_js(name: str) -> Any:
    """The value of the patch's JS half ``name`` (a plain script next to this module)."""
    from pyodide.code import run_js  # only inside Pyodide

    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), encoding="utf-8") as f:
        return run_js(f.read())


@contextlib.contextmanager
def switched(state: Any, enabled: bool) -> Iterator[None]:
    """Turn a patch's installed JS wrappers on or off for a while (``state.enabled``, which
    the wrappers read; no-op for None, nothing installed): a probe measures the runtime
    itself with them off, a verify the fix with them on."""
    if state is None:
        yield
        return
    before = bool(state.enabled)
    state.enabled = enabled
    try:
        yield
    finally:
        state.enabled = before


def is_nodefs(path: str) -> bool:
    """True when `path` lives on a NODEFS (host directory) mount."""
    try:
        m = module()
        return bool(m.NODEFS) and m.FS.lookupPath(path).node.mount.type == m.NODEFS
    except Exception:  # noqa: BLE001 - JsException from lookupPath, or no Module at all
        return False


def nodefs_mountpoints() -> list[str]:
    """Mountpoints of every NODEFS mount (empty in browsers, where NODEFS does not exist)."""
    try:
        m = module()
        if not m.NODEFS:
            return []
        return [str(x.mountpoint) for x in m.FS.getMounts(m.FS.root.mount) if x.type == m.NODEFS]
    except Exception:  # noqa: BLE001 - any JS-side surprise means "no mounts known"
        return []


def _writable(d: str) -> bool:
    try:
        fd, p = tempfile.mkstemp(prefix=SCRATCH_PREFIX, dir=d)
    except OSError:
        return False
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(p)
    return True


def probe_dirs(nodefs_dirs: Sequence[str] | None) -> list[tuple[str, str]]:
    """Pick one MEMFS and at most one NODEFS directory to probe in: explicit dirs first, then
    TMPDIR if it is on NODEFS, then any NODEFS mountpoint that accepts a scratch file."""
    found: list[tuple[str, str]] = []
    for d in ("/tmp", "/home/pyodide", "/"):
        if os.path.isdir(d) and not is_nodefs(d) and _writable(d):
            found.append(("memfs", d))
            break
    candidates = [*(nodefs_dirs or ()), tempfile.gettempdir(), *nodefs_mountpoints()]
    for d in candidates:
        if os.path.isdir(d) and is_nodefs(d) and _writable(d):
            found.append(("nodefs", d))
            break
    return found
