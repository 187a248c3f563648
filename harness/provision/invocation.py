"""What the runtime is told about the host's invocation: pytest args, environment, mounts.

The runtime runs the same pytest command line the user typed, minus the harness's own
options, in the same directory, with the same environment, so rootdir, ini files, node ids
and ``PYTEST_ADDOPTS`` resolve exactly as they would natively.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Sequence
from pathlib import Path

from harness.options import strip_plugin_args

# Variables that describe the host's interpreter or file system and would mislead the one
# in the runtime. Everything else passes through unchanged, secrets included: tests read
# them natively too, and the runtime is a local child process (or the user's own browser).
#
# The runtime keeps its own value (Pyodide sets HOME, /home/pyodide, which exists there):
RUNTIME_OWN_ENV = ("HOME",)
# Set, when the host has them, to the runtime's temporary directory (which exists there):
RUNTIME_TMP = "/tmp"
TMP_ENV = ("TMPDIR", "TEMP", "TMP")
# Removed: the runtime's interpreter has no such paths (PWD is set to the working
# directory by the runner, which is the same absolute path as on the host).
REMOVED_ENV = (
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PYTHONUSERBASE",
    "PYTHONEXECUTABLE",
    "VIRTUAL_ENV",
    "OLDPWD",
)
HOST_ONLY_ENV = (*RUNTIME_OWN_ENV, *TMP_ENV, *REMOVED_ENV, "PWD")


def runtime_env(environ: dict[str, str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """(variables to set, variables to unset) in the runtime for this host environment."""
    env = {k: v for k, v in environ.items() if k not in HOST_ONLY_ENV}
    env.update({k: RUNTIME_TMP for k in TMP_ENV if k in environ})
    addopts = env.get("PYTEST_ADDOPTS")
    if addopts:
        env["PYTEST_ADDOPTS"] = shlex.join(strip_plugin_args(shlex.split(addopts)))
    return env, tuple(k for k in REMOVED_ENV if k in environ)


def mount_points(paths: Iterable[Path]) -> tuple[Path, ...]:
    """The smallest set of existing directories covering ``paths`` (no nesting).

    Each is mounted at its own absolute path so node ids, tracebacks and coverage paths
    inside the runtime equal the host's.
    """
    dirs = set()
    for path in paths:
        path = path.resolve()
        dirs.add(path if path.is_dir() else path.parent)
    kept: list[Path] = []
    for d in sorted(dirs, key=lambda p: len(p.parts)):
        if d == Path(d.anchor):
            continue  # the runtime's own root holds its stdlib; never hide it
        if not any(k == d or k in d.parents for k in kept):
            kept.append(d)
    return tuple(kept)


def path_args(args: Sequence[str], cwd: Path) -> list[Path]:
    """Host paths named on the command line (``tests/x.py::test_y`` counts as tests/x.py)."""
    paths = []
    for arg in args:
        if arg.startswith("-"):
            continue
        candidate = cwd / re.split(r"::|\[", arg, maxsplit=1)[0]
        if candidate.exists():
            paths.append(candidate)
    return paths


def host_umask() -> int:
    """The host's umask (read by setting and restoring it; there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
