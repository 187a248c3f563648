"""The runtime's main program: prepare the interpreter, then serve host commands.

Called by ``browsers/boot.mjs`` once Pyodide is up and this package has been copied in.
The order matters: the process state (umask, environment, cwd, sys.path) and the runtime
patches must be in place before ``import pytest``, because pytest's capture and cache
code touch the file system as soon as a session starts.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any, Callable

from harness import protocol

Send = Callable[[str], None]
Recv = Callable[[], str]


def prepare_process(boot: dict[str, Any]) -> None:
    """Make the interpreter look like the host's for the project: env, cwd, umask, path."""
    for name in boot.get("unset_env", []):
        os.environ.pop(name, None)
    os.environ.update(boot["env"])
    # Pyodide <= 0.27 starts with umask 0o777, so every file a test creates on the host
    # mount would get mode 000; use the host's.
    os.umask(boot["umask"])
    for path in reversed(boot["sys_path"]):
        sys.path.insert(0, path)
    os.chdir(boot["cwd"])


def apply_patches(boot: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """Probe the runtime's known defects and fix those present (unless --no-patches)."""
    import wasm_patches

    results = wasm_patches.apply_all(enabled=boot["patches"], nodefs_dirs=boot["probe_dirs"])
    return results, wasm_patches.summary(results)


def run_session(args: list[str], plugin: object) -> tuple[int, str | None]:
    """``pytest.main`` minus its printing of usage errors, which the host prints instead.

    Returns the exit status and, for a usage error, the message pytest would have shown.
    """
    import pytest
    from _pytest.config import ConftestImportFailure, _prepareconfig

    previous = os.environ.get("PYTEST_VERSION")
    os.environ["PYTEST_VERSION"] = pytest.__version__
    try:
        try:
            config = _prepareconfig(args, [plugin])
        except ConftestImportFailure as exc:
            cause = "".join(traceback.format_exception_only(type(exc.cause), exc.cause)).strip()
            return 4, f"ImportError while loading conftest '{exc.path}' in the runtime: {cause}"
        try:
            return int(config.hook.pytest_cmdline_main(config=config)), None
        finally:
            config._ensure_unconfigure()
    except pytest.UsageError as exc:
        return 4, " ".join(str(arg) for arg in exc.args)
    finally:
        if previous is None:
            os.environ.pop("PYTEST_VERSION", None)
        else:
            os.environ["PYTEST_VERSION"] = previous


def _uptime_ms() -> float:
    """Milliseconds since the runtime process/page started (JS ``performance.now()``)."""
    from js import performance

    return float(performance.now())


def serve(boot_json: str, send: Send, recv: Recv) -> None:
    """Boot, announce ``ready``, then run one pytest session per ``run`` command."""
    boot = json.loads(boot_json)
    prepare_process(boot)
    patches, patch_summary = apply_patches(boot)

    import pytest

    from harness.inside.plugin import EventPlugin

    # Everything of ours is imported: keep our directory off the project's import path.
    if boot["runtime_root"] in sys.path:
        sys.path.remove(boot["runtime_root"])

    send(
        protocol.encode(
            "ready",
            pyodide=boot.get("pyodide_version", ""),
            python=sys.version.split()[0],
            platform=sys.platform,
            pytest=pytest.__version__,
            patches=patches,
            patch_summary=patch_summary,
            notes=[],
            boot_ms=round(_uptime_ms()),
        )
    )
    while True:
        line = recv()
        if line is None:  # the host is gone
            return
        command = protocol.decode(line, protocol.COMMAND_TYPES)
        if command["type"] == "exit":
            return
        plugin = EventPlugin(send, only=command.get("only"))
        status, usage_error = run_session(command["args"], plugin)
        if usage_error is not None:
            send(protocol.encode("error", kind="usage", message=usage_error))
        send(protocol.encode("done", exitstatus=status))
