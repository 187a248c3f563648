import pytest

from covpkg import area
from covpkg.shapes import total


def test_square() -> None:
    assert area("square", 2) == 4


def test_unknown_kind() -> None:
    with pytest.raises(ValueError):
        area("hexagon", 1)


def test_total_skips_negative() -> None:
    assert total([1, -1, 2]) == 5
