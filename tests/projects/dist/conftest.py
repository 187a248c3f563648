import os
import uuid

import pytest

# Imported once per runtime (each one collects): tells the runtimes apart.
RUNTIME = uuid.uuid4().hex
HERE = os.path.dirname(__file__)


def log(name: str, line: str) -> None:
    with open(os.path.join(HERE, name), "a") as f:
        f.write(f"{RUNTIME} {line}\n")


@pytest.fixture(scope="module", autouse=True)
def expensive_module_resource(request: pytest.FixtureRequest) -> None:
    """Counts its setups: once per module natively, once per module and runtime under -n."""
    log("setups.txt", request.module.__name__)


@pytest.fixture(autouse=True)
def record_runtime(request: pytest.FixtureRequest) -> None:
    log("ran.txt", request.node.nodeid)
