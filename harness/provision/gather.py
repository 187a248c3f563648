"""The packages a pytest-pyodide suite asks for, read from its files before the runtime boots.

pytest-pyodide loads ``@run_in_pyodide(packages=[...])`` and ``selenium.load_package(...)``
into a fresh page per test. The harness boots the runtime once, so it has to know them
beforehand: this module reads them statically (``ast``, never importing anything) from the
files being run and their conftests, and ``requirements`` turns them into requirement
strings that provisioning adds to the run's own (as if given with ``--with``), so the
package machinery resolves them like any other requirement.

What counts: the ``packages=`` keyword of a ``run_in_pyodide(...)`` decorator or call (a
literal list/tuple/set of strings, a single string, or a module-level name bound to one),
string literals passed to a ``load_package(...)`` call, and ``loadPackage("x")`` /
``loadPackage(["x", "y"])`` inside string literals (JavaScript given to ``run_js``). Files
are only parsed when they mention one of those names.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

_MARKERS = (b"run_in_pyodide", b"load_package", b"loadPackage")
# Directories never searched for tests: VCS and tool state, environments, dependencies.
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "venv", "build", "dist"}
_JS_LOAD = re.compile(r"loadPackage\(\s*(\[[^\]]*\]|\"[^\"]*\"|'[^']*')")
_JS_NAME = re.compile(r"[\"']([^\"'$]+)[\"']")


@dataclass(frozen=True)
class Named:
    """One package name found in the tests, and where (``path:line``, for messages)."""

    name: str
    origin: str


def python_files(paths: Iterable[Path]) -> list[Path]:
    """The ``.py`` files under ``paths`` (files or directories), in a stable order."""
    found: set[Path] = set()
    for path in paths:
        if path.is_file() and path.suffix == ".py":
            found.add(path.resolve())
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not _skipped(Path(root) / d)]
                found.update((Path(root) / f).resolve() for f in files if f.endswith(".py"))
    return sorted(found)


def _skipped(directory: Path) -> bool:
    name = directory.name
    return name.startswith(".") or name in _SKIP_DIRS or (directory / "pyvenv.cfg").exists()


def conftests(paths: Iterable[Path], rootdir: Path) -> list[Path]:
    """``conftest.py`` files from each path's directory up to ``rootdir`` (helpers defined
    there may carry ``packages=`` too)."""
    root = rootdir.resolve()
    found = set()
    for path in paths:
        directory = path.resolve() if path.is_dir() else path.resolve().parent
        while True:
            candidate = directory / "conftest.py"
            if candidate.is_file():
                found.add(candidate)
            if directory == root or directory.parent == directory or root not in directory.parents:
                break
            directory = directory.parent
    return sorted(found)


def gather(files: Iterable[Path]) -> list[Named]:
    """Every package name the files ask for, in order of appearance, with its origin."""
    named: list[Named] = []
    for path in files:
        try:
            source = path.read_bytes()
        except OSError:
            continue
        if not any(marker in source for marker in _MARKERS):
            continue
        try:
            tree = ast.parse(source, filename=str(path))
        except (SyntaxError, ValueError):
            continue  # the runtime reports it as a collection error
        named += _from_tree(tree, path)
    return named


def _from_tree(tree: ast.Module, path: Path) -> list[Named]:
    constants = _module_constants(tree)
    found: list[Named] = []

    def add(names: Iterable[str], node: ast.AST) -> None:
        found.extend(Named(name, f"{path}:{getattr(node, 'lineno', 0)}") for name in names)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = _callee_name(node.func)
            if callee == "run_in_pyodide":
                for keyword in node.keywords:
                    if keyword.arg == "packages":
                        add(_strings(keyword.value, constants), node)
            elif callee == "load_package" and node.args:
                add(_strings(node.args[0], constants), node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "loadPackage(" in node.value:
            for match in _JS_LOAD.finditer(node.value):
                add(_JS_NAME.findall(match.group(1)), node)
    return found


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = <literal>`` bindings (``packages=PACKAGES`` is common)."""
    constants: dict[str, ast.expr] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                constants[target.id] = statement.value
    return constants


def _strings(node: ast.expr, constants: dict[str, ast.expr]) -> list[str]:
    """The strings of a literal string, list, tuple or set (through one module-level name)."""
    if isinstance(node, ast.Name) and node.id in constants:
        node = constants[node.id]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def requirements(named: Sequence[Named], given: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[str]:
    """Requirement strings for ``named``, once each, for provisioning to add.

    Left out: names the user already gave (``given``: ``--with`` values; their pins win),
    ``exclude`` (the project's own distribution, tested from its tree or ``--wheel``), names
    that are not valid requirements, and standard-library modules (``ssl``, ``sqlite3``...:
    Pyodide's package names for parts of the stdlib; they are in the runtime already where the
    version includes them, and a PyPI package of the same name would be wrong).
    """
    skip = {canonicalize_name(name) for name in exclude}
    for value in given:
        try:
            skip.add(canonicalize_name(Requirement(value).name))
        except InvalidRequirement:
            continue
    result = []
    for entry in named:
        try:
            requirement = Requirement(entry.name)
        except InvalidRequirement:
            continue
        key = canonicalize_name(requirement.name)
        if key in skip or entry.name.replace("-", "_") in sys.stdlib_module_names:
            continue
        skip.add(key)
        result.append(entry.name)
    return result


def project_name(directory: Path) -> str | None:
    """The ``[project] name`` of ``directory/pyproject.toml``, if any."""
    try:
        import tomllib
    except ImportError:  # Python 3.10: the project name is only used to leave it out
        return None
    try:
        data = tomllib.loads((directory / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("project", {}).get("name")
    return name if isinstance(name, str) else None


@dataclass(frozen=True)
class ForRun:
    """What the files of one run ask for."""

    requirements: list[str]  # to add to the run's requirements
    named: list[Named]  # where each of them was found
    pytest_pyodide: bool  # some file uses pytest-pyodide (imports it or its fixtures)


def for_run(
    args: Sequence[str], cwd: Path, rootdir: Path, given: Iterable[str], testpaths: Sequence[str] = ()
) -> ForRun:
    """What a run of pytest ``args`` from ``cwd`` asks for: its file or directory arguments,
    else the ``testpaths`` ini value (globs, relative to ``rootdir``), else ``cwd``;
    ``given``: the ``--with`` values."""
    from harness.provision.invocation import path_args

    from_ini = [path for pattern in testpaths for path in sorted(rootdir.glob(pattern))]
    paths = path_args(args, cwd) or from_ini or [cwd]
    files = [*python_files(paths), *conftests(paths, rootdir)]
    named = gather(files)
    own = project_name(rootdir)
    # pytest (and coverage) are pinned to the host's versions by provisioning; naming them
    # here would count as the user's own pin and lift that.
    exclude = ["pytest", "coverage", *([own] if own else [])]
    found = requirements(named, given=given, exclude=exclude)
    return ForRun(found, [entry for entry in named if entry.name in found], uses_pytest_pyodide(files))


def uses_pytest_pyodide(files: Iterable[Path]) -> bool:
    """Whether any file uses pytest-pyodide: imports it, calls ``run_in_pyodide``, or uses one
    of its ``selenium*`` fixtures (a parameter, a name, ``usefixtures``/``getfixturevalue``).

    Read from the syntax tree, not the bytes: a file that merely says "selenium" (freezegun's
    list of modules to leave alone has it) is no pytest-pyodide suite, and taking it for one
    would register the stand-in and change how its asyncio runs (JSPI).
    """
    for path in files:
        try:
            source = path.read_bytes()
        except OSError:
            continue
        if b"pytest_pyodide" not in source and b"selenium" not in source and b"run_in_pyodide" not in source:
            continue
        try:
            tree = ast.parse(source, filename=str(path))
        except (SyntaxError, ValueError):
            continue
        if any(_uses_pytest_pyodide(node) for node in ast.walk(tree)):
            return True
    return False


_FIXTURE = re.compile(r"selenium(_\w+)?\Z")


def _uses_pytest_pyodide(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == "pytest_pyodide" for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "pytest_pyodide"
    if isinstance(node, ast.arg):
        return bool(_FIXTURE.match(node.arg))
    if isinstance(node, ast.Name):
        return bool(_FIXTURE.match(node.id)) or node.id == "run_in_pyodide"
    if isinstance(node, ast.Call) and _callee_name(node.func) in ("usefixtures", "getfixturevalue"):
        return any(
            isinstance(arg, ast.Constant) and isinstance(arg.value, str) and bool(_FIXTURE.match(arg.value))
            for arg in node.args
        )
    return False
