"""The event protocol between a runtime and the host: one JSON object per line, versioned.

This module is the single written-down schema. It is stdlib-only because it is also copied
into the runtime, where the in-runtime plugin produces the events. ``docs/protocol.md``
explains the design; the field lists below are authoritative.

Every message carries ``"v": VERSION`` and ``"type"``. A host refuses a message whose major
version differs, so a runtime built from another harness release fails loudly instead of
being misread.

Runtime → host (events)
-----------------------
``ready``            boot finished: ``pyodide``, ``python``, ``platform``, ``pytest``,
                     ``patches`` (list of patch results), ``patch_summary`` (one line),
                     ``notes`` (list of header lines), ``boot_ms``.
``session_start``    the runtime's pytest session started.
``collectreport``    ``report``: pytest_report_to_serializable(CollectReport);
                     ``items``: [{"nodeid", "location"}] the collected test items it holds
                     (pytest serializes ``result`` as None; the host rebuilds it from these).
``deselected``       ``nodeids``: items removed by -k/-m/--lf/... in the runtime.
``collection_finish````nodeids``: the final, ordered test list; ``lines``: lines other
                     plugins would print after collection (``run-last-failure: ...``).
``logstart``         ``nodeid``, ``location``, ``timeout`` (seconds from a ``timeout``
                     marker, or null): a test begins.
``logreport``        ``report``: pytest_report_to_serializable(TestReport).
``logfinish``        ``nodeid``, ``location``: a test ended (all phases reported).
``warning``          ``warning``: {message, category_module, category_name, filename,
                     lineno, line}; ``when``, ``nodeid``, ``location``.
``coverage``         what coverage.py measured since the previous ``coverage`` event (sent
                     before ``collection_finish``, each ``logfinish`` and ``done`` when there
                     is news; only with a ``coverage`` boot option): ``context`` (static
                     context or null), ``branch`` (arcs rather than lines), and where non-empty ``lines`` {file: [line...]} or
                     ``arcs`` {file: [[from, to]...]}, ``file_tracers`` {file: plugin},
                     ``touched`` {plugin or "": [file...]} (files that never ran).
``cache_set``        ``key``, ``value``: a ``config.cache.set`` the host must persist
                     (only the host writes ``.pytest_cache``).
``interrupted``      ``kind`` ("interrupted", "failed" or "exit"), ``message``,
                     ``returncode``: the session ended early (collection errors,
                     ``pytest.exit``, KeyboardInterrupt).
``error``            ``kind`` ("usage", "internal" or "fatal"), ``message``: the runtime's
                     pytest ended with a usage error / INTERNALERROR, or the runtime itself
                     is going down (boot failed, ``os._exit``, wasm trap); for "fatal" the
                     end of the stream follows.
``done``             ``exitstatus``: pytest returned; the runtime waits for a command.

Host → runtime (commands)
-------------------------
``run``              ``args``: pytest arguments: run one pytest session, answer ``done``.
                     After ``collection_finish`` the session runs only what the host then
                     schedules (it collects everything, so node ids and fixtures are as
                     in a full run):
``schedule``         ``nodeids``: collected tests this runtime runs next, in this order.
``shutdown``         no more tests will be scheduled: finish the queued ones and end.
``exit``             leave the command loop; the runtime process ends.
"""

from __future__ import annotations

import json
from typing import Any

VERSION = 2

EVENT_TYPES = frozenset(
    {
        "ready",
        "session_start",
        "collectreport",
        "deselected",
        "collection_finish",
        "logstart",
        "logreport",
        "logfinish",
        "warning",
        "coverage",
        "cache_set",
        "interrupted",
        "error",
        "done",
    }
)
COMMAND_TYPES = frozenset({"run", "schedule", "shutdown", "exit"})


class ProtocolError(Exception):
    """A line that is not a message of this protocol version."""


def encode(type_: str, **fields: Any) -> str:
    """One message as a single JSON line (no trailing newline).

    Values JSON cannot hold (an object a test put in ``user_properties``) travel as repr.
    """
    message = {"v": VERSION, "type": type_, **fields}
    return json.dumps(message, separators=(",", ":"), default=repr)


def decode(line: str | bytes, allowed: frozenset[str] = EVENT_TYPES) -> dict[str, Any]:
    """Parse and check one line; raise ProtocolError rather than guess."""
    try:
        message = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"not JSON: {line[:200]!r}") from exc
    if not isinstance(message, dict) or message.get("v") != VERSION:
        raise ProtocolError(f"unsupported protocol message: {str(line)[:200]}")
    if message.get("type") not in allowed:
        raise ProtocolError(f"unknown message type {message.get('type')!r}")
    return message
