"""Runtime registry: the names ``--runtime`` accepts and the class behind each."""

from __future__ import annotations

from harness.errors import HarnessError
from harness.runtimes.base import Runtime

# Names users may pass; browsers join when their runtime files land.
RUNTIMES = ("node",)


def runtime_class(name: str) -> type[Runtime]:
    """The Runtime subclass for ``name``, or a one-line error listing the known names."""
    if name == "node":
        from harness.runtimes.node import NodeRuntime

        return NodeRuntime
    raise HarnessError(f"unknown runtime {name!r}; choose one of: {', '.join(RUNTIMES)}")
