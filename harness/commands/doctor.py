"""``harness doctor``: what this machine has for each runtime, and how to get what it lacks.

For each browser runtime it lists every way of getting that browser it found (the local
binary, Playwright and its browsers, Selenium and a WebDriver binary) and the launcher a
run would use without ``--driver`` (``harness.runtimes.launchers.plan`` decides both).
"""

from __future__ import annotations

import shutil
import subprocess

from harness.errors import HarnessError
from harness.provision import distribution as dist
from harness.provision.store import cache_root
from harness.runtimes.launchers import Browser
from harness.runtimes.launchers import plan as launch
from harness.runtimes.launchers.settings import LaunchSettings

BROWSER_RUNTIMES = ("chromium", "firefox", "webkit")


def _version(command: list[str]) -> str | None:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if out.returncode == 0 and text else None


def _browser(name: str) -> Browser:
    from harness.runtimes import runtime_class
    from harness.runtimes.browser import BrowserRuntime

    runtime = runtime_class(name)
    assert issubclass(runtime, BrowserRuntime)
    return runtime.browser


def browser_lines(name: str, playwright_browsers: dict[str, str | None]) -> list[str]:
    """What ``--runtime name`` can use here, one line per launcher, then the choice."""
    browser = _browser(name)
    lines = []
    try:
        binary = launch.direct_binary(browser, LaunchSettings()) if browser.executables else None
    except HarnessError as exc:
        binary, lines = None, [f"    direct:     {exc}"]
    if browser.executables and not lines:
        found = f"{binary} ({_version([binary, '--version']) or 'version unknown'})" if binary else None
        lines.append(f"    direct:     {found or 'missing: ' + browser.install_hint}")
    if launch.importable("playwright"):
        own = playwright_browsers.get(browser.engine)
        lines.append(f"    playwright: installed; its {browser.engine}: {own or 'none (playwright install)'}")
    else:
        lines.append(f"    playwright: not installed ({launch.EXTRA['playwright']})")
    if launch.importable("selenium"):
        try:
            driver = launch.webdriver_binary(browser.engine)
        except HarnessError as exc:
            driver = str(exc)
        hint = launch.WEBDRIVERS[browser.engine][2]
        lines.append(f"    selenium:   installed; WebDriver: {driver or 'none (' + hint + ')'}")
        if browser.engine == "webkit" and driver:
            xvfb = shutil.which("Xvfb")
            lines.append(
                f"                display: {'Xvfb ' + xvfb if xvfb else 'none: set DISPLAY or apt-get install xvfb'}"
            )
    else:
        lines.append(f"    selenium:   not installed ({launch.EXTRA['selenium']})")
    try:
        chosen = launch.plan(browser, LaunchSettings())
        lines.append(f"    would use:  {chosen.summary}")
    except HarnessError as exc:
        lines.append(f"    would use:  nothing: {exc}")
    return lines


def doctor() -> int:
    """Print the table; exit 0 if the node runtime can run, 1 otherwise."""
    print(f"cache: {cache_root()}")
    versions = dist.cached_versions()
    print(f"cached Pyodide: {', '.join(versions) if versions else 'none (fetched on first run)'}")
    node = shutil.which("node")
    missing_node = False
    for what, found, hint in (
        ("node", _version([node, "--version"]) if node else None, "apt-get install nodejs (20+)"),
        ("npm", _version(["npm", "--version"]) if shutil.which("npm") else None, "apt-get install npm"),
    ):
        print(f"  ok       {what}: {found}" if found else f"  missing  {what}: {hint}")
        missing_node |= not found
    print("runtimes: node" + (" (missing node/npm)" if missing_node else " ready"))
    engines = tuple(_browser(name).engine for name in BROWSER_RUNTIMES)
    own = launch.playwright_browsers(engines) if launch.importable("playwright") else {}
    ready = []
    for name in BROWSER_RUNTIMES:
        lines = browser_lines(name, own)
        print(f"  {name} (and {name}-worker):")
        print("\n".join(lines))
        if "nothing:" not in lines[-1]:
            ready.append(name)
    print(f"browser runtimes ready: {', '.join(ready) or 'none'}")
    return 1 if missing_node else 0
