"""Firefox: ``firefox --headless --profile DIR URL`` when launched directly (see ``browser.py``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import browsers
from harness.runtimes.browser import BrowserRuntime
from harness.runtimes.launchers import Browser


class FirefoxRuntime(BrowserRuntime):
    """Pyodide in a headless Firefox page, with a throwaway profile."""

    name = "firefox"
    browser = Browser(
        engine="firefox",
        executables=("firefox-esr", "firefox"),
        executable_env="HARNESS_FIREFOX",
        install_hint="apt-get install firefox-esr",
    )

    def prepare_profile(self, profile: Path) -> None:
        # Preferences a test run needs (no slow-script stop, no first-run or update work).
        shutil.copyfile(browsers.entry("firefox-user.js"), profile / "user.js")

    def command(self, executable: str, profile: Path, url: str) -> list[str]:
        extra = self._plan().settings.arguments
        headless = ["--headless"] if self._plan().settings.headless else []
        return [executable, *headless, "--no-remote", *extra, "--profile", str(profile), url]


class FirefoxWorkerRuntime(FirefoxRuntime):
    """The same, with Pyodide in a module Web Worker: the page's thread stays free."""

    name = "firefox-worker"
    in_worker = True
