"""Run one command and measure it: wall time, time to first test result, peak RSS, outcomes.

The first result is the first ``-v`` line of a test outcome (``path::name PASSED``) on the
merged stdout/stderr stream. Peak memory is the largest sum of RSS over the process and all
its descendants (node, servers, bash under pexpect), sampled every 50 ms from /proc; host
peak is the largest RSS of the launched process alone (the pytest that replays or runs the
tests), the figure whose growth with the suite size shows what the host keeps per test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

RESULT_LINE = re.compile(r"::\S*.*\s(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")
SUMMARY_LINE = re.compile(r"^=+ (.*\d+ (?:passed|failed|error|skipped|xfailed|xpassed|"
                          r"deselected|warnings?|errors|no tests ran).*) =+$")  # fmt: skip
COUNT = re.compile(r"(\d+) (subtests passed|subtests failed|passed|failed|errors?|skipped|"
                   r"xfailed|xpassed)")  # fmt: skip
# pytest's own duration: the runtime's per worker from the harness (``-v``), else the
# summary line's "in 1.23s" (native, bare: the same session, measured by pytest itself).
RUNTIME_TIME = re.compile(r"^harness: pytest's time inside the runtime: (.*)$")
SUMMARY_TIME = re.compile(r" in ([\d.]+)s")
PAGE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_S = 0.05


@dataclass
class Run:
    wall_s: float
    first_result_s: float | None
    pytest_s: float | None  # pytest's session inside the runtime (see RUNTIME_TIME)
    peak_rss_mb: float
    host_peak_mb: float
    returncode: int | None  # None: killed at the timeout
    counts: dict[str, int] = field(default_factory=dict)
    summary: str = ""
    tail: str = ""


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Run:
    """Run ``cmd`` to completion (or ``timeout``) while timing and sampling it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    first: list[float] = []
    lines: list[str] = []
    peak = [0, 0]  # pages: process tree, launched process
    done = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if not first and RESULT_LINE.search(line):
                first.append(time.perf_counter() - start)
            lines.append(line)

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            peak[1] = max(peak[1], rss(proc.pid))
            done.wait(SAMPLE_S)

    reader = threading.Thread(target=read, daemon=True)
    sampler = threading.Thread(target=sample, daemon=True)
    reader.start()
    sampler.start()
    try:
        returncode: int | None = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        kill_tree(proc)
        returncode = None
    wall = time.perf_counter() - start
    done.set()
    reader.join(10)
    sampler.join(1)
    summary = next((m.group(1) for line in reversed(lines) if (m := SUMMARY_LINE.match(line))), "")
    counts = {}
    for number, what in COUNT.findall(summary):
        counts[what.replace("errors", "error")] = int(number)
    return Run(
        wall_s=wall,
        first_result_s=first[0] if first else None,
        pytest_s=pytest_seconds(lines, summary),
        peak_rss_mb=peak[0] * PAGE / 2**20,
        host_peak_mb=peak[1] * PAGE / 2**20,
        returncode=returncode,
        counts=counts,
        summary=summary,
        tail="\n".join(lines[-15:]),
    )


def pytest_seconds(lines: list[str], summary: str) -> float | None:
    """pytest's own duration of the session: the slowest runtime's for the harness."""
    for line in lines:
        if m := RUNTIME_TIME.match(line):
            return max(float(part.split()[1]) for part in m.group(1).split(", "))
    m = SUMMARY_TIME.search(summary)
    return float(m.group(1)) if m else None


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(tree.get(p, []))
    return found


def rss(pid: int) -> int:
    """Resident pages of ``pid`` (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(pid: int) -> int:
    """Resident pages of ``pid`` and its descendants."""
    return sum(rss(p) for p in descendants(pid))


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the still running process and whatever it started (each by pid)."""
    if proc.poll() is not None:
        return  # reaped: its pid may belong to another process by now
    for p in reversed(descendants(proc.pid)):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()
