"""The host streams events instead of buffering them: a reader blocks when the main loop
falls behind, so the writer (the runtime) waits in its pipe write. Real OS pipes, no runtime
needed for what is tested here."""

from __future__ import annotations

import os
import threading
import time

from harness.host.intake import EOF, EventQueue
from harness.inside import protocol


def test_reader_blocks_at_the_backlog_and_loses_nothing() -> None:
    read_fd, write_fd = os.pipe()
    events = EventQueue(backlog=5)
    events.read_lines("rt0", os.fdopen(read_fd, "rb"))
    lines = [
        protocol.encode(protocol.LogFinish(type="logfinish", nodeid=f"t.py::test_{i}", location=None))
        for i in range(2000)
    ]
    payload = "".join(line + "\n" for line in lines).encode()

    def write() -> None:
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)  # more than the pipe holds: blocks until the host drains

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    time.sleep(0.5)
    assert writer.is_alive(), "the writer finished although nobody read: the host buffered it all"
    assert events._queue.qsize() == 5

    received = []
    while (got := events.get(timeout=10)) is not None:
        worker, message = got
        assert worker == "rt0"
        if message is EOF:
            break
        received.append(message["nodeid"])
    writer.join(10)
    assert received == [f"t.py::test_{i}" for i in range(2000)]
