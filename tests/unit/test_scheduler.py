"""The schedulers of ``--dist``, read as a specification (fake runtimes, fake node ids, no
boot): pytest-xdist's distribution modes with the harness's rule that a runtime is topped up
before it runs out (it needs to know its next test) or is told that none will come."""

from __future__ import annotations

import collections

import pytest

from harness.host.autoscale import decide
from harness.host.scheduler import (
    BATCH_SECONDS,
    DIST_MODES,
    INITIAL,
    LOOKAHEAD,
    Scheduler,
    file_of,
    make_scheduler,
    scope_of,
)

TESTS = [f"t.py::test_{i}" for i in range(20)]

# Two files; a class and module-level functions; parameters that hold "::" and "[".
SUITE = [
    "a.py::test_one",
    "a.py::test_two[x::y]",
    "a.py::TestK::test_k1",
    "a.py::TestK::test_k2[[]",
    "a.py::TestK::test_k3",
    "b.py::test_b1",
    "b.py::test_b2",
    "b.py::TestL::test_l1",
    "b.py::TestL::test_l2",
    "dir/c.py::test_c1",
]


def run_to_end(scheduler: Scheduler, workers: list[str], speed: dict[str, int] | None = None) -> dict[str, list[str]]:
    """Drive the scheduler as the controller does (top up after collection and after every
    finished test), each runtime running ``speed[w]`` tests per round; what each ran. A
    runtime starts a test only when it knows the next one or was told none will come."""
    ran: dict[str, list[str]] = {w: [] for w in workers}
    held: dict[str, list[str]] = {w: [] for w in workers}
    done: set[str] = set()

    def top_up(w: str) -> None:
        chunk, last = scheduler.top_up(w)
        held[w] += chunk
        if last:
            done.add(w)

    for w in workers:
        top_up(w)
    while any(held.values()):
        progressed = False
        for w in workers:
            for _ in range((speed or {}).get(w, 1)):
                if not held[w] or (len(held[w]) < 2 and w not in done):
                    break  # waits for its next test: would deadlock if never topped up
                nodeid = held[w].pop(0)
                ran[w].append(nodeid)
                scheduler.finished(w, nodeid)
                progressed = True
                if w not in done:
                    top_up(w)
        assert progressed, f"every runtime waits for a test that never comes: {held}"
    assert done == set(workers), "every runtime is told that no more tests will come"
    return ran


def everything(ran: dict[str, list[str]]) -> list[str]:
    return sorted(n for tests in ran.values() for n in tests)


def runtime_of(ran: dict[str, list[str]]) -> dict[str, str]:
    return {nodeid: w for w, tests in ran.items() for nodeid in tests}


# -- units --------------------------------------------------------------------------


def test_scope_and_file_of_a_node_id_ignore_what_parameters_hold() -> None:
    assert scope_of("a.py::test_two[x::y]") == "a.py"
    assert scope_of("a.py::TestK::test_k2[[]") == "a.py::TestK"
    assert scope_of("a.py") == "a.py"
    assert file_of("dir/c.py::TestX::test[a::b]") == "dir/c.py"


# -- every mode ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", DIST_MODES)
@pytest.mark.parametrize("runtimes", [1, 2, 3])
def test_every_test_runs_exactly_once_in_every_mode(mode: str, runtimes: int) -> None:
    workers = [f"rt{i}" for i in range(runtimes)]
    nodeids = [*SUITE, *TESTS]
    scheduler = make_scheduler(mode, nodeids, runtimes, {"b.py::test_b1": "g", "t.py::test_3": "g"})
    ran = run_to_end(scheduler, workers, speed={"rt0": 3})
    assert everything(ran) == sorted(nodeids)
    assert scheduler.unfinished() == 0


@pytest.mark.parametrize("mode", DIST_MODES)
def test_one_runtime_gets_everything_at_once_in_collection_order(mode: str) -> None:
    scheduler = make_scheduler(mode, SUITE, 1)
    assert scheduler.top_up("rt0") == (SUITE, True)
    assert scheduler.top_up("rt0") == ([], False)  # shutdown is sent once


@pytest.mark.parametrize("mode", DIST_MODES)
def test_a_topped_up_runtime_holds_enough_to_go_on_or_is_shut_down(mode: str) -> None:
    """The rule that keeps runtimes from waiting: after any top-up a runtime holds more than
    the lookahead, or it has been told that no more will come."""
    scheduler = make_scheduler(mode, TESTS, 2)
    for worker in ("rt0", "rt1"):
        chunk, last = scheduler.top_up(worker)
        assert last or len(chunk) > LOOKAHEAD


@pytest.mark.parametrize("mode", ["load", "worksteal"])
def test_a_few_tests_are_spread_not_queued_on_one_runtime(mode: str) -> None:
    scheduler = make_scheduler(mode, TESTS[:4], 2)
    assert scheduler.top_up("rt0") == (TESTS[:2], False)
    assert scheduler.top_up("rt1") == (TESTS[2:4], True)
    assert scheduler.top_up("rt0") == ([], True)


def test_more_runtimes_than_units_shuts_the_spare_one_down() -> None:
    scheduler = make_scheduler("loadfile", ["a.py::t1", "a.py::t2"], 2)
    assert scheduler.top_up("rt0") == (["a.py::t1", "a.py::t2"], True)
    assert scheduler.top_up("rt1") == ([], True)


# -- load ---------------------------------------------------------------------------


def test_load_hands_out_contiguous_chunks_that_shrink_as_the_pool_empties() -> None:
    nodeids = [f"t::{i}" for i in range(400)]
    scheduler = make_scheduler("load", nodeids, 2)
    first, _ = scheduler.top_up("rt0")
    assert first == nodeids[: len(first)] and 4 < len(first) <= 100
    sizes = []
    while scheduler.unsent():
        scheduler.sent["rt1"] = collections.deque()  # rt1 always runs dry
        chunk, _ = scheduler.top_up("rt1")
        sizes.append(len(chunk))
    assert sizes == sorted(sizes, reverse=True)
    assert min(sizes[:-1]) >= 2


@pytest.mark.parametrize(("seconds", "batch"), [(0.005, int(BATCH_SECONDS / 0.005)), (0.25, LOOKAHEAD + 1)])
def test_load_batches_hold_about_half_a_second_of_tests_at_the_measured_pace(seconds: float, batch: int) -> None:
    """Small batches: a slow stretch of the suite is spread instead of left to one runtime."""
    scheduler = make_scheduler("load", [f"t::{i}" for i in range(1000)], 2)
    first, _ = scheduler.top_up("rt0")
    assert len(first) == INITIAL  # nothing measured yet
    for nodeid in first[:-2]:
        scheduler.finished("rt0", nodeid, seconds)
    scheduler.top_up("rt0")
    assert len(scheduler.sent["rt0"]) == batch


def test_load_tops_up_before_the_runtime_runs_dry() -> None:
    scheduler = make_scheduler("load", TESTS, 2)
    chunk, _ = scheduler.top_up("rt0")
    for nodeid in chunk[:-LOOKAHEAD]:
        scheduler.finished("rt0", nodeid)
    assert scheduler.top_up("rt0") == ([], False), "holds the lookahead: nothing yet"
    scheduler.finished("rt0", chunk[-LOOKAHEAD])
    more, _ = scheduler.top_up("rt0")
    assert more and len(scheduler.sent["rt0"]) > LOOKAHEAD


def test_a_lost_runtime_returns_its_queue_to_the_front_in_order_except_the_blamed_test() -> None:
    scheduler = make_scheduler("load", TESTS, 2)
    chunk, _ = scheduler.top_up("rt0")
    running, *queued = chunk
    scheduler.lost("rt0", running)
    again, _ = scheduler.top_up("rt0.1")
    assert again[: len(queued)] == queued
    assert scheduler.unfinished() == len(TESTS) - 1


def test_a_replacement_after_a_loss_is_scheduled_again() -> None:
    scheduler = make_scheduler("load", TESTS[:2], 2)
    chunk, last = scheduler.top_up("rt0")
    assert last  # the pool emptied: shutdown was due
    scheduler.lost("rt0", chunk[0])
    assert scheduler.unsent() == 1
    assert scheduler.top_up("rt0.1") == (chunk[1:], True)


@pytest.mark.parametrize("mode", DIST_MODES)
def test_stop_hands_out_nothing_more(mode: str) -> None:
    scheduler = make_scheduler(mode, TESTS, 2)
    scheduler.top_up("rt0")
    scheduler.stop()
    assert scheduler.top_up("rt1") == ([], True)  # told to shut down at once


# -- loadscope, loadfile, loadgroup -------------------------------------------------


def test_loadscope_keeps_a_class_or_a_module_in_one_runtime() -> None:
    ran = run_to_end(make_scheduler("loadscope", SUITE, 3), ["rt0", "rt1", "rt2"])
    where = runtime_of(ran)
    scopes = collections.defaultdict(set)
    for nodeid, worker in where.items():
        scopes[scope_of(nodeid)].add(worker)
    assert set(scopes) == {"a.py", "a.py::TestK", "b.py", "b.py::TestL", "dir/c.py"}
    assert all(len(workers) == 1 for workers in scopes.values()), scopes
    for tests in ran.values():  # the largest unit first; within a unit, collection order
        assert tests[:3] == ["a.py::TestK::test_k1", "a.py::TestK::test_k2[[]", "a.py::TestK::test_k3"] or (
            tests == sorted(tests, key=SUITE.index)
        )


def test_loadfile_keeps_a_file_in_one_runtime_largest_first() -> None:
    scheduler = make_scheduler("loadfile", SUITE, 2)
    first, _ = scheduler.top_up("rt0")
    assert first[:5] == SUITE[:5]  # a.py: the largest file
    ran = run_to_end(scheduler, ["rt1"])
    assert {file_of(n) for n in ran["rt1"]} == {"b.py", "dir/c.py"}


def test_loadgroup_keeps_a_group_together_and_spreads_the_rest() -> None:
    groups = {TESTS[1]: "db", TESTS[7]: "db", TESTS[15]: "db"}
    ran = run_to_end(make_scheduler("loadgroup", TESTS, 2, groups), ["rt0", "rt1"])
    where = runtime_of(ran)
    assert len({where[n] for n in groups}) == 1
    assert all(ran.values()), "ungrouped tests are spread as by load"


# -- worksteal ----------------------------------------------------------------------


def test_worksteal_gives_each_runtime_a_contiguous_part() -> None:
    nodeids = [f"t::{i}" for i in range(40)]
    scheduler = make_scheduler("worksteal", nodeids, 2)
    first0, _ = scheduler.top_up("rt0")
    first1, _ = scheduler.top_up("rt1")
    assert first0 == nodeids[: len(first0)]
    assert first1 == nodeids[20 : 20 + len(first1)]


def test_worksteal_an_idle_runtime_takes_the_end_of_the_busiest_part() -> None:
    nodeids = [f"t::{i}" for i in range(400)]
    ran = run_to_end(make_scheduler("worksteal", nodeids, 2), ["rt0", "rt1"], speed={"rt1": 4})
    assert everything(ran) == sorted(nodeids)
    assert len(ran["rt1"]) > 250, "the fast runtime took over part of the slow one's"
    stolen = [n for n in ran["rt1"] if int(n.split("::")[1]) < 200]
    assert stolen, "it stole from the slow runtime's part"
    assert max(nodeids.index(n) for n in ran["rt0"]) < min(nodeids.index(n) for n in stolen)


def test_worksteal_a_lost_runtime_gives_back_what_it_held_and_its_part() -> None:
    nodeids = [f"t::{i}" for i in range(40)]
    scheduler = make_scheduler("worksteal", nodeids, 2)
    chunk, _ = scheduler.top_up("rt0")
    scheduler.top_up("rt1")
    scheduler.lost("rt0", chunk[0])
    assert scheduler.unfinished() == len(nodeids) - 1
    again, _ = scheduler.top_up("rt0.1")
    assert again == nodeids[1 : 1 + len(again)], "what it held, then the rest of its part, in order"


# -- -n auto ------------------------------------------------------------------------


def test_auto_adds_a_runtime_only_when_the_rest_outweighs_its_start() -> None:
    small = decide(ran=300, elapsed=1.0, left=700, start=2.0, running=1, most=2)
    assert small.add == 0 and "stayed with 1" in small.line
    big = decide(ran=20, elapsed=1.0, left=745, start=2.0, running=1, most=2)
    assert big.add == 1 and "started 1 more" in big.line
    assert decide(ran=20, elapsed=1.0, left=745, start=2.0, running=1, most=1).add == 0


# -- long tests first ---------------------------------------------------------------


def test_a_test_measured_as_long_is_handed_out_first() -> None:
    """One test is most of the suite (more-itertools' test_primes): it goes first, so it is
    not the last one running alone; the others keep their order."""
    durations = {nodeid: 0.1 for nodeid in TESTS} | {TESTS[17]: 6.0, TESTS[9]: 1.5}
    first, _ = make_scheduler("load", TESTS, 2, durations=durations).top_up("rt0")
    assert first[:2] == [TESTS[17], TESTS[9]]  # 6.0 s and 1.5 s: a quarter of a share is 1.16 s
    ran = run_to_end(make_scheduler("load", TESTS, 2, durations=durations), ["rt0", "rt1"])
    assert everything(ran) == sorted(TESTS)
    for tests in ran.values():  # each runtime ran the others in collection order
        rest = [TESTS.index(n) for n in tests if n not in (TESTS[17], TESTS[9])]
        assert rest == sorted(rest)


@pytest.mark.parametrize("mode", ["loadscope", "loadfile"])
def test_a_long_unit_goes_first_as_a_whole(mode: str) -> None:
    durations = {nodeid: 0.1 for nodeid in SUITE} | {"dir/c.py::test_c1": 5.0}
    first, _ = make_scheduler(mode, SUITE, 2, durations=durations).top_up("rt0")
    assert first[0] == "dir/c.py::test_c1"
    assert first[1:] == make_scheduler(mode, SUITE, 2).top_up("rt0")[0][: len(first) - 1]


@pytest.mark.parametrize(
    "durations",
    [{}, {nodeid: 0.2 for nodeid in TESTS}, {TESTS[3]: 9.0}],
    ids=["none recorded", "all alike", "one runtime"],
)
def test_nothing_moves_without_a_long_test_or_with_one_runtime(durations: dict[str, float]) -> None:
    runtimes = 1 if len(durations) == 1 else 2
    first, _ = make_scheduler("load", TESTS, runtimes, durations=durations).top_up("rt0")
    assert first == TESTS[: len(first)]
