"""Errors a user can cause, each mapped to a one-line message and a documented exit code.

The CLI prints ``ERROR: <message>`` (the form of pytest's own usage errors, so every bad
input reads alike) and exits with ``exit_code``; no traceback.
Exit codes follow pytest's table so CI scripts need only one: 4 means "usage error" there
too (bad option, unknown runtime or version, corrupt distribution, unresolvable wheel).
"""

from __future__ import annotations

USAGE_ERROR = 4


class HarnessError(Exception):
    """A problem with the user's input or environment, reported in one line."""

    exit_code: int = USAGE_ERROR

    def __init__(self, message: str, exit_code: int = USAGE_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code
