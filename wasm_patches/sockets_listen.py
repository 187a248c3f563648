"""socket.listen() must fail like in a browser (OSError), not kill the runtime.

In Node, Emscripten's listen() needs the npm package ``ws``; without it a plain JS error
escapes the syscall and Pyodide ends with a fatal error, losing the runtime for every
test after (``socket.socketpair``, ``socketserver``, asyncio servers all listen). The fix
(``sockets_listen.js``) turns that into ENOTSUP, the ordinary ``OSError`` a browser gives.
"""

from __future__ import annotations

import os
import sys
from typing import Any

NAME = "sockets-listen"
INSTALLED: list[str] = []


def _js() -> Any:
    from pyodide.code import run_js  # only inside Pyodide

    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sockets_listen.js"), encoding="utf-8") as f:
        return run_js(f.read())


def _in_pyodide() -> bool:
    return sys.platform == "emscripten"


def _module() -> Any:
    import pyodide_js

    return pyodide_js._module


def probe(**_: object) -> dict[str, bool]:
    """True if listen() raises a non-errno JS error (it would be fatal from Python)."""
    if not _in_pyodide():
        return {"listen": False}
    return {"listen": bool(_js().probe(_module()))}


def apply(defects: dict[str, bool], **_: object) -> None:
    if defects.get("listen"):
        INSTALLED[:] = [str(_js().install(_module()))]


# After the fix the same JS-side check passes: listen() now raises an errno error.
verify = probe
