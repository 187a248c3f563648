"""A damaged cache is detected and rebuilt, saying so in one line; the run then passes.

Every entry records its files' sizes and hashes when written: sizes are checked on every
run (truncation), hashes after a boot failure (same-size garbage). One real cache, built by
the first run (npm, pip), is damaged the ways a disk or a person does, run after run.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers import Result, run_harness


def _notes(ran: Result) -> list[str]:
    """The harness's lines about the cache (download progress left out)."""
    progress = ("harness: downloaded ", "harness: unpacked ", "harness: downloading ", "harness: unpacking ")
    return [line for line in ran.stderr.splitlines() if line.startswith("harness: ") and not line.startswith(progress)]


def _passes(project: Path) -> Result:
    ran = run_harness(project, "-p", "no:cacheprovider")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.summary == "1 passed"
    return ran


def test_damaged_cache_entries_are_rebuilt(tmp_path: Path, tmp_cache: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_x.py").write_text("def test_x():\n    pass\n")
    assert _notes(_passes(project)) == []  # fills the cache
    dist = tmp_cache / "pyodide" / "314.0.7"
    [site] = (tmp_cache / "site-packages").iterdir()
    assert json.loads((dist / ".harness-manifest.json").read_text())["files"]["pyodide.asm.wasm"][0] > 0

    # Truncated files (the standard library, a module in site-packages): caught by their
    # sizes before the boot.
    stdlib, module = dist / "python_stdlib.zip", site / "_pytest" / "python.py"
    stdlib.write_bytes(stdlib.read_bytes()[:100_000])
    module.write_bytes(module.read_bytes()[:1000])
    assert _notes(_passes(project)) == [
        "harness: cached Pyodide 314.0.7 was damaged (python_stdlib.zip changed); fetched it again",
        f"harness: cached site-packages {site.name} was damaged (_pytest/python.py changed); rebuilding it",
    ]
    assert len(module.read_bytes()) > 1000

    # Same-size garbage in the wasm and in pytest's __init__: sizes match, the boot fails
    # (cold: a memory snapshot would still hold the good pytest), every byte is checked and
    # both entries are rebuilt.
    wasm, init = dist / "pyodide.asm.wasm", site / "pytest" / "__init__.py"
    wasm.write_bytes(bytes(len(wasm.read_bytes())))
    text = init.read_bytes()
    init.write_bytes(b"raise SystemExit(9)\n".ljust(len(text), b"#"))
    ran = run_harness(project, "-p", "no:cacheprovider", env={"HARNESS_NO_SNAPSHOT": "1"})
    assert (ran.returncode, ran.summary) == (0, "1 passed"), ran.stdout + ran.stderr
    assert _notes(ran) == [
        "harness: cached Pyodide 314.0.7 was damaged (pyodide.asm.wasm changed); fetched it again",
        f"harness: cached site-packages {site.name} was damaged (pytest/__init__.py changed); rebuilding it",
    ]
    assert init.read_bytes() == text
