"""The object pytest-pyodide's ``selenium*`` fixtures give a test, for the harness's runtime.

pytest-pyodide drives a browser or Node from the host, so its fixture object sends code
over WebDriver and waits. Here the test already runs inside Pyodide, so the same methods
act directly on this interpreter and its JavaScript context:

- ``run(code)``: the code runs in ``__main__``'s namespace (Pyodide's ``runPython``
  globals); the value of its last expression is returned. A Python error comes back as
  ``JavascriptException("PythonError: ...")``, as it does through WebDriver.
- ``run_js(code)``: the code is the body of a JavaScript function (``return`` gives the
  result). A body that awaits needs the runtime to block on a Promise: JSPI where the
  runtime has it, else the test is skipped with the reason.
- ``load_package(names)``: packages come from the run's site-packages, which already hold
  every name statically found in ``packages=[...]`` and ``load_package(...)`` calls; a name
  that is not there is an error naming ``--with``.
- ``logs`` / ``clean_logs()``: what Python printed during ``run*`` calls and
  ``run_in_pyodide`` bodies given this object, and what JavaScript logged on the console
  during ``run_js`` (which then goes to the test's captured output, not the terminal).
- ``browser`` / ``runtime``: pytest-pyodide's name of the runtime (node, chrome, firefox).

Every fixture shares the one runtime of the harness worker (``selenium_standalone`` gets a
fresh object with fresh logs, not a fresh interpreter).
"""

from __future__ import annotations

import contextlib
import gc
import importlib.metadata
import importlib.util
import os
import sys
import textwrap
import traceback
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from . import _loop, _state


class JavascriptException(Exception):
    """An error raised by the code given to ``run``/``run_js`` (pytest-pyodide's class)."""

    def __init__(self, msg: str, stack: str | None = None) -> None:
        super().__init__(msg, stack)
        self.msg = msg
        self.stack = stack or ""
        if self.stack.startswith(self.msg):  # V8's stack repeats the message
            self.msg = ""

    def __str__(self) -> str:
        return "\n\n".join(part for part in (self.msg, self.stack) if part)


class _Tee:
    """A text stream that writes to ``stream`` and to the runner's log."""

    def __init__(self, stream: TextIO, sink: Callable[[str], None]) -> None:
        self._stream = stream
        self._sink = sink

    def write(self, text: str) -> int:
        self._sink(text)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@cache
def _support() -> Any:
    """The JavaScript helpers of ``run_js_support.mjs``, evaluated once per runtime."""
    import pyodide_js
    from js import eval as js_eval

    source = Path(__file__).with_name("run_js_support.mjs").read_text(encoding="utf-8")
    return js_eval(source)(pyodide_js)


def _to_python(value: Any) -> Any:
    """A JavaScript result as WebDriver would hand it over: JSON-like Python values."""
    to_py = getattr(value, "to_py", None)
    return to_py() if callable(to_py) else value


def _js_error(exc: BaseException) -> JavascriptException:
    """The JavascriptException pytest-pyodide would raise for ``exc``."""
    js_error = getattr(exc, "js_error", None)
    if js_error is not None:
        head, stack = _support().errorText(js_error).to_py()
        return JavascriptException(head, stack)
    if type(exc).__name__ == "JsException":
        return JavascriptException(str(exc))
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return JavascriptException(f"PythonError: {text}")


class PyodideRunner:
    """pytest-pyodide's runner interface, acting on the runtime the test runs in."""

    JavascriptException = JavascriptException
    script_timeout: float = 20

    def __init__(self, script_type: str = "classic") -> None:
        self.browser = _state.browser()
        self.script_type = script_type
        self._logs: list[str] = []

    @property
    def runtime(self) -> str:
        return self.browser

    # -- output -------------------------------------------------------------------------

    def _log(self, text: str) -> None:
        self._logs.append(text)

    @property
    def logs(self) -> str:
        return "".join(self._logs).rstrip("\n")

    def clean_logs(self) -> None:
        self._logs.clear()

    @contextlib.contextmanager
    def capturing(self, javascript: bool = False) -> Iterator[None]:
        """Run "in Pyodide": in Pyodide's home as working directory (see ``in_home``), copying
        what is printed (and, with ``javascript``, logged on the console) to the logs."""
        with in_home(), self._tee(javascript):
            yield

    @contextlib.contextmanager
    def _tee(self, javascript: bool) -> Iterator[None]:
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Tee(sys.stdout, self._log), _Tee(sys.stderr, self._log)
        sink = undo = None
        if javascript:
            from pyodide.ffi import create_proxy

            def console(method: str, text: str) -> None:
                stream = sys.stderr if method in ("warn", "error") else sys.stdout
                stream.write(f"{text}\n")  # the tee: into the logs and the test's output

            sink = create_proxy(console)
            undo = _support().teeConsole(sink)
        try:
            yield
        finally:
            sys.stdout, sys.stderr = saved
            if undo is not None:
                undo()
            if sink is not None:
                sink.destroy()

    # -- running code -------------------------------------------------------------------

    def run(self, code: str) -> Any:
        """Run Python ``code`` in ``__main__``'s namespace; the last expression's value."""
        from pyodide.code import eval_code

        main = sys.modules["__main__"].__dict__
        with self.capturing():
            try:
                return eval_code(_dedent(code), main)
            except Exception as exc:
                raise _js_error(exc) from exc

    def run_async(self, code: str) -> Any:
        """Run Python ``code`` that may use top-level ``await``."""
        from pyodide.code import eval_code_async

        main = sys.modules["__main__"].__dict__
        with self.capturing():
            try:
                return _loop.run(eval_code_async(_dedent(code), main))
            except Exception as exc:
                raise _js_error(exc) from exc

    def run_js(self, code: str, pyodide_checks: bool = True) -> Any:
        """Run ``code`` as the body of a JavaScript function; its return value."""
        support = _support()
        with self.capturing(javascript=True):
            try:
                compiled = support.compile(_dedent(code))
            except Exception as exc:
                raise _js_error(exc) from exc
            try:
                result = compiled.fn()
                if compiled.awaits:
                    result = _loop.wait_for_javascript(result)
            except Exception as exc:  # pytest's skip is a BaseException: it passes
                raise _js_error(exc) from exc
        return _to_python(result)

    def run_webworker(self, code: str) -> Any:
        """pytest-pyodide runs this in a Web Worker it starts; the ``-worker`` runtimes
        already run Python in one."""
        return self.run(code)

    # -- packages -----------------------------------------------------------------------

    def load_package(self, packages: str | Iterable[str]) -> None:
        """Make ``packages`` importable: they must be in the run's site-packages."""
        names = [packages] if isinstance(packages, str) else list(packages)
        missing = [name for name in names if not installed(name)]
        if missing:
            raise JavascriptException(missing_packages(missing))

    # -- what the harness has no equivalent for --------------------------------------------

    def set_script_timeout(self, timeout: float) -> None:
        """Kept for ``driver_timeout``; the harness's own timeout applies to the whole test."""
        self.script_timeout = timeout

    @property
    def pyodide_loaded(self) -> bool:
        return True

    @property
    def force_test_fail(self) -> bool:
        return False

    def clear_force_test_fail(self) -> None:
        pass

    def collect_garbage(self) -> None:
        gc.collect()

    def load_pyodide(self) -> None:
        pass  # already running: the test runs inside it

    def initialize_pyodide(self) -> None:
        pass

    def save_state(self) -> None:
        pass

    def restore_state(self) -> None:
        pass

    def refresh(self) -> None:
        pass

    def quit(self) -> None:
        pass


@contextlib.contextmanager
def in_home() -> Iterator[None]:
    """The working directory pytest-pyodide's code sees: Pyodide's home, in memory (so a body
    that writes ``Path("x.py")`` never touches the project's files on the host)."""
    previous = os.getcwd()
    os.makedirs(_state.home(), exist_ok=True)
    os.chdir(_state.home())
    try:
        yield
    finally:
        os.chdir(previous)


def _dedent(code: str) -> str:
    return textwrap.dedent(code) if code.startswith("\n") else code


def installed(name: str) -> bool:
    """Whether ``name`` (a Pyodide or PyPI package name) is importable in this runtime."""
    try:
        importlib.metadata.distribution(name)
        return True
    except importlib.metadata.PackageNotFoundError:
        pass
    # Pyodide's package names for parts of the standard library (ssl, sqlite3, lzma...).
    module = name.replace("-", "_")
    return module in sys.stdlib_module_names and importlib.util.find_spec(module) is not None


def missing_packages(names: list[str]) -> str:
    """Why ``names`` cannot be loaded, and what to do about it."""
    listed = ", ".join(names)
    return (
        f"package(s) {listed} are not installed in this run; the harness installs the names it finds in "
        f"packages=[...] and load_package(...) literals before the runtime starts; add others with "
        f"--with {names[0]}"
    )


# pytest-pyodide's runner classes, for conftests that import them: here every one is the
# same runner (the runtime is chosen with the harness's --runtime).
NodeRunner = SeleniumChromeRunner = SeleniumFirefoxRunner = SeleniumSafariRunner = PyodideRunner
PlaywrightChromeRunner = PlaywrightFirefoxRunner = PyodideRunner
