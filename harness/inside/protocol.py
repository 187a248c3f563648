"""The protocol between a runtime and the host: one JSON object per line, typed, versioned.

This module is the schema: one ``TypedDict`` per event (runtime → host) and per command
(host → runtime), the encoder and decoder, and the codecs for values that need one
(warnings, locations), each half beside the other. It ships into the runtime (stdlib
only), where ``harness.inside.reporter`` produces the events, and the host imports the
same file. ``docs/protocol.md`` explains the design; its message tables are generated
from this module (``python -m harness.inside.protocol``) and a test fails when they drift.

Every message carries ``"v": VERSION`` and ``"type"``. A receiver refuses a message whose
version differs, so a runtime built from another harness release fails loudly instead of
being misread. Adding a field is compatible (receivers ignore unknown fields); renaming or
removing one, or changing its meaning, bumps ``VERSION``.
"""

from __future__ import annotations

import importlib
import json
import sys
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypedDict

if TYPE_CHECKING:
    from wasm_patches.contract import PatchResult

# 2: ``run`` lost ``only``; the host schedules tests with ``schedule``/``shutdown``.
# 3: ``session_start`` carries the runtime's header lines and plugins; ``describe``.
# 4: ``done`` carries the session's own duration (``session_s``).
# 5: ``run`` says whether to report the collection and xdist_group names (``-n``: only the
#    runtime whose collection the host replays reports it); ``collection_finish`` has ``groups``.
VERSION = 5

Location = list[Any]  # [path, lineno or None, domain]: pytest's location tuple as JSON


# -- runtime → host (events) ---------------------------------------------------------


class WheelImport(TypedDict):
    """A top-level module of a ``--wheel``, imported before the session (so the source tree
    cannot shadow it): where it came from, or why it could not be imported."""

    wheel: str  # file name
    module: str
    file: str  # the module's __file__ inside the runtime ("" if the import failed)
    error: str  # "" when imported


class TreePackage(TypedDict):
    """A package the session imported from the project's tree that lacks compiled modules
    its sources declare (``X.pyx``/``X.c`` without an ``X.*.so`` beside it)."""

    name: str
    path: str  # its directory
    missing: list[str]  # module names of the missing extensions


class Ready(TypedDict):
    """Boot finished; the runtime waits for ``run``."""

    type: Literal["ready"]
    pyodide: str  # the version the boot document named
    python: str  # the interpreter's own version (the lock file's may be wrong)
    platform: str
    pytest: str
    patches: list[PatchResult]  # one per runtime patch (wasm_patches.contract)
    patch_summary: str  # one line for the header
    notes: list[str]  # further header lines
    boot_ms: int  # from process/page start to ready
    boot: str  # "cold" or "snapshot"
    wheels: list[WheelImport]  # one per top-level module of each --wheel


class OptionSpec(TypedDict):
    """A command-line option the runtime's pytest knows (from a conftest or a plugin there):
    enough for the host's parser to accept it where the user wrote it."""

    names: list[str]
    action: str  # store, store_true, store_false, store_const, append, append_const, count
    nargs: int | str | None
    dest: str
    help: str | None
    metavar: str | None
    default: Any  # JSON-able defaults only, else null


class IniSpec(TypedDict):
    """An ini key the runtime's pytest knows (so the host does not warn about it)."""

    name: str
    help: str
    type: str | None


class Described(TypedDict):
    """The answer to ``describe``: what the runtime's conftests and plugins add to pytest's
    command line and ini files (the host never imports the project's conftests), and which
    of the project's files preparing the session imported."""

    type: Literal["described"]
    options: list[OptionSpec]
    ini: list[IniSpec]
    # A session prepared before a file changed (watch mode) is still right if none of
    # these changed.
    project_files: list[str]


class SessionStart(TypedDict):
    """The runtime's pytest session started; what its own plugins and conftests add to the
    header (``pytest_report_header``), and the plugins active inside."""

    type: Literal["session_start"]
    header: list[str]
    plugins: list[str]  # "name-version" as pytest's header lists them


class CollectedItem(TypedDict):
    """A test item a collect report holds (pytest serializes ``result`` as null)."""

    nodeid: str
    location: Location | None
    chain: list[list[str]]  # [class name, name] from the top collector down, for --collect-only


class CollectReportEvent(TypedDict):
    """``pytest_collectreport``."""

    type: Literal["collectreport"]
    report: dict[str, Any]  # pytest_report_to_serializable(CollectReport)
    items: list[CollectedItem]


class Deselected(TypedDict):
    """Items removed by -k/-m/--lf/... in the runtime."""

    type: Literal["deselected"]
    nodeids: list[str]


class CollectionFinish(TypedDict):
    """Collection ended: the final ordered test list; tests now wait for ``schedule``."""

    type: Literal["collection_finish"]
    nodeids: list[str]
    lines: list[str]  # what lf/nf/stepwise print after "collected N items"
    groups: dict[str, str]  # node id -> xdist_group name, for marked tests (when ``run`` asked)


class LogStart(TypedDict):
    """A test begins."""

    type: Literal["logstart"]
    nodeid: str
    location: Location | None
    timeout: float | None  # seconds from a timeout marker


class LogReport(TypedDict):
    """``pytest_runtest_logreport`` (also subtest reports)."""

    type: Literal["logreport"]
    report: dict[str, Any]  # pytest_report_to_serializable(TestReport)


class LogFinish(TypedDict):
    """A test ended (all its phases reported)."""

    type: Literal["logfinish"]
    nodeid: str
    location: Location | None


class WarningData(TypedDict):
    """A ``warnings.WarningMessage`` as data; the category travels by name."""

    message: str
    category_module: str
    category_name: str
    filename: str
    lineno: int
    line: str | None


class WarningEvent(TypedDict):
    """``pytest_warning_recorded``."""

    type: Literal["warning"]
    warning: WarningData
    when: str
    nodeid: str
    location: Location | None


class CoverageEvent(TypedDict, total=False):
    """What coverage.py measured since the previous ``coverage`` event (only with ``--cov``;
    sent before ``collection_finish``, each ``logfinish`` and ``done`` when there is news).
    ``lines``/``arcs``/``file_tracers``/``touched`` are present only when non-empty."""

    type: Literal["coverage"]
    context: str | None  # static context
    branch: bool  # arcs rather than lines
    lines: dict[str, list[int]]
    arcs: dict[str, list[list[int]]]
    file_tracers: dict[str, str]
    touched: dict[str, list[str]]  # plugin or "" -> files that never ran


class TerminalSummary(TypedDict):
    """What the runtime's own plugins and conftests wrote in ``pytest_terminal_summary``."""

    type: Literal["terminal_summary"]
    text: str


class CacheSet(TypedDict):
    """A ``config.cache.set`` the host persists (only the host writes ``.pytest_cache``)."""

    type: Literal["cache_set"]
    key: str
    value: Any


class Interrupted(TypedDict):
    """The session ended early (collection errors, ``pytest.exit``, KeyboardInterrupt)."""

    type: Literal["interrupted"]
    kind: Literal["interrupted", "failed", "exit"]
    message: str
    returncode: int | None


class Error(TypedDict):
    """pytest ended with a usage error / INTERNALERROR ("usage", "internal"), or the runtime
    itself is going down ("fatal": boot failed, ``os._exit``, wasm trap; the end of the
    stream follows). The host adds "protocol" for a line it cannot decode."""

    type: Literal["error"]
    kind: Literal["usage", "internal", "fatal", "protocol"]
    message: str


class Done(TypedDict):
    """pytest returned; the runtime waits for the next command."""

    type: Literal["done"]
    exitstatus: int
    tree_packages: list[TreePackage]  # for the "tested the tree, not a wheel" warning
    session_s: float  # how long the session ran inside the runtime (0 on a usage error)


Event = (
    Ready
    | Described
    | SessionStart
    | CollectReportEvent
    | Deselected
    | CollectionFinish
    | LogStart
    | LogReport
    | LogFinish
    | WarningEvent
    | CoverageEvent
    | TerminalSummary
    | CacheSet
    | Interrupted
    | Error
    | Done
)


# -- host → runtime (commands) -------------------------------------------------------


class Describe(TypedDict):
    """Prepare the session for these arguments (import conftests and plugins as pytest does)
    and answer ``described``; a following ``run`` with the same arguments uses it."""

    type: Literal["describe"]
    args: list[str]


class Run(TypedDict):
    """Run one pytest session with these arguments, answer ``done``. After
    ``collection_finish`` it runs only what the host schedules (it collects everything,
    so node ids and fixtures are as in a full run)."""

    type: Literal["run"]
    args: list[str]
    report_collection: bool  # send collectreport/deselected/collection warnings (else only the list)
    groups: bool  # put xdist_group names in collection_finish (--dist loadgroup)


class Schedule(TypedDict):
    """Collected tests this runtime runs next, in this order."""

    type: Literal["schedule"]
    nodeids: list[str]


class Shutdown(TypedDict):
    """No more tests will be scheduled: finish the queued ones and end the session."""

    type: Literal["shutdown"]


class Exit(TypedDict):
    """Leave the command loop; the runtime process ends."""

    type: Literal["exit"]


Command = Describe | Run | Schedule | Shutdown | Exit

EVENTS: dict[str, type] = {
    "ready": Ready,
    "described": Described,
    "session_start": SessionStart,
    "collectreport": CollectReportEvent,
    "deselected": Deselected,
    "collection_finish": CollectionFinish,
    "logstart": LogStart,
    "logreport": LogReport,
    "logfinish": LogFinish,
    "warning": WarningEvent,
    "coverage": CoverageEvent,
    "terminal_summary": TerminalSummary,
    "cache_set": CacheSet,
    "interrupted": Interrupted,
    "error": Error,
    "done": Done,
}
COMMANDS: dict[str, type] = {
    "describe": Describe,
    "run": Run,
    "schedule": Schedule,
    "shutdown": Shutdown,
    "exit": Exit,
}
EVENT_TYPES = frozenset(EVENTS)
COMMAND_TYPES = frozenset(COMMANDS)


# Keys each message must carry (checked on decode: a cheap set comparison per line).
def _required_keys(cls: Any) -> frozenset[str]:
    return frozenset(cls.__required_keys__)


_REQUIRED = {name: _required_keys(cls) for name, cls in {**EVENTS, **COMMANDS}.items()}


class ProtocolError(Exception):
    """A line that is not a message of this protocol version."""


def encode(message: Event | Command) -> str:
    """One message as a single JSON line (no trailing newline).

    Values JSON cannot hold (an object a test put in ``user_properties``) travel as repr.
    """
    return json.dumps({"v": VERSION, **message}, separators=(",", ":"), default=repr)


def _decode(line: str | bytes, allowed: frozenset[str]) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"not JSON: {line[:200]!r}") from exc
    if not isinstance(message, dict) or message.get("v") != VERSION:
        raise ProtocolError(f"unsupported protocol message: {str(line)[:200]}")
    kind = message.get("type")
    if kind not in allowed:
        raise ProtocolError(f"unknown message type {kind!r}")
    missing = _REQUIRED[kind] - message.keys()
    if missing:
        raise ProtocolError(f"{kind} message without {', '.join(sorted(missing))}")
    return message


def decode_event(line: str | bytes) -> Event:
    """Parse and check one runtime → host line; raise ProtocolError rather than guess."""
    return _decode(line, EVENT_TYPES)  # type: ignore[return-value]


def decode_command(line: str | bytes) -> Command:
    """Parse and check one host → runtime line; raise ProtocolError rather than guess."""
    return _decode(line, COMMAND_TYPES)  # type: ignore[return-value]


# -- codecs for values JSON cannot carry as they are ------------------------------------


def location_out(location: Any) -> Location | None:
    """pytest's location tuple as JSON."""
    return list(location) if location is not None else None


def location_in(value: Location | None) -> tuple[Any, ...] | None:
    """JSON back to the tuple pytest's reporters expect."""
    return tuple(value) if value is not None else None


def warning_out(message: Any) -> WarningData:
    """A ``warnings.WarningMessage`` as data (the category travels by name)."""
    category = message.category
    return WarningData(
        message=str(message.message),
        category_module=category.__module__,
        category_name=category.__qualname__,
        filename=str(message.filename),
        lineno=message.lineno,
        line=message.line,
    )


_fallback_categories: dict[tuple[str, str], type[Warning]] = {}


def warning_category(module: str, name: str) -> type[Warning]:
    """The warning class by name; a same-named stand-in if this side cannot import it (a
    category defined in code only the runtime has), so summaries still name it."""
    try:
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        if isinstance(obj, type) and issubclass(obj, Warning):
            return obj
    except Exception:  # noqa: BLE001 - any import failure means: use the stand-in
        pass
    key = (module, name)
    if key not in _fallback_categories:
        _fallback_categories[key] = type(name.rpartition(".")[2], (UserWarning,), {"__module__": module})
    return _fallback_categories[key]


def warning_in(data: WarningData) -> warnings.WarningMessage:
    """``warning_out``'s data back to a ``warnings.WarningMessage``."""
    category = warning_category(data["category_module"], data["category_name"])
    return warnings.WarningMessage(
        message=category(data["message"]),
        category=category,
        filename=data["filename"],
        lineno=data["lineno"],
        line=data.get("line"),
    )


class Shown:
    """A value that exists only in the runtime, standing for itself on the host by its
    ``repr`` (what pytest prints of subtest parameters): ``repr(Shown(r)) == r``."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Shown) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


_SHOWN = "__repr__"


def params_out(params: Mapping[str, Any]) -> dict[str, Any]:
    """Subtest parameters as data: each value by its ``repr`` (JSON would turn a tuple into
    a list and an object into a quoted string, and some values cannot be copied at all)."""
    out = {}
    for name, value in params.items():
        try:
            text = repr(value)
        except Exception as exc:  # noqa: BLE001 - a broken __repr__ is the test's business
            text = f"<{type(value).__name__} instance: repr raised {type(exc).__name__}>"
        out[name] = {_SHOWN: text}
    return out


def params_in(data: Mapping[str, Any]) -> dict[str, Any]:
    """``params_out``'s data back to values that print as the originals did."""
    return {
        name: Shown(value[_SHOWN]) if isinstance(value, dict) and set(value) == {_SHOWN} else value
        for name, value in data.items()
    }


# -- documentation -------------------------------------------------------------------


def _type_name(annotation: Any) -> str:
    """An annotation as written (they are strings or forward references here), without
    the ``|`` a Markdown table would split on."""
    text = getattr(annotation, "__forward_arg__", annotation)
    return str(text).replace(" | ", " or ")


def _row(name: str, cls: Any) -> str:
    fields = ", ".join(
        f"`{field}`" + ("" if field in cls.__required_keys__ else "?") + f": {_type_name(annotation)}"
        for field, annotation in cls.__annotations__.items()
        if field != "type"
    )
    doc = " ".join((cls.__doc__ or "").split()).replace("``", "`")
    return f"| `{name}` | {fields or '—'} | {doc} |"


def markdown() -> str:
    """The message tables of ``docs/protocol.md`` (between its generated-block markers)."""
    lines = [f"Protocol version: **{VERSION}**.", ""]
    for title, table in (("Events (runtime → host)", EVENTS), ("Commands (host → runtime)", COMMANDS)):
        lines += [f"### {title}", "", "| type | fields | meaning |", "|---|---|---|"]
        lines += [_row(name, cls) for name, cls in table.items()]
        lines.append("")
    lines += ["### Nested values", "", "| name | fields | meaning |", "|---|---|---|"]
    lines += [_row(cls.__name__, cls) for cls in (OptionSpec, IniSpec, CollectedItem, WarningData)]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown())
