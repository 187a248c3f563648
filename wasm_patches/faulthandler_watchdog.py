"""faulthandler's watchdog needs a thread, which Pyodide cannot start.

pytest arms ``faulthandler.dump_traceback_later`` around every test when the ini option
``faulthandler_timeout`` is set (common in real projects); inside Pyodide that raises
``RuntimeError: unable to start watchdog thread`` and pytest ends in INTERNALERROR. The
fix turns the watchdog into a no-op: the harness host enforces ``--timeout`` instead,
from outside the runtime, which also works where a thread could not (a busy loop).
"""

from __future__ import annotations

import faulthandler
from typing import Any

NAME = "faulthandler-watchdog"

_original = faulthandler.dump_traceback_later


def probe(**_: object) -> dict[str, bool]:
    """True if arming the watchdog fails in this runtime."""
    try:
        _original(3600)
    except RuntimeError:
        return {"dump_traceback_later": True}
    faulthandler.cancel_dump_traceback_later()
    return {"dump_traceback_later": False}


def _no_watchdog(timeout: float, repeat: bool = False, file: Any = None, exit: bool = False) -> None:
    """Accept the request and do nothing: there is no thread to run the watchdog on."""


def apply(defects: dict[str, bool], **_: object) -> None:
    if defects.get("dump_traceback_later"):
        faulthandler.dump_traceback_later = _no_watchdog


def verify(**_: object) -> dict[str, bool]:
    try:
        faulthandler.dump_traceback_later(3600)
    except RuntimeError:
        return {"dump_traceback_later": True}
    return {"dump_traceback_later": False}
