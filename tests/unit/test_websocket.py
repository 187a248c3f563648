"""The WebSocket frame reader (RFC 6455, server side): what browsers actually send."""

from __future__ import annotations

import io
import os
import struct

from harness.runtimes.web import websocket
from harness.runtimes.web.websocket import BINARY, CLOSE, PING, TEXT


def frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True) -> bytes:
    """One client frame as a browser builds it (clients always mask)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([mask_bit | n])
    elif n < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read(data: bytes) -> list[tuple[int, bytes]]:
    return list(websocket.messages(io.BytesIO(data)))


def test_accept_key_matches_the_rfc_example() -> None:
    assert websocket.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_text_and_binary_messages_of_every_length_encoding() -> None:
    small, medium, large = b"x" * 10, b"y" * 35_000, os.urandom(70_000)
    data = frame(TEXT, small) + frame(BINARY, medium) + frame(BINARY, large) + frame(TEXT, b"")
    assert read(data) == [(TEXT, small), (BINARY, medium), (BINARY, large), (TEXT, b"")]


def test_fragments_join_and_control_frames_between_them_are_skipped() -> None:
    data = frame(TEXT, b"hel", fin=False) + frame(PING, b"", fin=True) + frame(0, b"lo", fin=True)
    assert read(data) == [(TEXT, b"hello")]


def test_a_close_frame_ends_the_stream() -> None:
    assert read(frame(TEXT, b"a") + frame(CLOSE, b"") + frame(TEXT, b"after close")) == [(TEXT, b"a")]


def test_eof_in_the_middle_of_a_frame_ends_the_stream_without_a_partial_message() -> None:
    whole = frame(TEXT, b"complete")
    cut = frame(TEXT, b"this one is cut short")[:-5]
    assert read(whole + cut) == [(TEXT, b"complete")]
    assert read(b"\x81") == []
