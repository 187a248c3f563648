"""The shared libraries a WebAssembly side module needs, from its ``dylink.0`` section.

Emscripten side modules (every ``.so`` in a Pyodide wheel) start with a custom section named
``dylink.0`` (WebAssembly tool-conventions, DynamicLinking.md); its subsection type 2
(``WASM_DYLINK_NEEDED``) lists the libraries the dynamic loader must find before the module
can be instantiated. ``auditwheel-emscripten`` reads the same thing, but its releases either
require Python >= 3.12 or reject PEP 783 (``pyemscripten``) wheels, so these few lines are ours.
"""

from __future__ import annotations

_MAGIC = b"\0asm"
_CUSTOM_SECTION = 0
_NEEDED = 2


def needed(module: bytes) -> list[str]:
    """Library names ``module`` needs; [] for a module without ``dylink.0`` or not wasm at all."""
    if module[:4] != _MAGIC or len(module) < 8:
        return []
    try:
        section_id, size, pos = module[8], *_uleb(module, 9)
        if section_id != _CUSTOM_SECTION:
            return []  # dylink.0 must be the very first section
        end = pos + size
        name_len, pos = _uleb(module, pos)
        if module[pos : pos + name_len] != b"dylink.0":
            return []
        pos += name_len
        while pos < end:
            kind = module[pos]
            length, pos = _uleb(module, pos + 1)
            if kind == _NEEDED:
                return _strings(module, pos)
            pos += length
    except IndexError:
        return []  # truncated: not a module the loader could use either
    return []


def _strings(data: bytes, pos: int) -> list[str]:
    count, pos = _uleb(data, pos)
    names = []
    for _ in range(count):
        length, pos = _uleb(data, pos)
        names.append(data[pos : pos + length].decode("utf-8", "replace"))
        pos += length
    return names


def _uleb(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned LEB128 number at ``pos``: (value, position after it)."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos
