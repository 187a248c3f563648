import pytest


def test_a_fast(greeting):
    assert greeting in ("hello", "bonjour")


@pytest.mark.slow
def test_b_slow():
    pass


def test_c_fast():
    import humanize

    assert humanize.intcomma(1000) == "1,000"
