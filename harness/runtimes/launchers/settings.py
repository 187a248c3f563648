"""What the user said about how to reach a browser: ``--driver``, ``--browser-path``,
``--browser-options``, ``--remote``, ``--bind``, ``--advertise``, checked once.

Kept apart from the launchers so ``harness.options`` can build it without importing
Playwright or Selenium. ``harness.runtimes.launchers.plan`` turns it into a decision.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

DRIVERS = ("direct", "playwright", "selenium")
# Keys a --browser-options file may hold (see docs/browsers.md).
OPTION_KEYS = frozenset({"headless", "arguments", "playwright", "selenium"})
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class LaunchSettings:
    """The browser options of one invocation; all empty means "the local binary, as today"."""

    driver: str | None = None  # None: choose (direct, then Playwright, then Selenium)
    browser_path: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # --browser-options, variables expanded
    remote: str | None = None
    bind: str = LOOPBACK
    advertise: str | None = None  # None: the bind address

    @property
    def given(self) -> list[str]:
        """The options the user set (for "only browser runtimes take ..." messages)."""
        flags = {
            "--driver": self.driver,
            "--browser-path": self.browser_path,
            "--browser-options": self.options,
            "--remote": self.remote,
            "--bind": self.bind != LOOPBACK,
            "--advertise": self.advertise,
        }
        return [flag for flag, value in flags.items() if value]

    @property
    def headless(self) -> bool:
        return bool(self.options.get("headless", True))

    @property
    def arguments(self) -> list[str]:
        return [str(a) for a in self.options.get("arguments", [])]

    def section(self, driver: str) -> dict[str, Any]:
        """The file's ``playwright`` or ``selenium`` object."""
        return dict(self.options.get(driver) or {})

    @property
    def url_host(self) -> str:
        """The host part of the URL browsers are sent to."""
        host = self.advertise or self.bind
        return f"[{host}]" if ":" in host and not host.startswith("[") else host

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> LaunchSettings:
        driver = values.get("driver") or None
        if driver is not None and driver not in DRIVERS:
            raise HarnessError(f"unknown driver {driver!r} for --driver; choose one of: {', '.join(DRIVERS)}")
        remote = values.get("remote") or None
        if remote is not None:
            _check_remote(remote, driver)
        path = values.get("browser_path")
        bind = values.get("bind") or LOOPBACK
        advertise = values.get("advertise") or None
        _check_bind(bind, advertise)
        options_file = values.get("browser_options")
        return cls(
            driver=driver,
            browser_path=Path(path) if path else None,
            options=load_options(Path(options_file)) if options_file else {},
            remote=remote,
            bind=bind,
            advertise=advertise,
        )


def _check_remote(url: str, driver: str | None) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        raise HarnessError(f"--remote expects an http(s):// or ws(s):// URL, not {url!r}")
    if driver == "direct":
        raise HarnessError("--remote needs a driver: --driver playwright or --driver selenium (or none)")
    if driver == "selenium" and parts.scheme in ("ws", "wss"):
        raise HarnessError(f"--remote {url}: a ws:// URL is a Playwright server; Selenium needs http(s)://")


def _check_bind(bind: str, advertise: str | None) -> None:
    try:
        address = ipaddress.ip_address(bind)
    except ValueError:
        raise HarnessError(f"--bind expects an IP address of this machine, not {bind!r}") from None
    if address.is_unspecified and not advertise:
        raise HarnessError(f"--bind {bind} needs --advertise HOST: the name or address browsers reach this machine at")


def load_options(path: Path) -> dict[str, Any]:
    """A ``--browser-options`` JSON file, with ``${NAME}`` replaced by environment values
    (credentials stay out of the file and off the command line)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HarnessError(f"--browser-options {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise HarnessError(f"--browser-options {path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise HarnessError(f"--browser-options {path}: expected a JSON object")
    unknown = sorted(set(data) - OPTION_KEYS)
    if unknown:
        known = ", ".join(sorted(OPTION_KEYS))
        raise HarnessError(f"--browser-options {path}: unknown key {unknown[0]!r}; known: {known}")
    if not isinstance(data.get("arguments", []), list):
        raise HarnessError(f"--browser-options {path}: 'arguments' must be a list of strings")
    for key in ("playwright", "selenium"):
        if not isinstance(data.get(key, {}), dict):
            raise HarnessError(f"--browser-options {path}: {key!r} must be an object")
    expanded: dict[str, Any] = _expand(data, path)
    return expanded


def _expand(value: Any, path: Path) -> Any:
    if isinstance(value, str):

        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise HarnessError(f"--browser-options {path}: environment variable {name} is not set")
            return os.environ[name]

        return _VARIABLE.sub(variable, value)
    if isinstance(value, list):
        return [_expand(v, path) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, path) for k, v in value.items()}
    return value
