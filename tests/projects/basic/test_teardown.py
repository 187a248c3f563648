import pytest


@pytest.fixture
def bad_teardown():
    yield
    raise ValueError("teardown fails")


def test_teardown_error(bad_teardown):
    pass
