"""Fixture project: compared against native pytest (same outcomes, same captured sections).

Exercises default fd capture, capsys and capfd inside the runtime, including the report
of a failing test's captured output. ``test_print_then_fail`` fails ON PURPOSE.
Expected: 3 passed, 1 failed; the failure shows "Captured stdout call" with
"visible stdout line" and "Captured stderr call" with "visible stderr line".
"""

import os
import sys


def test_capsys(capsys):
    print("hello")
    assert capsys.readouterr().out == "hello\n"


def test_capfd(capfd):
    os.write(1, b"fd-level\n")
    assert capfd.readouterr().out == "fd-level\n"


def test_print_passes():
    print("captured and discarded")


def test_print_then_fail():
    print("visible stdout line")
    print("visible stderr line", file=sys.stderr)
    answer = 1
    assert answer == 2, "fails on purpose"
