import os
import uuid

import pytest

# Imported once per runtime (each one collects): tells the runtimes apart.
RUNTIME = uuid.uuid4().hex


@pytest.fixture(autouse=True)
def record_runtime() -> None:
    with open(os.path.join(os.path.dirname(__file__), "ran.txt"), "a") as log:
        log.write(f"{RUNTIME} {os.environ.get('PYTEST_CURRENT_TEST', '').split(' ')[0]}\n")
