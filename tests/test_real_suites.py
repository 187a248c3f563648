"""Slow tier: real third-party test suites give native results through the harness.

Each suite is a pinned sdist from PyPI, downloaded at test time (``pip download --no-deps
--no-binary :all:``, sha256 checked, cached under the pytest cache; its code is never committed),
run natively by this interpreter's pytest and through ``harness run`` (Pyodide 314.0.7 unless
HARNESS_SLOW_PYODIDE says otherwise). Per test, the outcomes read from both JUnit XML files must
be equal, except:

- failures in the runtime that ``harness.host.limitations.explain`` recognises as WebAssembly
  limitations (threads, processes, sockets, stack switching, ...); crashes included: a test that
  kills the runtime is reported failed and the run goes on;
- outcomes listed per suite as changed by a newer Python (the runtime's Python is 3.14, the
  host's may be older), applied only when the host's Python is older than the listed version;
- a few documented, per-suite differences that are not failures (a skip on one side only).

A suite's ``runtime_only`` distributions (the test-only dependencies its conftests import) exist
only in the runtime: the harness's host side runs in a Python that cannot import them (a venv
seeing this interpreter's packages minus those, ``helpers.host_without``), checked before the run,
so the result cannot depend on what this machine happens to have installed.

Every difference is counted, and a table per suite (native vs harness counts, explained
limitations, crashes, wall times) is printed at the end of the module.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import REAL_SUITE_ROW, host_without, pip, visible_to

from harness.host.limitations import explain

pytestmark = pytest.mark.slow

PYODIDE = os.environ.get("HARNESS_SLOW_PYODIDE", "314.0.7")
NATIVE_TIMEOUT = 300
HARNESS_TIMEOUT = 600
CRASH = "runtime exited unexpectedly"


@dataclass(frozen=True)
class Suite:
    name: str
    version: str
    sha256: str
    args: tuple[str, ...]  # pytest arguments, run from the unpacked sdist's root
    # Pinned pure-Python wheels the tests import: --with in the runtime, pip --target natively.
    deps: tuple[str, ...] = ()
    # test id pattern ("*" wildcard) -> (Python X.Y that changed it, why): native and harness
    # may differ there while the host's Python is older than X.Y.
    newer_python: dict[str, tuple[str, str]] = field(default_factory=dict)
    # test id pattern -> why: documented differences that are no failure of the harness.
    differences: dict[str, str] = field(default_factory=dict)
    # test id pattern -> the open harness bug behind the difference: the suite xfails (not
    # strictly) while only these differ, and passes once the bug is fixed.
    harness_bugs: dict[str, str] = field(default_factory=dict)
    # Distributions the host side of the run must not have (hidden from it when this machine has
    # them): the project's test-only dependencies, given to the runtime with --with only.
    runtime_only: tuple[str, ...] = ()
    # pytest plugins that must be listed among the runtime's plugins in the harness's header.
    runtime_plugins: tuple[str, ...] = ()

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


SUITES = [
    Suite(
        "boltons",
        "25.0.0",
        "e110fbdc30b7b9868cb604e3f71d4722dd8f4dcb4a5ddd06028ba8f1ab0b5ace",
        # Its conftest only filters test_*_pyX files by Python version, through a hook argument
        # (py.path ``path``) that pytest 9 removed; without it every file is collected.
        ("--noconftest", "tests"),
    ),
    Suite(
        "more-itertools",
        "10.7.0",
        "9fddd5403be01a94b204faadcff459ec3568cf110265d3c54323e1e866ad29d3",
        ("tests",),
    ),
    Suite(
        "six",
        "1.17.0",
        "ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81",
        ("test_six.py",),
        newer_python={
            "test_six::test_move_items_urllib_request[*URLopener]": (
                "3.14",
                "urllib.request.URLopener/FancyURLopener were removed in Python 3.14",
            ),
        },
        differences={
            "test_six::test_move_items[tkinter*]": "Pyodide ships no tkinter: six's test skips",
        },
    ),
    Suite(
        "toolz",
        "1.0.0",
        "2c86e3d9a04798ac556793bced838816296a2f085017664e4995cb40a1047a02",
        ("toolz/tests",),
        newer_python={
            "toolz.tests.test_curried::test_curried_operator": (
                "3.14",
                "operator.is_none/is_not_none are new in Python 3.14",
            ),
            "toolz.tests.test_inspect_args::test_has_keywords": (
                "3.14",
                "map() takes the strict= keyword since Python 3.14",
            ),
        },
    ),
    Suite(
        "idna",
        "3.10",
        "12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9",
        ("tests",),
    ),
    Suite(
        "freezegun",
        "1.5.1",
        "b29dedfcda6d5e8e083ce71b2b542753ad48cfec44037b3fc79702e2980a89e9",
        ("tests",),
        deps=("python-dateutil==2.9.0.post0", "six==1.17.0"),
        # tests/test_asyncio.py's 5 tests call asyncio.run(), which needs JSPI in Pyodide: a plain
        # suite runs without it, so they fail with the stack-switching hint (explained). Under
        # JSPI 4 of them pass and test_asyncio_sleeping_not_affected_by_freeze_time meets a
        # Pyodide defect (docs/real-suites.md): it ran there while the word 'selenium' in
        # test_configure.py made the harness take freezegun for a pytest-pyodide suite.
        newer_python={
            "tests.test_datetimes.TestUnitTestMethodDecorator::test_method_decorator_works_on_unittest_kwarg_*": (
                "3.13",
                "fails on CPython 3.13 too (FakeDate != datetime: date.today() changed)",
            ),
        },
        differences={
            "tests.test_datetimes::test_*_with_locale": (
                "needs a da_DK/de_DE/fr_FR locale: the host may lack them (skip), Pyodide has them"
            ),
        },
    ),
    # Its conftest imports hypothesis at the top (and configures a hypothesis profile in
    # pytest_configure): a project whose test dependency exists only in the runtime. The package
    # under test comes from its wheel (attrs' config imports it with --import-mode=importlib,
    # "src truly unimportable"). Five files (666 tests) keep the slow tier short: with the
    # 23 files of docs/real-suites.md (1,058 tests, hypothesis-heavy test_3rd_party.py and
    # test_dunders.py among them) this test took 135-233 s; these take about 16 s in the
    # harness and load the conftest, its hypothesis profile and the strategies all the same.
    # Counts of these five (JUnit test cases; skipped includes xfailed): native (CPython 3.11.7)
    # 660 passed, 2 failed, 4 skipped; harness now 664 passed, 2 skipped, every difference a
    # newer-Python one; before the conftests moved into the runtime: exit 4, nothing run.
    Suite(
        "attrs",
        "26.1.0",
        "d03ceb89cb322a8fd706d4fb91940737b6642aa36998fe130a9bc96c985eff32",
        (
            "tests/test_validators.py",
            "tests/test_converters.py",
            "tests/test_slots.py",
            "tests/test_functional.py",
            "tests/test_forward_references.py",
        ),
        deps=("attrs==26.1.0", "hypothesis==6.155.2", "sortedcontainers==2.4.0", "cloudpickle==3.1.2"),
        runtime_only=("attrs", "hypothesis", "sortedcontainers", "cloudpickle"),
        runtime_plugins=("hypothesis",),
        newer_python={
            "tests.test_converters.TestPipe::test_wrapped_annotation": (
                "3.13",
                "passes from Python 3.13 (fails natively on 3.11 and 3.12: the converter's return annotation)",
            ),
            "tests.test_functional.TestReplace::*": ("3.13", "skipped before Python 3.13 (copy.replace)"),
            "tests.test_slots::test_slots_cached_property_infers_type": (
                "3.14",
                "xfail on Python 3.14: cached_property's type is no longer inferred",
            ),
            "tests.test_forward_references::*": ("3.14", "collected only on Python 3.14 (attrs' conftest)"),
        },
    ),
    # Its tests package and conftest import hypothesis, and its pytest config's addopts hold
    # pytest-benchmark's options (--benchmark-sort ...): both exist only in the runtime, so the
    # host accepts those options because the runtime describes them. Files left out: those
    # importing packages that have no pure wheel (test_preconf.py and preconf/: bson, msgspec,
    # orjson, ...; test_cols.py, test_unstructure_collections.py: immutables), and the
    # hypothesis-heavy ones (over 2 s natively each, 530 s together; minutes each in
    # WebAssembly). The 33 files kept (about 350 tests) use the conftest's converter fixtures.
    # Counts: native (3.11.7) 318 passed; harness before the conftests moved into the runtime:
    # exit 4, nothing run ("No module named 'hypothesis'"); harness now: 348 passed, 4 failed,
    # the 34 differences all in files collected only on Python 3.12+/3.14 (see newer_python).
    Suite(
        "cattrs",
        "26.2.1",
        "679132bfdc225c5ee40c024fc42519954767c387f950dc6751946c586bccdc6d",
        (
            "tests",
            *(
                f"--ignore=tests/{path}"
                for path in (
                    "test_preconf.py",
                    "preconf",
                    "test_cols.py",
                    "test_unstructure_collections.py",
                    "test_disambiguators.py",
                    "test_converter.py",
                    "test_unstructure.py",
                    "test_baseconverter.py",
                    "test_gen_dict.py",
                    "test_typeddicts.py",
                    "test_structure_attrs.py",
                    "strategies",
                    "test_structure.py",
                    "test_enums.py",
                    "test_copy.py",
                )
            ),
        ),
        deps=(
            "cattrs==26.2.1",
            "attrs==26.1.0",
            "typing_extensions==4.16.0",
            "hypothesis==6.155.2",
            "sortedcontainers==2.4.0",
            "pytest-benchmark==5.2.3",
            "py-cpuinfo==9.0.0",
        ),
        runtime_only=("cattrs", "attrs", "hypothesis", "sortedcontainers", "pytest-benchmark", "py-cpuinfo"),
        runtime_plugins=("hypothesis", "pytest-benchmark"),
        newer_python={
            "tests.test_generics_695::*": ("3.12", "collected only on Python 3.12+ (PEP 695 syntax)"),
            "tests.test_gen_dict_649::*": (
                "3.14",
                "collected only on Python 3.14 (cattrs' conftest); CPython 3.14.1 and 3.14.2 (the "
                "runtime's) fail it: annotationlib.ForwardRef.__hash__ hashes a cell (fixed in 3.14.3)",
            ),
            "tests.test_generics_649::*": ("3.14", "collected only on Python 3.14"),
        },
    ),
]


# -- running --------------------------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    seconds: float
    outcomes: dict[str, tuple[str, str]]  # test id -> (outcome, failure text)


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "120", **(extra or {})}
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _junit(path: Path) -> dict[str, tuple[str, str]]:
    """{classname::name: (passed | failure | error | skipped, failure text)}."""
    outcomes: dict[str, tuple[str, str]] = {}
    if not path.is_file():
        return outcomes
    for case in ET.parse(path).getroot().iter("testcase"):
        kinds = [child for child in case if child.tag in ("failure", "error", "skipped")]
        outcome = "+".join(sorted(child.tag for child in kinds)) or "passed"
        text = "\n".join((child.get("message") or "") + "\n" + (child.text or "") for child in kinds)
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = (outcome, text)
    return outcomes


def _run(command: list[str], cwd: Path, timeout: float, env: dict[str, str]) -> Run:
    started = time.monotonic()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    seconds = time.monotonic() - started
    return Run(proc.returncode, proc.stdout + proc.stderr, seconds, _junit(cwd / "junit.xml"))


def _stated_hint(text: str) -> str | None:
    """The hint the harness put in a failure's message (a crash's hint comes from the
    runtime's last words, which JUnit's failure text does not carry)."""
    found = re.search(r"\[WebAssembly limitation: ([^\]]+)\]", text)
    return found.group(1) if found else None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _sdists(suite: Suite, cache: Path) -> list[Path]:
    found = []
    for path in cache.glob("*.tar.gz"):
        name, _, version = path.name[: -len(".tar.gz")].rpartition("-")
        if _normalize(name) == _normalize(suite.name) and version == suite.version:
            found.append(path)
    return found


def fetch_sdist(suite: Suite, cache: Path) -> Path:
    """The suite's sdist, downloaded once into ``cache`` and checked against its sha256."""
    if not _sdists(suite, cache):
        pip("download", "-q", "--no-deps", "--no-binary", ":all:", "-d", str(cache), suite.requirement)
    found = _sdists(suite, cache)
    assert len(found) == 1, f"{suite.requirement}: expected one sdist in {cache}, found {found}"
    digest = _sha256(found[0])
    if digest != suite.sha256:
        found[0].unlink()
        pytest.fail(f"{found[0].name}: sha256 {digest} is not the pinned {suite.sha256}")
    return found[0]


def unpack(sdist: Path, dest: Path) -> Path:
    with tarfile.open(sdist) as tar:
        tar.extractall(dest, filter="data")
    (root,) = [p for p in dest.iterdir() if p.is_dir()]
    return root


def native_deps(suite: Suite, dest: Path) -> dict[str, str]:
    """PYTHONPATH holding the suite's pinned test dependencies for the native run."""
    if not suite.deps:
        return {}
    pip("install", "-q", "--no-deps", "--only-binary", ":all:", "--target", str(dest), *suite.deps)
    return {"PYTHONPATH": str(dest)}


# -- comparing ------------------------------------------------------------------------------


def _pattern(glob: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in glob.split("*")) + r"\Z")


def _xy(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


@dataclass
class Comparison:
    equal: int = 0
    explained: Counter[str] = field(default_factory=Counter)  # hint -> count
    newer_python: list[str] = field(default_factory=list)
    documented: list[str] = field(default_factory=list)
    harness_bugs: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)


def compare(
    suite: Suite, native: dict[str, tuple[str, str]], ran: dict[str, tuple[str, str]], runtime_python: str
) -> Comparison:
    result = Comparison()
    host_xy = sys.version_info[:2]
    for test in sorted(set(native) | set(ran)):
        n_outcome, _ = native.get(test, ("missing", ""))
        h_outcome, h_text = ran.get(test, ("missing", ""))
        if n_outcome == h_outcome:
            result.equal += 1
            continue
        hint = (explain(h_text) or _stated_hint(h_text)) if h_outcome in ("failure", "error") else None
        if hint:
            result.explained[hint] += 1
            continue
        newer = [
            (version, why)
            for glob, (version, why) in suite.newer_python.items()
            if _pattern(glob).match(test) and host_xy < _xy(version) <= _xy(runtime_python)
        ]
        if newer:
            result.newer_python.append(f"{test}: {newer[0][1]}")
            continue
        if any(_pattern(glob).match(test) for glob in suite.differences):
            result.documented.append(test)
            continue
        detail = h_text.strip().splitlines()[0][:200] if h_text.strip() else ""
        bugs = [why for glob, why in suite.harness_bugs.items() if _pattern(glob).match(test)]
        if bugs:
            result.harness_bugs.append(f"{test}: {bugs[0]} ({detail})")
            continue
        result.unexplained.append(f"{test}: native {n_outcome}, harness {h_outcome} {detail}")
    return result


def counts(outcomes: dict[str, tuple[str, str]]) -> str:
    c = Counter(outcome for outcome, _ in outcomes.values())
    return f"{c['passed']}p {c['failure']}f {c['error']}e {c['skipped']}s"


# -- the test -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sdist_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("real-suites"))
    return tmp_path_factory.mktemp("real-suites")


@pytest.mark.parametrize("suite", SUITES, ids=[s.name for s in SUITES])
def test_suite_matches_native(suite: Suite, sdist_cache: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    sdist = fetch_sdist(suite, sdist_cache)
    native_dir = unpack(sdist, tmp_path / "native")
    harness_dir = unpack(sdist, tmp_path / "harness")
    pytest_args = ["-p", "no:cacheprovider", "--junitxml=junit.xml", *suite.args]

    native = _run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", *pytest_args],
        native_dir,
        NATIVE_TIMEOUT,
        _env(native_deps(suite, tmp_path / "deps")),
    )
    # The runtime's pytest is pinned to the host's: pytest itself changes outcomes and test ids
    # between releases (9.2 shortens long parametrize ids: boltons' test_regex[test_url16]).
    requirements = (f"pytest=={pytest.__version__}", *suite.deps)
    with_args = [arg for req in requirements for arg in ("--with", req)]
    host_python = Path(sys.executable)
    if suite.runtime_only:
        host_python = host_without(suite.runtime_only, tmp_path / "host")
        assert not visible_to(host_python, suite.runtime_only)
    ran = _run(
        [
            str(host_python),
            "-m",
            "harness.cli",
            "run",
            "--runtime",
            "node",
            "--pyodide",
            PYODIDE,
            *with_args,
            "--",
            *pytest_args,
        ],
        harness_dir,
        HARNESS_TIMEOUT,
        _env(),
    )

    version = re.search(r"Pyodide \S+ \(Python (\d+\.\d+)", ran.stdout)
    assert version, ran.stdout[-3000:]
    plugins = re.search(r"^harness: runtime plugins: (.*)$", ran.stdout, re.MULTILINE)
    for plugin in suite.runtime_plugins:
        assert plugins and re.search(rf"(^|, ){re.escape(plugin)}-\d", plugins.group(1)), ran.stdout[:3000]
    result = compare(suite, native.outcomes, ran.outcomes, version.group(1))
    crashes = sum(1 for _, text in ran.outcomes.values() if text.startswith(CRASH))
    # The terminal summary prints these (tests/conftest.py): they travel with the report,
    # so the table is complete under pytest-xdist too.
    request.node.user_properties.append(
        (
            REAL_SUITE_ROW,
            {
                "suite": suite.requirement,
                "native p/f/e/s": counts(native.outcomes),
                "harness p/f/e/s": counts(ran.outcomes),
                "explained": sum(result.explained.values()),
                "newer py": len(result.newer_python),
                "documented": len(result.documented),
                "harness bug": len(result.harness_bugs),
                "crashes": crashes,
                "unexplained": len(result.unexplained),
                "native s": f"{native.seconds:.1f}",
                "harness s": f"{ran.seconds:.1f}",
                "hints": dict(result.explained),
                "versions": f"native CPython {sys.version.split()[0]} vs harness run (Pyodide {PYODIDE})",
            },
        )
    )

    assert native.returncode in (0, 1) and native.outcomes, native.stdout[-3000:]
    assert ran.returncode in (0, 1), ran.stdout[-3000:]
    # Every test is accounted for, crashes included, and differs from native only where explained.
    assert not result.unexplained, "\n".join(result.unexplained)
    if result.harness_bugs:
        pytest.xfail("known harness bug: " + "; ".join(result.harness_bugs))
