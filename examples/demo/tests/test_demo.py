import sys

import pytest
from demo_pkg import greet, mean


def test_runs_inside_pyodide():
    assert sys.platform == "emscripten"
    assert greet("you").endswith("emscripten")


@pytest.mark.parametrize(("values", "expected"), [([1, 2, 3], 2), ([4], 4), ([1.5, 2.5], 2)])
def test_mean(values, expected):
    assert mean(values) == expected


def test_mean_of_nothing():
    with pytest.raises(ValueError, match="nothing"):
        mean([])


def test_captured_output(capsys):
    print("printed inside WebAssembly")
    assert capsys.readouterr().out == "printed inside WebAssembly\n"


@pytest.mark.xfail(reason="threads cannot be started in Pyodide", raises=RuntimeError, strict=True)
def test_threads_are_not_available():
    import threading

    threading.Thread(target=lambda: None).start()
