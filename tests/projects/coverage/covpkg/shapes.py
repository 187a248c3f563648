from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def area(kind: str, size: float) -> float:
    if kind == "square":
        return size * size
    elif kind == "circle":
        return 3 * size * size
    raise ValueError(kind)


def total(sizes: "Iterable[float]") -> float:
    result = 0.0
    for size in sizes:
        if size < 0:
            continue
        result += area("square", size)
    return result


def only_in_the_crashing_test() -> str:
    return "ran, then the runtime died"


def only_after_the_restart() -> str:
    return "ran in the restarted runtime"


def only_before_the_interrupt() -> str:
    return "ran before SIGTERM"
