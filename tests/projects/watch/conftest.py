import pytest
from helpers import EXPECTED


@pytest.fixture
def expected():
    return EXPECTED
