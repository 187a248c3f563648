import os
import sys


def test_working_directory_module_imports() -> None:
    import helper_mod

    assert helper_mod.VALUE == 42


def test_no_runtime_home_on_path() -> None:
    """No entry points at the runtime's own start directory (Pyodide <= 0.27: its HOME)."""
    assert "/home/pyodide" not in sys.path
    assert os.getcwd() == os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
