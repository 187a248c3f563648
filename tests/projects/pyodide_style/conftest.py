# A conftest as pytest-pyodide suites write them: it imports pytest_pyodide (on the host
# too, where the harness provides it) and reads pytest-pyodide's options.
import pytest
from pytest_pyodide import get_global_config
from pytest_pyodide.utils import package_is_built


def pytest_configure(config):
    pytest.pyodide_dist_dir = config.getoption("--dist-dir")
    get_global_config().set_flags("node", ["--expose-gc"])


@pytest.fixture
def payload():
    return {"numbers": [1, 2, 3], "name": "payload"}


@pytest.fixture
def tenacity_built():
    return package_is_built("tenacity", pytest.pyodide_dist_dir)
