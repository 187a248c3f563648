"""Creating a file on a host directory must be atomic, as natively.

Emscripten creates a file on NODEFS in steps (look the name up, look it up again, write an
empty file), so when another process creates the same file in between, ``open(path,
"a")`` raises ``FileExistsError`` or empties what the other process just wrote. Under
``-n`` two runtimes that append to one log file hit this (about 1 open in 100 when both
create fresh files in a loop). The fix lives in ``nodefs_create_race.js``.

The probe is deterministic: "another process" is a second NODEFS mount of the same host
directory, which creates the file at the exact moment between the steps.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any

from .emscripten import SCRATCH_PREFIX, in_pyodide, load_js, module, probe_dirs, switched

NAME = "nodefs-create-race"
#: check -> the step after which the other process creates the file.
CHECKS = {"open_create_exists": "lookup", "create_truncates": "create"}
PROBED_ON: list[str] = []
INSTALLED: list[str] = []


def _patch() -> Any:
    """{install, race, state} of the JS half, for this runtime's Module."""
    return load_js("nodefs_create_race.js")(module())


def _check(patch: Any, directory: str, stage: str) -> bool:
    """True (defect) when appending to a file another process creates during our open fails
    or loses that process's content."""
    name = f"{SCRATCH_PREFIX}race-{os.getpid()}-{stage}"
    path = os.path.join(directory, name)

    def append() -> None:
        with open(path, "a") as f:
            f.write("ours\n")

    try:
        patch.race(directory, name, "theirs\n", stage, append)
        with open(path) as f:
            return f.read() != "theirs\nours\n"
    except OSError:
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _detail(nodefs_dirs: Sequence[str] | None, enabled: bool) -> dict[str, bool]:
    found = dict.fromkeys(CHECKS, False)
    nodefs = [d for kind, d in probe_dirs(nodefs_dirs) if kind == "nodefs"] if in_pyodide() else []
    PROBED_ON[:] = [f"nodefs:{d}" for d in nodefs]
    if not nodefs:
        return found  # browsers, or no host directory mounted: nothing to race on
    patch = _patch()
    with switched(patch.state, enabled):
        return {check: _check(patch, nodefs[0], stage) for check, stage in CHECKS.items()}


def probe(nodefs_dirs: Sequence[str] | None = None, **_: object) -> dict[str, bool]:
    """Per check, True if the runtime itself (the fix switched off) loses the race."""
    return _detail(nodefs_dirs, enabled=False)


def verify(nodefs_dirs: Sequence[str] | None = None, **_: object) -> dict[str, bool]:
    """The same checks with the fix on."""
    return _detail(nodefs_dirs, enabled=True)


def apply(defects: dict[str, bool], **_: object) -> None:
    """Install the NODEFS create and FS.open retry (idempotent per Module)."""
    if any(defects.values()) and in_pyodide():
        INSTALLED[:] = [k for k in str(_patch().install()).split(",") if k]
