import pytest


@pytest.fixture
def number():
    return 42


@pytest.fixture
def broken_fixture():
    raise RuntimeError("fixture setup fails")
