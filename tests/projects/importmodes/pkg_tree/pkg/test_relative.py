from .helper import VALUE


def test_relative_import():
    assert VALUE == 3
