"""Which runtime runs which test next: load balancing over one or more runtimes.

The idea of pytest-xdist's LoadScheduling: every runtime collects the whole suite; the
host hands out collected node ids in chunks and tops a runtime up when it is about to run
out, so fast and slow runtimes stay busy until the end. A runtime always holds at least
two tests or has been told there are no more (it needs the next test to know which
fixtures to tear down; see ``EventPlugin.pytest_runtestloop``). Chunks shrink as the pool
empties, which evens out the finish. With one runtime the whole pool goes at once: no
round trips at all.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence


class LoadScheduler:
    """Tracks the pool of tests not yet sent and, per runtime, those sent but not finished."""

    def __init__(self, nodeids: Sequence[str], runtimes: int) -> None:
        self.pool: collections.deque[str] = collections.deque(nodeids)
        self.runtimes = runtimes
        self.sent: dict[str, collections.deque[str]] = {}
        self.shut: set[str] = set()

    def _chunk(self) -> int:
        if self.runtimes == 1:
            return len(self.pool)
        return max(2, len(self.pool) // (4 * self.runtimes))

    def top_up(self, worker: str) -> tuple[list[str], bool]:
        """(tests to send ``worker`` now, whether to send ``shutdown`` after them).

        Nothing if it holds enough; ``shutdown`` is sent once, as soon as the pool is empty,
        since a runtime holding one test waits to learn whether another will come.
        """
        sent = self.sent.setdefault(worker, collections.deque())
        if worker in self.shut or len(sent) >= 2:
            return [], False
        chunk = [self.pool.popleft() for _ in range(min(self._chunk(), len(self.pool)))]
        sent.extend(chunk)
        if self.pool:
            return chunk, False
        self.shut.add(worker)
        return chunk, True

    def finished(self, worker: str, nodeid: str) -> None:
        sent = self.sent.get(worker)
        if sent and nodeid in sent:
            sent.remove(nodeid)

    def lost(self, worker: str, running: str | None) -> None:
        """``worker`` died: ``running`` (reported failed) is done, the rest it held goes back
        to the front of the pool in its original order."""
        sent = self.sent.pop(worker, collections.deque())
        self.shut.discard(worker)
        self.pool.extendleft(reversed([n for n in sent if n != running]))

    def stop(self) -> None:
        """``-x``/``--maxfail`` or an interrupt: hand out nothing more."""
        self.pool.clear()

    def unfinished(self) -> int:
        return len(self.pool) + sum(len(s) for s in self.sent.values())
