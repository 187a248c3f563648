"""The harness's options: one table, from which everything else is derived.

Each ``Option`` row is the single place an option is defined. From the table come

- the ``harness run`` / ``harness probe`` command line (``scan``), whose values never reach
  pytest's argument list (so rootdir, node ids and ``.pytest_cache`` are exactly native's);
- the pytest plugin's options (``add_pytest_options``: ``--harness-<name>``, for
  ``pytest -p harness.plugin``);
- the stripping of those plugin options from what the runtime's pytest is given
  (``strip_plugin_args``: plugin mode and ``PYTEST_ADDOPTS``);
- ``Settings``, the typed values of one invocation, checked once (``Settings.from_values``).

Adding an option is one row here plus one ``Settings`` field and its conversion.

Not harness options: pytest-pyodide's spellings (``--runtime``, ``--dist-dir``,
``--run-in-pyodide`` after ``--``) are pytest options of the ``pytest_pyodide`` stand-in
that runs inside (``harness/inside/compat``), described to the host like any conftest's.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from harness.coverage.sink import CoverageSettings
from harness.errors import HarnessError
from harness.host.autoscale import cpus
from harness.host.scheduler import DIST_MODES
from harness.provision.distribution import DEFAULT_VERSION
from harness.report.github import on_github
from harness.report.shard import ShardSpec
from harness.runtimes.launchers.settings import LaunchSettings

Arity = Literal["one", "none", "optional"]
WatchMode = Literal["all", "failed"]
PLUGIN_NAME = "harness.plugin"


@dataclass(frozen=True)
class Option:
    """One harness option: how it is spelled, what it takes, where it is accepted."""

    name: str  # Settings key; the plugin option is --harness-<name with - for _>
    flags: tuple[str, ...]  # spellings on the harness command line
    help: str
    metavar: str = "VALUE"
    arity: Arity = "one"  # a value, no value (a flag), or an optional value (argparse "?")
    repeat: bool = False  # may be given several times; values accumulate
    commands: frozenset[str] = frozenset({"run"})

    @property
    def plugin_flag(self) -> str:
        return "--harness-" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        return "harness_" + self.name


RUN = frozenset({"run"})
RUN_AND_PROBE = frozenset({"run", "probe"})
RUN_AND_INSPECT = frozenset({"run", "inspect"})
RUN_PROBE_INSPECT = frozenset({"run", "probe", "inspect"})

OPTIONS: tuple[Option, ...] = (
    Option(
        "runtime",
        ("--runtime",),
        "where Pyodide runs: node (default), chromium, firefox, webkit, or a browser's -worker variant",
        metavar="NAME",
        commands=RUN_AND_PROBE,
    ),
    Option(
        "pyodide",
        ("--pyodide",),
        f"Pyodide version from npm (default {DEFAULT_VERSION}); a comma-separated list runs the suite once "
        "per version (a matrix; harness probe: the versions to probe)",
        metavar="VERSION",
        commands=RUN_PROBE_INSPECT,
    ),
    Option(
        "dist_dir",
        ("--dist-dir",),
        "an unpacked Pyodide distribution instead of the npm package (with its packages' files "
        "beside the lock: a full distribution)",
        metavar="PATH",
        commands=RUN_PROBE_INSPECT,
    ),
    Option(
        "with",
        ("--with",),
        "requirement installed in the runtime: local wheels, then Pyodide's own packages, then PyPI "
        "(a path to a .whl installs that file)",
        metavar="REQ",
        repeat=True,
    ),
    Option(
        "wheel",
        ("--wheel",),
        "wheel under test (a path or quoted glob): installed, imported before the tests, shown in the header",
        metavar="PATH",
        repeat=True,
    ),
    Option(
        "find_links",
        ("--find-links",),
        "directory of wheels preferred over Pyodide's packages and PyPI",
        metavar="DIR",
        repeat=True,
        commands=RUN_AND_INSPECT,
    ),
    Option(
        "package_url",
        ("--package-url",),
        "where Pyodide's own packages are fetched ({version} is replaced; env HARNESS_PACKAGE_URL; "
        "default Pyodide's CDN)",
        metavar="URL",
        commands=RUN_AND_INSPECT,
    ),
    Option(
        "driver",
        ("--driver",),
        "how a browser runtime opens its browser: direct, playwright or selenium "
        "(default: the first of these that has the browser)",
        metavar="NAME",
        commands=RUN_AND_PROBE,
    ),
    Option(
        "browser_path",
        ("--browser-path",),
        "the browser binary to run (with any driver; with --remote: its path on the remote machine)",
        metavar="PATH",
        commands=RUN_AND_PROBE,
    ),
    Option(
        "browser_options",
        ("--browser-options",),
        "JSON file of launch options / capabilities for Playwright and Selenium (${VAR} read from the environment)",
        metavar="FILE",
        commands=RUN_AND_PROBE,
    ),
    Option(
        "remote",
        ("--remote",),
        "use a remote browser: a Selenium Grid or WebDriver URL, a Playwright server (ws://), "
        "or a browser's CDP endpoint",
        metavar="URL",
        commands=RUN_AND_PROBE,
    ),
    Option(
        "bind",
        ("--bind",),
        "address the run's server listens on for its browsers (default 127.0.0.1; anything else "
        "exposes the token-protected server to that network)",
        metavar="ADDRESS",
        commands=RUN_AND_PROBE,
    ),
    Option(
        "advertise",
        ("--advertise",),
        "host name or address browsers use to reach the run's server (default: the --bind address)",
        metavar="HOST",
        commands=RUN_AND_PROBE,
    ),
    Option(
        "requirements",
        ("--requirements",),
        "requirements file installed in the runtime",
        metavar="FILE",
        repeat=True,
    ),
    Option(
        "timeout",
        ("--timeout",),
        "fail a test that runs longer than this many seconds, then restart the runtime "
        "(also the timeout marker; 0: no limit)",
        metavar="SECONDS",
    ),
    Option(
        "workers",
        ("-n", "--workers"),
        "run the tests in N runtimes side by side, load-balanced ('auto': one, and up to one per CPU "
        "when the suite is big enough to gain)",
        metavar="N",
    ),
    Option(
        "dist",
        ("--dist",),
        "how -n spreads the tests, as pytest-xdist: load (default: any test anywhere), loadscope "
        "(a module's or class's tests in one runtime), loadfile (a file's), loadgroup (tests marked "
        "xdist_group(name) together), worksteal (a part each, idle runtimes take over the rest)",
        metavar="MODE",
    ),
    Option(
        "no_patches",
        ("--no-patches",),
        "do not patch known runtime defects (shows what the patches prevent)",
        arity="none",
        commands=RUN_AND_PROBE,
    ),
    Option(
        "cov",
        ("--cov",),
        "measure coverage inside the runtime: a path or package, or nothing for everything "
        "coverage.py measures by default",
        metavar="SOURCE",
        arity="optional",
        repeat=True,
    ),
    Option(
        "cov_report",
        ("--cov-report",),
        "term, term-missing[:skip-covered], html|xml|json|lcov|annotate[:DEST], or '' (default term)",
        metavar="TYPE",
        repeat=True,
    ),
    Option("cov_branch", ("--cov-branch",), "measure branches", arity="none"),
    Option("cov_config", ("--cov-config",), "coverage configuration file", metavar="PATH"),
    Option("cov_fail_under", ("--cov-fail-under",), "fail the run below this total", metavar="PERCENT"),
    Option(
        "annotations",
        ("--annotations",),
        "failures as GitHub annotations: github, none or auto (the default: github when GITHUB_ACTIONS=true)",
        metavar="KIND",
    ),
    Option("report_json", ("--report-json",), "write one JSON record per test, and a header, to PATH", metavar="PATH"),
    Option(
        "watch",
        ("--watch",),
        "stay up: on every change to a project's Python or pytest configuration file, run the suite again "
        "in a fresh runtime booted ahead of the change, the last failures first (Ctrl-C ends it, exit 2)",
        arity="none",
    ),
    Option(
        "watch_failed",
        ("--watch-failed",),
        "--watch, but re-run only the last failures while there are any, then everything once they pass "
        "(pytest-xdist's --looponfail)",
        arity="none",
    ),
    Option(
        "shard",
        ("--shard",),
        "run part K of N of the collected tests, balanced by the durations earlier runs recorded",
        metavar="K/N",
    ),
)

BY_FLAG: dict[str, Option] = {flag: option for option in OPTIONS for flag in option.flags}


def usage(command: str) -> list[str]:
    """``harness COMMAND``'s options, one line each, for the help text."""
    lines = []
    for option in OPTIONS:
        if command not in option.commands:
            continue
        spelled = ", ".join(option.flags)
        if option.arity == "one":
            spelled += f" {option.metavar}"
        elif option.arity == "optional":
            spelled += f"[={option.metavar}]"
        lines.append(f"  {spelled:<26} {option.help}" + (" (repeatable)" if option.repeat else ""))
    return lines


def scan(argv: Sequence[str], command: str = "run") -> tuple[dict[str, Any], list[str]]:
    """(harness values by option name, pytest arguments) from a ``harness COMMAND`` line.

    Harness options may appear anywhere; everything else, and everything after ``--``, is
    pytest's. A harness option another command owns is an error, not a pytest argument.
    """
    values: dict[str, Any] = {}
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            rest.extend(argv[i:])
            break
        flag, eq, value = arg.partition("=")
        option = BY_FLAG.get(flag)
        if option is None:
            rest.append(arg)
            continue
        if command not in option.commands:
            raise HarnessError(f"harness {command} does not take {flag}")
        given, i = _value(option, flag, value if eq else None, argv, i)
        if option.repeat:
            values.setdefault(option.name, []).append(given)
        else:
            values[option.name] = given
    return values, rest


def _value(option: Option, flag: str, inline: str | None, argv: Sequence[str], i: int) -> tuple[Any, int]:
    """(the value of ``option`` given as ``flag[=inline]``, the index after it in ``argv``)."""
    if option.arity == "none":
        if inline is not None:
            raise HarnessError(f"{flag} takes no value")
        return True, i
    if inline is not None:
        return inline, i
    if option.arity == "optional":
        # argparse's nargs="?" (pytest-cov's --cov): a following non-option is the value
        if i < len(argv) and not argv[i].startswith("-"):
            return argv[i], i + 1
        return True, i
    if i < len(argv):
        return argv[i], i + 1
    raise HarnessError(f"{flag} needs a value ({option.metavar})")


def to_argv(values: Mapping[str, Any]) -> list[str]:
    """``scan``'s values back as harness options (for a child ``harness run``)."""
    argv: list[str] = []
    for option in OPTIONS:
        given: Any = values.get(option.name)
        for value in (given or []) if option.repeat else [given]:
            if value is None or value is False:
                continue
            if option.arity == "none" or value is True:
                argv.append(option.flags[-1])
            else:
                argv.append(f"{option.flags[-1]}={value}")
    return argv


def add_pytest_options(group: Any) -> None:
    """The table as pytest options (``--harness-<name>``) in ``group``; values stay strings
    and are checked by ``Settings.from_values`` exactly as on the command line."""
    for option in OPTIONS:
        kwargs: dict[str, Any] = {"dest": option.dest, "help": option.help}
        if option.arity == "none":
            kwargs.update(action="store_true", default=False)
        else:
            kwargs.update(metavar=option.metavar, default=[] if option.repeat else None)
            if option.repeat:
                kwargs["action"] = "append"
            if option.arity == "optional":
                kwargs.update(nargs="?", const=True)
        group.addoption(option.plugin_flag, **kwargs)


def values_from_namespace(namespace: Any) -> dict[str, Any]:
    """The ``--harness-*`` values of a pytest invocation (plugin mode; its parsed or early
    known-args namespace), keyed like ``scan``'s."""
    values = {}
    for option in OPTIONS:
        value = getattr(namespace, option.dest, None)
        if value not in (None, False, []):
            values[option.name] = value
    return values


def strip_plugin_args(args: Sequence[str]) -> list[str]:
    """``args`` without ``-p harness.plugin`` and ``--harness-*`` options (plugin mode,
    ``PYTEST_ADDOPTS``): what the runtime's pytest gets must not name the harness."""
    by_plugin_flag = {option.plugin_flag: option for option in OPTIONS}
    result: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        flag, eq, _ = arg.partition("=")
        option = by_plugin_flag.get(flag)
        if option is not None:
            takes_next = option.arity == "one" or (
                option.arity == "optional" and i < len(args) and not args[i].startswith("-")
            )
            if not eq and takes_next:
                i += 1
            continue
        if arg == "-p" and i < len(args) and args[i] == PLUGIN_NAME:
            i += 1
            continue
        if arg in ("-p" + PLUGIN_NAME, "-p=" + PLUGIN_NAME):
            continue
        result.append(arg)
    return result


def detached_path_values(args: Sequence[str], invocation_dir: Path) -> list[tuple[str, str]]:
    """``(flag, value)`` for each ``--harness-<name> VALUE`` in ``args`` whose value names a path.

    In plugin mode pytest computes rootdir before it loads ``-p harness.plugin``, so it
    takes such a value for a test path: rootdir, node ids and ``.pytest_cache`` would move.
    The ``--harness-<name>=VALUE`` spelling keeps the value with its option.
    """
    by_plugin_flag = {option.plugin_flag: option for option in OPTIONS}
    found = []
    for i, arg in enumerate(args[:-1]):
        option = by_plugin_flag.get(arg)
        value = args[i + 1]
        if option is None or option.arity == "none" or value.startswith("-"):
            continue
        if (invocation_dir / re.split(r"::|\[", value, maxsplit=1)[0]).exists():
            found.append((arg, value))
    return found


def _number(flag: str, value: str, *, minimum: float = 0, maximum: float = float("inf")) -> float:
    try:
        number = float(value)
    except ValueError:
        raise HarnessError(f"{flag} expects a number, not {value!r}") from None
    if not minimum <= number <= maximum:  # also rejects nan
        expected = f"from {minimum:g} to {maximum:g}" if maximum != float("inf") else f">= {minimum:g}"
        raise HarnessError(f"{flag} expects a number {expected}, not {value!r}")
    return number


def _workers(value: str | None) -> int:
    """``-n``: a positive number, or ``auto`` (at most the CPUs this process may use)."""
    if value in (None, ""):
        return 1
    if value == "auto":
        return cpus()
    if not value.isdigit() or int(value) < 1:
        raise HarnessError(f"-n/--workers expects a number of runtimes or 'auto', not {value!r}")
    return int(value)


def _paths(values: Iterable[str]) -> tuple[Path, ...]:
    return tuple(Path(v) for v in values)


def _wheels(patterns: Iterable[str]) -> tuple[Path, ...]:
    """``--wheel`` values: paths or globs (quoted, so that one option takes a whole dist/)."""
    found: list[Path] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(os.path.expanduser(pattern)))
            if not matches:
                raise HarnessError(f"--wheel {pattern}: no file matches")
            found += [Path(m).absolute() for m in matches]
        elif not Path(pattern).expanduser().is_file():
            raise HarnessError(f"--wheel {pattern}: no such file")
        else:
            found.append(Path(pattern).expanduser().absolute())
    return tuple(found)


@dataclass(frozen=True)
class Settings:
    """The harness options of one invocation, converted and checked."""

    runtime: str = "node"
    pyodide: str | None = None
    dist_dir: Path | None = None
    with_packages: tuple[str, ...] = ()
    wheels: tuple[Path, ...] = ()  # --wheel, globs expanded
    find_links: tuple[Path, ...] = ()
    package_url: str | None = None
    requirements: tuple[Path, ...] = ()
    patches: bool = True
    timeout: float | None = None  # None (or 0 given): no limit
    coverage: CoverageSettings | None = None
    workers: int = 1  # -n: runtimes side by side (with -n auto: at most)
    workers_auto: bool = False  # -n auto: one runtime, more when the suite is big enough
    dist: str = "load"  # --dist: pytest-xdist's distribution mode
    annotations: bool = False  # failures as GitHub workflow commands
    report_json: Path | None = None
    shard: ShardSpec | None = None
    watch: WatchMode | None = None  # --watch ("all": failures first, then the rest) / --watch-failed
    launch: LaunchSettings = LaunchSettings()  # how browser runtimes reach their browser

    @property
    def first_runtimes(self) -> int:
        """Runtimes started with the session: ``-n N``, N; ``-n auto``, one (more are added
        when the suite gains from them, see ``harness.host.autoscale``)."""
        return 1 if self.workers_auto else self.workers

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Settings:
        """Check and convert ``scan``/``values_from_namespace`` output; bad input is a one-line
        ``HarnessError`` naming the option as the user spells it."""
        unknown = set(values) - {option.name for option in OPTIONS}
        if unknown:
            raise HarnessError(f"unknown harness option {sorted(unknown)[0]!r}")
        timeout = values.get("timeout")
        dist_dir = values.get("dist_dir")
        return cls(
            runtime=values.get("runtime") or "node",
            pyodide=values.get("pyodide"),
            dist_dir=Path(dist_dir) if dist_dir else None,
            with_packages=tuple(values.get("with", ())),
            wheels=_wheels(values.get("wheel", ())),
            find_links=_paths(values.get("find_links", ())),
            package_url=values.get("package_url") or None,
            requirements=_paths(values.get("requirements", ())),
            patches=not values.get("no_patches", False),
            timeout=(_number("--timeout", timeout) or None) if timeout not in (None, "") else None,
            coverage=_coverage(values),
            workers=_workers(values.get("workers")),
            workers_auto=values.get("workers") == "auto",
            dist=_dist(values.get("dist")),
            annotations=_annotations(values.get("annotations")),
            report_json=Path(values["report_json"]) if values.get("report_json") else None,
            shard=ShardSpec.parse(values["shard"]) if values.get("shard") else None,
            watch="failed" if values.get("watch_failed") else "all" if values.get("watch") else None,
            launch=LaunchSettings.from_values(values),
        )


def _dist(value: str | None) -> str:
    if value in (None, ""):
        return "load"
    if value not in DIST_MODES:
        raise HarnessError(f"--dist expects {', '.join(DIST_MODES[:-1])} or {DIST_MODES[-1]}, not {value!r}")
    return value


def _annotations(value: str | None) -> bool:
    """``--annotations``: on for ``github``, off for ``none``; ``auto`` (the default) follows
    ``GITHUB_ACTIONS``, which GitHub sets to ``true`` in every step."""
    if value in (None, "", "auto"):
        return on_github()
    if value not in ("github", "none"):
        raise HarnessError(f"--annotations expects github, none or auto, not {value!r}")
    return value == "github"


def _coverage(values: Mapping[str, Any]) -> CoverageSettings | None:
    """The ``--cov*`` values; None without ``--cov``."""
    sources = values.get("cov") or []
    if not sources:
        return None
    config_file = values.get("cov_config")
    fail_under = values.get("cov_fail_under")
    return CoverageSettings(
        sources=tuple(s for s in sources if isinstance(s, str) and s),
        reports=tuple(values.get("cov_report", ())),
        branch=bool(values.get("cov_branch")),
        config_file=Path(config_file) if config_file else None,
        fail_under=_number("--cov-fail-under", fail_under, maximum=100) if fail_under not in (None, "") else None,
    )
