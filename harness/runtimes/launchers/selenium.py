"""Selenium: a local WebDriver (chromedriver, geckodriver, WebKit's WebKitWebDriver or
WPEWebDriver) or a remote one (a Selenium Grid, a cloud service) opens the page.

The session only navigates: ``pageLoadStrategy`` is ``none``, so ``get`` returns at once
and everything else travels over the run's own server, as with every launcher.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from pathlib import Path
from typing import Any

import browsers
from harness.errors import HarnessError
from harness.runtimes.launchers import Launcher, xvfb
from harness.runtimes.launchers.plan import Plan, wpe

_PREFERENCE = re.compile(r'^user_pref\("([^"]+)",\s*(.+)\);\s*$')
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^\"')]+)")
# Selenium's own WebKitGTK/WPE classes still use a constructor argument it deprecated.
warnings.filterwarnings("ignore", "setting remote_server_addr", DeprecationWarning, "selenium")


class SeleniumLauncher(Launcher):
    def __init__(self, plan: Plan, profile: Path) -> None:
        super().__init__(plan.description)
        self.plan = plan
        self.profile = profile
        self._driver: Any = None
        self._service: Any = None  # a local driver's process, stopped even if no session came of it
        self._display: xvfb.VirtualDisplay | None = None

    def open(self, url: str) -> None:
        where = self.plan.settings.remote or self.plan.webdriver
        try:
            driver = self._remote() if self.plan.remote else self._local()
        except HarnessError:
            raise
        except Exception as exc:  # the driver's reason, whatever library raised it
            self.log.extend(self._driver_log())
            raise HarnessError(f"{self.description}: {where}: cannot create a session: {_reason(exc)}") from None
        with self._lock:
            self._driver = driver
        if self.closing:
            self._quit()
            return
        try:
            driver.get(url)
        except Exception as exc:
            raise HarnessError(f"{self.description}: cannot open the page: {_reason(exc)}") from None

    def _remote(self) -> Any:
        from selenium import webdriver

        url = self.plan.settings.remote or ""
        return webdriver.Remote(command_executor=url, options=self._options(remote=True))

    def _local(self) -> Any:
        from selenium import webdriver

        engine, env = self.plan.browser.engine, dict(os.environ)
        log = str(self.profile / "webdriver.log")
        driver: Any
        if engine == "chromium":
            service: Any = self._keep(webdriver.ChromeService(self.plan.webdriver, log_output=log, env=env))
            driver = webdriver.Chrome(options=self._options(), service=service)
        elif engine == "firefox":
            service = self._keep(webdriver.FirefoxService(self.plan.webdriver, log_output=log, env=env))
            driver = webdriver.Firefox(options=self._options(), service=service)
        elif wpe(self.plan.webdriver, self.plan.executable):
            service = self._keep(webdriver.WPEWebKitService(self.plan.webdriver, log_output=log, env=env))
            driver = webdriver.WPEWebKit(options=self._options(), service=service)
        else:
            if xvfb.needed():
                self._display = xvfb.VirtualDisplay()  # MiniBrowser has no headless mode
                env["DISPLAY"] = self._display.display
            service = self._keep(webdriver.WebKitGTKService(self.plan.webdriver, log_output=log, env=env))
            driver = webdriver.WebKitGTK(options=self._options(), service=service)
        process = service.process
        threading.Thread(target=self._watch, args=(process,), daemon=True).start()
        return driver

    def _keep(self, service: Any) -> Any:
        with self._lock:
            self._service = service
        return service

    def _watch(self, process: Any) -> None:
        """A local driver that exits takes its browser with it."""
        code = process.wait()
        self.log.extend(self._driver_log())
        self.ended(f"(its WebDriver) exited with code {code}")

    def _options(self, remote: bool = False) -> Any:
        from selenium import webdriver

        plan, settings = self.plan, self.plan.settings
        engine, headless = plan.browser.engine, settings.headless
        arguments = [a for a in plan.browser.arguments if a != "--headless"]
        options: Any
        if engine == "chromium":
            options = webdriver.ChromeOptions()
            arguments = (["--headless=new"] if headless else []) + arguments
            if not remote and os.geteuid() == 0:
                arguments.append("--no-sandbox")  # as root Chromium refuses its sandbox
        elif engine == "firefox":
            options = webdriver.FirefoxOptions()
            arguments = ["-headless"] if headless else []
            for name, value in firefox_preferences().items():
                options.set_preference(name, value)
        elif remote:
            options = webdriver.SafariOptions()  # a remote WebKit is Safari (a cloud service)
        elif wpe(plan.webdriver, plan.executable):
            options = webdriver.WPEWebKitOptions()
            arguments = ["--automation"] + (["--platform=headless"] if headless else [])
            options.set_capability("browserName", Path(plan.executable or "cog").name)
        else:
            options = webdriver.WebKitGTKOptions()
            arguments = ["--automation"]
        if plan.executable and not (remote and engine == "webkit"):
            options.binary_location = plan.executable
        for argument in arguments + settings.arguments:
            options.add_argument(argument)
        options.page_load_strategy = "none"
        for name, value in settings.section("selenium").get("capabilities", {}).items():
            options.set_capability(name, value)
        return options

    def probe(self) -> None:
        with self._lock:
            driver = self._driver
        if driver is None or self.gone.is_set():
            return
        try:
            driver.current_url  # noqa: B018 - any command: a dead browser cannot answer it
        except Exception as exc:
            self.ended(f"is gone (its session answers: {_reason(exc)})")

    def _driver_log(self) -> list[str]:
        try:
            lines = (self.profile / "webdriver.log").read_text("utf-8", "replace").splitlines()
        except OSError:
            return []
        return [line for line in lines[-10:] if line.strip()]

    def _quit(self) -> None:
        with self._lock:
            driver, self._driver = self._driver, None
        if driver is not None:
            try:
                driver.quit()
            except Exception:  # the session or its browser is already gone
                pass

    def _shut(self) -> None:
        self._quit()
        with self._lock:
            service, self._service = self._service, None
        if service is not None:
            try:
                service.stop()  # its session may still be starting: the driver goes regardless
            except Exception:
                pass
        if self._display is not None:
            self._display.close()
            self._display = None


def firefox_preferences() -> dict[str, Any]:
    """The prefs of ``browsers/firefox-user.js`` (the direct launch's profile), for a
    Firefox that WebDriver creates its own profile for."""
    import json

    preferences = {}
    for line in browsers.entry("firefox-user.js").read_text().splitlines():
        match = _PREFERENCE.match(line)
        if match:
            preferences[match.group(1)] = json.loads(match.group(2))
    return preferences


def _reason(exc: BaseException) -> str:
    """One line from whatever a WebDriver client raised."""
    text = str(getattr(exc, "msg", None) or exc)
    errno = _ERRNO.search(text)
    if errno:
        return errno.group(1).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0].removeprefix("Message: ") if lines else type(exc).__name__
