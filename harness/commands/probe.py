"""``harness probe``: which known runtime defects each Pyodide version has, and whether the
patches fix them. Boots each runtime exactly as ``harness run`` would and reads the patch
results from its ``ready`` event."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from harness.host.intake import EventQueue
from harness.inside import protocol
from harness.options import Settings
from harness.provision.boot import boot_config
from harness.report import summary
from harness.runtimes import runtime_class
from harness.runtimes.base import wait_ready
from wasm_patches.contract import PatchResult


def probe_version(settings: Settings) -> protocol.Ready:
    """Boot once and return the runtime's ``ready`` event (patch results included)."""
    boot = boot_config(settings, cwd=Path.cwd(), paths=[])
    runtime = runtime_class(settings.runtime)(boot, EventQueue(), "probe")
    try:
        runtime.start()
        ready = wait_ready(runtime)
        runtime.exit()
        ready["pyodide"] = boot.dist.version
        return ready
    finally:
        runtime.kill()
        boot.cleanup()


def cell(patch: PatchResult, check: str) -> str:
    if not patch["defects"].get(check):
        return "absent"
    if patch.get("applied") and patch["fixed"].get(check):
        return "present, patched"
    if patch.get("applied") or patch.get("error"):
        return "present, unpatchable"
    return "present"


def rows(readies: Sequence[protocol.Ready]) -> list[list[str]]:
    """Defect x version rows (the first one is the header), one block per patch."""
    header = ["defect"] + [f"{r['pyodide']} (py {r['python']})" for r in readies]
    found = [header]
    names = [p["name"] for p in readies[0]["patches"]] if readies else []
    for name in names:
        patches = [next(p for p in r["patches"] if p["name"] == name) for r in readies]
        checks = list(dict.fromkeys(c for p in patches for c in p["defects"]))
        for check in checks:
            found.append([f"{name}: {check}"] + [cell(p, check) for p in patches])
    return found


def table(readies: Sequence[protocol.Ready]) -> list[str]:
    """The rows as aligned text."""
    lines = rows(readies)
    widths = [max(len(row[i]) for row in lines) for i in range(len(lines[0]))]
    return ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in lines]


def probe(settings: Settings, versions: Sequence[str | None]) -> int:
    """Boot each version (``None``: the settings' distribution) and print the patch table."""
    readies = []
    for version in versions:
        ready = probe_version(dataclasses.replace(settings, pyodide=version))
        print(f"{ready['pyodide']}: {ready['patch_summary']}", flush=True)
        readies.append(ready)
    print()
    print("\n".join(table(readies)))
    header, *body = rows(readies)
    title = f"## harness probe ({settings.runtime}): runtime defects by Pyodide version"
    summary.append("\n".join([title, "", *summary.table(header, body)]))  # on GitHub: the job's page
    return 0
