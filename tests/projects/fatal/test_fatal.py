"""A test that makes Pyodide itself die (the JavaScript stack overflows in C recursion)."""

import sys


def test_a():
    pass


def test_fatal():
    sys.setrecursionlimit(1_000_000)
    x = []
    for _ in range(200_000):
        x = [x]
    repr(x)


def test_b():
    pass
