"""A conftest that needs a package only the runtime has (``--with humanize``): the host
must never import it, and everything it adds must work as natively."""

import humanize
import pytest


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")
    parser.addoption("--greeting", default="hello", help="a value option")
    parser.addini("project_flavour", "an ini key this conftest defines", default="plain")


def pytest_report_header(config):
    return [f"humanize says: {humanize.intcomma(1234567)}", f"flavour: {config.getini('project_flavour')}"]


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="need --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
    items.sort(key=lambda item: item.name, reverse=True)


def pytest_terminal_summary(terminalreporter):
    passed = len(terminalreporter.stats.get("passed", []))
    terminalreporter.write_line(f"conftest summary: {passed} passed, {humanize.apnumber(passed)} in words")


@pytest.fixture
def greeting(request):
    return request.config.getoption("--greeting")
