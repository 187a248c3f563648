"""``--shard K/N``: this CI job's part of the collected suite, balanced by recorded durations.

Selection happens on the host, after the primary runtime's collection has been replayed and
before ``pytest_collection_finish``: the other shards' tests go through ``pytest_deselected``
exactly as ``-k`` deselects natively (``collected 20 items / 15 deselected / 5 selected``),
and only this shard's tests are scheduled. The host is the right place: it owns
``.pytest_cache`` (where durations live), and with ``-n`` one selection serves every runtime.

Balancing is LPT (longest processing time first), the idea behind pytest-split's
``least_duration``: tests sorted by decreasing duration each go to the least loaded shard; a
shard keeps the collection order. A test without a recorded duration weighs the mean of the
known ones; with no durations at all every test weighs the same (balance by count). The
result depends only on (collection, durations, N), so N jobs that see the same durations
pick disjoint shards whose union is the suite; ``fingerprint`` lets ``harness merge`` check
that they did.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.errors import HarnessError

_SHARD = re.compile(r"(\d+)/(\d+)")


@dataclass(frozen=True)
class ShardSpec:
    index: int  # 1-based, as the user writes it
    count: int

    @classmethod
    def parse(cls, text: str) -> ShardSpec:
        found = _SHARD.fullmatch(text.strip())
        if not found or not 1 <= int(found.group(1)) <= int(found.group(2)):
            raise HarnessError(f"--shard expects K/N with 1 <= K <= N (like 2/4), not {text!r}")
        return cls(int(found.group(1)), int(found.group(2)))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def weights(nodeids: Sequence[str], durations: Mapping[str, float]) -> dict[str, float]:
    """Each test's expected duration: recorded, else the mean of the recorded ones, else 1."""
    known = [durations[n] for n in nodeids if n in durations]
    default = sum(known) / len(known) if known else 1.0
    return {n: durations.get(n, default) for n in nodeids}


def partition(nodeids: Sequence[str], durations: Mapping[str, float], count: int) -> list[list[str]]:
    """``count`` disjoint lists covering ``nodeids``, balanced by duration, each in
    collection order. Ties go to the lower shard index, so the result is deterministic."""
    weight = weights(nodeids, durations)
    order = sorted(range(len(nodeids)), key=lambda i: (-weight[nodeids[i]], i))
    loads = [(0.0, shard) for shard in range(count)]
    owner = [0] * len(nodeids)
    for i in order:
        load, shard = heapq.heappop(loads)
        owner[i] = shard
        heapq.heappush(loads, (load + weight[nodeids[i]], shard))
    shards: list[list[str]] = [[] for _ in range(count)]
    for i, nodeid in enumerate(nodeids):
        shards[owner[i]].append(nodeid)
    return shards


def fingerprint(nodeids: Sequence[str], durations: Mapping[str, float], count: int) -> str:
    """What decides the partition; shards of one suite must agree on it."""
    used = {n: durations[n] for n in nodeids if n in durations}
    data = json.dumps([count, list(nodeids), sorted(used.items())], separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def usable_durations(value: object) -> dict[str, float]:
    """The cache value as {nodeid: seconds}; anything malformed is ignored (a cache file
    may have been edited or written by another version)."""
    if not isinstance(value, dict):
        return {}
    return {
        k: float(v)
        for k, v in value.items()
        if isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
    }


class ShardSelector:
    """Host plugin: the controller asks it which of the collected tests this job runs."""

    def __init__(self, spec: ShardSpec, durations: Mapping[str, float]) -> None:
        self.spec = spec
        self.durations = durations
        self._header: dict[str, object] | None = None

    def pytest_report_header(self) -> str:
        basis = (
            f"durations recorded for {len(self.durations)} tests"
            if self.durations
            else "test count (no durations recorded yet)"
        )
        return f"harness: shard {self.spec}, balanced by {basis}"

    def select(self, nodeids: Sequence[str]) -> list[str]:
        """This shard's tests, in collection order."""
        shards = partition(nodeids, self.durations, self.spec.count)
        mine = shards[self.spec.index - 1]
        weight = weights(nodeids, self.durations)
        self._header = {
            "index": self.spec.index,
            "count": self.spec.count,
            "fingerprint": fingerprint(nodeids, self.durations, self.spec.count),
            "collected": len(nodeids),
            "selected": len(mine),
            "expected": round(sum(weight[n] for n in mine), 3),  # seconds, or tests by count
            "ideal": round(sum(weight.values()) / self.spec.count, 3),
        }
        return mine

    def header(self) -> dict[str, object] | None:
        """The shard part of the JSON report's header (None before collection)."""
        return self._header
