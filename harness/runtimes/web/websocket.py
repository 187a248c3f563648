"""The server half of RFC 6455, only as much as the event channel needs.

Browsers stream the protocol's lines to the host over a WebSocket because ``send`` on one
goes out even while Python keeps the page's thread busy (a test running), which is what
keeps results live. The host never sends data frames on it (commands travel by long-poll,
see ``harness/runtimes/web/server.py``), so this module reads messages and answers the close.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Iterator
from typing import Protocol

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING = 0x1, 0x2, 0x8, 0x9
CLOSE_FRAME = b"\x88\x00"


def accept_key(client_key: str) -> str:
    """The ``Sec-WebSocket-Accept`` answer to the client's ``Sec-WebSocket-Key``."""
    return base64.b64encode(hashlib.sha1((client_key + _GUID).encode("ascii")).digest()).decode("ascii")


class Readable(Protocol):
    """What the reader needs of a stream (a socket file, a pipe, a BytesIO)."""

    def read(self, size: int = -1, /) -> bytes: ...


def _read_exact(stream: Readable, count: int) -> bytes | None:
    data = stream.read(count)
    return data if data is not None and len(data) == count else None


def _unmask(payload: bytes, mask: bytes) -> bytes:
    """XOR with the 4-byte mask, as one big integer (fast for large reports)."""
    n = len(payload)
    if n == 0:
        return payload
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def messages(stream: Readable) -> Iterator[tuple[int, bytes]]:
    """``(TEXT | BINARY, payload)`` per complete message; ends at a close frame or EOF."""
    opcode, parts = 0, list[bytes]()
    while True:
        head = _read_exact(stream, 2)
        if head is None:
            return
        fin, frame_opcode = head[0] & 0x80, head[0] & 0x0F
        length = head[1] & 0x7F
        if length == 126:
            raw = _read_exact(stream, 2)
            length = struct.unpack("!H", raw)[0] if raw else -1
        elif length == 127:
            raw = _read_exact(stream, 8)
            length = struct.unpack("!Q", raw)[0] if raw else -1
        mask = _read_exact(stream, 4) if head[1] & 0x80 else b"\0\0\0\0"
        payload = _read_exact(stream, length) if length >= 0 and mask is not None else None
        if payload is None or mask is None or frame_opcode == CLOSE:
            return
        if frame_opcode & 0x8:
            continue  # ping/pong between fragments: nothing to answer for a one-way stream
        if frame_opcode:
            opcode, parts = frame_opcode, []
        parts.append(_unmask(payload, mask))
        if fin:
            yield opcode, b"".join(parts)
