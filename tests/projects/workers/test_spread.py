import time

import pytest


@pytest.mark.parametrize("n", range(24))
def test_takes_a_moment(n: int) -> None:
    time.sleep(0.1)
    assert n != 13, "the one failure"
