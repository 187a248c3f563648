"""Chromium: ``chromium --headless ... URL`` when launched directly (see ``browser.py``)."""

from __future__ import annotations

import os
from pathlib import Path

from harness.runtimes.browser import BrowserRuntime
from harness.runtimes.launchers import Browser
from harness.runtimes.launchers.settings import LaunchSettings

# Quiet and deterministic: no network besides the run's server, no first-run work, and no
# throttling of a page that is never shown.
FLAGS = (
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
)


class ChromiumRuntime(BrowserRuntime):
    """Pyodide in a headless Chromium page."""

    name = "chromium"
    browser = Browser(
        engine="chromium",
        executables=("chromium", "chromium-browser", "google-chrome-stable", "google-chrome"),
        executable_env="HARNESS_CHROMIUM",
        install_hint="apt-get install chromium",
        arguments=FLAGS,
    )

    @classmethod
    def command(cls, settings: LaunchSettings, executable: str, profile: Path, url: str) -> list[str]:
        # As root Chromium refuses to start with its sandbox on.
        sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []
        headless = ["--headless"] if settings.headless else []
        return [executable, *headless, *FLAGS, *sandbox, *settings.arguments, f"--user-data-dir={profile}", url]


class ChromiumWorkerRuntime(ChromiumRuntime):
    """The same, with Pyodide in a module Web Worker: the page's thread stays free."""

    name = "chromium-worker"
    in_worker = True
