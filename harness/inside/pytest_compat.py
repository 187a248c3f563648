"""Every use of pytest's private API, in one place (host and runtime import it).

The harness supports pytest >= 8.0 (``pyproject.toml``); CI runs a leg with that oldest
version. Each function names the private attribute it needs and why the public API does
not suffice, so a pytest release that moves one breaks here, visibly, and nowhere else.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.inside import protocol

if TYPE_CHECKING:
    import pytest
    from _pytest.config import ConftestImportFailure


def prepare_config(args: list[str], plugins: list[object]) -> pytest.Config:
    """``pytest.main`` minus its printing and exit handling: the runtime reports usage
    errors and conftest import failures to the host as events instead."""
    from _pytest.config import _prepareconfig

    return _prepareconfig(args, plugins)


def conftest_import_failure() -> type[ConftestImportFailure]:
    """The exception ``prepare_config`` raises when a conftest cannot be imported
    (``.path``, ``.cause``)."""
    from _pytest.config import ConftestImportFailure

    return ConftestImportFailure


def unconfigure(config: pytest.Config) -> None:
    """What ``pytest.main`` does after a session: ``pytest_unconfigure`` and cleanups."""
    config._ensure_unconfigure()


def default_plugin_modules() -> list[str]:
    """pytest's builtin plugin modules (preloaded once, before a memory snapshot)."""
    from _pytest.config import default_plugins

    return [f"_pytest.{name}" for name in default_plugins]


def silence_terminal(reporter: Any) -> None:
    """Point the terminal reporter's writer at /dev/null: the host prints, once."""
    from _pytest._io import TerminalWriter

    reporter._tw = TerminalWriter(open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives with the session


def terminal_writer(reporter: Any) -> Any:
    """The terminal reporter's writer, to flush it while events stream in."""
    return reporter._tw


def set_last_failed_status(lfplugin: Any, status: str) -> None:
    """The "run-last-failure: ..." status only the runtime's LFPlugin can compute; the
    host's LFPlugin prints it."""
    lfplugin._report_status = status


def cache_value_path(cache: Any, key: str) -> Path:
    """Where ``cache.set(key)`` writes (the host writes values the runtime sends)."""
    path: Path = cache._getvaluepath(key)
    return path


def cache_make_dir(cache: Any, path: Path) -> None:
    """Create the cache dir as pytest does (README.md, .gitignore, CACHEDIR.TAG)."""
    make_dir = getattr(cache, "_mkdir", None)
    if make_dir is not None:
        make_dir(path)
        return
    # pytest < 8.1 has no ``_mkdir``: what its ``Cache.set`` does instead.
    new = not cache._cachedir.exists()
    path.mkdir(parents=True, exist_ok=True)
    if new:
        cache._ensure_supporting_files()


def cache_warn(cache: Any, message: str) -> None:
    """A cache warning as pytest's own cache issues it."""
    cache.warn(message, _ispytest=True)


# -- the runtime's own options and ini keys, for the host's parser ----------------------

_ACTIONS = ("store", "store_true", "store_false", "store_const", "append", "append_const", "count")
_INI_TYPES = ("string", "paths", "pathlist", "args", "linelist", "bool", "int", "float")


def _jsonable(value: Any) -> Any:
    """``value`` if JSON carries it as it is, else None."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None
    return value


def _arguments(parser: Any) -> list[Any]:
    """Every option of a parser, once: the anonymous group's and each named group's (newer
    pytest lists the anonymous group among the groups too)."""
    seen: dict[int, Any] = {}
    for group in (parser._anonymous, *parser._groups):
        for option in group.options:
            seen.setdefault(id(option), option)
    return list(seen.values())


def option_specs(config: pytest.Config) -> list[protocol.OptionSpec]:
    """The options of a prepared config, as the host's parser needs them: names and arity.

    A custom ``argparse.Action`` class becomes ``store`` (or ``store_true`` when it takes
    no value): the host only has to accept the option; the runtime interprets it.
    """
    specs = []
    for argument in _arguments(config._parser):
        attrs = dict(argument.attrs())
        action = attrs.get("action", "store")
        nargs = attrs.get("nargs")
        if action not in _ACTIONS:
            action = "store_true" if nargs == 0 else "store"
        specs.append(
            protocol.OptionSpec(
                names=list(argument.names()),
                action=action,
                nargs=nargs if action in ("store", "append") else None,
                dest=str(attrs.get("dest") or argument.names()[-1].lstrip("-").replace("-", "_")),
                help=attrs.get("help") if isinstance(attrs.get("help"), str) else None,
                metavar=attrs.get("metavar") if isinstance(attrs.get("metavar"), str) else None,
                default=_jsonable(attrs.get("default")),
            )
        )
    return specs


def ini_specs(config: pytest.Config) -> list[protocol.IniSpec]:
    """The ini keys of a prepared config (name, help, type)."""
    specs = []
    for name, entry in config._parser._inidict.items():
        help_text, kind = entry[0], entry[1]
        specs.append(protocol.IniSpec(name=name, help=str(help_text), type=kind if kind in _INI_TYPES else None))
    return specs


def known_option_names(parser: Any) -> set[str]:
    """The option strings a (host) parser already has."""
    return {name for argument in _arguments(parser) for name in argument.names()}


def known_ini_names(parser: Any) -> set[str]:
    return set(parser._inidict) | set(getattr(parser, "_ini_aliases", {}))


def leave_unknown_ini_keys_to_the_runtime(config: pytest.Config) -> None:
    """Register on the host the ini keys neither its parser nor the runtime's description knows
    (``Config._get_unknown_ini_keys``, ``Parser.addini`` through ``config._parser``: pytest has
    no public way to ask which keys it will warn about). The runtime loads the conftests and
    plugins, checks the same file and its warning is replayed: without this the user sees two.
    Under strict config the host still refuses them itself, before anything runs (exit 4)."""
    try:
        strict = config.getini("strict_config")
        if strict is None:
            strict = config.getini("strict")
    except ValueError:  # pytest < 9: only the --strict-config flag
        strict = getattr(config.known_args_namespace, "strict_config", False)
    if strict:
        return
    for key in sorted(config._get_unknown_ini_keys()):
        config._parser.addini(key, "not known to the runtime either: its own warning is the one shown")


def skip_conftests(early_config: pytest.Config) -> None:
    """Make this (host) session load no conftest.py at all, as ``--noconftest`` would,
    without changing its arguments: read by pytest's own initial-conftest loading."""
    early_config.known_args_namespace.noconftest = True


@contextlib.contextmanager
def terminal_capture(reporter: Any) -> Iterator[io.StringIO]:
    """Route the terminal reporter's writes into a buffer for the duration."""
    from _pytest._io import TerminalWriter

    buffer = io.StringIO()
    previous = reporter._tw
    reporter._tw = TerminalWriter(buffer)
    try:
        yield buffer
    finally:
        reporter._tw = previous


def report_header_kwargs(config: pytest.Config) -> dict[str, Any]:
    """The arguments of ``pytest_report_header`` when called outside ``config.hook`` (which
    adds the legacy ``startdir`` itself, where pytest still declares it)."""
    start_path = config.invocation_params.dir
    kwargs: dict[str, Any] = {"config": config, "start_path": start_path}
    if "startdir" in config.pluginmanager.hook.pytest_report_header.spec.argnames:  # type: ignore[union-attr]
        from _pytest.compat import legacy_path

        kwargs["startdir"] = legacy_path(start_path)
    return kwargs


def cache_without_session(cachedir: Path) -> Any:
    """pytest's ``Cache`` on ``cachedir`` with no session (``harness merge`` records the
    shards' durations where ``--shard`` reads them). ``Cache`` has no public constructor;
    its ``config`` is only read to warn, which ``write_value`` does through ``cache_warn``."""
    from _pytest.cacheprovider import Cache

    return Cache(cachedir, None, _ispytest=True)  # type: ignore[arg-type]


def junit_writer(path: Path) -> Any:
    """pytest's own JUnit XML writer (what ``--junitxml`` uses), family xunit2 as its
    default, fed reports by ``harness merge``. There is no public way to write the XML of
    reports outside a session."""
    from _pytest.junitxml import LogXML

    return LogXML(str(path), None, family="xunit2")
