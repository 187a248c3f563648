"""Watch mode's latency: from saving a file to the first result on the terminal.

``python bench/watch.py [--suite small-100] [--saves 5] [--gap 3]``

Starts ``harness run --watch -- -v`` on a generated suite (bench/out/suites), waits for its
first cycle, then saves files the way an editor does and measures, on the watch's own output
stream, the seconds from the end of the write to the first ``-v`` outcome line of the cycle
that follows:

- ``test file``: a test module (nothing the prepared session imported): the runtime booted
  and prepared before the save takes the run. ``--gap`` seconds pass between cycles, as
  they would while someone edits (the standby boots meanwhile).
- ``conftest.py``: preparing the session imported it, so the prepared runtime is stale and
  a fresh one boots after the save: the slow path, for comparison.

For scale, the same suite's first result from launching a plain ``harness run -- -v``
(what typing the command again costs) is measured in the same invocation. Then Ctrl-C, and
the exit status must be 2. Prints a table with the load average before and after (the
machine is shared: compare the rows of one invocation) and writes bench/out/watch.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure  # noqa: E402
import suites as S  # noqa: E402

WAITING = "harness --watch: waiting for changes"


class Watch:
    """``harness run --watch`` with every output line time-stamped as it arrives."""

    def __init__(self, suite: S.Suite) -> None:
        cmd = [sys.executable, "-m", "harness.cli", "run", "--watch", "--", "-v", *suite.args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            cmd, cwd=suite.path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.lines: list[tuple[float, str]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append((time.time(), raw.decode("utf-8", "replace").rstrip("\n")))

    def wait_for(self, text: str, count: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while sum(text in line for _, line in list(self.lines)) < count:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                tail = "\n".join(line for _, line in self.lines[-30:])
                sys.exit(f"the watch did not print {text!r} (#{count}):\n{tail}")
            time.sleep(0.02)

    def first_result_after(self, moment: float) -> tuple[float, str]:
        """(seconds from ``moment`` to the first outcome line after it, the harness's own line)."""
        seen = [(t, line) for t, line in list(self.lines) if t >= moment]
        first = next(t for t, line in seen if measure.RESULT_LINE.search(line))
        own = next((line for _, line in seen if "first result" in line), "")
        return first - moment, own

    def stop(self) -> int | None:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            measure.kill_tree(self.proc)  # type: ignore[arg-type]
            return None


def save(path: Path, n: int) -> float:
    """Rewrite ``path`` with a different last line (as an editor saves); the moment after."""
    lines = path.read_text().splitlines()
    if lines and lines[-1].startswith("# save "):
        lines.pop()
    path.write_text("\n".join([*lines, f"# save {n}"]) + "\n")
    return time.time()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", default="small-100", help="a generated suite: small-100, small-1000, ...")
    p.add_argument("--saves", type=int, default=5, help="saves of a test file (default 5)")
    p.add_argument("--conftest-saves", type=int, default=2, help="saves of conftest.py (default 2)")
    p.add_argument("--gap", type=float, default=3.0, help="seconds between a cycle's end and the next save")
    args = p.parse_args(argv)
    if not args.suite.startswith("small-"):
        sys.exit("--suite: a generated small-N suite")
    suite = S.small(int(args.suite.split("-")[1]))
    load_before = measure.load_average()

    plain_cmd = [sys.executable, "-m", "harness.cli", "run", "--", "-v", *suite.args]
    plain = measure.run(plain_cmd, suite.path, {}, timeout=600)

    watch = Watch(suite)
    watch.wait_for(WAITING, 1)
    rows: dict[str, list[float]] = {"test file": [], "conftest.py": []}
    own: list[str] = []
    plan = [("test file", suite.path / "test_gen_000.py")] * args.saves
    plan += [("conftest.py", suite.path / "conftest.py")] * args.conftest_saves
    for n, (kind, path) in enumerate(plan, start=1):
        time.sleep(args.gap)
        saved = save(path, n)
        watch.wait_for(WAITING, n + 1)
        seconds, line = watch.first_result_after(saved)
        rows[kind].append(seconds)
        own.append(f"{kind}: {line.removeprefix('harness --watch: ')}")
    status = watch.stop()
    load_after = measure.load_average()

    print(f"\nwatch latency on {suite.name} (node), load average {load_before[0]:.2f} -> {load_after[0]:.2f}")
    print(f"{'save of':<14} {'n':>3} {'median s':>9} {'min s':>7} {'max s':>7}")
    for kind, values in rows.items():
        if values:
            print(
                f"{kind:<14} {len(values):>3} {statistics.median(values):>9.2f} {min(values):>7.2f} {max(values):>7.2f}"
            )
    first = plain.first_result_s
    print(f"plain `harness run` first result from launch: {first:.2f} s" if first else "plain run: no result line")
    print(f"exit status after Ctrl-C: {status} (expected 2)")
    for line in own:
        print(f"  {line}")
    out = S.OUT / "watch.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "suite": suite.name,
        "load_before": load_before,
        "load_after": load_after,
        "after_save_s": rows,
        "plain_first_result_s": first,
        "exit_status": status,
        "harness_lines": own,
    }
    out.write_text(json.dumps(record, indent=2))
    return 0 if status == 2 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
