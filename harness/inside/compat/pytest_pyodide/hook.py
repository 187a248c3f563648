"""pytest-pyodide's command-line options, markers and collection rules, inside the harness.

Registered by the harness's runtime for every session of a suite that uses pytest-pyodide
(as pytest-pyodide's entry point would be), together with ``fixture``:

- Options ``--runtime``/``--rt``, ``--dist-dir``, ``--runner``, ``--run-in-pyodide``: a CI
  command line written for pytest-pyodide keeps working. They are added only once the
  initial conftests are loaded, and only where no plugin or conftest already owns the
  name. ``--runtime`` keeps its host/``-no-host`` meaning (which tests run); the runtime
  itself is chosen with the harness's ``--runtime`` (before ``--``). The others change
  nothing: the harness always runs the tests inside Pyodide.
- Markers: ``xfail_browsers(chrome="why", ...)`` xfails the test (without running it) on the
  current runtime when it uses a ``selenium*`` fixture, as pytest-pyodide does;
  ``driver_timeout(S)`` becomes the harness's ``timeout(S)`` unless the test has one;
  ``skip_refcount_check``, ``skip_pyproxy_check`` and Pyodide's
  ``requires_dynamic_linking`` are registered and change nothing (no refcount or proxy
  checks run here, and Pyodide's distributions link dynamically).
- The ``runtime`` fixture is parametrized with the current runtime's pytest-pyodide name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import _state, fixture
from .utils import parse_driver_timeout, parse_xfail_browsers

RUNTIMES = ("firefox", "chrome", "safari", "node")

# (names, argparse keywords): pytest-pyodide's options.
OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (
        ("--rt", "--runtime"),
        {
            "dest": "runtime",
            "default": None,
            "help": "pytest-pyodide's runtime list (host, -no-host); under the harness it only selects "
            "host/browser tests: the harness's own --runtime chooses where they run",
        },
    ),
    (
        ("--dist-dir",),
        {
            "dest": "dist_dir",
            "default": "pyodide",
            "type": Path,
            "help": "pytest-pyodide's Pyodide directory (unused: give the harness --dist-dir before --)",
        },
    ),
    (
        ("--runner",),
        {
            "default": "selenium",
            "choices": ["selenium", "playwright"],
            "help": "pytest-pyodide's browser driver (unused: the harness drives the runtime)",
        },
    ),
    (
        ("--run-in-pyodide",),
        {
            "action": "store_true",
            "default": False,
            "help": "pytest-pyodide's mode for plain tests (always the case under the harness)",
        },
    ),
)


def _taken(parser: pytest.Parser) -> set[str]:
    """Option names some plugin or conftest already added."""
    groups = [parser._anonymous, *parser._groups]
    return {name for group in groups for option in group.options for name in option.names()}


def add_options(parser: pytest.Parser) -> list[str]:
    """Add the options nobody owns yet; the names added."""
    taken = _taken(parser)
    group = parser.getgroup("pytest-pyodide", "pytest-pyodide's options (accepted by the harness)")
    added = []
    for names, kwargs in OPTIONS:
        if taken.isdisjoint(names):
            group.addoption(*names, **kwargs)
            added.append(names[-1])
    return added


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(parser: pytest.Parser) -> Iterator[None]:
    """After the initial conftests, which may own some of these names themselves."""
    result = yield
    add_options(parser)
    return result


def runtimes_to_run(config: pytest.Config) -> tuple[bool, set[str]]:
    """(run host tests, pytest-pyodide runtime names to run) from ``--runtime``.

    pytest-pyodide's rules: a comma list, ``host`` for host tests, a ``-no-host`` suffix to
    leave them out; given nothing, everything runs (on the harness's runtime).
    """
    given = getattr(config.option, "runtime", None)
    if not isinstance(given, str) or not given:
        return True, {_state.browser()}
    run_host = True
    names = set()
    for name in (part.strip() for part in given.split(",")):
        if name.endswith("-no-host"):
            run_host = False
            name = name.removesuffix("-no-host")
        names.add(name)
    run_host = run_host or "host" in names
    names.discard("host")
    if "all" in names:
        names = set(RUNTIMES)
    return run_host, {_state.browser()} if names else set()


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        "driver_timeout(seconds): pytest-pyodide's script timeout; the harness's timeout for the test",
        "xfail_browsers(**{browser: reason}): xfail (without running) on those runtimes",
        "skip_refcount_check: pytest-pyodide's; no refcount checks run under the harness",
        "skip_pyproxy_check: pytest-pyodide's; no proxy checks run under the harness",
        "requires_dynamic_linking: Pyodide's; its distributions link dynamically, so nothing is skipped",
    ):
        config.addinivalue_line("markers", line)
    run_host, runtimes = runtimes_to_run(config)
    # pytest-pyodide publishes these on the pytest module; conftests read them.
    pytest.pyodide_run_host_test = run_host  # type: ignore[attr-defined]
    pytest.pyodide_runtimes = runtimes  # type: ignore[attr-defined]
    pytest.pyodide_dist_dir = getattr(config.option, "dist_dir", None)  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> list[str]:
    """One line per pytest-pyodide option given that the harness reads differently."""
    option = config.option
    notes = []
    runtime = getattr(option, "runtime", None)
    if isinstance(runtime, str) and runtime:
        notes.append(
            f"pytest-pyodide's --runtime {runtime} only selects host/browser tests; they run on "
            f"{_state.harness_runtime()} (the harness's --runtime, given before --, picks the runtime)"
        )
    dist_dir = getattr(option, "dist_dir", None)
    if dist_dir is not None and Path(dist_dir) != Path("pyodide"):
        notes.append(f"pytest-pyodide's --dist-dir {dist_dir} is not used; give the harness --dist-dir before --")
    if getattr(option, "run_in_pyodide", False):
        notes.append("pytest-pyodide's --run-in-pyodide: every test runs inside Pyodide under the harness anyway")
    return notes


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``runtime`` takes the current runtime's name (when it is this package's fixture)."""
    if "runtime" not in metafunc.fixturenames or _parametrized_directly(metafunc, "runtime"):
        return
    definitions = metafunc._arg2fixturedefs.get("runtime")
    if definitions and getattr(definitions[-1].func, "__module__", None) != fixture.__name__:
        return  # a conftest's own ``runtime`` fixture
    metafunc.parametrize("runtime", [_state.browser()], scope="module")


def _parametrized_directly(metafunc: pytest.Metafunc, name: str) -> bool:
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        if name in ([n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)):
            return True
    return False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        timeout = parse_driver_timeout(item)
        if isinstance(timeout, (int, float)) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(timeout))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """pytest-pyodide's host/runtime selection, then ``xfail_browsers`` for this runtime."""
    names = getattr(item, "fixturenames", None)
    if names is None:
        return  # doctests and other items without fixtures
    run_host = getattr(pytest, "pyodide_run_host_test", True)
    runtimes = getattr(pytest, "pyodide_runtimes", {_state.browser()})
    if "runtime" in names and not runtimes:
        pytest.skip("Non-host test")
    if "runtime" not in names and not run_host:
        pytest.skip("Host test")
    if any(name.startswith("selenium") for name in names):
        reason = parse_xfail_browsers(item).get(_state.browser())
        if reason is not None:
            pytest.xfail(reason)
