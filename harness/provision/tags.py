"""The wheel tags one Pyodide runtime accepts, computed the way its own installer does.

Pyodide's JavaScript loader checks no tags: it unpacks and dlopens whatever it is given (a
cp313 extension "loads" into a 3.14 runtime and is then silently not importable). The rule is
micropip's, the installer each version ships in its lock: ``packaging.tags.sys_tags()`` run
inside the runtime, with the Pyodide platform spellings inserted before each
``emscripten_X_Y_Z_wasm32`` tag — ``pyodide_{abi}_wasm32`` (micropip 0.9, Pyodide 0.27) and,
from micropip 0.11 (Pyodide 0.29, 314), first the PEP 783 ``pyemscripten_{abi}_wasm32``.

Here the same list comes from the distribution's files instead of a booted runtime: Python
version, ``abi_version``, platform and arch from ``pyodide-lock.json``'s ``info``, and whether
the runtime's ``sysconfig`` defines ``PYEMSCRIPTEN_PLATFORM_VERSION`` (the variable micropip
0.11 and packaging 26 read) from ``_sysconfigdata_*`` in ``python_stdlib.zip``. The result
equals micropip's ``sys_tags()`` in the runtime, order included (tests/test_tags_runtime.py).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from harness.errors import HarnessError

_SYSCONFIGDATA = re.compile(r"_sysconfigdata_[^/]*\.py")
_PYEMSCRIPTEN = re.compile(r"""['"]PYEMSCRIPTEN_PLATFORM_VERSION['"]\s*:\s*['"]([0-9A-Za-z_]+)['"]""")


@dataclass(frozen=True)
class RuntimeTags:
    """What one runtime accepts: its platform spellings and every tag, best first."""

    python_xy: str
    platforms: tuple[str, ...]
    tags: tuple[Tag, ...]

    @property
    def interpreter(self) -> str:
        return "cp" + self.python_xy.replace(".", "")

    def accepts(self, tags: Iterable[Tag]) -> bool:
        return any(tag in self._set for tag in tags)

    def rank(self, tags: Iterable[Tag]) -> int | None:
        """Index of the best accepted tag (lower is better, as pip and micropip rank), or None."""
        ranks = [self._index[tag] for tag in tags if tag in self._index]
        return min(ranks) if ranks else None

    @property
    def _set(self) -> frozenset[Tag]:
        return frozenset(self.tags)

    @property
    def _index(self) -> dict[Tag, int]:
        return {tag: i for i, tag in reversed(list(enumerate(self.tags)))}

    def describe(self) -> str:
        """The accepted tags in one short phrase, for error messages."""
        return f"{self.interpreter}-{self.interpreter}/abi3 on {' or '.join(self.platforms)}, or pure (py3-none-any)"

    def pip_args(self) -> list[str]:
        """pip options that make pip's own tag set equal to this one (pip then chooses)."""
        args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.python_xy]
        for abi in (self.interpreter, "abi3", "none"):
            args += ["--abi", abi]
        for platform in (*self.platforms, "any"):
            args += ["--platform", platform]
        return args


def runtime_tags(
    python_xy: str, abi_version: str | None, platform: str, arch: str, pyemscripten: str | None
) -> RuntimeTags:
    """The tag list for these runtime facts (micropip's order)."""
    major, minor = (int(part) for part in python_xy.split("."))
    platforms = []
    if pyemscripten:
        platforms.append(f"pyemscripten_{pyemscripten}_{arch}")
    if abi_version:
        platforms.append(f"pyodide_{abi_version}_{arch}")
    platforms.append(f"{platform}_{arch}".replace("-", "_").replace(".", "_"))
    interpreter = f"cp{major}{minor}"
    tags = [
        *cpython_tags((major, minor), [interpreter], platforms),
        *compatible_tags((major, minor), interpreter, platforms),
    ]
    return RuntimeTags(python_xy, tuple(platforms), tuple(tags))


def pyemscripten_version(stdlib_zip: Path) -> str | None:
    """``PYEMSCRIPTEN_PLATFORM_VERSION`` from the runtime's sysconfig data, if it defines one."""
    try:
        with zipfile.ZipFile(stdlib_zip) as zf:
            names = [n for n in zf.namelist() if _SYSCONFIGDATA.fullmatch(n)]
            text = zf.read(names[0]).decode("utf-8", "replace") if names else ""
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise HarnessError(f"cannot read {stdlib_zip}: {exc}") from None
    found = _PYEMSCRIPTEN.search(text)
    return found.group(1) if found else None


def wheel_tags(filename: str) -> frozenset[Tag]:
    """The tags in a wheel's file name (a one-line error if it is not a wheel name)."""
    try:
        return parse_wheel_filename(filename)[3]
    except InvalidWheelFilename as exc:
        raise HarnessError(f"{filename} is not a wheel file name: {exc}") from None
