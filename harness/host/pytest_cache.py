"""Host-owned ``.pytest_cache`` writes.

The runtime reads the cache directly through the mount but never writes it: its
``config.cache.set`` calls arrive as ``cache_set`` events and land here. Each value is
written to a temporary file and renamed into place, so a reader (or a concurrent worker's
host) never sees half a JSON document.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from harness.inside import pytest_compat
from harness.provision.invocation import host_umask


def write_value(cache: Any, key: str, value: object) -> None:
    """Persist one cache value atomically, creating the cache dir the way pytest does."""
    path = pytest_compat.cache_value_path(cache, key)
    try:
        pytest_compat.cache_make_dir(cache, path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(value, f, ensure_ascii=False, indent=2)
        os.chmod(tmp, 0o666 & ~host_umask())  # mkstemp makes 0600; pytest's files follow the umask
        os.replace(tmp, path)
    except OSError as exc:
        pytest_compat.cache_warn(cache, f"cache could not write path {path}: {exc}")
