import sys
import warnings

import pytest


class ProjectWarning(UserWarning):
    """A warning class only this project defines."""


def test_pass(number):
    assert number == 42


def test_fail_with_output():
    print("output printed before the failure")
    sys.stderr.write("and some stderr\n")
    assert 1 + 1 == 3


def test_setup_error(broken_fixture):
    pass


def test_skip():
    pytest.skip("skipped on purpose")


@pytest.mark.skipif(True, reason="condition is true")
def test_skipif():
    pass


@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False


@pytest.mark.xfail(reason="unexpectedly fine")
def test_xpass():
    assert True


@pytest.mark.parametrize("value", [1, 2, 3])
def test_param(value):
    assert value != 2


def test_warning():
    warnings.warn("careful with that", ProjectWarning)
    warnings.warn("old api", DeprecationWarning)


@pytest.mark.slow
def test_marked_slow():
    pass


class TestGroup:
    def test_method(self, number):
        assert number > 0

    def test_method_fails(self):
        assert [1, 2] == [1, 3]
