"""Tests the coverage tests select by name: a runtime crash, a restart, an interrupt."""

import os
import time

from covpkg import shapes


def test_crash_kills_the_runtime() -> None:
    shapes.only_in_the_crashing_test()
    os._exit(3)


def test_crash_then_after_restart() -> None:
    assert shapes.only_after_the_restart()


def test_interrupt_before() -> None:
    assert shapes.only_before_the_interrupt()


def test_interrupt_waits() -> None:
    with open("waiting", "w") as marker:
        marker.write("the host may interrupt now")
    time.sleep(120)
