"""Playwright: a local browser it launches (its own build, a channel such as ``chrome``, or
any binary by path), a Playwright server reached over ``ws://`` (``launch-server`` /
``run-server``), or a running Chromium's CDP endpoint.

Playwright's objects belong to the event loop that made them, so each launcher runs its
own loop in a private thread and the rest of the harness only sees ``open``/``close``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, cast

from harness.errors import HarnessError
from harness.runtimes.launchers import Pages
from harness.runtimes.launchers.plan import Plan

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, BrowserType, Playwright

# How often the private loop looks whether it should close the browser.
POLL_SECONDS = 0.2
# Header through which a Playwright server (run-server) takes the client's launch options.
LAUNCH_HEADER = "x-playwright-launch-options"


class PlaywrightLauncher(Pages):
    """One Playwright browser; each page in a context of its own (``new_page``), so the
    runtimes of a ``-n`` run can share it (``harness.runtimes.launchers.shared``)."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(plan.description)
        self.plan = plan
        self._started = threading.Event()
        self._error = ""
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._browser: Browser | None = None

    def launch(self) -> None:
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), name="harness-playwright")
        self._thread.daemon = True
        self._thread.start()
        self._started.wait()
        if self._error:
            raise HarnessError(f"{self.description}: {self._error}")

    async def _main(self) -> None:
        from playwright.async_api import async_playwright

        try:
            async with async_playwright() as playwright:
                browser = await self._connect(playwright)
                browser.on("disconnected", lambda _: self.ended("disconnected"))
                self._loop, self._browser = asyncio.get_running_loop(), browser
                self._started.set()
                while not self.closing:
                    await asyncio.sleep(POLL_SECONDS)
                if browser.is_connected():
                    await browser.close()  # a connected (remote) browser is only disconnected
        except Exception as exc:  # Playwright reports every failure as its own Error
            self._error = _first_line(exc)
        finally:
            self.ended(self.status or "closed")
            self._started.set()

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coroutine`` on the browser's loop and wait for it; errors are one line."""
        loop = self._loop
        if loop is None or self.gone.is_set():
            coroutine.close()
            raise HarnessError(f"{self.description} is not running")
        try:
            return asyncio.run_coroutine_threadsafe(coroutine, loop).result()
        except Exception as exc:
            raise HarnessError(f"{self.description}: {_first_line(exc)}") from None

    def new_page(self, url: str, ended: Callable[[str], None]) -> object:
        async def open_page() -> BrowserContext:
            assert self._browser is not None
            context = await self._browser.new_context(**self.plan.settings.section("playwright").get("context", {}))
            page = await context.new_page()
            page.on("crash", lambda _: ended("page crashed"))
            page.on("close", lambda _: ended("page closed"))
            page.on("console", lambda message: self.log.append(message.text))
            await page.goto(url, wait_until="commit")
            return context

        return self._run(open_page())

    def close_page(self, page: object) -> None:
        async def close() -> None:
            with contextlib.suppress(Exception):  # the page or the browser is gone already
                await cast("BrowserContext", page).close()

        with contextlib.suppress(HarnessError):
            self._run(close())

    async def _connect(self, playwright: Playwright) -> Browser:
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
