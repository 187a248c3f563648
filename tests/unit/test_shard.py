"""harness.report.shard: disjoint, complete, deterministic and balanced parts of a suite."""

from __future__ import annotations

import random

import pytest

from harness.errors import HarnessError
from harness.report.shard import ShardSelector, ShardSpec, fingerprint, partition, usable_durations

# The durations of tests/projects/shards (seconds): very uneven.
UNEVEN = [0.8, 0.5, 0.4, 0.3, 0.3, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.0, 0.0]


def suite(n: int) -> list[str]:
    return [f"tests/test_{i // 7}.py::test_{i}" for i in range(n)]


@pytest.mark.parametrize("text", ["0/3", "4/3", "1", "a/b", "1/0", "-1/2", "1/2/3", ""])
def test_bad_shard_is_one_clear_error(text: str) -> None:
    with pytest.raises(HarnessError, match=r"--shard expects K/N"):
        ShardSpec.parse(text)


def test_shard_spec() -> None:
    assert ShardSpec.parse(" 2/4 ") == ShardSpec(2, 4)
    assert str(ShardSpec(2, 4)) == "2/4"


@pytest.mark.parametrize("count", [1, 2, 3, 4])
@pytest.mark.parametrize("with_durations", [True, False])
def test_shards_are_disjoint_and_cover_the_suite(count: int, with_durations: bool) -> None:
    nodeids = suite(37)
    rng = random.Random(count)
    durations = {n: rng.choice([0.01, 0.2, 1.5, 7.0]) for n in nodeids[:30]} if with_durations else {}
    shards = partition(nodeids, durations, count)
    assert len(shards) == count
    flat = [n for shard in shards for n in shard]
    assert sorted(flat) == sorted(nodeids) and len(set(flat)) == len(flat)
    for shard in shards:  # collection order inside a shard
        assert shard == sorted(shard, key=nodeids.index)
    assert partition(list(nodeids), dict(durations), count) == shards  # deterministic


def test_without_durations_shards_balance_by_count() -> None:
    sizes = [len(s) for s in partition(suite(23), {}, 4)]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("count", [2, 3, 4])
def test_uneven_durations_balance_within_20_percent(count: int) -> None:
    nodeids = suite(len(UNEVEN))
    durations = dict(zip(nodeids, UNEVEN, strict=True))
    loads = [sum(durations[n] for n in shard) for shard in partition(nodeids, durations, count)]
    assert max(loads) <= 1.2 * sum(UNEVEN) / count


def test_unknown_tests_weigh_the_mean_of_the_known() -> None:
    nodeids = ["a", "b", "new"]
    # a=3, b=1: mean 2 for "new"; LPT puts a alone, then b and new together (1 + 2 = 3).
    assert partition(nodeids, {"a": 3.0, "b": 1.0}, 2) == [["a"], ["b", "new"]]


def test_fingerprint_names_what_decides_the_split() -> None:
    nodeids = suite(5)
    base = fingerprint(nodeids, {nodeids[0]: 1.0}, 2)
    assert base == fingerprint(list(nodeids), {nodeids[0]: 1.0, "elsewhere": 9.0}, 2)  # unused entries
    assert base != fingerprint(nodeids, {nodeids[0]: 2.0}, 2)
    assert base != fingerprint(nodeids, {nodeids[0]: 1.0}, 3)
    assert base != fingerprint(nodeids[:-1], {nodeids[0]: 1.0}, 2)


def test_malformed_cache_values_are_ignored() -> None:
    assert usable_durations(["x"]) == {}
    assert usable_durations({"a": 1, "b": "2", "c": -1.0, "d": True, "e": 0.5}) == {"a": 1.0, "e": 0.5}


def test_selector_reports_its_part() -> None:
    nodeids = suite(len(UNEVEN))
    durations = dict(zip(nodeids, UNEVEN, strict=True))
    selector = ShardSelector(ShardSpec(2, 3), durations)
    assert "durations recorded for 16 tests" in selector.pytest_report_header()
    mine = selector.select(nodeids)
    assert mine == partition(nodeids, durations, 3)[1]
    header = selector.header()
    assert header is not None
    assert (header["index"], header["count"], header["collected"], header["selected"]) == (2, 3, 16, len(mine))
    assert header["fingerprint"] == fingerprint(nodeids, durations, 3)
    assert "count" in ShardSelector(ShardSpec(1, 2), {}).pytest_report_header()
