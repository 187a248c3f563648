"""The contenders: how each one runs a suite, and what it needs set up first.

All of them use the same Pyodide distribution (the harness's default, from its cache) and the
same pure wheels (the harness's unpacked site-packages, or the very same wheel files), and
all run ``pytest -v -p no:cacheprovider <suite paths>`` from the suite's directory.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from suites import OUT, Suite, more_itertools_wheel

BENCH = Path(__file__).resolve().parent
VENV = OUT / "venv"  # pytest-pyodide (with a pytest it supports) and matplotlib
VENV_PACKAGES = ["pytest-pyodide==0.59.2", "pytest==9.0.3", "matplotlib"]
PP_DIST = OUT / "pytest-pyodide-dist"
PP_WHEELS = ["pytest", "iniconfig", "packaging", "pluggy", "pygments", "micropip", "tblib"]
# Not among the harness's wheels: micropip (always imported) and tblib (its run_in_pyodide loads it)
PP_EXTRA = ["micropip", "tblib"]
COMMON_ARGS = ["-v", "-p", "no:cacheprovider"]


class Unavailable(Exception):
    """This contender cannot run here; the message says why (printed as its row)."""


@dataclass
class Contender:
    name: str
    command: Callable[[Suite], tuple[list[str], dict[str, str]]]
    prepare: Callable[[], None] = lambda: None  # raises Unavailable
    only_first_suite: bool = False
    note: str = ""


@cache
def harness_env() -> tuple[Path, Path, str]:
    """(dist dir, site-packages dir, Python X.Y) exactly as ``harness run`` resolves them."""
    from harness.provision import distribution as dist
    from harness.provision.boot import site_for

    d = dist.resolve(None, None)
    return d.path, site_for().path, d.python_xy


# -- native, bare, harness -------------------------------------------------------------


def plain_pytest_only(suite: Suite) -> None:
    """A suite written for pytest-pyodide needs its plugin: plain pytest cannot run it."""
    if suite.expected is not None:
        raise Unavailable(f"{suite.name} is written for pytest-pyodide (plain pytest cannot run it)")


def native(suite: Suite) -> tuple[list[str], dict[str, str]]:
    plain_pytest_only(suite)
    return [sys.executable, "-m", "pytest", *COMMON_ARGS, *suite.args], {}


def bare(suite: Suite) -> tuple[list[str], dict[str, str]]:
    plain_pytest_only(suite)
    dist, site, _ = harness_env()
    node = shutil.which("node") or "node"
    cmd = [node, str(BENCH / "bare.mjs"), str(dist), str(site), str(suite.path)]
    return [*cmd, *COMMON_ARGS, *suite.args], {}


def harness(suite: Suite, *options: str, runtime: str = "node") -> tuple[list[str], dict[str, str]]:
    cmd = [sys.executable, "-m", "harness.cli", "run", "--runtime", runtime, *options, "--"]
    return [*cmd, *COMMON_ARGS, *suite.args], {}


def harness_timed(suite: Suite, *options: str) -> tuple[list[str], dict[str, str]]:
    """The cacheprovider kept, in a cache dir of the bench's own, where a first run (not
    measured) recorded each test's duration: what a developer's second run knows, and what
    ``-n`` uses to start the long tests first."""
    cache_dir = OUT / "pytest-cache" / suite.name
    args = [arg for arg in COMMON_ARGS if arg not in ("-p", "no:cacheprovider")]
    args += ["-o", f"cache_dir={cache_dir}", *suite.args]
    base = [sys.executable, "-m", "harness.cli", "run", "--runtime", "node"]
    if not (cache_dir / "v" / "harness" / "durations").is_file():
        subprocess.run([*base, "--", *args], cwd=suite.path, capture_output=True, timeout=1800, check=False)
    return [*base, *options, "--", *args], {}


def browser_env(runtime: str) -> None:
    """The harness's dist and wheels, and the browser binary the runtime would launch."""
    from harness.errors import HarnessError
    from harness.runtimes import runtime_class
    from harness.runtimes.launchers.settings import LaunchSettings

    harness_env()
    try:
        runtime_class(runtime).launch_plan(LaunchSettings(driver="direct"))
    except HarnessError as exc:
        raise Unavailable(str(exc)) from None


COLD_CACHE = Path(tempfile.gettempdir()) / "bench" / "cold-cache"


def harness_cold(suite: Suite) -> tuple[list[str], dict[str, str]]:
    """A fresh HARNESS_CACHE holding only what would come from the network: the npm package
    (linked) and the wheel files (copied). The run resolves requirements with pip (one index
    query, wheels from the cache) and unpacks site-packages, as a first run after download."""
    dist, _, _ = harness_env()
    shutil.rmtree(COLD_CACHE, ignore_errors=True)
    (COLD_CACHE / "pyodide").mkdir(parents=True)
    (COLD_CACHE / "pyodide" / dist.name).symlink_to(dist)
    shutil.copytree(dist.parent.parent / "wheels", COLD_CACHE / "wheels",
                    ignore=shutil.ignore_patterns(".tmp-*"))  # fmt: skip
    cmd, _ = harness(suite)
    return cmd, {"HARNESS_CACHE": str(COLD_CACHE)}


# -- pytest-pyodide -------------------------------------------------------------------


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> None:
    """The bench venv (pytest-pyodide and matplotlib from PyPI), made once."""
    marker = VENV / ".bench-ready"
    if marker.is_file() and marker.read_text() == json.dumps(VENV_PACKAGES):
        return
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(venv_python()), "-m", "pip", "install", "-q", *VENV_PACKAGES],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        tail = ((exc.stderr or "") + (exc.stdout or "")).strip().splitlines()[-1:]
        raise Unavailable(f"cannot install {' '.join(VENV_PACKAGES)}: {tail}") from None
    marker.write_text(json.dumps(VENV_PACKAGES))


def prepare_pytest_pyodide() -> None:
    """Venv + an offline dist dir: the npm core, the harness's wheels plus micropip and tblib,
    and a pyodide-lock.json rewritten to point at them (its entries name wheels on a CDN)."""
    ensure_venv()
    dist, site, python_xy = harness_env()
    wheel_names = [w["file"] for w in json.loads((site / ".harness-manifest.json").read_text())["wheels"]]
    wheels = [dist.parent.parent / "wheels" / name for name in wheel_names]
    for extra in PP_EXTRA:
        extra_dir = OUT / "downloads" / f"{extra}-{python_xy}"
        if not list(extra_dir.glob(f"{extra}-*.whl")):
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                 "--platform", "any", "--python-version", python_xy, "-d", str(extra_dir), extra],
                capture_output=True, text=True,
            )  # fmt: skip
            if proc.returncode != 0:
                raise Unavailable(f"cannot download {extra}: {proc.stderr.strip()[-200:]}")
        wheels += sorted(extra_dir.glob(f"{extra}-*.whl"))[-1:]
    shutil.rmtree(PP_DIST, ignore_errors=True)
    PP_DIST.mkdir(parents=True)
    for f in dist.iterdir():
        if f.is_file():
            shutil.copy2(f, PP_DIST / f.name)
    lock = json.loads((dist / "pyodide-lock.json").read_text())
    names = {}
    for wheel in wheels:
        shutil.copy2(wheel, PP_DIST / wheel.name)
        name, version = wheel.name.split("-")[:2]
        key = name.lower().replace("_", "-")
        names[key] = (wheel, version)
    missing = [n for n in PP_WHEELS if n not in names]
    if missing:
        raise Unavailable(f"no wheel for {missing} in the harness cache")
    for key, (wheel, version) in names.items():
        entry = lock["packages"].setdefault(key, {"name": key, "install_dir": "site",
                                                  "package_type": "package", "imports": []})  # fmt: skip
        entry.update(
            file_name=wheel.name,
            version=version,
            sha256=hashlib.sha256(wheel.read_bytes()).hexdigest(),
            depends=sorted(_requires(wheel) & names.keys()),
        )
    (PP_DIST / "pyodide-lock.json").write_text(json.dumps(lock))


def _requires(wheel: Path) -> set[str]:
    """Unconditional (or runtime-true) dependency names from a wheel's METADATA."""
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(meta).decode()
    deps = set()
    for line in text.splitlines():
        if line.startswith("Requires-Dist:"):
            req, _, marker = line.removeprefix("Requires-Dist:").partition(";")
            if "extra" in marker or "python_version < " in marker.replace('"', " "):
                continue
            name = req.strip().split()[0]
            for sep in "<>=!~[(":
                name = name.split(sep)[0]
            deps.add(name.lower().replace("_", "-"))
    return deps


def pytest_pyodide(suite: Suite) -> tuple[list[str], dict[str, str]]:
    """``--run-in-pyodide`` on Node, plus bench/pp_fix.py (the working-directory fix); a
    suite written for pytest-pyodide runs as its authors run it (decorated tests, Node)."""
    if suite.expected is not None:
        cmd = [str(venv_python()), "-m", "pytest", *COMMON_ARGS, "-p", "no:asyncio",
               "--runtime", "node", f"--dist-dir={PP_DIST}", *suite.args]  # fmt: skip
        return cmd, {}
    if suite.name.startswith("more-itertools"):
        more_itertools_wheel(suite)
    cmd = [
        str(venv_python()), "-m", "pytest", *COMMON_ARGS, "-p", "no:asyncio", "-p", "pp_fix",
        "--run-in-pyodide", "--runtime", "node", f"--dist-dir={PP_DIST}", *suite.args,
    ]  # fmt: skip
    return cmd, {"PYTHONPATH": str(BENCH)}


CONTENDERS = {
    "native": Contender("native", command=native, note="CPython pytest on the host"),
    "bare": Contender("bare", prepare=harness_env, command=bare, note="bench/bare.mjs"),
    "pytest-pyodide": Contender(
        "pytest-pyodide",
        prepare=prepare_pytest_pyodide,
        command=pytest_pyodide,
        note="0.59.2 --run-in-pyodide, node",
    ),  # fmt: skip
    "harness": Contender("harness", prepare=harness_env, command=harness, note="node"),
    "harness-cold": Contender(
        "harness-cold",
        prepare=harness_env,
        command=harness_cold,
        only_first_suite=True,
        note="fresh HARNESS_CACHE",
    ),  # fmt: skip
    "harness-chromium": Contender(
        "harness-chromium",
        prepare=lambda: browser_env("chromium"),
        command=lambda suite: harness(suite, runtime="chromium"),
        note="/usr/bin/chromium, page, warm (memory snapshot)",
    ),  # fmt: skip
    "harness-firefox": Contender(
        "harness-firefox",
        prepare=lambda: browser_env("firefox"),
        command=lambda suite: harness(suite, runtime="firefox"),
        note="firefox-esr, page, warm (memory snapshot)",
    ),  # fmt: skip
    "harness-chromium-n4": Contender(
        "harness-chromium -n 4",
        prepare=lambda: browser_env("chromium"),
        command=lambda suite: harness(suite, "-n", "4", runtime="chromium"),
        note="/usr/bin/chromium, 4 runtimes: 4 pages of one browser",
    ),  # fmt: skip
    "harness-n1": Contender(
        "harness -n 1", prepare=harness_env, command=lambda suite: harness(suite, "-n", "1"), note="node"
    ),
    "harness-n2": Contender(
        "harness -n 2", prepare=harness_env, command=lambda suite: harness(suite, "-n", "2"), note="node, 2 runtimes"
    ),
    "harness-n2-timed": Contender(
        "harness -n 2, durations known",
        prepare=harness_env,
        command=lambda suite: harness_timed(suite, "-n", "2"),
        note="node, 2 runtimes, long tests first (a first run recorded the durations)",
    ),
    "harness-nauto": Contender(
        "harness -n auto",
        prepare=harness_env,
        command=lambda suite: harness(suite, "-n", "auto"),
        note="node, 1 runtime, more if the suite gains",
    ),
}
