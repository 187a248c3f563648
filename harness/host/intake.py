"""Transports feed one queue; the controller's main loop is the only consumer.

A reader thread per runtime stream does nothing but split lines, decode them and enqueue
``(worker_id, message)``; all logic stays in the main loop (the pytest-xdist rule:
receivers only enqueue). End of stream is enqueued as ``EOF`` so the loop learns that a
runtime died even if it never said goodbye.

The queue is bounded: when the main loop falls behind (a slow terminal, a busy machine),
a reader blocks, the pipe fills and the runtime waits in its write. Events stay streamed
instead of piling up on the host as decoded dicts (a passing test's report decodes to
about 3 KB).
"""

from __future__ import annotations

import queue
import threading
from typing import IO, Literal, TypedDict

from harness.inside import protocol


class Eof(TypedDict):
    """Not on the wire: the host's mark that a runtime's event stream ended."""

    type: Literal["eof"]


EOF = Eof(type="eof")
Incoming = protocol.Event | Eof

# Decoded events waiting for the main loop, at most (a few MB; a normal run holds one or two).
BACKLOG = 500


class EventQueue:
    """Every runtime's events, in arrival order, tagged with the worker they came from."""

    def __init__(self, backlog: int = BACKLOG) -> None:
        self._queue: queue.Queue[tuple[str, Incoming]] = queue.Queue(backlog)

    def put(self, worker_id: str, message: Incoming) -> None:
        """Enqueue; blocks a reader thread while the queue is full (back-pressure)."""
        self._queue.put((worker_id, message))

    def get(self, timeout: float | None = None) -> tuple[str, Incoming] | None:
        """The next event, or None if nothing arrived within ``timeout`` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def empty(self) -> bool:
        """Whether nothing is waiting right now (a moment to flush output)."""
        return self._queue.empty()

    def read_lines(self, worker_id: str, stream: IO[bytes]) -> threading.Thread:
        """Start a daemon thread that enqueues each JSON line of ``stream``, then EOF."""

        def pump() -> None:
            with stream:
                for line in stream:
                    self.put(worker_id, decode_or_error(line))
            self.put(worker_id, EOF)

        thread = threading.Thread(target=pump, name=f"harness-events-{worker_id}", daemon=True)
        thread.start()
        return thread


def decode_or_error(line: bytes | str) -> protocol.Event:
    """The event on ``line``, or an ``error`` event of kind "protocol" saying what is wrong
    with it (a receiver never raises: the main loop decides)."""
    try:
        return protocol.decode_event(line)
    except protocol.ProtocolError as exc:
        return protocol.Error(type="error", kind="protocol", message=str(exc))
