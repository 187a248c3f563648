"""Tests of very uneven durations (what --shard must balance), and a few other outcomes
(what harness merge must count as an unsharded run does)."""

import time

import pytest

SECONDS = [0.8, 0.5, 0.4, 0.3, 0.3, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.0, 0.0]


@pytest.mark.parametrize("seconds", SECONDS, ids=[f"t{i}" for i in range(len(SECONDS))])
def test_work(seconds):
    time.sleep(seconds)


def test_fails():
    assert 1 + 1 == 3


@pytest.mark.skip(reason="on purpose")
def test_skipped():
    pass


@pytest.fixture
def broken():
    raise RuntimeError("broken fixture")


def test_error(broken):
    pass
