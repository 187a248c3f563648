"""LoadScheduler, read as a specification (fake runtimes, no boot): pytest-xdist's
LoadScheduling idea with the harness's rule that a runtime holds two tests or knows none
will come."""

from __future__ import annotations

from harness.host.scheduler import LoadScheduler

TESTS = [f"t.py::test_{i}" for i in range(20)]


def run_to_end(scheduler: LoadScheduler, workers: list[str]) -> dict[str, list[str]]:
    """Drive the scheduler as the controller does, runtimes finishing in turn; what each ran."""
    ran: dict[str, list[str]] = {w: [] for w in workers}
    held: dict[str, list[str]] = {w: [] for w in workers}
    done: set[str] = set()
    for w in workers:
        chunk, last = scheduler.top_up(w)
        held[w] += chunk
        if last:
            done.add(w)
    while any(held.values()):
        for w in workers:
            if not held[w]:
                continue
            nodeid = held[w].pop(0)
            ran[w].append(nodeid)
            scheduler.finished(w, nodeid)
            if w not in done:
                chunk, last = scheduler.top_up(w)
                held[w] += chunk
                if last:
                    done.add(w)
    assert done == set(workers), "every runtime is told that no more tests will come"
    return ran


def test_one_runtime_gets_everything_at_once_and_is_shut_down() -> None:
    scheduler = LoadScheduler(TESTS, 1)
    chunk, last = scheduler.top_up("rt0")
    assert (chunk, last) == (TESTS, True)
    assert scheduler.top_up("rt0") == ([], False)  # shutdown is sent once


def test_every_test_runs_exactly_once_over_several_runtimes() -> None:
    scheduler = LoadScheduler(TESTS, 3)
    ran = run_to_end(scheduler, ["rt0", "rt1", "rt2"])
    everything = [n for tests in ran.values() for n in tests]
    assert sorted(everything) == sorted(TESTS)
    assert all(ran.values()), "every runtime got work"
    assert scheduler.unfinished() == 0


def test_chunks_shrink_as_the_pool_empties_but_never_below_two() -> None:
    scheduler = LoadScheduler([f"t::{i}" for i in range(100)], 2)
    first, _ = scheduler.top_up("rt0")
    assert len(first) == 100 // 8
    sizes = []
    while scheduler.pool:
        scheduler.sent["rt1"] = type(scheduler.sent.get("rt1", first))()  # rt1 always runs dry
        chunk, _ = scheduler.top_up("rt1")
        sizes.append(len(chunk))
    assert sizes == sorted(sizes, reverse=True)
    assert min(sizes[:-1]) >= 2


def test_a_runtime_holding_two_tests_gets_nothing_more() -> None:
    scheduler = LoadScheduler(TESTS, 2)
    chunk, _ = scheduler.top_up("rt0")
    assert len(chunk) >= 2
    assert scheduler.top_up("rt0") == ([], False)


def test_a_lost_runtime_returns_its_queue_to_the_front_in_order_except_the_blamed_test() -> None:
    scheduler = LoadScheduler(TESTS, 2)
    chunk, _ = scheduler.top_up("rt0")
    running, *queued = chunk
    scheduler.lost("rt0", running)
    assert list(scheduler.pool)[: len(queued)] == queued
    assert running not in scheduler.pool
    assert scheduler.unfinished() == len(TESTS) - 1


def test_a_replacement_after_a_loss_is_scheduled_again() -> None:
    scheduler = LoadScheduler(TESTS[:2], 2)
    chunk, last = scheduler.top_up("rt0")
    assert last  # the pool emptied: shutdown was due
    scheduler.lost("rt0", chunk[0])
    chunk2, last2 = scheduler.top_up("rt0.1")
    assert chunk2 == chunk[1:] and last2


def test_stop_hands_out_nothing_more() -> None:
    scheduler = LoadScheduler(TESTS, 2)
    scheduler.top_up("rt0")
    scheduler.stop()
    chunk, last = scheduler.top_up("rt1")
    assert chunk == [] and last  # told to shut down at once
