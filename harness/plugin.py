"""The harness as a pytest plugin: ``pytest -p harness.plugin --harness-runtime node``.

``harness run`` is a thin wrapper that calls pytest with this plugin and hands it the
checked ``Settings`` directly. Without settings (plugin mode without
``--harness-runtime``) the plugin does nothing, so loading it is always safe.

Where the project's conftest.py files run: **only in the runtime.** The host session
imports none of them (so a conftest may import packages that exist only in the runtime,
and nothing depends on what the host happens to have installed). The runtime boots before
the host parses the command line, prepares its session and describes the options and ini
keys its conftests and plugins add; the host's parser accepts exactly those. What those
conftests print in ``pytest_report_header`` and ``pytest_terminal_summary`` is sent over
and printed by the host; ``pytest_collection_modifyitems`` acts in the runtime, where
collection happens. Limits: ``-p NAME`` plugins are loaded on both sides (the host must be
able to import them); a conftest hook that only the host could call (``pytest_configure``
effects on the host's terminal, for instance) acts in the runtime instead.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from harness import options
from harness.coverage.plugin import CoveragePlugin
from harness.coverage.sink import new_coverage
from harness.errors import HarnessError
from harness.host.controller import Controller, session_boot_config
from harness.host.pytest_cache import write_value
from harness.inside import pytest_compat
from harness.options import Settings
from harness.report import info
from harness.report.annotations import Annotations
from harness.report.durations import DurationRecorder, recorded
from harness.report.json_report import JsonReport
from harness.report.shard import ShardSelector
from harness.report.summary import StepSummary
from harness.runtimes import runtime_class
from harness.watch.cycle import WatchCycle

# Host plugins whose state comes from collection, which only the runtime performs; their
# cache writes arrive from the runtime instead (see harness.host.pytest_cache).
# The host's LFPlugin stays: it computes lastfailed from the replayed reports, which
# also holds across runtime restarts.
RUNTIME_OWNED_PLUGINS = ("nfplugin", "stepwiseplugin")

CONTROLLER = pytest.StashKey[Controller]()
P = TypeVar("P")


class GivenSettings:
    """Carries ``harness run``'s checked ``Settings`` into the pytest session it starts, so
    harness values never pass through pytest's argument list."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @pytest.hookimpl(wrapper=True)
    def pytest_cmdline_parse(self) -> Generator[None, pytest.Config, pytest.Config]:
        """pytest's argument errors in one line, as the harness's own: argparse's text names
        the program (``cli.py``, ``pytest.main()``) and adds usage, inifile and rootdir lines;
        its ``PROG: error: MESSAGE`` line says what was wrong with what the user typed."""
        try:
            return (yield)
        except pytest.UsageError as exc:
            text = " ".join(str(arg) for arg in exc.args)
            said = next((line.split(": error: ", 1)[1] for line in text.splitlines() if ": error: " in line), None)
            if said is None:
                raise
            raise pytest.UsageError(said) from None


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_pytest_options(parser.getgroup("harness", "run the suite inside Pyodide (harness)"))


def _refuse_detached_paths(args: list[str], invocation_dir: Path) -> None:
    """Refuse what would make pytest differ from native: in plugin mode a separate value of a
    ``--harness-*`` option that names a path has already been taken for a test path (pytest
    reads rootdir before it loads this plugin)."""
    detached = options.detached_path_values(args, invocation_dir)
    if detached:
        flag, value = detached[0]
        raise pytest.UsageError(
            f"pytest takes the separate value of {flag} for a test path (it moves rootdir): write {flag}={value}"
        )


def _plugin(config: pytest.Config, kind: type[P]) -> P | None:
    """The plugin object of ``kind`` that ``harness run`` registered, if any."""
    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, kind)), None)


def _settings(config: pytest.Config) -> Settings | None:
    """From ``harness run``, or from ``--harness-*`` options in plugin mode (inactive
    without ``--harness-runtime``)."""
    given = _plugin(config, GivenSettings)
    if given is not None:
        return given.settings
    values = options.values_from_namespace(config.known_args_namespace)
    return Settings.from_values(values) if values.get("runtime") else None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Boot the runtime before the host parses the command line: the options of the
    project's conftests are the runtime's to describe (the host loads no conftest)."""
    namespace = early_config.known_args_namespace
    if getattr(namespace, "help", False) or getattr(namespace, "version", False):
        return
    _refuse_detached_paths(args, Path(early_config.invocation_params.dir))
    try:
        settings = _settings(early_config)
        if settings is None:
            return
        cycle = _plugin(early_config, WatchCycle)
        if settings.watch is not None and cycle is None:
            raise HarnessError("watch mode runs one pytest session per change itself: use harness run --watch")
        runtime_class(settings.runtime)
        boot = session_boot_config(early_config, settings)
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    if settings.coverage is not None:
        try:
            new_coverage(settings.coverage)  # its configuration is checked before anything boots
        except HarnessError as exc:
            boot.cleanup()
            raise pytest.UsageError(str(exc)) from None
    pytest_compat.skip_conftests(early_config)
    controller = Controller(early_config, settings, boot, standby=cycle.standby if cycle is not None else None)
    if cycle is not None:
        cycle.attach(controller)
    try:
        described = controller.start()
    except HarnessError as exc:
        controller.close()
        raise pytest.UsageError(str(exc)) from None
    _accept(parser, described)
    early_config.stash[CONTROLLER] = controller


def _accept(parser: pytest.Parser, described: Any) -> None:
    """Make the host's parser accept the options and ini keys the runtime described."""
    known = pytest_compat.known_option_names(parser)
    for spec in described["options"]:
        if known.intersection(spec["names"]):
            continue
        attrs = {"action": spec["action"], "dest": spec["dest"], "help": spec["help"], "default": spec["default"]}
        if spec["nargs"] is not None:
            attrs["nargs"] = spec["nargs"]
        if spec["metavar"] is not None:
            attrs["metavar"] = spec["metavar"]
        parser.addoption(*spec["names"], **attrs)
    known_ini = pytest_compat.known_ini_names(parser)
    for ini in described["ini"]:
        if ini["name"] not in known_ini:
            parser.addini(ini["name"], ini["help"], type=ini["type"])


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    controller = config.stash.get(CONTROLLER, None)
    if controller is None:
        return
    for name in RUNTIME_OWNED_PLUGINS:
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None:
            config.pluginmanager.unregister(plugin)
    pytest_compat.leave_unknown_ini_keys_to_the_runtime(config)
    cache = getattr(config, "cache", None)
    if cache is not None:
        cache.set = functools.partial(write_value, cache)  # host writes are atomic too
    if controller.settings.coverage is not None:
        try:
            coverage = CoveragePlugin(controller.settings.coverage, f"Pyodide {controller.boot.dist.version}")
        except HarnessError as exc:
            controller.close()
            raise pytest.UsageError(str(exc)) from None
        config.pluginmanager.register(coverage, "harness-coverage")
        controller.on_coverage = coverage.add
    settings = controller.settings
    selector = ShardSelector(settings.shard, recorded(cache)) if settings.shard is not None else None
    if selector is not None:
        controller.select = selector.select
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
