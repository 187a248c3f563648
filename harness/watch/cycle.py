"""One watch cycle's part in its pytest session: the standby handed over, the latency shown.

Each cycle is a whole host pytest session, as each run of pytest-xdist's ``--looponfail``
and of pytest-watch is: header, results, summary, exit status, and ``--junitxml`` /
``--report-json`` written by it (so those files hold the last cycle's results). This plugin
object, registered in that session beside ``harness.plugin``, carries what the watch loop
knows into it and brings back what the loop needs for the next cycle.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from harness.host.controller import Controller
    from harness.host.standby import Standby
    from harness.runtimes.base import BootConfig
    from harness.watch.changes import ChangeSet


class WatchCycle:
    """The cycle's standby runtimes (if any), the change that started it (None for the first
    cycle and for the full run after the failures pass) and how long the standby still took
    to be ready after it; ``on_boot`` is called with
    what the session's runtimes boot from, ``on_end`` with its exit status once its reports
    are written."""

    def __init__(
        self,
        standby: Standby | None,
        change: ChangeSet | None,
        waited: float,
        on_boot: Callable[[BootConfig], None],
        on_end: Callable[[int], None],
    ) -> None:
        self.standby = standby
        self.change = change
        self.waited = waited  # seconds the standby took to be ready after the change
        self.on_boot = on_boot
        self.on_end = on_end
        self.adopted = False
        self.status: int | None = None
        self.first_result: float | None = None  # time.time() of the first outcome shown

    def attach(self, controller: Controller) -> None:
        """The session's controller exists (its runtimes booting, or the standby adopted)."""
        self.adopted = controller.adopted
        self.standby = None  # the controller adopted it or discarded it
        self.on_boot(controller.boot)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or not report.passed:
            self._result()  # what the terminal shows: a passing setup or teardown shows nothing

    @pytest.hookimpl(trylast=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._result()  # "ERROR collecting ...": the first thing the user sees

    def _result(self) -> None:
        if self.first_result is None:
            self.first_result = time.time()

    def pytest_sessionfinish(self, exitstatus: int) -> None:
        self.status = int(exitstatus)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self) -> None:
        """After every plugin's ``pytest_sessionfinish`` (the ``--lf`` data is written),
        before pytest's last cleanup (a full garbage collection that can take a while)."""
        if self.status is not None:
            self.on_end(self.status)

    def latency_line(self) -> str | None:
        """How long after the save the first result was shown (cycles started by a change)."""
        if self.change is None or self.first_result is None:
            return None
        change = self.change
        if not self.adopted:
            how = "a runtime booted after it"
        elif self.waited < 0.05:
            how = "a runtime booted and prepared before the change"
        else:
            how = f"a runtime booted before the change, prepared {self.waited:.2f} s after it"
        return (
            f"first result {self.first_result - change.saved:.2f} s after the save "
            f"(noticed after {change.noticed - change.saved:.2f} s; {how})"
        )
