"""The option table: one row per option, from which the CLI, the pytest plugin options and
the runtime's argument stripping are derived."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.options import OPTIONS, Settings, add_pytest_options, scan, strip_plugin_args


def test_harness_values_are_taken_anywhere_and_everything_else_is_pytest_s() -> None:
    values, rest = scan(["-v", "--runtime", "chromium", "tests", "--with=attrs", "--with", "six", "-k", "x"])
    assert values == {"runtime": "chromium", "with": ["attrs", "six"]}
    assert rest == ["-v", "tests", "-k", "x"]


def test_after_double_dash_everything_is_pytest_s() -> None:
    values, rest = scan(["-n", "2", "--", "--timeout", "3", "--runtime"])
    assert values == {"workers": "2"}
    assert rest == ["--timeout", "3", "--runtime"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--pyodide"], "--pyodide needs a value (VERSION)"),
        (["--no-patches=yes"], "--no-patches takes no value"),
    ],
)
def test_malformed_options_name_what_the_user_typed(argv: list[str], message: str) -> None:
    with pytest.raises(HarnessError, match=re.escape(message)):
        scan(argv)


def test_probe_refuses_run_only_options() -> None:
    assert scan(["--pyodide", "0.27.4,314.0.7", "--no-patches"], "probe")[0] == {
        "pyodide": "0.27.4,314.0.7",
        "no_patches": True,
    }
    with pytest.raises(HarnessError, match="harness probe does not take --with"):
        scan(["--with", "six"], "probe")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"timeout": "-1"}, "--timeout expects a number >= 0, not '-1'"),
        ({"timeout": "soon"}, "--timeout expects a number, not 'soon'"),
        ({"timeout": "nan"}, "--timeout expects a number >= 0"),
        ({"workers": "0"}, "-n/--workers expects a number of runtimes or 'auto', not '0'"),
        ({"workers": "many"}, "-n/--workers expects a number of runtimes or 'auto'"),
        ({"cov": [True], "cov_fail_under": "x"}, "--cov-fail-under expects a number"),
        ({"dist": "each"}, "--dist expects load, loadscope, loadfile, loadgroup or worksteal, not 'each'"),
    ],
)
def test_settings_check_values_in_one_line(values: dict[str, object], message: str) -> None:
    with pytest.raises(HarnessError, match=message):
        Settings.from_values(values)


def test_settings_convert_values() -> None:
    settings = Settings.from_values(
        {
            "runtime": "firefox",
            "dist_dir": "d",
            "requirements": ["r.txt"],
            "timeout": "0",
            "workers": "3",
            "no_patches": True,
            "cov": ["pkg", True],
            "cov_report": ["xml:o.xml"],
            "cov_branch": True,
        }
    )
    assert settings.runtime == "firefox" and settings.dist_dir == Path("d")
    assert settings.requirements == (Path("r.txt"),)
    assert settings.timeout is None  # 0: no limit
    assert settings.workers == 3 and not settings.patches
    assert settings.coverage is not None and settings.coverage.sources == ("pkg",) and settings.coverage.branch
    assert Settings.from_values({}) == Settings()


def test_auto_workers_is_at_least_one() -> None:
    settings = Settings.from_values({"workers": "auto"})
    assert settings.workers >= 1 and settings.workers_auto
    assert not Settings.from_values({"workers": "2"}).workers_auto


def test_dist_takes_pytest_xdists_modes() -> None:
    assert Settings.from_values({}).dist == "load"
    assert Settings.from_values({"dist": "worksteal"}).dist == "worksteal"
    assert scan(["-n", "2", "--dist", "loadscope", "tests"]) == ({"workers": "2", "dist": "loadscope"}, ["tests"])


def test_cov_value_is_optional_like_pytest_cov() -> None:
    assert scan(["--cov", "-v"])[0] == {"cov": [True]}
    assert scan(["--cov", "pkg", "-v"]) == ({"cov": ["pkg"]}, ["-v"])


def test_every_option_becomes_a_plugin_option_and_is_stripped_again() -> None:
    parser = argparse.ArgumentParser()
    group = parser.add_argument_group("harness")

    class Group:
        def addoption(self, *names: str, **kwargs: object) -> None:
            group.add_argument(*names, **kwargs)  # type: ignore[arg-type]

    add_pytest_options(Group())
    argv: list[str] = []
    for option in OPTIONS:
        argv += [option.plugin_flag] if option.arity == "none" else [option.plugin_flag, "v"]
    parsed = parser.parse_args(argv)
    for option in OPTIONS:
        assert getattr(parsed, option.dest) in (True, "v", ["v"])
    user = ["-k", "x", "tests"]
    assert strip_plugin_args(["-p", "harness.plugin", *argv, *user]) == user
    assert strip_plugin_args(["-pharness.plugin", "--harness-cov", "-v"]) == ["-v"]
    assert strip_plugin_args(["--harness-cov", "src", "--harness-timeout=3", "-v"]) == ["-v"]
