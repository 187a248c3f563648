import os


def test_before_one():
    pass


def test_before_two():
    assert True


def test_kills_the_runtime():
    print("about to die")
    os._exit(3)


def test_after():
    pass
