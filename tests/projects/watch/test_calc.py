from calc import add, sub


def test_add(expected):
    assert add(1, 2) == expected


def test_sub():
    assert sub(5, 2) == 3
