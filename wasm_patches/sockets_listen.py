"""socket.listen() must fail like in a browser (OSError), not kill the runtime.

In Node, Emscripten's listen() needs the npm package ``ws``; without it a plain JS error
escapes the syscall and Pyodide ends with a fatal error, losing the runtime for every
test after (``socket.socketpair``, ``socketserver``, asyncio servers all listen). The fix
(``sockets_listen.js``) turns that into ENOTSUP, the ordinary ``OSError`` a browser gives.
"""

from __future__ import annotations

from .emscripten import in_pyodide, load_js, module

NAME = "sockets-listen"
INSTALLED: list[str] = []


def probe(**_: object) -> dict[str, bool]:
    """True if listen() raises a non-errno JS error (it would be fatal from Python)."""
    if not in_pyodide():
        return {"listen": False}
    return {"listen": bool(load_js("sockets_listen.js").probe(module()))}


def apply(defects: dict[str, bool], **_: object) -> None:
    if defects.get("listen"):
        INSTALLED[:] = [str(load_js("sockets_listen.js").install(module()))]


# After the fix the same JS-side check passes: listen() now raises an errno error.
verify = probe
