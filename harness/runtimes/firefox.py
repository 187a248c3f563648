"""Firefox: ``firefox --headless --profile DIR URL`` when launched directly (see ``browser.py``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import browsers
from harness.runtimes.browser import BrowserRuntime
from harness.runtimes.launchers import Browser
from harness.runtimes.launchers.settings import LaunchSettings


class FirefoxRuntime(BrowserRuntime):
    """Pyodide in a headless Firefox page, with a throwaway profile."""

    name = "firefox"
    browser = Browser(
        engine="firefox",
        executables=("firefox-esr", "firefox"),
        executable_env="HARNESS_FIREFOX",
        install_hint="apt-get install firefox-esr",
    )

    @classmethod
    def prepare_profile(cls, profile: Path) -> None:
        # Preferences a test run needs (no slow-script stop, no first-run or update work).
        shutil.copyfile(browsers.entry("firefox-user.js"), profile / "user.js")

    @classmethod
    def command(cls, settings: LaunchSettings, executable: str, profile: Path, url: str) -> list[str]:
        headless = ["--headless"] if settings.headless else []
        return [executable, *headless, "--no-remote", *settings.arguments, "--profile", str(profile), url]


class FirefoxWorkerRuntime(FirefoxRuntime):
    """The same, with Pyodide in a module Web Worker: the page's thread stays free."""

    name = "firefox-worker"
    in_worker = True
