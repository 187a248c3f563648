"""Real packages in the runtime: compiled PEP 783 wheels from PyPI, Pyodide's lock served from
127.0.0.1, the wheel under test instead of the source tree, a version matrix, and the errors.

Everything is real: wheels and the msgpack 1.2.4 sdist come from PyPI through pip, the lock's
packages from a local HTTP server that serves a distribution-shaped directory (a copy of the
real 314.0.7 lock whose entries point at those wheels with their real sha256), and every run
boots real Pyodide in Node (and Chromium for the compiled-wheel case).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Result, make_wheel, run_harness, wasm_side_module

from harness.provision import distribution as dist

MSGPACK_314 = "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl"
MSGPACK_3135 = "msgpack-1.2.4-cp313-cp313-pyemscripten_2025_0_wasm32.whl"
PYDANTIC_CORE = "pydantic_core-2.50.5-cp314-cp314-pyemscripten_2026_0_wasm32.whl"
TYPING_EXTENSIONS = "typing_extensions-4.16.0-py3-none-any.whl"

EXTENSION_TESTS = """\
import msgpack


def test_msgpack_extension():
    import msgpack._cmsgpack as ext

    assert ext.__file__.endswith("-wasm32-emscripten.so")
    assert msgpack.Packer is ext.Packer
    assert msgpack.unpackb(msgpack.packb({"a": [1, 2.5, b"x"]})) == {"a": [1, 2.5, b"x"]}


def test_pydantic_core_extension():
    import pydantic_core._pydantic_core as ext
    from pydantic_core import SchemaValidator, core_schema

    assert ext.__file__.endswith(".so")
    assert SchemaValidator(core_schema.int_schema()).validate_python("42") == 42
"""

TAGS_TEST = """\
import json, os


def test_tags_equal_micropips():
    from micropip._utils import sys_tags

    assert [str(t) for t in sys_tags()] == json.loads(os.environ["EXPECTED_TAGS"])
"""


def pip_download(dest: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(dest), *args], check=True)


@functools.cache
def _wheels(root: str) -> Path:
    dest = Path(root)
    for platform, python, names in [
        (
            "pyemscripten_2026_0_wasm32",
            "3.14",
            ["msgpack==1.2.4", "pydantic-core==2.50.5", "typing-extensions==4.16.0"],
        ),
        ("pyemscripten_2025_0_wasm32", "3.13", ["msgpack==1.2.4"]),
    ]:
        pip_download(dest, "--only-binary=:all:", "--platform", platform, "--python-version", python, *names)
    return dest


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real wheels from PyPI (PEP 783 for 314 and for 0.29.5)."""
    return _wheels(str(tmp_path_factory.mktemp("wheels")))


@pytest.fixture(scope="session")
def msgpack_sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """msgpack 1.2.4's sdist: its pure-Python fallback beside its own upstream test suite."""
    dest = tmp_path_factory.mktemp("sdist")
    pip_download(dest, "--no-binary=:all:", "msgpack==1.2.4")
    with tarfile.open(dest / "msgpack-1.2.4.tar.gz") as tar:
        tar.extractall(dest, filter="data")
    return dest / "msgpack-1.2.4"


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "project"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def passed(result: Result, count: int) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.summary.startswith(f"{count} passed"), result.stdout


# -- compiled wheels from PyPI ------------------------------------------------------------


def test_compiled_wheels_in_node(tmp_path: Path, wheels: Path) -> None:
    """--wheel PATH and --with NAME==V (PyPI, PEP 783); the tag set equals micropip's inside."""
    root = project(tmp_path, {"test_ext.py": EXTENSION_TESTS, "test_tags.py": TAGS_TEST})
    expected = [str(t) for t in dist.resolve("314.0.7", None).tags.tags]
    options = ("--wheel", str(wheels / MSGPACK_314), "--with", "pydantic-core==2.50.5", "--with", "micropip==0.11.1")
    result = run_harness(root, "-v", harness_args=options, env={"EXPECTED_TAGS": json.dumps(expected)})
    passed(result, 3)
    line = next(line for line in result.stdout.splitlines() if line.startswith("harness: --wheel"))
    assert line.startswith(f"harness: --wheel {MSGPACK_314}: msgpack from ")
    assert "/site-packages/" in line and line.endswith("/msgpack/__init__.py")


@pytest.mark.browser
def test_compiled_wheels_in_chromium(tmp_path: Path, wheels: Path) -> None:
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed")
    root = project(tmp_path, {"test_ext.py": EXTENSION_TESTS})
    options = ("--wheel", str(wheels / MSGPACK_314), "--with", "pydantic-core==2.50.5")
    passed(run_harness(root, harness_args=options, runtime="chromium"), 2)


# -- Pyodide's lock, served from 127.0.0.1 -------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    requested: list[str] = []

    def log_message(self, *args: object) -> None:
        type(self).requested.append(self.path)


@pytest.fixture
def lock_server(tmp_path: Path, wheels: Path) -> Iterator[tuple[str, Path, http.server.ThreadingHTTPServer]]:
    """(base URL, core dir with the copied lock, server): the lock's msgpack, pydantic-core and
    typing-extensions entries point at the real wheels (real sha256); pydantic-core depends
    on typing-extensions in the lock."""
    served = tmp_path / "served" / "v314.0.7" / "full"
    served.mkdir(parents=True)
    core = tmp_path / "core"
    shutil.copytree(dist.resolve("314.0.7", None).path, core)
    lock = json.loads((core / "pyodide-lock.json").read_text())
    for name, file, version in [
        ("msgpack", MSGPACK_314, "1.2.4"),
        ("pydantic-core", PYDANTIC_CORE, "2.50.5"),
        ("typing-extensions", TYPING_EXTENSIONS, "4.16.0"),
    ]:
        shutil.copy(wheels / file, served / file)
        sha = hashlib.sha256((wheels / file).read_bytes()).hexdigest()
        lock["packages"][name].update(file_name=file, version=version, sha256=sha)
    assert lock["packages"]["pydantic-core"]["depends"] == ["typing-extensions"]
    (core / "pyodide-lock.json").write_text(json.dumps(lock))
    handler = functools.partial(_Quiet, directory=str(tmp_path / "served"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Quiet.requested = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v{{version}}/full/", core, server
    server.shutdown()
    server.server_close()


def test_lock_packages_from_a_mirror_then_offline(tmp_path: Path, lock_server: tuple[str, Path, object]) -> None:
    url, core, server = lock_server
    cache = tmp_path / "cache"
    root = project(tmp_path, {"test_ext.py": EXTENSION_TESTS})
    options = ("--dist-dir", str(core), "--package-url", url, "--with", "msgpack", "--with", "pydantic-core")
    passed(run_harness(root, harness_args=options, env={"HARNESS_CACHE": str(cache)}), 2)
    assert sorted(_Quiet.requested) == [
        f"/v314.0.7/full/{f}" for f in sorted([MSGPACK_314, PYDANTIC_CORE, TYPING_EXTENSIONS])
    ]
    server.shutdown()  # type: ignore[attr-defined]
    # Second run: the server is gone; the resolution and every file come from the cache.
    passed(run_harness(root, harness_args=options, env={"HARNESS_CACHE": str(cache)}), 2)
    # A fresh cache cannot do without it: one line naming the URL and the mirror option.
    failed = run_harness(root, harness_args=options, env={"HARNESS_CACHE": str(tmp_path / "fresh")})
    assert failed.returncode == 4
    error = failed.stderr.strip().splitlines()[-1]
    assert error.startswith("ERROR: cannot fetch ") and url.replace("{version}", "314.0.7") in error
    assert "--package-url (or HARNESS_PACKAGE_URL)" in error


def test_lock_packages_from_a_full_dist_dir_and_sha_mismatch(
    tmp_path: Path, lock_server: tuple[str, Path, object]
) -> None:
    """The same files beside the lock (a full distribution): no server needed; a file that
    does not match the lock's sha256 stops the run before anything boots."""
    from harness.provision.boot import site_for

    url, core, server = lock_server
    server.shutdown()  # type: ignore[attr-defined]
    served = tmp_path / "served" / "v314.0.7" / "full"
    for wheel in served.iterdir():
        shutil.copy(wheel, core / wheel.name)
    site = site_for(None, dist_dir=core, with_packages=("pydantic-core",))
    sources = {w["name"]: w["source"] for w in site.manifest["wheels"]}
    assert sources["pydantic-core"] == sources["typing-extensions"] == "lock"
    assert [d["path"].rsplit("/", 1)[1] for d in site.dynlibs] == ["_pydantic_core.cpython-314-wasm32-emscripten.so"]
    (core / MSGPACK_314).write_bytes((core / MSGPACK_314).read_bytes() + b"tampered")
    root = project(tmp_path, {"test_ext.py": EXTENSION_TESTS})
    # A fresh cache: the verified copy from above would (rightly) be used instead of the file.
    fresh = {"HARNESS_CACHE": str(tmp_path / "fresh")}
    result = run_harness(root, harness_args=("--dist-dir", str(core), "--with", "msgpack"), env=fresh)
    assert result.returncode == 4
    assert result.stderr.strip().splitlines()[-1].startswith(f"ERROR: sha256 mismatch for {MSGPACK_314} from {core}")


# -- the wheel, not the tree ------------------------------------------------------------


def test_the_wheel_is_what_the_tests_import(tmp_path: Path) -> None:
    """A tree and a wheel that differ: with --wheel the tests see the wheel, even though a
    root conftest puts the tree first on sys.path."""
    root = project(
        tmp_path,
        {
            "conftest.py": "",
            "pkg/__init__.py": "VALUE = 'tree'\n",
            "tests/test_v.py": "import pkg\n\ndef test_value():\n    assert pkg.VALUE == 'wheel'\n",
        },
    )
    wheel = make_wheel(tmp_path, "pkg", files={"pkg/__init__.py": b"VALUE = 'wheel'\n"})
    result = run_harness(root, "-v", harness_args=("--wheel", str(wheel)))
    passed(result, 1)
    assert "harness: --wheel pkg-1.0-py3-none-any.whl: pkg from " in result.stdout
    assert f"pkg from {root}" not in result.stdout


@pytest.mark.slow
def test_shadowing_warning_and_the_upstream_suite(msgpack_sdist: Path, wheels: Path) -> None:
    """From the sdist root, without --wheel, msgpack's own tests run its pure-Python fallback:
    the summary says so once. With --wheel they run the compiled wheel: native's counts."""
    tree = run_harness(msgpack_sdist, "test/test_case.py", "test/test_pack.py")
    assert tree.returncode == 0, tree.stdout + tree.stderr
    warnings = [line for line in tree.stdout.splitlines() if line.startswith("harness: warning: msgpack was imported")]
    assert len(warnings) == 1 and "lacks its compiled _cmsgpack" in warnings[0], tree.stdout
    # The wheel --with would take: the lock's (msgpack 1.1.2) unless PyPI's is in the cache
    # already (another test may have fetched it).
    assert re.search(
        r"(Pyodide's lock|PyPI) has msgpack-1\.\d+\.\d+-cp314-cp314-pyemscripten_2026_0_wasm32\.whl", warnings[0]
    )
    full = run_harness(msgpack_sdist, "test", harness_args=("--wheel", str(wheels / MSGPACK_314)))
    assert full.returncode == 0 and full.summary.startswith("160 passed, 1 skipped"), full.stdout
    assert "harness: warning" not in full.stdout


# -- the version matrix -----------------------------------------------------------------


def test_matrix_with_a_version_the_wheel_does_not_fit(tmp_path: Path, msgpack_sdist: Path, wheels: Path) -> None:
    junit = tmp_path / "junit.xml"
    pattern = str(wheels / "msgpack-1.2.4-*.whl")
    command = [sys.executable, "-m", "harness.cli", "run", "--wheel", pattern, "--pyodide", "0.27.7,0.29.5,314.0.7"]
    command += ["--", "test/test_case.py", "-q", f"--junitxml={junit}"]
    proc = subprocess.run(command, cwd=msgpack_sdist, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {line.split()[0]: line.split() for line in proc.stdout.splitlines() if line[:1].isdigit() and "node" in line}
    assert rows["0.27.7"][-2:] == ["not", "compatible"]
    for version, python in [("0.29.5", "3.13.2"), ("314.0.7", "3.14.2")]:
        assert rows[version][1:8] == [python, rows[version][2], "node", "13", "0", "0", "0"], rows[version]
        assert rows[version][-1] == "ok"
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["Pyodide 0.29.5", "Pyodide 314.0.7"]
    assert all(s.get("tests") == "13" for s in suites)  # msgpack 1.2.4's test/test_case.py


# -- harness inspect --------------------------------------------------------------------


def inspect(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harness.cli", "inspect", "--pyodide", "0.27.7,0.29.5,314.0.7", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_inspect(tmp_path: Path, wheels: Path) -> None:
    needy = make_wheel(
        tmp_path,
        "needy",
        "1.0",
        "cp314-cp314-pyemscripten_2026_0_wasm32",
        files={
            "needy/__init__.py": b"",
            "needy/_x.cpython-314-wasm32-emscripten.so": wasm_side_module(["libopenblas.so", "libnowhere.so"]),
        },
    )
    proc = inspect(str(wheels / MSGPACK_3135), str(wheels / PYDANTIC_CORE), str(needy))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sections = {}
    for line in proc.stdout.splitlines():
        if not line.startswith(" "):
            sections[line] = current = []
        else:
            current.append(line.strip())
    msgpack = sections[MSGPACK_3135]
    assert "tags: cp313-cp313-pyemscripten_2025_0_wasm32" in msgpack
    assert "compiled: msgpack/_cmsgpack.cpython-313-wasm32-emscripten.so" in msgpack
    assert [line.split(": ")[1][:12] for line in msgpack if line.startswith("Pyodide")] == [
        "not accepted", "accepted", "not accepted"
    ]  # fmt: skip
    assert "Pyodide 0.29.5 (Python 3.13.2): accepted" in msgpack
    core = sections[PYDANTIC_CORE]
    assert "requires typing-extensions>=4.16.0: PyPI (typing_extensions-4.16.0-py3-none-any.whl)" in core
    needs = sections[needy.name]
    assert (
        "needy/_x.cpython-314-wasm32-emscripten.so needs libopenblas.so: from Pyodide's lock package libopenblas"
        in needs
    )
    assert (
        "needy/_x.cpython-314-wasm32-emscripten.so needs libnowhere.so: NOT PROVIDED by the wheel or Pyodide 314.0.7"
        in needs
    )
    assert inspect(str(wheels / MSGPACK_3135), "--pyodide", "314.0.7").returncode == 1  # fits no version asked
    broken = tmp_path / "broken-1.0-py3-none-any.whl"
    broken.write_bytes(b"zip?")
    failed = inspect(str(broken))
    assert failed.returncode == 4 and failed.stderr.startswith(f"ERROR: {broken} is not a readable wheel")


# -- errors: one line, exit 4, nothing booted -------------------------------------------


def error_of(tmp_path: Path, *options: str) -> str:
    result = run_harness(project(tmp_path, {"test_x.py": "def test_x(): pass\n"}), harness_args=options)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "harness: node runtime" not in result.stdout  # it never booted
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_wrong_tag(tmp_path: Path, wheels: Path) -> None:
    assert error_of(tmp_path, "--wheel", str(wheels / MSGPACK_3135)) == (
        f"ERROR: {MSGPACK_3135} does not fit Pyodide 314.0.7, which accepts cp314-cp314/abi3 on "
        "pyemscripten_2026_0_wasm32 or pyodide_2026_0_wasm32 or emscripten_5_0_3_wasm32, or pure (py3-none-any)"
    )


def test_corrupt_wheels(tmp_path: Path) -> None:
    bad_zip = tmp_path / "x-1.0-py3-none-any.whl"
    bad_zip.write_bytes(b"not a zip")
    assert error_of(tmp_path / "a", "--wheel", str(bad_zip)).startswith(f"ERROR: {bad_zip} is not a readable wheel")
    no_record = make_wheel(tmp_path, "y", record=False)
    assert error_of(tmp_path / "b", "--with", str(no_record)) == (
        "ERROR: y-1.0-py3-none-any.whl is not a valid wheel: no y-1.0.dist-info/RECORD"
    )
    assert error_of(tmp_path / "c", "--wheel", str(tmp_path / "nope-*.whl")).endswith("nope-*.whl: no file matches")
