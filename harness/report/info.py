"""The facts of a run that reports state in their header: runtime, versions, patches, shard.

Asked for at the end of the session: the runtime boots during ``pytest_sessionstart`` and a
shard is chosen after collection. Without the harness controller (a native pytest session)
the runtime facts are simply absent.
"""

from __future__ import annotations

from typing import Any

from harness import __version__

CONTROLLER = "harness-controller"
SHARD = "harness-shard"


def run_info(config: Any) -> dict[str, Any]:
    """{"harness", "runtime", "pyodide", "python", "pytest", "patches", "patch_summary",
    "workers", "shard"} as far as known."""
    info: dict[str, Any] = {"harness": __version__}
    controller = config.pluginmanager.get_plugin(CONTROLLER)
    if controller is not None:
        info.update(controller.run_info())
    shard = config.pluginmanager.get_plugin(SHARD)
    if shard is not None and shard.header() is not None:
        info["shard"] = shard.header()
    return info
