"""Launchers: the one thing that differs between ways of getting a browser.

A launcher opens the run's URL in a browser and closes that browser again; nothing else.
The page, the run's server, the protocol and everything above them are the same whether
the browser is a local binary started directly (``direct``), one started or reached by
Playwright (``playwright``: local, a Playwright server over ``ws://``, or a browser's CDP
endpoint) or one driven through WebDriver (``selenium``: a local driver, or a Selenium
Grid / cloud service). ``plan`` decides which one a run uses; doctor shows the same.
"""

from __future__ import annotations

import collections
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Browser:
    """What a browser runtime runs, as every launcher needs to know it."""

    engine: str  # "chromium", "firefox" or "webkit": Playwright's browser type, Selenium's family
    executables: tuple[str, ...]  # binaries a direct launch looks up on PATH
    executable_env: str  # the variable that names the binary instead
    install_hint: str
    arguments: tuple[str, ...] = ()  # quiet, deterministic command-line flags for every launcher


class Launcher(ABC):
    """Opens one URL in one browser; ``gone`` is set when that browser ends by itself.

    ``open`` may block (a remote session can take seconds); ``close`` may be called from
    another thread at any time, also while ``open`` runs, and more than once.
    """

    def __init__(self, description: str) -> None:
        self.description = description  # "chromium", "chromium (playwright)", ...
        self.gone = threading.Event()
        self.status = ""  # why it is gone: "exited with code 1", "disconnected"
        self.log: collections.deque[str] = collections.deque(maxlen=20)  # browser/driver output
        self._lock = threading.Lock()
        self._closing = False

    @abstractmethod
    def open(self, url: str) -> None:
        """Get a browser and navigate it to ``url`` without waiting for the page.

        A browser or session that cannot be had is a one-line ``HarnessError``.
        """

    @abstractmethod
    def _shut(self) -> None:
        """Release the browser (kill, quit the session, disconnect); called once."""

    def probe(self) -> None:
        """The page's stream ended: find out whether the browser went with it (for launchers
        that get no signal of their own when a browser dies, such as a remote WebDriver).
        The others know already: nothing to do."""
        return

    def close(self) -> None:
        """End the browser now (idempotent, from any thread)."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
        self._shut()

    @property
    def closing(self) -> bool:
        return self._closing

    def ended(self, status: str) -> None:
        """The browser went away on its own."""
        if not self.gone.is_set():
            self.status = status
            self.gone.set()


class Pages(Launcher):
    """A launcher whose one browser holds many pages: the runtimes of a ``-n`` run share it
    (``harness.runtimes.launchers.shared``). ``gone`` and ``close`` are the whole browser's.
    """

    @abstractmethod
    def launch(self) -> None:
        """Start (or reach) the browser, with no page of ours yet; a one-line HarnessError
        if it cannot be had."""

    @abstractmethod
    def new_page(self, url: str, ended: Callable[[str], None]) -> object:
        """Open ``url`` in a new page (its own renderer where the browser allows); ``ended``
        is called with the reason if that page alone goes away (crash, closed). Returns the
        handle ``close_page`` takes."""

    @abstractmethod
    def close_page(self, page: object) -> None:
        """Close one page (its runtime is done or being replaced); the others keep running."""

    def open(self, url: str) -> None:
        self.launch()
        self.new_page(url, self.ended)
