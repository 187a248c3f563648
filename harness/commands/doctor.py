"""``harness doctor``: what this machine has for each runtime, and how to get what it lacks."""

from __future__ import annotations

import os
import shutil
import subprocess

from harness.errors import HarnessError
from harness.provision import distribution as dist
from harness.provision.store import cache_root


def _version(command: list[str]) -> str | None:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if out.returncode == 0 and text else None


def _browser(name: str) -> tuple[str | None, str | None]:
    """(version or path, problem) of the browser runtime's binary, found as ``--runtime name``
    would find it: a bad ``HARNESS_<BROWSER>`` override is the problem to report, not a
    missing browser."""
    from harness.runtimes import runtime_class

    cls = runtime_class(name)
    try:
        executable = cls.find_executable()  # type: ignore[attr-defined]
    except HarnessError as exc:
        override = os.environ.get(cls.executable_env)  # type: ignore[attr-defined]
        return None, str(exc) if override else None
    found = _version([executable, "--version"])
    if found is None:
        return None, f"{executable} --version fails: not a working {name}"
    return found, None


def checks() -> list[tuple[str, str | None, str | None, str]]:
    """(what, found version/path or None, problem or None, install hint) for everything a
    runtime may need. Browser runtimes need only the browser binary: the harness launches it.
    """
    node = shutil.which("node")
    chromium, chromium_problem = _browser("chromium")
    firefox, firefox_problem = _browser("firefox")
    return [
        ("node", _version([node, "--version"]) if node else None, None, "apt-get install nodejs (20+)"),
        ("npm", _version(["npm", "--version"]) if shutil.which("npm") else None, None, "apt-get install npm"),
        ("chromium", chromium, chromium_problem, "apt-get install chromium (--runtime chromium)"),
        ("firefox", firefox, firefox_problem, "apt-get install firefox-esr (--runtime firefox)"),
    ]


def doctor() -> int:
    """Print the table; exit 0 if the node runtime can run, 1 otherwise."""
    print(f"cache: {cache_root()}")
    versions = dist.cached_versions()
    print(f"cached Pyodide: {', '.join(versions) if versions else 'none (fetched on first run)'}")
    missing_node = False
    table = checks()
    for what, found, problem, hint in table:
        if found:
            print(f"  ok       {what}: {found}")
        elif problem:
            print(f"  broken   {what}: {problem}")
        else:
            print(f"  missing  {what}: {hint}")
            missing_node |= what in ("node", "npm")
    print("runtimes: node" + (" (missing node/npm)" if missing_node else " ready"))
    browsers = [what for what, found, _, _ in table if what in ("chromium", "firefox") and found]
    print(f"browser runtimes ready: {', '.join(browsers) or 'none'}")
    return 1 if missing_node else 0
