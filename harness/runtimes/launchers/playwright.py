"""Playwright: a local browser it launches (its own build, a channel such as ``chrome``, or
any binary by path), a Playwright server reached over ``ws://`` (``launch-server`` /
``run-server``), or a running Chromium's CDP endpoint.

Playwright's objects belong to the event loop that made them, so each launcher runs its
own loop in a private thread and the rest of the harness only sees ``open``/``close``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.runtimes.launchers import Launcher
from harness.runtimes.launchers.plan import Plan

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserType, Playwright

# How often the private loop looks whether it should close the browser.
POLL_SECONDS = 0.2
# Header through which a Playwright server (run-server) takes the client's launch options.
LAUNCH_HEADER = "x-playwright-launch-options"


class PlaywrightLauncher(Launcher):
    def __init__(self, plan: Plan) -> None:
        super().__init__(plan.description)
        self.plan = plan
        self._opened = threading.Event()
        self._error = ""
        self._thread: threading.Thread | None = None

    def open(self, url: str) -> None:
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(url),), name="harness-playwright")
        self._thread.daemon = True
        self._thread.start()
        self._opened.wait()
        if self._error:
            raise HarnessError(f"{self.description}: {self._error}")

    async def _main(self, url: str) -> None:
        from playwright.async_api import async_playwright

        try:
            async with async_playwright() as playwright:
                browser = await self._browser(playwright)
                browser.on("disconnected", lambda _: self.ended("disconnected"))
                context = await browser.new_context(**self.plan.settings.section("playwright").get("context", {}))
                page = await context.new_page()
                page.on("crash", lambda _: self.ended("page crashed"))
                page.on("console", lambda message: self.log.append(message.text))
                await page.goto(url, wait_until="commit")
                self._opened.set()
                while not self.closing:
                    await asyncio.sleep(POLL_SECONDS)
                if browser.is_connected():
                    await context.close()
                    await browser.close()  # a connected (remote) browser is only disconnected
        except Exception as exc:  # Playwright reports every failure as its own Error
            self._error = _first_line(exc)
        finally:
            self.ended(self.status or "closed")
            self._opened.set()

    async def _browser(self, playwright: Playwright) -> Browser:
        plan, section = self.plan, self.plan.settings.section("playwright")
        browser_type: BrowserType = getattr(playwright, plan.browser.engine)
        remote = plan.settings.remote or ""
        connect: dict[str, Any] = dict(section.get("connect", {}))
        if plan.remote == "cdp":
            return await playwright.chromium.connect_over_cdp(remote, **connect)
        launch = self._launch_options(section.get("launch", {}))
        if plan.remote == "playwright-server":
            # run-server launches a browser per client with these options; launch-server ignores them.
            camel = {_camel(key): value for key, value in launch.items()}
            connect["headers"] = {LAUNCH_HEADER: json.dumps(camel), **connect.get("headers", {})}
            return await browser_type.connect(remote, **connect)
        return await browser_type.launch(**launch)

    def _launch_options(self, given: dict[str, Any]) -> dict[str, Any]:
        plan = self.plan
        arguments = [a for a in plan.browser.arguments if a != "--headless"] + plan.settings.arguments
        options: dict[str, Any] = {"headless": plan.settings.headless, "args": arguments}
        if plan.executable:
            options["executable_path"] = plan.executable
        return {**options, **given}

    def _shut(self) -> None:
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(60)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
