"""Run a coroutine to completion from synchronous code inside the runtime.

The harness runs pytest synchronously: while a test runs, JavaScript's event loop does not
turn, so Pyodide's own loop (``WebLoop``, which schedules through ``setTimeout``) never
gets to run a task. Two ways out:

- JSPI (WebAssembly stack switching): where the runtime has it and Python was entered
  through a promising call, ``pyodide.ffi.run_sync`` suspends the test until the coroutine
  is done, with JavaScript's loop turning meanwhile: anything can be awaited, as on a page.
- Otherwise a private asyncio loop runs the coroutine here, with ``time.sleep`` for
  timers. Pure-Python awaiting (``asyncio.sleep``, tasks, queues, ``gather``) works; a
  JavaScript Promise can never settle, so awaiting one is reported as a skip that says so
  instead of hanging until the timeout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

import pytest

NEEDS_JSPI = (
    "this test awaits JavaScript (a Promise, a JS timer, fetch...), which cannot settle while "
    "a test runs synchronously in this runtime: it has no JSPI (WebAssembly stack switching). "
    "Run it with --runtime chromium"
)


def can_block_on_javascript() -> bool:
    """Whether ``pyodide.ffi.run_sync`` can wait for JavaScript right now (JSPI)."""
    try:
        from pyodide.ffi import can_run_sync
    except ImportError:  # Pyodide < 0.27, or not inside Pyodide at all
        return False
    return bool(can_run_sync())


def _skip() -> BaseException:
    """The skip, reported at the test's own location (not at this file inside the runtime)."""
    return pytest.skip.Exception(NEEDS_JSPI, _use_item_location=True)


def wait_for_javascript(awaitable: Any) -> Any:
    """The result of a JavaScript Promise (or any awaitable), blocking through JSPI;
    a skip that says why where the runtime cannot block."""
    if not can_block_on_javascript():
        raise _skip()
    from pyodide.ffi import run_sync

    return run_sync(awaitable)


class _NoJavascript:
    """Stands in for the selector of asyncio's loops: nothing but time can wake us up."""

    closing = False  # cancelling what is left: never wait, never skip again

    def select(self, timeout: float | None) -> list[Any]:
        if self.closing:
            return []
        if timeout is None:
            # No callback is ready and no timer is due: the task waits for something only
            # JavaScript can complete.
            raise _skip()
        if timeout > 0:
            time.sleep(timeout)
        return []

    def close(self) -> None:
        pass


class _SyncLoop(asyncio.BaseEventLoop):
    """asyncio's own scheduling (ready queue, timers, tasks), minus I/O."""

    def __init__(self) -> None:
        super().__init__()
        self._selector = _NoJavascript()

    def _process_events(self, event_list: list[Any]) -> None:
        pass

    def _write_to_self(self) -> None:
        pass


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coroutine`` until it is done and return its result (see the module docstring)."""
    if can_block_on_javascript():
        from pyodide.ffi import run_sync

        return run_sync(coroutine)
    # Pyodide registers its WebLoop as the running loop for good; asyncio refuses to run a
    # second loop while one is marked running, so step it aside for the duration.
    previous = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    loop = _SyncLoop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        _close(loop)
        asyncio._set_running_loop(previous)


def _close(loop: _SyncLoop) -> None:
    """Cancel what the coroutine left running (after a skip or an error) and close the loop,
    as ``asyncio.run`` does, so no "task was destroyed but it is pending" noise follows."""
    loop._selector.closing = True
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
