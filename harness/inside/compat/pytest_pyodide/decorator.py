"""``run_in_pyodide``, ``PyodideHandle`` and ``copy_files_to_pyodide`` for the harness.

pytest-pyodide's ``run_in_pyodide`` ships the decorated function's source to a browser and
runs it there; under the harness the test module already runs inside Pyodide, so the body
runs right here:

- It keeps the function's signature (``functools.wraps``): pytest resolves the other
  arguments as ordinary fixtures and parameters, so ``parametrize``, fixtures, ``hypothesis``
  and every outcome (skip, xfail, errors) behave natively.
- The first argument is the runner fixture (``selenium``...), passed as the fixture object
  (pytest-pyodide passes ``None`` inside the body).
- The other arguments arrive as copies (a pickle round trip, as when pytest-pyodide sends
  them to the browser), so a body that mutates them leaves the caller's objects alone;
  ``PyodideHandle`` arguments arrive as the object they hold. An argument pickle cannot
  copy is passed as it is.
- An ``async def`` body runs to completion (see ``_loop``).
- The body runs with Pyodide's home (in memory) as working directory, as in the browser
  pytest-pyodide drives: files it writes by relative path never land in the project.
- ``packages=[...]`` were installed before the runtime started (the harness reads them from
  the test files); a name that is missing fails the test naming ``--with``.
"""

from __future__ import annotations

import functools
import inspect
import pickle
import shutil
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, TypeVar

from . import _loop, _state
from .runner import JavascriptException, PyodideRunner, in_home, installed, missing_packages

F = TypeVar("F", bound=Callable[..., Any])


class PyodideHandle:
    """A reference to an object that stays in the runtime (pytest-pyodide's class): passed
    to another ``run_in_pyodide`` function it arrives as the object itself."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj


def _copy(value: Any) -> Any:
    if isinstance(value, PyodideHandle):
        return value.obj
    try:
        return pickle.loads(pickle.dumps(value))
    except Exception:  # noqa: BLE001 - not picklable: the object itself
        return value


def _call(function: Callable[..., Any], packages: tuple[str, ...], args: Any, kwargs: Any) -> Any:
    missing = [name for name in packages if not installed(name)]
    if missing:
        raise JavascriptException(missing_packages(missing))
    parameters = list(inspect.signature(function).parameters)
    first = parameters[0] if parameters else None
    if args:
        runner, rest = args[0], tuple(_copy(a) for a in args[1:])
        copied = (runner, *rest)
    else:
        runner, copied = kwargs.get(first), ()
    kwargs = {k: (v if k == first else _copy(v)) for k, v in kwargs.items()}
    capture = runner.capturing() if isinstance(runner, PyodideRunner) else in_home()
    with capture:
        result = function(*copied, **kwargs)
        if inspect.iscoroutine(result):
            result = _loop.run(result)
    return result


def run_in_pyodide(
    _function: F | None = None,
    /,
    *,
    packages: Collection[str] = (),
    pytest_assert_rewrites: bool = True,
) -> Any:
    """Run the decorated test (or helper) in Pyodide: here, directly. With or without
    arguments: ``@run_in_pyodide`` and ``@run_in_pyodide(packages=[...])``.
    ``pytest_assert_rewrites`` is accepted: pytest rewrites test modules natively here."""
    names = (packages,) if isinstance(packages, str) else tuple(packages)

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return _call(function, names, args, kwargs)

        return wrapper  # type: ignore[return-value]

    if _function is not None:
        return decorate(_function)
    return decorate


def copy_files_to_pyodide(
    file_list: list[tuple[str, str]], install_wheels: bool = True, recurse_directories: bool = True
) -> Callable[[F], F]:
    """Copy host files into Pyodide's home before the test, as pytest-pyodide does.

    Each ``(src, dest)``: ``src`` (relative to the working directory) is a file, a directory
    (its files; subdirectories too with ``recurse_directories``) or a glob (matches keep their
    relative layout); ``dest`` is relative to Pyodide's home. With ``install_wheels``, a
    ``.whl`` among them must already be installed: the harness installs wheels before boot
    (``--with PATH``), so one that is not fails the test naming it.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _copy_files(file_list, install_wheels, recurse_directories)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _copy_files(file_list: list[tuple[str, str]], install_wheels: bool, recurse: bool) -> None:
    home = Path(_state.home())
    for src, dest in file_list:
        pairs = _expand(Path(src), home / dest, src, recurse)
        if not pairs:
            raise FileNotFoundError(f"copy_files_to_pyodide: {src!r} matches no file in {Path.cwd()}")
        for source, target in pairs:
            if install_wheels and source.suffix == ".whl":
                name = source.name.split("-")[0]
                if not installed(name):
                    raise JavascriptException(f"{source.name}: {missing_packages([str(source)])}")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def _expand(src: Path, dest: Path, pattern: str, recurse: bool) -> list[tuple[Path, Path]]:
    """(host file, file in Pyodide's home) pairs for one ``(src, dest)`` entry."""
    if src.is_file():
        return [(src, dest)]
    if src.is_dir():
        files = src.rglob("*") if recurse else src.glob("*")
        return [(f, dest / f.relative_to(src)) for f in sorted(files) if f.is_file()]
    base = Path(pattern.split("*", 1)[0]).parent if "*" in pattern else Path(".")
    return [(f, dest / f.relative_to(base)) for f in sorted(Path(".").glob(pattern)) if f.is_file()]
