"""A tiny package to show `harness run`: its tests run inside Pyodide."""

import sys


def greet(name: str) -> str:
    return f"hello {name} from {sys.platform}"


def mean(values: list[float]) -> float:
    if not values:
        raise ValueError("mean of nothing")
    return sum(values) / len(values)
