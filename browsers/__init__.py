"""The JavaScript and HTML entry points that boot Pyodide in each runtime.

A package only so the files ship inside the wheel and can be located with ``entry()``.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent


def entry(name: str) -> Path:
    """Absolute path of one shipped entry point (``node/main.mjs``, ``boot.mjs``, ...)."""
    return HERE / name
