"""``-n auto``: one runtime first, more only when the suite is big enough to gain from them.

The model (bench/README.md, "Scaling"): a runtime costs ``start`` seconds before it runs its
first test (boot from the memory snapshot, then collecting the suite, as every runtime
does) and takes CPU from the others meanwhile; it then shares what is left. On the first
runtime's measured pace, the tests left take ``left_s`` seconds on one runtime; another one
pays off when ``left_s`` exceeds ``START_FACTOR`` times ``start`` (with two runtimes and
the host sharing two cores, the second runtime adds about half a runtime's speed: with
``left_s`` ahead it saves about ``(left_s - start) / 3``, and its start slows the first one
down meanwhile: worth it with a wide margin, since the pace changes over a suite; at
factor 2, small-1000, which two runtimes run in about the same time as one, got a second).

The question is asked after every test once ``PROBE_SECONDS`` of tests ran on the first
runtime (the pace so far is the estimate, so it is measured on this suite, on this machine,
now, past the slower first tests), until the answer is yes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

START_FACTOR = 3.0
PROBE_SECONDS = 1.0


def cpus() -> int:
    """The CPUs this process may use: the most runtimes ``-n auto`` starts."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Decision:
    add: int  # runtimes to start now
    line: str  # why, for the terminal summary


def decide(ran: int, elapsed: float, left: int, start: float, running: int, most: int) -> Decision:
    """Whether to add runtimes, after ``ran`` tests took ``elapsed`` seconds on one runtime
    with ``left`` still to run; ``start``: seconds from launching a runtime to its
    collection's end (measured on the first); ``running`` now, ``most`` allowed."""
    per_test = elapsed / max(ran, 1)
    left_s = left * per_test
    why = (
        f"-n auto: {ran} tests took {elapsed:.1f} s; the {left} left need about {left_s:.1f} s on one "
        f"runtime, against {START_FACTOR:g} x {start:.1f} s to start another"
    )
    if most <= running:
        return Decision(0, f"-n auto: {most} CPU(s) available: no runtime added")
    if left_s > START_FACTOR * start:
        return Decision(most - running, f"{why}: started {most - running} more")
    return Decision(0, f"{why}: stayed with {running}")
