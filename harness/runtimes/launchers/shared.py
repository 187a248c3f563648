"""One browser for all the runtimes of a run: each runtime is a page of it.

With ``-n N`` a browser per runtime costs 0.5-1 GB each; pages of one browser share its
browser, GPU and network processes and keep a renderer process each. A runtime sees a
``PageLauncher``, an ordinary ``Launcher`` whose ``close`` closes its page only (the pool
kills a crashed or hung runtime that way and opens a fresh page for its successor) and
whose ``gone`` is set when its page or the whole browser goes. The browser starts with the
first page and ends with the last one: when the run ends, every runtime is killed, so the
browser is too.

Launchers that can hold many pages (``Pages``): Chromium started directly (DevTools over a
pipe, ``cdp.CdpLauncher``) and Playwright (local, a Playwright server, a CDP endpoint).
The others (Selenium, Firefox and WebKit started directly) get one browser per runtime.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import ClassVar

from harness.errors import HarnessError
from harness.runtimes.launchers import Launcher, Pages
from harness.runtimes.launchers.direct import remove_profile


class SharedBrowser:
    """A ``Pages`` launcher and how many pages of it are open (reference counted)."""

    _open: ClassVar[dict[Hashable, SharedBrowser]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, key: Hashable, launcher: Pages, profile: Path | None) -> None:
        self.key = key
        self.launcher = launcher
        self.profile = profile
        self.users = 0
        self._start_lock = threading.Lock()
        self._started = False
        self._failure: HarnessError | None = None
        self._reserved = False

    @classmethod
    def acquire(cls, key: Hashable, make: Callable[[], tuple[Pages, Path | None]]) -> SharedBrowser:
        """The run's browser for ``key`` (made by ``make`` for the first user), one more user."""
        with cls._registry_lock:
            shared = cls._open.get(key)
            if shared is None or shared.launcher.gone.is_set() or shared.launcher.closing:
                launcher, profile = make()
                shared = cls._open[key] = SharedBrowser(key, launcher, profile)
            shared.users += 1
            return shared

    def release(self) -> None:
        """One user fewer; the last one closes the browser and removes its profile."""
        with self._registry_lock:
            self.users -= 1
            last = self.users == 0
            if last and self._open.get(self.key) is self:
                del self._open[self.key]
        if last:
            self.launcher.close()
            if self.profile is not None:
                remove_profile(self.profile)

    def reserve(self) -> None:
        """Start the browser now, in the background, for pages that will come: the
        ``acquire`` that made this counts as a user until the first page is open (or the
        process ends without one)."""
        self._reserved = True
        atexit.register(self.unreserve)
        threading.Thread(target=self._start_quietly, daemon=True).start()

    def _start_quietly(self) -> None:
        with contextlib.suppress(HarnessError):  # kept, and raised to every page that asks
            self.start()

    def unreserve(self) -> None:
        """A page is open, or none will come: the reservation is no user any more."""
        with self._registry_lock:
            reserved, self._reserved = self._reserved, False
        if reserved:
            self.release()

    def start(self) -> None:
        """Start the browser once (the first page waits for it, the others too); if it
        could not be had, every page gets the same one-line error."""
        with self._start_lock:
            if self._failure is not None:
                raise self._failure
            if not self._started:
                try:
                    self.launcher.launch()
                except HarnessError as exc:
                    self._failure = exc
                    raise
                self._started = True


class PageLauncher(Launcher):
    """One runtime's page in the run's shared browser."""

    def __init__(self, shared: SharedBrowser) -> None:
        super().__init__(shared.launcher.description)
        self.shared = shared
        self.log = shared.launcher.log  # the browser's output, for a failed start
        self._page: object | None = None
        threading.Thread(target=self._follow_browser, daemon=True).start()

    def _follow_browser(self) -> None:
        browser = self.shared.launcher
        browser.gone.wait()
        self.ended(browser.status)

    def open(self, url: str) -> None:
        self.shared.start()
        page = self.shared.launcher.new_page(url, self.ended)
        with self._lock:
            self._page = page
        self.shared.unreserve()
        if self.closing:
            self.shared.launcher.close_page(page)

    def probe(self) -> None:
        self.shared.launcher.probe()

    def _shut(self) -> None:
        with self._lock:
            page = self._page
        try:
            if page is not None:
                self.shared.launcher.close_page(page)
        except HarnessError:
            pass  # the browser is going anyway
        finally:
            self.shared.release()
            self.ended(self.status or "closed")
