"""The runtimes of one session: the ``-n`` slots, their boot, replacement and boot clocks.

The role pytest-xdist's ``NodeManager``/``WorkerController`` play: the controller decides
*when* a runtime is replaced (a crash, a timeout); the pool knows *how*: kill the old
one, start a fresh one under a new worker id (so late events of the old one are
ignored) and watch that it boots in time. It never reads events itself; the controller's
main loop hands it the ones it needs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.errors import HarnessError
from harness.host.intake import EventQueue
from harness.inside import protocol
from harness.runtimes import runtime_class
from harness.runtimes.base import BOOT_TIMEOUT, BootConfig, Runtime, wait_all_ready

if TYPE_CHECKING:
    from harness.host.standby import Standby


class PoolError(Exception):
    """A replacement runtime could not be started or did not boot: the run cannot go on."""


@dataclass
class Slot:
    """One of the ``-n`` places a runtime runs in; after a crash a fresh runtime takes it."""

    index: int
    runtime: Runtime
    restarts: int = 0
    booting_since: float | None = None  # a replacement that has not said ``ready`` yet
    collected: bool = False  # its session reached ``collection_finish``
    collection: frozenset[str] | None = None  # what it collected, until checked against the primary
    finished: bool = False  # its session ended, or it is gone for good
    fatal: str = ""  # what a dying runtime said last (``error`` kind "fatal")

    @property
    def worker_id(self) -> str:
        return self.runtime.worker_id


class RuntimePool:
    """``count`` runtimes of one kind, booted side by side from one ``BootConfig``."""

    def __init__(self, runtime: str, boot: BootConfig, count: int, standby: Standby | None = None) -> None:
        """``standby``: runtimes already booted from ``boot`` (watch mode), adopted as the
        slots' first runtimes instead of launching new ones."""
        self.kind = runtime_class(runtime)
        self.boot = boot
        self.events = standby.events if standby is not None else EventQueue()
        self.standby = standby
        runtimes = standby.runtimes if standby is not None else [self._new_runtime(i, 0) for i in range(count)]
        self.slots = [Slot(i, runtime) for i, runtime in enumerate(runtimes)]
        self.primary = self.slots[0].worker_id  # whose collection is replayed

    def _new_runtime(self, index: int, restarts: int) -> Runtime:
        worker_id = f"rt{index}" + (f".{restarts}" if restarts else "")
        return self.kind(self.boot, self.events, worker_id)

    def __iter__(self) -> Iterator[Slot]:
        return iter(self.slots)

    def __len__(self) -> int:
        return len(self.slots)

    def slot_of(self, worker_id: str) -> Slot | None:
        """The slot whose *current* runtime is ``worker_id`` (None for a replaced one)."""
        return next((s for s in self.slots if s.worker_id == worker_id), None)

    def start(self) -> protocol.Ready:
        """Boot every runtime; the primary's ``ready``. A one-line HarnessError (all killed)
        if any fails or hangs."""
        runtimes = [slot.runtime for slot in self.slots]
        if self.standby is not None:  # booted and prepared: its ``ready`` was read then
            for runtime in runtimes:
                runtime.booted()
            return self.standby.readies[self.primary]
        try:
            for runtime in runtimes:
                runtime.start()
            return wait_all_ready(runtimes)[self.primary]
        except HarnessError:
            self.kill()
            raise

    def all_finished(self) -> bool:
        return all(slot.finished for slot in self.slots)

    def retire(self, slot: Slot) -> None:
        slot.runtime.kill()
        slot.finished = True

    def grow(self) -> Slot:
        """One more runtime (``-n auto``), booting while the others keep running."""
        slot = Slot(len(self.slots), self._new_runtime(len(self.slots), 0))
        slot.booting_since = time.monotonic()
        self.slots.append(slot)
        try:
            slot.runtime.start()
        except HarnessError as exc:
            raise PoolError(f"could not start another runtime: {exc}") from None
        return slot

    def replace(self, slot: Slot) -> None:
        """A fresh runtime in ``slot``; it boots while the others keep running."""
        slot.runtime.kill()
        slot.restarts += 1
        slot.runtime = self._new_runtime(slot.index, slot.restarts)
        slot.collected, slot.fatal = False, ""
        slot.booting_since = time.monotonic()
        try:
            slot.runtime.start()
        except HarnessError as exc:
            raise PoolError(f"could not restart the runtime: {exc}") from None

    @staticmethod
    def boot_failure(slot: Slot, reason: str) -> PoolError:
        """A runtime started during the run did not boot: a restart, or one ``-n auto`` added."""
        what = "restart the runtime" if slot.restarts else f"start another runtime ({slot.runtime.worker_id})"
        return PoolError(f"could not {what}: {reason}")

    def booted(self, slot: Slot) -> None:
        """A replacement said ``ready``."""
        slot.booting_since = None
        slot.runtime.booted()

    def check_boots(self, now: float) -> None:
        """A replacement that has not booted within the limit ends the run."""
        for slot in self.slots:
            if slot.booting_since is not None and now - slot.booting_since > BOOT_TIMEOUT:
                raise self.boot_failure(slot, f"it did not boot within {BOOT_TIMEOUT:.0f} s")

    def exit(self) -> None:
        """Ask every live runtime to leave its command loop, then make sure it is gone."""
        for slot in self.slots:
            if slot.runtime.alive():
                slot.runtime.exit()
            slot.runtime.kill()

    def kill(self, slots: Sequence[Slot] | None = None) -> None:
        for slot in self.slots if slots is None else slots:
            slot.runtime.kill()
