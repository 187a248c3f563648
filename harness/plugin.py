"""The harness as a pytest plugin: ``pytest -p harness.plugin --harness-runtime node``.

``harness run`` is a thin wrapper that calls pytest with this plugin and hands it the
checked ``Settings`` directly. Without settings (plugin mode without
``--harness-runtime``) the plugin does nothing, so loading it is always safe.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from harness import options
from harness.coverage.plugin import CoveragePlugin
from harness.errors import HarnessError
from harness.host.controller import Controller, session_boot_config
from harness.host.pytest_cache import write_value
from harness.options import Settings
from harness.report import info
from harness.report.annotations import Annotations
from harness.report.durations import DurationRecorder, recorded
from harness.report.json_report import JsonReport
from harness.report.shard import ShardSelector
from harness.report.summary import StepSummary
from harness.runtimes import runtime_class

# Host plugins whose state comes from collection, which only the runtime performs; their
# cache writes arrive from the runtime instead (see harness.host.pytest_cache).
# The host's LFPlugin stays: it computes lastfailed from the replayed reports, which
# also holds across runtime restarts.
RUNTIME_OWNED_PLUGINS = ("nfplugin", "stepwiseplugin")


SETTINGS = pytest.StashKey[Settings]()


class GivenSettings:
    """Carries ``harness run``'s checked ``Settings`` into the pytest session it starts, so
    harness values never pass through pytest's argument list."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[SETTINGS] = self.settings


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_pytest_options(parser.getgroup("harness", "run the suite inside Pyodide (harness)"))


def _settings(config: pytest.Config) -> Settings | None:
    """From ``harness run``, or from ``--harness-*`` options in plugin mode (inactive
    without ``--harness-runtime``)."""
    if SETTINGS in config.stash:
        return config.stash[SETTINGS]
    values = options.values_from_config(config)
    return Settings.from_values(values) if values.get("runtime") else None


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.option.help:
        return
    try:
        settings = _settings(config)
        if settings is None:
            return
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
    selector = ShardSelector(settings.shard, recorded(cache)) if settings.shard is not None else None
    select = selector.select if selector is not None else None
    controller = Controller(config, settings, boot, on_coverage=on_coverage, select=select)
    config.pluginmanager.register(controller, "harness-controller")
    _register_reports(config, settings, selector)


def _register_reports(config: pytest.Config, settings: Settings, selector: ShardSelector | None) -> None:
    """The CI outputs (harness.report): host plugins fed by the replayed reports."""
    cache = getattr(config, "cache", None)
    if selector is not None:
        config.pluginmanager.register(selector, info.SHARD)
    elif cache is not None:
        # A shard leaves the durations alone: shards sharing a cache (one machine) must all
        # balance by the same values. ``harness merge --store-durations`` records theirs.
        config.pluginmanager.register(DurationRecorder(cache), "harness-durations")
    if settings.annotations:
        config.pluginmanager.register(Annotations(config), "harness-annotations")
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        config.pluginmanager.register(StepSummary(config), "harness-step-summary")
    if settings.report_json is not None:
        path = Path(config.invocation_params.dir) / settings.report_json
        report = JsonReport(config, path, functools.partial(info.run_info, config))
        config.pluginmanager.register(report, "harness-report-json")
