import pytest


@pytest.fixture
def flat_value():
    return "flat"
