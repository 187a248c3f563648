import time

import pytest


@pytest.mark.parametrize("n", range(6))
def test_beta(n: int) -> None:
    time.sleep(0.05)


@pytest.mark.xdist_group(name="db")
def test_beta_db() -> None:
    pass
