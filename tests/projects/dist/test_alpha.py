import time

import pytest


@pytest.mark.parametrize("n", range(6))
def test_alpha(n: int) -> None:
    time.sleep(0.05)
    assert n != 4, "the one failure"


@pytest.mark.xdist_group(name="db")
def test_alpha_db() -> None:
    pass


@pytest.mark.xdist_group("db")
def test_alpha_db_again() -> None:
    pass
