"""Shared setup for tests that run inside the runtime (and on host CPython).

Why: ``capture_project/`` holds a fixture project whose tests fail on purpose (it is compared
against native pytest); it must only be collected when a path inside it is asked for.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name != "capture_project":
        return None
    base = config.invocation_params.dir
    for arg in config.args:
        wanted = (base / arg.split("::")[0]).resolve()
        if wanted == collection_path.resolve() or collection_path.resolve() in wanted.parents:
            return None
    return True
