"""Every use of pytest's private API, in one place (host and runtime import it).

The harness supports pytest >= 8.0 (``pyproject.toml``); CI runs a leg with that oldest
version. Each function names the private attribute it needs and why the public API does
not suffice, so a pytest release that moves one breaks here, visibly, and nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
