"""The suites the bench runs, generated (or downloaded) under bench/out/suites at bench time.

Every generated suite has its own ``pytest.ini`` so that rootdir and ini options never come
from the repository around it. Each also holds one failing, one skipped and one xfail test:
outcome counts that differ from native pytest's (false passes) then show up in the table.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
SUITES_DIR = OUT / "suites"
DOWNLOADS = OUT / "downloads"

MORE_ITERTOOLS = "11.2.1"  # pinned sdist with its tests; downloaded, never committed
TESTS_PER_FILE = 50

# Stdlib modules present in Pyodide 314 (the default dist); imported at module level.
HEAVY_MODULES = [
    "asyncio", "email.mime.multipart", "email.parser", "json", "decimal", "fractions",
    "statistics", "xml.etree.ElementTree", "xml.dom.minidom", "http.client", "http.server",
    "urllib.request", "unittest.mock", "argparse", "logging.handlers", "csv", "dataclasses",
    "difflib", "zoneinfo", "tomllib", "zipfile", "tarfile", "gzip", "bz2", "lzma", "sqlite3",
    "ssl", "hashlib", "uuid", "pickle", "inspect", "ast", "pydoc", "doctest",
    "concurrent.futures", "calendar", "gettext", "pprint", "configparser", "plistlib",
    "mailbox", "smtplib", "imaplib", "html.parser", "wsgiref.simple_server", "xmlrpc.client",
]  # fmt: skip

OUTCOME_TESTS = """

def test_zz_fails():
    assert 1 + 1 == 3


def test_zz_skipped():
    pytest.skip("skipped on purpose")


@pytest.mark.xfail(reason="expected")
def test_zz_xfail():
    assert False
"""


@dataclass
class Suite:
    name: str
    path: Path
    args: list[str] = field(default_factory=list)  # pytest args (paths) relative to path
    tests: int = 0
    note: str = ""
    # Written for pytest-pyodide: no plain pytest (native, bare) can run it, so outcomes are
    # checked against these counts instead of native's.
    expected: dict[str, int] | None = None


def _generated(name: str, n: int, head: str, test: Callable[[int], str], tail: str, prefix: str) -> Path:
    """A fresh project of ``n`` tests in files of 50: a conftest fixture ``base``, then per
    file ``head`` and ``test(i)`` for each of its tests; the last file ends with ``tail``
    (its 3 tests of other outcomes)."""
    root = _fresh(name)
    (root / "conftest.py").write_text("import pytest\n\n\n@pytest.fixture\ndef base():\n    return 7\n")
    files = (n - 3 + TESTS_PER_FILE - 1) // TESTS_PER_FILE
    left = n - 3
    for f in range(files):
        count = min(TESTS_PER_FILE, left)
        left -= count
        body = [head, *(test(i) for i in range(count))]
        if f == files - 1:
            body.append(tail)
        (root / f"{prefix}_{f:03d}.py").write_text("\n".join(body))
    return root


def _small_test(i: int) -> str:
    if i % 10 == 9:
        return f"\n@pytest.mark.parametrize('x', [{i}])\ndef test_{i}(x):\n    assert x * 2 == {2 * i}\n"
    if i % 5 == 4:
        return f"\ndef test_{i}(base):\n    assert base + {i} == {7 + i}\n"
    return f"\ndef test_{i}():\n    assert sum(range({i})) == {i * (i - 1) // 2}\n"


def small(n: int) -> Suite:
    """``n`` tiny tests in files of 50: asserts, a fixture, a parametrized test."""
    root = _generated(f"small-{n}", n, "import pytest\n", _small_test, OUTCOME_TESTS, "test_gen")
    return Suite(f"small-{n}", root, ["."], n)


# pytest-pyodide ships only the body to the runtime: names it uses are imported inside it.
PYODIDE_STYLE_HEAD = """\
import pytest
from pytest_pyodide import run_in_pyodide
"""

PYODIDE_STYLE_OUTCOMES = """

@run_in_pyodide
def test_zz_fails(selenium):
    assert 1 + 1 == 3


@run_in_pyodide
def test_zz_skipped(selenium):
    import pytest

    pytest.skip("skipped on purpose")


@pytest.mark.xfail(reason="expected")
@run_in_pyodide
def test_zz_xfail(selenium):
    assert False
"""


def _pyodide_style_test(i: int) -> str:
    if i % 10 == 9:
        return (f"\n@pytest.mark.parametrize('x', [{i}])\n@run_in_pyodide\n"
                f"def test_{i}(selenium, x):\n    assert x * 2 == {2 * i}\n")  # fmt: skip
    if i % 10 == 4:
        return f"\n@run_in_pyodide\ndef test_{i}(selenium, base):\n    assert base + {i} == {7 + i}\n"
    if i % 10 == 7:
        return (f"\n@run_in_pyodide\nasync def test_{i}(selenium):\n    import asyncio\n\n"
                f"    await asyncio.sleep(0)\n    assert {i} + 1 == {i + 1}\n")  # fmt: skip
    if i % 10 == 2:
        return f"\ndef test_{i}(selenium):\n    assert selenium.run('sum(range({i}))') == {i * (i - 1) // 2}\n"
    return f"\n@run_in_pyodide\ndef test_{i}(selenium):\n    assert sum(range({i})) == {i * (i - 1) // 2}\n"


def pyodide_style(n: int) -> Suite:
    """``n`` tests written for pytest-pyodide, in files of 50: ``@run_in_pyodide`` bodies
    (plain, parametrized, with a conftest fixture, ``async``) and ``selenium.run`` calls."""
    root = _generated(
        f"pyodide-style-{n}", n, PYODIDE_STYLE_HEAD, _pyodide_style_test, PYODIDE_STYLE_OUTCOMES, "test_pp"
    )
    expected = {"failed": 1, "passed": n - 3, "skipped": 1, "xfailed": 1}
    return Suite(f"pyodide-style-{n}", root, ["."], n, "written for pytest-pyodide", expected)


def heavy_imports(files: int = 20, per_file: int = 5) -> Suite:
    """Test modules that each import ~45 stdlib modules at module level, then use them."""
    root = _fresh("heavy-imports")
    imports = "".join(f"import {m}\n" for m in HEAVY_MODULES)
    for f in range(files):
        body = [imports, "import pytest\n"]
        for i in range(per_file):
            body.append(
                f"\ndef test_use_{i}():\n"
                f"    assert json.loads(json.dumps({{'k': {i}}})) == {{'k': {i}}}\n"
                f"    assert decimal.Decimal('{i}.5') * 2 == {2 * i + 1}\n"
                f"    assert xml.etree.ElementTree.fromstring('<a>{i}</a>').text == '{i}'\n"
            )
        if f == files - 1:
            body.append(OUTCOME_TESTS)
        (root / f"test_heavy_{f:03d}.py").write_text("\n".join(body))
    return Suite("heavy-imports", root, ["."], files * per_file + 3, f"{len(HEAVY_MODULES)} stdlib modules")


def more_itertools() -> Suite:
    """The pinned more-itertools sdist from PyPI, unpacked (its tests are unittest classes)."""
    root = SUITES_DIR / f"more-itertools-{MORE_ITERTOOLS}"
    if not (root / "tests").is_dir():
        DOWNLOADS.mkdir(parents=True, exist_ok=True)
        sdist = DOWNLOADS / f"more_itertools-{MORE_ITERTOOLS}.tar.gz"
        if not sdist.is_file():
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                 "-q", "-d", str(DOWNLOADS), f"more-itertools=={MORE_ITERTOOLS}"],
                check=True,
            )  # fmt: skip
        tmp = SUITES_DIR / ".unpack"
        shutil.rmtree(tmp, ignore_errors=True)
        with tarfile.open(sdist) as tar:
            tar.extractall(tmp, filter="data")
        shutil.rmtree(root, ignore_errors=True)
        (tmp / f"more_itertools-{MORE_ITERTOOLS}").rename(root)
        shutil.rmtree(tmp)
    return Suite("more-itertools", root, ["tests"], 0, f"sdist {MORE_ITERTOOLS}")


def more_itertools_wheel(suite: Suite) -> None:
    """pytest-pyodide installs the package under test only from ``dist/*.whl`` of the cwd."""
    dist = suite.path / "dist"
    if not list(dist.glob("*.whl")):
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
             str(suite.path)],
            check=True,
        )  # fmt: skip


def _fresh(name: str) -> Path:
    root = SUITES_DIR / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\n")
    return root


BUILDERS = {
    "small-100": lambda: small(100),
    "small-1000": lambda: small(1000),
    "small-5000": lambda: small(5000),
    "small-10000": lambda: small(10000),
    "heavy-imports": heavy_imports,
    "more-itertools": more_itertools,
    "pyodide-style-100": lambda: pyodide_style(100),
}
# small-10000 only matters for memory growth; pytest-pyodide alone would need over an hour.
DEFAULT = [name for name in BUILDERS if name != "small-10000"]
QUICK = ["small-100", "small-1000"]
MEMORY = ["small-1000", "small-10000"]
