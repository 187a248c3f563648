"""Summaries, the printed table, results.json and results.png.

Run as ``python bench/report.py RESULTS.json OUT.png`` (by the bench venv's Python, which has
matplotlib) to draw the chart from a results file.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

RATIO_BASES = ["bare", "pytest-pyodide", "native"]
FIGURES = [
    ("first_result_s", "first result s"),
    ("wall_s", "total s"),
    ("pytest_s", "pytest s"),
    ("peak_rss_mb", "peak MB"),
    ("host_peak_mb", "host MB"),
]


def stats(values: list[float | None]) -> dict[str, float] | None:
    """Median and spread (max - min) of the values that exist."""
    xs = [v for v in values if v is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "spread": max(xs) - min(xs), "n": len(xs)}


def summarize(row: dict[str, Any]) -> dict[str, Any]:
    """Add per-figure stats and an outcome string to a row holding ``runs``."""
    runs = row.get("runs", [])
    ok = [r for r in runs if r["returncode"] is not None]
    for key, _ in FIGURES:
        row[key] = stats([r.get(key) for r in ok])
    if runs and not ok:
        row["status"] = f"timeout (> {row['timeout_s']:.0f} s, killed)"
    if ok:
        counts = ok[-1]["counts"]
        row["counts"] = counts
        row["outcome"] = " ".join(f"{n} {k}" for k, n in counts.items()) or ok[-1]["summary"]
    return row


def _cell(s: dict[str, float] | None, digits: int = 2) -> str:
    if s is None:
        return "-"
    spread = f" ±{s['spread'] / 2:.{digits}f}" if s["n"] > 1 else ""
    return f"{s['median']:.{digits}f}{spread}"


def table(results: dict[str, Any]) -> str:
    """The text table: one block per suite, then the ratios."""
    lines = []
    head = (f"{'contender':<18} {'first result s':>15} {'total s':>15} {'pytest s':>13} {'peak MB':>13}"
            f" {'host MB':>9}  outcome")  # fmt: skip
    for suite in results["suites"]:
        rows = [r for r in results["rows"] if r["suite"] == suite["name"]]
        native = next((r for r in rows if r["contender"] == "native" and "counts" in r), None)
        expected = suite.get("expected")  # a pytest-pyodide suite: its own counts, not native's
        lines += ["", f"== {suite['name']} ({suite['note']})  load avg {suite['load']}", head]
        for r in rows:
            if "status" in r and r["wall_s"] is None:
                lines.append(f"{r['contender']:<18} {r['status']}")
                continue
            check = ""
            if native and r is not native:
                check = "  (= native)" if r["counts"] == native["counts"] else "  (!= native)"
            elif expected and "counts" in r:
                check = "  (= expected)" if r["counts"] == expected else "  (!= expected)"
            lines.append(
                f"{r['contender']:<18} {_cell(r['first_result_s']):>15} {_cell(r['wall_s']):>15}"
                f" {_cell(r.get('pytest_s')):>13} {_cell(r['peak_rss_mb'], 0):>13} {_cell(r.get('host_peak_mb'), 0):>9}"
                f"  {r.get('outcome', '')}{check}"
            )
    lines += ["", "ratios harness / other (median; < 1 means the harness is faster/smaller)"]
    lines.append(f"{'suite':<16} {'vs':<15} {'first result':>12} {'total':>8} {'pytest':>8} {'peak MB':>8}"
                 f" {'host MB':>8}")  # fmt: skip
    for suite in results["suites"]:
        rows = {r["contender"]: r for r in results["rows"] if r["suite"] == suite["name"]}
        harness = rows.get("harness")
        if not harness or harness.get("wall_s") is None:
            continue
        for base in RATIO_BASES:
            other = rows.get(base)
            cells = []
            for key, _ in FIGURES:
                a, b = harness.get(key), (other or {}).get(key)
                cells.append(f"{a['median'] / b['median']:.2f}" if a and b else "-")
            lines.append(f"{suite['name']:<16} {base:<15} {cells[0]:>12} " + " ".join(f"{c:>8}" for c in cells[1:]))
    return "\n".join(lines)


def memory_growth(results: dict[str, Any]) -> str:
    """Host bytes per test: how the host peak grows from the smallest to the largest
    generated suite (``small-N``) of this run, per contender. What a runner keeps per test
    shows here; its fixed cost (interpreter, plugins, runtime boot) cancels out."""
    small = [s for s in results["suites"] if s["name"].startswith("small-")]
    if len(small) < 2:
        return ""
    lo, hi = min(small, key=lambda s: s["tests"]), max(small, key=lambda s: s["tests"])
    peaks = {(r["suite"], r["contender"]): r.get("host_peak_mb") for r in results["rows"]}
    lines = [
        "",
        f"host memory growth {lo['name']} -> {hi['name']} (host peak RSS, median)",
        f"{'contender':<18} {lo['name']:>12} {hi['name']:>12} {'per test':>10}",
    ]
    for name in dict.fromkeys(r["contender"] for r in results["rows"]):
        a, b = peaks.get((lo["name"], name)), peaks.get((hi["name"], name))
        if a and b:
            per_test = (b["median"] - a["median"]) * 2**20 / (hi["tests"] - lo["tests"])
            lines.append(f"{name:<18} {a['median']:>9.1f} MB {b['median']:>9.1f} MB {per_test:>8.0f} B")
    return "\n".join(lines) if len(lines) > 3 else ""


def write_json(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=1))


def plot(results_path: Path, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = json.loads(results_path.read_text())
    suites = [s["name"] for s in results["suites"]]
    contenders = []
    for r in results["rows"]:
        if r.get("wall_s") and r["contender"] not in contenders:
            contenders.append(r["contender"])
    fig, axes = plt.subplots(1, len(FIGURES), figsize=(5 * len(FIGURES) + 1, 5))
    width = 0.8 / max(len(contenders), 1)
    for ax, (key, label) in zip(axes, FIGURES, strict=False):
        for i, name in enumerate(contenders):
            xs, ys, errs = [], [], []
            for j, suite in enumerate(suites):
                row = next((r for r in results["rows"]
                            if r["suite"] == suite and r["contender"] == name), None)  # fmt: skip
                if row and row.get(key):
                    xs.append(j + i * width)
                    ys.append(row[key]["median"])
                    errs.append(row[key]["spread"] / 2)
            ax.bar(xs, ys, width, yerr=errs, label=name, capsize=2)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(suites))], suites, rotation=20)
        ax.set_title(label + " (median, bars = range)")
        if key not in ("peak_rss_mb", "host_peak_mb"):
            ax.set_yscale("log")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"harness bench — load avg {results['machine']['load_start']} at start")
    fig.tight_layout()
    fig.savefig(png, dpi=90)


if __name__ == "__main__":
    plot(Path(sys.argv[1]), Path(sys.argv[2]))
