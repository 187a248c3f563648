"""Which runtime runs which test next: pytest-xdist's distribution modes over ``-n`` runtimes.

Every runtime collects the whole suite; the host hands out collected node ids. A runtime
starts a test only once it knows the next one (``nextitem`` decides which fixtures are
torn down; see ``EventPlugin.pytest_runtestloop``), so it waits whenever it holds fewer
than two tests and has not been told that no more will come. The host therefore tops a
runtime up *before* that: when it holds fewer than half a batch (at least ``LOOKAHEAD``
tests, the running one included), it gets a batch's worth, in whole work units
(pytest-xdist's low/high watermarks). A batch is ``BATCH_SECONDS`` of tests at the pace
measured so far (``INITIAL`` tests before any finished), at most half a runtime's share of
what is left and never more than its fair share (four slow tests on two runtimes run two and
two). Batches stay that small because a test once sent cannot be taken back: with big
contiguous chunks one runtime is left alone with a slow stretch of the suite while the
others have stopped. With one runtime the whole collection goes at once, in collection
order: no round trips at all.

The modes (``--dist``), as pytest-xdist defines them:

- ``load``: any test anywhere; contiguous chunks from the front of the collection.
- ``loadscope``: the tests of one module (module-level functions) or one class go to one
  runtime, so module- and class-scoped fixtures are set up once.
- ``loadfile``: the tests of one file go to one runtime.
- ``loadgroup``: tests marked ``@pytest.mark.xdist_group(name=...)`` with the same name go
  to one runtime; the others are distributed as ``load`` does.
- ``worksteal``: each runtime owns a contiguous part of the collection; one that runs out
  takes the second half of what the runtime with the most left has not been sent yet.
  (pytest-xdist sends every part at once and asks a worker to give tests back; here the
  unsent rest of a part stays on the host, so stealing needs no round trip and a runtime
  that dies gives back exactly what it had not run.)

Scope modes hand out the largest units first (as pytest-xdist does), tests within a unit in
collection order. In every mode but ``worksteal``, units that earlier runs measured as long
(the durations ``--shard`` also balances by, in ``.pytest_cache``) go before all others: a
long test started last would run on alone at the end.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Mapping, Sequence

DIST_MODES = ("load", "loadscope", "loadfile", "loadgroup", "worksteal")

# A runtime holding fewer tests than this (the running one included) is topped up: it then
# still has a next test while the schedule command travels.
LOOKAHEAD = 3
# Seconds of tests a top-up brings a runtime to (long enough to cover the host's latency,
# short enough that no runtime is left holding a slow stretch at the end).
BATCH_SECONDS = 0.5
# Tests a runtime gets before any test finished (nothing says yet how long they take).
INITIAL = 8
# A work unit that took at least this share of one runtime's part of the suite last time
# is started first (``long_units_first``).
LONG_SHARE = 0.25


def _names(nodeid: str) -> tuple[str, list[str]]:
    """(file part, [class..., function]) of a node id, parameters left out.

    The file part ends at the first ``::``; class and function names are identifiers, so
    the first ``[`` after the file part starts the parameters, which may hold anything
    (``::`` included).
    """
    path, sep, rest = nodeid.partition("::")
    if not sep:
        return path, []
    return path, rest.split("[", 1)[0].split("::")


def file_of(nodeid: str) -> str:
    """``loadfile``'s unit: the file the test is in."""
    return _names(nodeid)[0]


def scope_of(nodeid: str) -> str:
    """``loadscope``'s unit: the test's class, or its module for a module-level function."""
    path, names = _names(nodeid)
    return "::".join([path, *names[:-1]])


def unit_key(mode: str, groups: Mapping[str, str]) -> Callable[[str], str]:
    """What a test's work unit is called in ``mode`` (tests with one key go to one runtime)."""
    if mode == "loadscope":
        return scope_of
    if mode == "loadfile":
        return file_of
    if mode == "loadgroup":
        return lambda nodeid: ("@" + groups[nodeid]) if nodeid in groups else nodeid
    return lambda nodeid: nodeid


def work_units(nodeids: Iterable[str], key: Callable[[str], str]) -> list[list[str]]:
    """The tests grouped by ``key``, units in order of first appearance, tests in order."""
    units: dict[str, list[str]] = {}
    for nodeid in nodeids:
        units.setdefault(key(nodeid), []).append(nodeid)
    return list(units.values())


def long_units_first(units: list[list[str]], runtimes: int, durations: Mapping[str, float]) -> list[list[str]]:
    """Units that earlier runs measured as long (``LONG_SHARE`` of a runtime's share of the
    suite or more) go first, longest first; the rest keep their order.

    A test once started cannot be split: a long one handed out near the end runs on alone
    while the other runtimes have stopped (more-itertools' ``test_primes`` is a third of its
    suite). Started first, it runs while the others share the rest. Tests without a recorded
    duration (new ones, or no cache) count as short, so without durations nothing moves.
    """
    known = [sum(durations.get(nodeid, 0.0) for nodeid in unit) for unit in units]
    threshold = LONG_SHARE * sum(known) / runtimes
    long = sorted(
        (i for i, seconds in enumerate(known) if seconds > 0 and seconds >= threshold), key=lambda i: -known[i]
    )
    moved = set(long)
    return [units[i] for i in long] + [unit for i, unit in enumerate(units) if i not in moved]


class Scheduler:
    """What every mode shares: per runtime, the tests sent but not finished; shutdowns."""

    def __init__(self, runtimes: int) -> None:
        self.runtimes = runtimes  # how many are expected (chunk sizes), not how many exist
        self.sent: dict[str, collections.deque[str]] = {}
        self.shut: set[str] = set()
        self.timed = 0  # finished tests whose duration is known
        self.seconds = 0.0  # their total duration

    def unsent(self) -> int:
        """Tests no runtime has been sent yet."""
        raise NotImplementedError

    def _take(self, worker: str, held: int) -> list[str]:
        """Tests for ``worker``, which holds ``held`` (it asked: it is below the low mark)."""
        raise NotImplementedError

    def _give_back(self, worker: str, tests: list[str]) -> None:
        """A lost runtime's unfinished tests, in order, to be handed out first."""
        raise NotImplementedError

    def _marks(self, left: int) -> tuple[int, int]:
        """(low, high) watermarks for a runtime when ``left`` tests are still unsent."""
        runtimes = max(self.runtimes, 1)
        share = left // runtimes
        batch = INITIAL if not self.timed else round(BATCH_SECONDS * self.timed / max(self.seconds, 1e-6))
        high = max(LOOKAHEAD + 1, min(batch, share // 2))
        # A few long tests are spread, not queued on the first runtime that asks (it is then
        # topped up one round trip at a time; with so few tests that costs nothing).
        high = max(2, min(high, -(-left // runtimes)))
        return max(LOOKAHEAD, high // 2), high

    def top_up(self, worker: str) -> tuple[list[str], bool]:
        """(tests to send ``worker`` now, whether to send ``shutdown`` after them).

        ``shutdown`` is sent once, as soon as nothing is left for it: a runtime holding one
        test waits to learn whether another will come.
        """
        sent = self.sent.setdefault(worker, collections.deque())
        if worker in self.shut:
            return [], False
        chunk: list[str] = []
        if self.unsent() and (self.runtimes == 1 or len(sent) < self._marks(self.unsent())[0]):
            chunk = self._take(worker, len(sent))
            sent.extend(chunk)
        if self.unsent():
            return chunk, False
        self.shut.add(worker)
        return chunk, True

    def finished(self, worker: str, nodeid: str, duration: float | None = None) -> None:
        """``worker`` finished ``nodeid``, which took ``duration`` seconds (the pace)."""
        if duration is not None:
            self.timed += 1
            self.seconds += duration
        sent = self.sent.get(worker)
        if sent and nodeid in sent:
            sent.remove(nodeid)

    def lost(self, worker: str, running: str | None) -> None:
        """``worker`` died: ``running`` (reported failed) is done, the rest it held is handed
        out again first, in its original order."""
        sent = self.sent.pop(worker, collections.deque())
        self.shut.discard(worker)
        self._give_back(worker, [n for n in sent if n != running])

    def stop(self) -> None:
        """``-x``/``--maxfail`` or an interrupt: hand out nothing more."""
        raise NotImplementedError

    def unfinished(self) -> int:
        return self.unsent() + sum(len(s) for s in self.sent.values())


class QueueScheduler(Scheduler):
    """``load``, ``loadscope``, ``loadfile``, ``loadgroup``: one queue of work units that
    every runtime takes from."""

    def __init__(
        self,
        nodeids: Sequence[str],
        runtimes: int,
        key: Callable[[str], str],
        durations: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(runtimes)
        self.key = key
        units = work_units(nodeids, key)
        if runtimes > 1:
            units.sort(key=len, reverse=True)  # largest first: the finish evens out (stable sort)
            units = long_units_first(units, runtimes, durations or {})
        self.units: collections.deque[list[str]] = collections.deque(units)
        self.left = len(nodeids)

    def unsent(self) -> int:
        return self.left

    def _take(self, worker: str, held: int) -> list[str]:
        if self.runtimes == 1:
            chunk = [n for unit in self.units for n in unit]
            self.units.clear()
        else:
            high = self._marks(self.left)[1]
            chunk = []
            while self.units and (not chunk or held + len(chunk) < high):
                chunk += self.units.popleft()
        self.left -= len(chunk)
        return chunk

    def _give_back(self, worker: str, tests: list[str]) -> None:
        self.units.extendleft(reversed(work_units(tests, self.key)))
        self.left += len(tests)

    def stop(self) -> None:
        self.units.clear()
        self.left = 0


class WorkStealScheduler(Scheduler):
    """``worksteal``: contiguous parts, one per runtime; the unsent rest of a part can be
    taken over by a runtime that ran out of its own."""

    def __init__(self, nodeids: Sequence[str], runtimes: int) -> None:
        super().__init__(runtimes)
        size, extra = divmod(len(nodeids), max(runtimes, 1))
        parts, start = [], 0
        for i in range(max(runtimes, 1)):
            end = start + size + (1 if i < extra else 0)
            parts.append(collections.deque(nodeids[start:end]))
            start = end
        self.unclaimed = [p for p in parts if p]  # parts of runtimes that have not asked yet
        self.parts: dict[str, collections.deque[str]] = {}
        self.returned: collections.deque[str] = collections.deque()  # from lost runtimes

    def unsent(self) -> int:
        return len(self.returned) + sum(map(len, self.parts.values())) + sum(map(len, self.unclaimed))

    def _take(self, worker: str, held: int) -> list[str]:
        if worker not in self.parts:  # its first request: a part of its own (a replacement steals)
            self.parts[worker] = self.unclaimed.pop(0) if self.unclaimed else collections.deque()
        own = self.parts[worker]
        want = self.unsent() if self.runtimes == 1 else self._marks(self.unsent())[1] - held
        chunk: list[str] = []
        while len(chunk) < want:
            if not own:
                own.extend(self.returned)
                self.returned.clear()
            if not own:
                own.extend(self._steal())
            if not own:
                break
            chunk.append(own.popleft())
        return chunk

    def _steal(self) -> list[str]:
        """The second half (rounded up) of the largest unsent part, another runtime's or
        one nobody claimed yet."""
        victim = max([*self.parts.values(), *self.unclaimed], key=len, default=None)
        if not victim:
            return []
        taken = [victim.pop() for _ in range((len(victim) + 1) // 2)]
        self.unclaimed = [p for p in self.unclaimed if p]
        return taken[::-1]

    def _give_back(self, worker: str, tests: list[str]) -> None:
        rest = self.parts.pop(worker, collections.deque())
        self.returned.extendleft(reversed([*tests, *rest]))

    def stop(self) -> None:
        self.parts.clear()
        self.unclaimed.clear()
        self.returned.clear()


def make_scheduler(
    mode: str,
    nodeids: Sequence[str],
    runtimes: int,
    groups: Mapping[str, str] | None = None,
    durations: Mapping[str, float] | None = None,
) -> Scheduler:
    """The scheduler for ``--dist MODE`` (``groups``: node id -> xdist_group name;
    ``durations``: node id -> seconds, as earlier runs recorded them)."""
    if mode == "worksteal":
        return WorkStealScheduler(nodeids, runtimes)
    if mode not in DIST_MODES:
        raise ValueError(f"unknown distribution mode {mode!r}")
    return QueueScheduler(nodeids, runtimes, unit_key(mode, groups or {}), durations)
