"""Shared by test_a.py and test_b.py, which two runtimes run at the same moment."""

import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = 1500


def race(me: str, other: str) -> None:
    """Wait for the other runtime, then append one line to each shared file (creating it)."""
    os.makedirs(os.path.join(HERE, "race"), exist_ok=True)
    open(os.path.join(HERE, f"ready-{me}"), "w").close()
    deadline = time.monotonic() + 120
    while not os.path.exists(os.path.join(HERE, f"ready-{other}")):
        assert time.monotonic() < deadline, "the other runtime never started"
        time.sleep(0.001)
    for i in range(FILES):
        with open(os.path.join(HERE, "race", f"f{i}"), "a") as f:
            f.write(f"{me}\n")
