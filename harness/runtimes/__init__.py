"""Runtime registry: the names ``--runtime`` accepts and the class behind each."""

from __future__ import annotations

import importlib

from harness.errors import HarnessError
from harness.runtimes.base import Runtime

# Name -> "module:class", imported only when chosen.
_CLASSES = {
    "node": "harness.runtimes.node:NodeRuntime",
    "chromium": "harness.runtimes.chromium:ChromiumRuntime",
    "firefox": "harness.runtimes.firefox:FirefoxRuntime",
    "chromium-worker": "harness.runtimes.chromium:ChromiumWorkerRuntime",
    "firefox-worker": "harness.runtimes.firefox:FirefoxWorkerRuntime",
    "webkit": "harness.runtimes.webkit:WebKitRuntime",
    "webkit-worker": "harness.runtimes.webkit:WebKitWorkerRuntime",
}
# Names users may pass.
RUNTIMES = tuple(_CLASSES)


def runtime_class(name: str) -> type[Runtime]:
    """The Runtime subclass for ``name``, or a one-line error listing the known names."""
    if name not in _CLASSES:
        raise HarnessError(f"unknown runtime {name!r}; choose one of: {', '.join(RUNTIMES)}")
    module, _, cls = _CLASSES[name].partition(":")
    runtime: type[Runtime] = getattr(importlib.import_module(module), cls)
    return runtime
