"""CPython semantics that must hold inside the runtime (run natively too: same outcomes)."""

import socket
import sys

import pytest


def test_recursing_to_the_limit_raises_recursion_error():
    def down(n):
        return down(n + 1)

    with pytest.raises(RecursionError):
        down(0)


def test_recursion_limit_is_usable():
    def depth(n):
        return n if n == 0 else depth(n - 1) + 1

    assert depth(sys.getrecursionlimit() // 2) == sys.getrecursionlimit() // 2


def test_socket_use_is_an_ordinary_exception():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(OSError):
            s.connect(("127.0.0.1", 9))  # nothing listens on the discard port
    finally:
        s.close()


def test_listen_is_an_ordinary_exception_or_works():
    # Natively this listens; in Pyodide it must raise OSError (as in a browser), never
    # take the runtime down.
    server = socket.socket()
    try:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
    except OSError:
        pass
    finally:
        server.close()


def test_still_alive_afterwards():
    assert True
