"""RuntimePool without booting anything: which runtimes it sets up and how."""

from __future__ import annotations

from typing import cast

from harness.host.pool import RuntimePool
from harness.runtimes.base import SECONDARY_NICE, BootConfig


def test_runtimes_beyond_the_first_only_use_the_cpu_it_leaves() -> None:
    pool = RuntimePool("node", cast(BootConfig, None), 3)  # nothing is started
    assert [slot.runtime.nice for slot in pool] == [0, SECONDARY_NICE, SECONDARY_NICE]
    assert pool.primary == "rt0"


def test_a_replacement_keeps_its_slots_priority() -> None:
    pool = RuntimePool("node", cast(BootConfig, None), 2)
    assert pool._new_runtime(0, 1).nice == 0
    assert pool._new_runtime(1, 2).nice == SECONDARY_NICE
