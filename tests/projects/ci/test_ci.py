"""Failures for CI outputs: a message that needs escaping, a failing helper, a fixture error,
a WebAssembly limitation, and the usual other outcomes."""

import threading

import pytest


def check_total(values, expected):
    assert sum(values) == expected, f"total is off: 100% wrong,\nsee values {values}"


def test_passes():
    assert True


def test_assertion_with_escapes():
    assert "a:b,c" == "a:b,c!", "100% sure\r\nsecond line"


def test_fails_in_helper():
    check_total([1, 2], 4)


@pytest.fixture
def broken():
    raise RuntimeError("fixture is broken")


def test_setup_error(broken):
    pass


def test_thread_limitation():
    threading.Thread(target=print).start()


@pytest.mark.skip(reason="not today")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known")
def test_xfailed():
    assert False
