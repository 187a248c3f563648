"""WebKit, Safari's engine: through Selenium with WebKit's own WebDriver (WebKitGTK's
``WebKitWebDriver`` + MiniBrowser, under a private Xvfb when there is no display; or WPE's
``WPEWebDriver`` + ``cog``), through Playwright's WebKit build where installed, or a
remote Safari. There is no direct launch: MiniBrowser opens pages only under automation.
"""

from __future__ import annotations

from harness.runtimes.browser import BrowserRuntime
from harness.runtimes.launchers import Browser


class WebKitRuntime(BrowserRuntime):
    """Pyodide in a WebKit page."""

    name = "webkit"
    browser = Browser(
        engine="webkit",
        executables=(),
        executable_env="HARNESS_WEBKIT",
        install_hint="apt-get install webkit2gtk-driver xvfb",
    )


class WebKitWorkerRuntime(WebKitRuntime):
    """The same, with Pyodide in a module Web Worker: the page's thread stays free."""

    name = "webkit-worker"
    in_worker = True
