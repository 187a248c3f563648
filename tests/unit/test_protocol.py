"""The protocol module is the schema: every message round-trips, bad lines are refused, and
docs/protocol.md carries exactly the tables the module generates."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from harness.inside import protocol

DOCS = Path(__file__).parents[2] / "docs" / "protocol.md"
BEGIN, END = "<!-- generated: python -m harness.inside.protocol -->", "<!-- end generated -->"

# One valid example of every message; the test below checks the list is complete.
EXAMPLES: list[dict[str, Any]] = [
    {
        "type": "ready",
        "pyodide": "314.0.7",
        "python": "3.14.2",
        "platform": "emscripten",
        "pytest": "9.0.3",
        "patches": [],
        "patch_summary": "patches: none needed",
        "notes": [],
        "boot_ms": 812,
        "boot": "snapshot",
        "wheels": [{"wheel": "m-1.0-py3-none-any.whl", "module": "m", "file": "/site/m/__init__.py", "error": ""}],
    },
    {
        "type": "described",
        "options": [
            {
                "names": ["--runslow"],
                "action": "store_true",
                "nargs": None,
                "dest": "runslow",
                "help": "run slow tests",
                "metavar": None,
                "default": False,
            }
        ],
        "ini": [{"name": "flavour", "help": "a key", "type": "string"}],
        "project_files": ["/project/conftest.py", "/project/helpers.py"],
    },
    {"type": "session_start", "header": ["conftest says hi"], "plugins": ["hypothesis-6.1.0"]},
    {
        "type": "collectreport",
        "report": {"nodeid": "t.py", "outcome": "passed", "result": None},
        "items": [{"nodeid": "t.py::test_a", "location": ["t.py", 0, "test_a"], "chain": [["Module", "t.py"]]}],
    },
    {"type": "deselected", "nodeids": ["t.py::test_b"]},
    {"type": "collection_finish", "nodeids": ["t.py::test_a"], "lines": [], "groups": {"t.py::test_a": "db"}},
    {"type": "logstart", "nodeid": "t.py::test_a", "location": ["t.py", 0, "test_a"], "timeout": None},
    {"type": "logreport", "report": {"nodeid": "t.py::test_a", "when": "call", "outcome": "passed"}},
    {"type": "logfinish", "nodeid": "t.py::test_a", "location": None},
    {
        "type": "warning",
        "warning": {
            "message": "careful",
            "category_module": "builtins",
            "category_name": "UserWarning",
            "filename": "t.py",
            "lineno": 3,
            "line": None,
        },
        "when": "runtest",
        "nodeid": "t.py::test_a",
        "location": None,
    },
    {"type": "coverage", "context": None, "branch": False, "lines": {"/p/m.py": [1, 2]}},
    {"type": "terminal_summary", "text": "conftest summary: 1 passed\n"},
    {"type": "cache_set", "key": "cache/nodeids", "value": ["t.py::test_a"]},
    {"type": "interrupted", "kind": "exit", "message": "bye", "returncode": 3},
    {"type": "error", "kind": "internal", "message": "INTERNALERROR> boom"},
    {
        "type": "done",
        "exitstatus": 0,
        "tree_packages": [{"name": "m", "path": "/p/m", "missing": ["_speedups"]}],
        "session_s": 1.25,
    },
]
COMMAND_EXAMPLES: list[dict[str, Any]] = [
    {"type": "describe", "args": ["-q", "tests"]},
    {"type": "run", "args": ["-q", "tests"], "report_collection": True, "groups": False},
    {"type": "schedule", "nodeids": ["t.py::test_a", "t.py::test_b"]},
    {"type": "shutdown"},
    {"type": "exit"},
]


def test_examples_cover_every_message() -> None:
    assert [e["type"] for e in EXAMPLES] == list(protocol.EVENTS)
    assert [c["type"] for c in COMMAND_EXAMPLES] == list(protocol.COMMANDS)


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e["type"])
def test_every_event_round_trips(event: dict[str, Any]) -> None:
    line = protocol.encode(event)  # type: ignore[arg-type]
    assert "\n" not in line
    assert protocol.decode_event(line) == {"v": protocol.VERSION, **event}


@pytest.mark.parametrize("command", COMMAND_EXAMPLES, ids=lambda c: c["type"])
def test_every_command_round_trips(command: dict[str, Any]) -> None:
    assert protocol.decode_command(protocol.encode(command)) == {"v": protocol.VERSION, **command}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not JSON"),
        ('{"v": 1, "type": "done", "exitstatus": 0}', "unsupported protocol message"),
        ('{"type": "done", "exitstatus": 0}', "unsupported protocol message"),
        (f'{{"v": {protocol.VERSION}, "type": "bogus"}}', "unknown message type 'bogus'"),
        (
            f'{{"v": {protocol.VERSION}, "type": "logstart", "nodeid": "x"}}',
            "logstart message without location, timeout",
        ),
        (f'{{"v": {protocol.VERSION}, "type": "run", "args": []}}', "unknown message type 'run'"),
    ],
)
def test_bad_event_lines_are_refused_with_a_reason(line: str, message: str) -> None:
    with pytest.raises(protocol.ProtocolError, match=message):
        protocol.decode_event(line)


def test_a_command_is_not_an_event_and_vice_versa() -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_command(protocol.encode({"type": "done", "exitstatus": 0}))


def test_unserializable_values_travel_as_repr() -> None:
    line = protocol.encode({"type": "cache_set", "key": "k", "value": object})
    assert protocol.decode_event(line)["value"] == repr(object)  # type: ignore[typeddict-item]


def test_warning_codec_round_trips_a_known_category() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("deprecated thing", DeprecationWarning, stacklevel=1)
    rebuilt = protocol.warning_in(protocol.warning_out(caught[0]))
    assert rebuilt.category is DeprecationWarning
    assert str(rebuilt.message) == "deprecated thing"
    assert (rebuilt.filename, rebuilt.lineno) == (caught[0].filename, caught[0].lineno)


def test_a_category_only_the_runtime_knows_becomes_a_same_named_stand_in() -> None:
    data = protocol.WarningData(
        message="m", category_module="project.mod", category_name="ProjectWarning", filename="f", lineno=1, line=None
    )
    category = protocol.warning_in(data).category
    assert issubclass(category, UserWarning)
    assert (category.__module__, category.__name__) == ("project.mod", "ProjectWarning")
    assert protocol.warning_category("project.mod", "ProjectWarning") is category  # one class per name


def test_location_codec() -> None:
    assert protocol.location_in(protocol.location_out(("t.py", 3, "test_a"))) == ("t.py", 3, "test_a")
    assert protocol.location_out(None) is None and protocol.location_in(None) is None


def test_docs_carry_the_generated_tables() -> None:
    """docs/protocol.md cannot drift from the schema: its tables are the module's output."""
    text = DOCS.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOCS} lacks the generated-block markers"
    block = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert block == protocol.markdown().strip(), "regenerate with: python -m harness.inside.protocol"


def test_subtest_params_travel_by_repr() -> None:
    class Odd:
        def __repr__(self) -> str:
            return "<odd>"

    params = {"i": 2, "pair": (1, 2), "obj": Odd(), "text": "x", "gen": (n for n in [])}
    back = protocol.params_in(json.loads(json.dumps(protocol.params_out(params))))
    assert {k: repr(v) for k, v in back.items()} == {k: repr(v) for k, v in params.items()}
    assert protocol.params_in({"plain": 1}) == {"plain": 1}  # data from elsewhere passes through
