"""The harness as a pytest plugin: ``pytest -p harness.plugin --harness-runtime node``.

``harness run`` is a thin wrapper that calls pytest with this plugin. Without
``--harness-runtime`` the plugin does nothing, so loading it is always safe.
"""

from __future__ import annotations

import functools

import pytest

from harness.host.controller import Controller, session_boot_config, settings_from
from harness.host.pytest_cache import write_value
from harness.coverage.plugin import CoveragePlugin
from harness.errors import HarnessError
from harness.runtimes import RUNTIMES, runtime_class

# Host plugins whose state comes from collection, which only the runtime performs; their
# cache writes arrive from the runtime instead (see harness.host.pytest_cache).
# The host's LFPlugin stays: it computes lastfailed from the replayed reports, which
# also holds across runtime restarts.
RUNTIME_OWNED_PLUGINS = ("nfplugin", "stepwiseplugin")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "run the suite inside Pyodide (harness)")
    group.addoption(
        "--harness-runtime",
        metavar="NAME",
        default=None,
        help=f"run tests inside Pyodide in this runtime: {', '.join(RUNTIMES)}",
    )
    group.addoption("--harness-pyodide", metavar="VERSION", default=None, help="Pyodide version (npm)")
    group.addoption("--harness-dist-dir", metavar="PATH", default=None, help="unpacked Pyodide distribution")
    group.addoption(
        "--harness-with",
        metavar="REQ",
        action="append",
        default=[],
        help="extra requirement installed in the runtime (repeatable)",
    )
    group.addoption(
        "--harness-requirements",
        metavar="FILE",
        action="append",
        default=[],
        help="requirements file installed in the runtime (repeatable)",
    )
    group.addoption(
        "--harness-timeout",
        metavar="SECONDS",
        type=float,
        default=None,
        help="fail a test that runs longer, then restart the runtime (also: timeout marker)",
    )
    group.addoption(
        "--harness-workers",
        metavar="N",
        default=None,
        help="run the tests in N runtimes side by side, load-balanced ('auto': one per CPU)",
    )
    group.addoption(
        "--harness-cov",
        metavar="SOURCE",
        action="append",
        nargs="?",
        const=True,
        default=[],
        help="measure coverage inside the runtime (repeatable; a path or package, or none "
        "for everything coverage.py measures by default)",
    )
    group.addoption(
        "--harness-cov-report",
        metavar="TYPE",
        action="append",
        default=[],
        help="term, term-missing[:skip-covered], html|xml|json|lcov|annotate[:DEST], or '' "
        "(repeatable; default term)",
    )
    group.addoption("--harness-cov-branch", action="store_true", default=False, help="measure branches")
    group.addoption("--harness-cov-config", metavar="PATH", default=None, help="coverage config file")
    group.addoption(
        "--harness-cov-fail-under",
        metavar="PERCENT",
        type=float,
        default=None,
        help="fail the run if total coverage is below this",
    )
    group.addoption(
        "--harness-no-patches",
        action="store_true",
        default=False,
        help="do not patch known runtime defects (shows what the patches prevent)",
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("harness_runtime") or config.option.help:
        return
    settings = settings_from(config)
    try:
        runtime_class(settings.runtime)
        boot = session_boot_config(config, settings)
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    for name in RUNTIME_OWNED_PLUGINS:
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None:
            config.pluginmanager.unregister(plugin)
    cache = getattr(config, "cache", None)
    if cache is not None:
        cache.set = functools.partial(write_value, cache)  # host writes are atomic too
    on_coverage = None
    if settings.coverage is not None:
        try:
            coverage = CoveragePlugin(settings.coverage, f"Pyodide {boot.dist.version}")
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.pluginmanager.register(coverage, "harness-coverage")
        on_coverage = coverage.add
    controller = Controller(config, settings, boot, on_coverage=on_coverage)
    config.pluginmanager.register(controller, "harness-controller")
