"""The harness against its peers on the same suites: ``python bench/run.py [--quick]``.

See bench/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contenders as C  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402
import suites as S  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="suites small-100,small-1000; 1 run")
    p.add_argument(
        "--memory", action="store_true",
        help="host memory growth: suites small-1000,small-10000, contenders native,harness",
    )  # fmt: skip
    p.add_argument("--repeat", type=int, default=None, help="runs per cell (default 3)")
    p.add_argument("--suites", help="comma list of " + ",".join(S.BUILDERS))
    p.add_argument("--contenders", help="comma list of " + ",".join(C.CONTENDERS))
    p.add_argument("--timeout", type=float, default=900, help="kill a run after this (s)")
    p.add_argument(
        "--once-over", type=float, default=90,
        help="a cell whose first run takes longer than this (s) is not repeated",
    )  # fmt: skip
    args = p.parse_args(argv)
    args.repeat = args.repeat or (1 if args.quick else 3)
    default_suites = S.MEMORY if args.memory else S.QUICK if args.quick else S.DEFAULT
    default_contenders = ["native", "harness"] if args.memory else list(C.CONTENDERS)
    args.suites = _pick(args.suites, S.BUILDERS, default_suites, "suite")
    args.contenders = _pick(args.contenders, C.CONTENDERS, default_contenders, "contender")
    return args


def _pick(given: str | None, known: dict, default: list[str], what: str) -> list[str]:
    if not given:
        return default
    names = [n.strip() for n in given.split(",") if n.strip()]
    for n in names:
        if n not in known:
            sys.exit(f"unknown {what} {n!r}; known: {', '.join(known)}")
    return names


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in measure.load_average())


def _version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except OSError as exc:
        return f"unavailable ({exc})"


def machine() -> dict[str, str]:
    dist, site, _ = C.harness_env()
    manifest = json.loads((site / ".harness-manifest.json").read_text())
    return {
        "load_start": _load(),
        "cpus": str(os.cpu_count()),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "node": _version(["node", "--version"]),
        "pyodide_dist": str(dist),
        "site_packages": ", ".join(w["file"] for w in manifest["wheels"]),
        "host_pytest": _version([sys.executable, "-m", "pytest", "--version"]),
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    S.OUT.mkdir(parents=True, exist_ok=True)
    info = machine()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)

    unavailable: dict[str, str] = {}
    for name in args.contenders:
        contender = C.CONTENDERS[name]
        try:
            contender.prepare()
        except C.Unavailable as exc:
            unavailable[name] = f"not measured: {exc}"
            print(f"{name}: not measured: {exc}", file=sys.stderr)

    results: dict = {"machine": info, "args": vars(args), "suites": [], "rows": []}
    for index, suite_name in enumerate(args.suites):
        suite = S.BUILDERS[suite_name]()
        entry = {"name": suite.name, "note": suite.note or f"{suite.tests} tests", "tests": suite.tests,
                 "load": _load(), "expected": suite.expected}  # fmt: skip
        results["suites"].append(entry)
        for name in args.contenders:
            contender = C.CONTENDERS[name]
            if contender.only_first_suite and index > 0:
                continue
            row = {"suite": suite.name, "contender": contender.name, "note": contender.note,
                   "timeout_s": args.timeout, "runs": []}  # fmt: skip
            results["rows"].append(row)
            if name in unavailable:
                row["status"] = unavailable[name]
            else:
                run_cell(row, contender, suite, args)
            report.summarize(row)
        entry["load"] += f" -> {_load()}"

    out_json = S.OUT / "results.json"
    report.write_json(results, out_json)
    print(report.table(results))
    print(report.memory_growth(results))
    print(cold_vs_warm(results))
    print(f"\nload average at the end: {_load()} ({info['cpus']} cpus)")
    print(f"wrote {out_json}")
    draw(out_json, S.OUT / "results.png")
    return 0


def run_cell(row: dict, contender: C.Contender, suite: S.Suite, args: argparse.Namespace) -> None:
    for i in range(args.repeat):
        assert contender.command is not None
        try:
            cmd, env = contender.command(suite)
        except Exception as exc:  # a setup step (download, wheel build) failed
            row["status"] = f"not measured: {type(exc).__name__}: {exc}"
            print(f"  {suite.name} / {contender.name}: {row['status']}", file=sys.stderr)
            return
        run = measure.run(cmd, suite.path, env, args.timeout)
        row["runs"].append(vars(run))
        first = f"{run.first_result_s:.2f}" if run.first_result_s is not None else "-"
        print(
            f"  {suite.name} / {contender.name} #{i + 1}: total {run.wall_s:.2f} s, first "
            f"{first} s, peak {run.peak_rss_mb:.0f} MB (host {run.host_peak_mb:.0f} MB), "
            f"rc {run.returncode}, {run.summary}",
            file=sys.stderr, flush=True,
        )  # fmt: skip
        if run.returncode is None or run.returncode not in (0, 1) or not run.counts:
            print("    output tail:\n" + run.tail, file=sys.stderr)
        if run.returncode is None or run.wall_s > args.once_over:
            return


def cold_vs_warm(results: dict) -> str:
    rows = {(r["suite"], r["contender"]): r for r in results["rows"]}
    lines = ["", "harness boot, cold vs warm cache (first suite; cold = fresh HARNESS_CACHE):"]
    for (suite, name), row in rows.items():
        warm = rows.get((suite, "harness"))
        if name != "harness-cold" or not row.get("wall_s") or not warm or not warm.get("wall_s"):
            continue
        for key, label in report.FIGURES[:2]:
            c, w = row[key], warm[key]
            if c and w:
                lines.append(f"  {suite} {label}: cold {c['median']:.2f}, warm {w['median']:.2f}"
                             f" (cold/warm {c['median'] / w['median']:.2f})")  # fmt: skip
    return "\n".join(lines) if len(lines) > 2 else ""


def draw(results_json: Path, png: Path) -> None:
    """results.png through the bench venv (matplotlib), or the host's if it has it."""
    try:
        C.ensure_venv()
        python = str(C.venv_python())
    except C.Unavailable as exc:
        print(f"results.png not drawn with the bench venv: {exc}; trying the host Python")
        python = sys.executable
    script = Path(__file__).resolve().parent / "report.py"
    proc = subprocess.run([python, str(script), str(results_json), str(png)],
                          capture_output=True, text=True)  # fmt: skip
    if proc.returncode == 0:
        print(f"wrote {png}")
    else:
        print(f"results.png not drawn: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
