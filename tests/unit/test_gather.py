"""The static reading of pytest-pyodide packages (``harness.provision.gather``), and the
``pytest_pyodide`` stand-in's options and notes: no runtime boots here."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from harness.provision import gather


def write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def names(tmp_path: Path, source: str) -> list[str]:
    return [entry.name for entry in gather.gather([write(tmp_path / "test_x.py", source)])]


def test_decorator_forms(tmp_path: Path) -> None:
    source = """
        import pytest_pyodide
        from pytest_pyodide import run_in_pyodide

        PACKAGES = ["numpy", "msgpack"]

        @run_in_pyodide(packages=["regex"])
        def test_a(selenium): ...

        @pytest_pyodide.run_in_pyodide(packages=("attrs", "six"))
        async def test_b(selenium): ...

        @run_in_pyodide(packages="tenacity")
        def test_c(selenium): ...

        @run_in_pyodide(packages=PACKAGES)
        def test_d(selenium): ...

        @run_in_pyodide
        def test_e(selenium): ...

        def test_inner(selenium):
            @run_in_pyodide(packages={"jsonpointer"})
            def inner(selenium): ...
    """
    assert names(tmp_path, source) == ["regex", "attrs", "six", "tenacity", "numpy", "msgpack", "jsonpointer"]


def test_load_package_and_javascript(tmp_path: Path) -> None:
    source = '''
        def test_a(selenium_standalone):
            selenium_standalone.load_package(["networkx", "pyyaml"])
            selenium_standalone.load_package("idna")
            selenium_standalone.run_js("""
                await pyodide.loadPackage("jinja2");
                await pyodide.loadPackage(['pytz', "certifi"]);
                await pyodide.loadPackage(`${name}`);
            """)
    '''
    assert names(tmp_path, source) == ["networkx", "pyyaml", "idna", "jinja2", "pytz", "certifi"]


def test_what_cannot_be_read_statically_is_left_alone(tmp_path: Path) -> None:
    source = """
        from pytest_pyodide import run_in_pyodide

        def packages():
            return ["numpy"]

        @run_in_pyodide(packages=packages())
        def test_a(selenium, name): ...

        def test_b(selenium, name):
            selenium.load_package(name)
    """
    assert names(tmp_path, source) == []
    assert names(tmp_path, "def test(:\n    run_in_pyodide\n") == []  # a syntax error: the runtime reports it


def test_origin_is_file_and_line(tmp_path: Path) -> None:
    source = "from pytest_pyodide import run_in_pyodide\n\n@run_in_pyodide(packages=['a'])\ndef test(selenium): ...\n"
    path = write(tmp_path / "test_o.py", source)
    assert gather.gather([path]) == [gather.Named("a", f"{path}:3")]


def test_requirements_dedupe_and_leave_out() -> None:
    named = [gather.Named(n, "x.py:1") for n in ("Jinja2", "jinja2", "numpy", "ssl", "sqlite3", "mypkg", "bad name!")]
    found = gather.requirements(named, given=["numpy==2.0.2"], exclude=["MyPkg"])
    # numpy: the user's pin wins; ssl, sqlite3: stdlib; mypkg: the project itself
    assert found == ["Jinja2"]


def test_files_and_conftests(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root / "pyproject.toml", '[project]\nname = "mypkg"\n')
    write(root / "conftest.py", "from pytest_pyodide import run_in_pyodide\nrun_in_pyodide(packages=['from-root'])\n")
    write(
        root / "tests" / "test_a.py",
        "from pytest_pyodide import run_in_pyodide\nrun_in_pyodide(packages=['a', 'mypkg'])\n",
    )
    write(root / "tests" / "helpers.py", "selenium.load_package('b')\n")
    write(root / "other" / "test_c.py", "selenium.load_package('not-in-the-run')\n")
    write(root / "tests" / ".venv" / "pyvenv.cfg", "")
    write(root / "tests" / ".venv" / "lib" / "x.py", "selenium.load_package('in-a-venv')\n")
    write(root / "tests" / "node_modules" / "y.py", "selenium.load_package('in-node-modules')\n")
    found = gather.for_run(["tests"], cwd=root, rootdir=root, given=[])
    assert found.requirements == ["b", "a", "from-root"]  # files in path order, then conftests
    assert found.pytest_pyodide
    assert [entry.origin.rsplit("/", 1)[-1] for entry in found.named] == [
        "helpers.py:1",
        "test_a.py:2",
        "conftest.py:2",
    ]


def test_plain_suite_needs_nothing(tmp_path: Path) -> None:
    write(tmp_path / "test_plain.py", "def test():\n    assert True\n")
    found = gather.for_run([], cwd=tmp_path, rootdir=tmp_path, given=[])
    assert found == gather.ForRun([], [], False)


@pytest.mark.parametrize(
    ("source", "uses"),
    [
        # freezegun's test_configure.py: the word in a list of module names to leave alone
        ("def test():\n    ignore = ['selenium', 'threading']\n", False),
        ("# runs under selenium in CI\nSELENIUM_NOTE = 'selenium_standalone'\n", False),
        ("from selenium import webdriver\n\ndef test():\n    webdriver.Chrome\n", False),
        ("import pytest_pyodide\n", True),
        ("from pytest_pyodide.decorator import run_in_pyodide\n", True),
        ("def test_x(selenium_standalone):\n    pass\n", True),
        ("def helper():\n    selenium.run_js('1')\n", True),
        ("import pytest\n\n@pytest.mark.usefixtures('selenium')\ndef test(): pass\n", True),
        ("def test(request):\n    request.getfixturevalue('selenium_esm')\n", True),
        ("@run_in_pyodide\ndef test(selenium): pass\n", True),
    ],
)
def test_uses_pytest_pyodide_reads_code_not_words(tmp_path: Path, source: str, uses: bool) -> None:
    """A suite is taken for pytest-pyodide's (stand-in registered, JSPI used) only when its
    code uses it; a string or comment that says "selenium" is not enough."""
    assert gather.uses_pytest_pyodide([write(tmp_path / "test_x.py", source)]) is uses


def test_pytest_and_coverage_stay_pinned(tmp_path: Path) -> None:
    """Naming pytest would count as the user's pin and lift the host-version pin."""
    write(tmp_path / "test_p.py", "selenium.load_package(['pytest', 'coverage', 'six'])\n")
    assert gather.for_run([], cwd=tmp_path, rootdir=tmp_path, given=[]).requirements == ["six"]


# -- the stand-in's options and header notes (imported here on the host; it is plain pytest) --

COMPAT_DIR = Path(gather.__file__).resolve().parents[1] / "inside" / "compat"


@pytest.fixture
def compat(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(COMPAT_DIR))
    from pytest_pyodide import hook

    return hook


def parse(hook: Any, args: list[str], conftest_option: str | None = None) -> pytest.Config:
    """A config whose parser got the stand-in's options after a conftest's own ones."""
    from _pytest.config import get_config

    config = get_config()
    if conftest_option:
        config._parser.addoption(conftest_option, dest="own", default="mine")
    hook.add_options(config._parser)
    config.option = config._parser.parse(args)
    return config


def test_options_accepted_and_noted(compat: Any) -> None:
    config = parse(
        compat, ["--runtime=chrome-no-host", "--dist-dir", "dist", "--run-in-pyodide", "--runner", "playwright"]
    )
    assert config.option.runtime == "chrome-no-host"
    assert compat.runtimes_to_run(config) == (False, {"node"})
    assert compat.pytest_report_header(config) == [
        "pytest-pyodide's --runtime chrome-no-host only selects host/browser tests; they run on node "
        "(the harness's --runtime, given before --, picks the runtime)",
        "pytest-pyodide's --dist-dir dist is not used; give the harness --dist-dir before --",
        "pytest-pyodide's --run-in-pyodide: every test runs inside Pyodide under the harness anyway",
    ]
    plain = parse(compat, [])
    assert compat.pytest_report_header(plain) == []
    assert compat.runtimes_to_run(plain) == (True, {"node"})
    assert compat.runtimes_to_run(parse(compat, ["--rt", "host"])) == (True, set())


def test_a_conftest_owning_an_option_keeps_it(compat: Any) -> None:
    config = parse(compat, ["--runtime", "custom"], conftest_option="--runtime")
    assert config.option.own == "custom"
    assert not hasattr(config.option, "runtime")  # --rt was not added either: one option, both names
    with pytest.raises(pytest.UsageError, match="unrecognized arguments: --rt"):
        parse(compat, ["--rt", "chrome"], conftest_option="--runtime")


@pytest.mark.filterwarnings("ignore:The `.example\\(\\)` method")
def test_hypothesis_strategies(compat: Any) -> None:
    pytest.importorskip("hypothesis")
    from pytest_pyodide import hypothesis as strategies

    assert strategies.is_picklable(1) and not strategies.is_picklable(lambda: 1)
    assert strategies.std_hypothesis_settings.deadline is not None
    value = strategies.any_equal_to_self_strategy.example()
    assert value == value


def test_testpaths_when_no_path_is_given(tmp_path: Path) -> None:
    write(tmp_path / "tests" / "test_a.py", "selenium.load_package('a')\n")
    write(tmp_path / "other" / "test_b.py", "selenium.load_package('b')\n")
    assert gather.for_run(["-q"], tmp_path, tmp_path, [], testpaths=["test*"]).requirements == ["a"]
    assert gather.for_run(["other"], tmp_path, tmp_path, [], testpaths=["test*"]).requirements == ["b"]
