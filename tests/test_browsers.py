"""Browser runtimes (headless Chromium, Firefox) and the run's local server.

Real browsers, real Pyodide, real pytest, compared with native pytest like the Node tests.
A browser test skips only when that browser's binary is absent (``.ci/run`` installs both).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from helpers import (
    Result,
    copy_project,
    junit_outcomes,
    junit_totals,
    need,
    run_harness,
    run_native,
)

from harness.errors import HarnessError
from harness.host.intake import EventQueue
from harness.inside import protocol
from harness.runtimes import runtime_class, snapshot
from harness.runtimes.launchers.settings import LaunchSettings
from harness.runtimes.web import bundle
from harness.runtimes.web.server import MAX_CONNECTIONS, MAX_MESSAGE, Channel, RunServer

# Each browser in page mode and in Web Worker mode.
RUNTIMES = ("chromium", "firefox", "chromium-worker", "firefox-worker")


# -- the server, without a browser --------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "pyodide.asm.wasm").write_bytes(b"\0asm")
    (tmp_path / "secret.txt").write_text("not served")
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_x.py").write_text("def test(): pass\n")
    events = EventQueue()
    channel = Channel(events, "w", lambda fd, data: None)
    run = RunServer(
        channel,
        {"hello": "page"},
        {"page.html": Path(__file__)},
        dist,
        [tmp_path / "secret.txt"],
        [bundle.pack(project)],
    )
    yield run, events
    run.close()


# The crash project's JUnit outcomes: the test that kills its runtime fails, the rest pass.
CRASH_OUTCOMES = {
    "test_crash::test_before_one": "passed",
    "test_crash::test_before_two": "passed",
    "test_crash::test_kills_the_runtime": "failure",
    "test_crash::test_after": "passed",
}


def get(run: RunServer, path: str, cookie: str = "", host: str = "") -> tuple[int, dict[str, str], bytes]:
    address, port = run.address
    request = urllib.request.Request(f"http://{address}:{port}{path}")
    if cookie:
        request.add_header("Cookie", cookie)
    if host:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def open_page(run: RunServer) -> str:
    """Open the page with the one-time URL, as the browser does: the session cookie it sets."""
    status, headers, _ = get(run, run.boot_url.split(str(run.address[1]), 1)[1])
    assert status == 200
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert cookie.startswith(f"{run.cookie_name}=")
    return cookie.split(";")[0]


def test_server_binds_loopback_and_refuses_without_the_session(server) -> None:
    run, _ = server
    assert run.address[0] == "127.0.0.1"
    assert run.boot_url.startswith(f"http://127.0.0.1:{run.address[1]}/page.html?boot=")
    boot_path = run.boot_url.split(str(run.address[1]), 1)[1]
    for path in ("/page.html", "/boot.json", "/dist/pyodide.asm.wasm", "/command", "/", boot_path[:-1]):
        assert get(run, path)[0] == 403, path
    # A page of another site whose name resolves to 127.0.0.1 (DNS rebinding): refused.
    assert get(run, boot_path, host=f"attacker.example:{run.address[1]}")[0] == 403
    cookie = open_page(run)
    assert get(run, boot_path)[0] == 403  # the boot secret is spent: useless to anyone else
    assert get(run, "/boot.json", cookie=cookie)[0] == 200
    assert get(run, "/boot.json", cookie=cookie, host=f"attacker.example:{run.address[1]}")[0] == 403
    assert get(run, "/boot.json", cookie=cookie[:-1])[0] == 403
    other_port = f"harness-{run.address[1] + 1}={cookie.split('=', 1)[1]}"
    assert get(run, "/boot.json", cookie=other_port)[0] == 403


def test_server_serves_only_its_tables(server) -> None:
    run, _ = server
    cookie = open_page(run)
    status, headers, body = get(run, "/boot.json", cookie)
    assert (status, json.loads(body)) == (200, {"hello": "page"})
    status, headers, body = get(run, "/dist/pyodide.asm.wasm", cookie)
    assert (status, headers["Content-Type"], body) == (200, "application/wasm", b"\0asm")
    assert "immutable" in headers["Cache-Control"]
    # No listing, no traversal, nothing outside the tables.
    for path in (
        "/",
        "/dist/",
        "/dist",
        "/dist/../secret.txt",
        "/dist/%2e%2e/secret.txt",
        "/file/1",
        "/file/-1",
        "/bundle/",
        "/../secret.txt",
    ):
        assert get(run, path, cookie)[0] == 404, path
    assert get(run, "/file/0", cookie)[2] == b"not served"  # only because it is registered


def post(run: RunServer, path: str, body: bytes, cookie: str = "", length: int | None = None) -> int:
    """Status of a POST (``length``: a Content-Length that is not the body's, sent alone)."""
    sock = socket.create_connection(run.address, timeout=30)
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{run.address[1]}", f"Content-Length: {length or len(body)}"]
    if cookie:
        head.append(f"Cookie: {cookie}")
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + (body if length is None else b""))
    status = int(sock.makefile("rb").readline().split()[1])
    sock.close()
    return status


def snapshot_file(key: str, payload: bytes) -> bytes:
    """A file in the layout ``browsers/snapshot.mjs`` writes (checksum left zero: the
    server checks only the fixed part and the key; the restore checks the rest)."""
    header = json.dumps({"key": key, "pyodide": "314.0.7"}).encode()
    fixed = b"HRNSSNAP" + snapshot.FORMAT.to_bytes(4, "little") + len(header).to_bytes(4, "little")
    fixed += bytes(16) + len(payload).to_bytes(8, "little") + header
    return fixed + bytes(-len(fixed) % 16) + payload


def test_server_snapshot_routes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page asks for its browser's snapshot, may upload one (only with the session, only
    for the key it was told, once, within the size limit) and may report it unusable."""
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(snapshot.ENV_DISABLE, raising=False)
    source = tmp_path / "runner.py"
    source.write_text("x = 1\n")
    document = {"dist": str(tmp_path), "pyodide_version": "314.0.7", "sys_path": [], "runtime_root": "/r",
                "files": [["/r/runner.py", str(source)]]}  # fmt: skip
    runs = []
    for _ in range(2):  # the second run finds what the first uploaded
        channel = Channel(EventQueue(), "w", lambda fd, data: None)
        served = snapshot.BrowserSnapshot(document, "chromium page")
        run = RunServer(channel, {}, {"page.html": Path(__file__)}, tmp_path, [], [], snapshot=served)
        runs.append(run)
        cookie = open_page(run)
        status, headers, body = get(run, "/snapshot?agent=HeadlessChrome%2F156", cookie)
        key = headers["X-Harness-Snapshot"]
        if len(runs) == 2:
            break
        assert (status, body) == (204, b"")
        assert get(run, "/snapshot?agent=x")[0] == 403
        good = snapshot_file(key, b"heap" * 1000)
        assert post(run, f"/snapshot?key={key}", good) == 403  # no session
        assert post(run, f"/snapshot?key={'0' * 32}", good, cookie) == 409  # not its key
        assert post(run, f"/snapshot?key={key}", b"x", cookie, length=snapshot.MAX_UPLOAD + 1) == 413
        assert post(run, f"/snapshot?key={key}", good, cookie) == 204
        assert post(run, f"/snapshot?key={key}", good, cookie) == 409  # once
        assert sorted(p.name for p in (tmp_path / "cache" / "snapshots").iterdir()) == [f"{key}.snap"]
    assert (status, body) == (200, snapshot_file(key, b"heap" * 1000))
    other = get(runs[1], "/snapshot?agent=HeadlessChrome%2F157", cookie)  # another browser version
    assert other[0] == 204 and other[1]["X-Harness-Snapshot"] != key
    # The page reports the file it got as unusable: deleted.
    get(runs[1], "/snapshot?agent=HeadlessChrome%2F156", cookie)
    assert post(runs[1], "/snapshot-discard", b"", cookie) == 204
    assert list((tmp_path / "cache" / "snapshots").glob("*.snap")) == []
    for run in runs:
        run.close()


def _websocket(run: RunServer, cookie: str, origin: str = "") -> socket.socket:
    sock = socket.create_connection(run.address, timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{run.address[1]}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nCookie: {cookie}\r\nOrigin: {origin or run.origin}\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    return sock


def _frame(opcode: int, payload: bytes, length: int | None = None) -> bytes:
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    size = len(payload) if length is None else length
    if size < 126:
        return bytes([0x80 | opcode, 0x80 | size]) + mask + masked
    return bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big") + mask + masked


def test_event_socket_and_command_poll(server) -> None:
    run, events = server
    cookie = open_page(run)
    assert _websocket(run, "harness-1=wrong").recv(100).startswith(b"HTTP/1.1 403")
    assert _websocket(run, cookie, origin="http://attacker.example").recv(100).startswith(b"HTTP/1.1 403")
    sock = _websocket(run, cookie)
    assert sock.recv(1000).startswith(b"HTTP/1.1 101")
    assert _websocket(run, cookie).recv(100).startswith(b"HTTP/1.1 409")  # exactly one connection
    sock.sendall(
        _frame(0x1, protocol.encode(protocol.Done(type="done", exitstatus=0, tree_packages=[], session_s=0.0)).encode())
    )
    got = events.get(timeout=10)
    assert got is not None and got[1]["type"] == "done"
    run.channel.push(protocol.encode(protocol.Exit(type="exit")))
    status, _, body = get(run, "/command", cookie)
    assert (status, json.loads(body)["type"]) == (200, "exit")
    sock.sendall(_frame(0x8, b""))
    got = events.get(timeout=10)
    assert got is not None and got[1]["type"] == "eof"
    run.channel.close()
    assert get(run, "/command", cookie)[0] == 410


def test_server_limits(server) -> None:
    """A message over the limit ends the stream with a reason (nothing of it is read or held);
    connections beyond the limit are closed; a client that sends no headers is dropped."""
    run, events = server
    cookie = open_page(run)
    sock = _websocket(run, cookie)
    assert sock.recv(1000).startswith(b"HTTP/1.1 101")
    sock.sendall(_frame(0x2, b"", length=MAX_MESSAGE + 1))
    assert sock.recv(100) == b"\x88\x02\x03\xf1"  # close, 1009 message too big
    got = events.get(timeout=10)
    assert got is not None and got[1]["type"] == "error" and "over 64 MB" in got[1]["message"]
    assert (events.get(timeout=10) or ("", {}))[1]["type"] == "eof"
    idle = [socket.create_connection(run.address, timeout=30) for _ in range(MAX_CONNECTIONS)]
    extra = socket.create_connection(run.address, timeout=30)
    assert extra.recv(100) == b""  # closed unread: the server holds no more connections
    for conn in idle:
        conn.close()
    deadline = time.monotonic() + 10
    while get(run, "/boot.json", cookie)[0] != 200:  # slots come back as connections close
        assert time.monotonic() < deadline


def test_bundle_skips_caches_and_environments(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\n")
    for skipped in (".git", "__pycache__", "venv"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "f").write_text("no")
    (tmp_path / "venv" / "pyvenv.cfg").write_text("")
    packed = bundle.pack(tmp_path)
    length = int.from_bytes(packed.data[:4], "little")
    header = json.loads(packed.data[4 : 4 + length])
    assert [f[0] for f in header["files"]] == [str(tmp_path / "pkg" / "mod.py")]
    assert packed.data.endswith(b"x = 1\n")


# -- the runtimes, for real --------------------------------------------------------------

uses_dists = pytest.mark.usefixtures("warm_dists")


@uses_dists
@pytest.mark.parametrize("browser", RUNTIMES)
def test_basic_project_matches_native(tmp_path: Path, browser: str) -> None:
    need(browser)
    native_dir = copy_project("basic", tmp_path / "native")
    harness_dir = copy_project("basic", tmp_path / "harness")
    native = run_native(native_dir, "--junitxml=out.xml", "-rA")
    ran = run_harness(harness_dir, "--junitxml=out.xml", "-rA", runtime=browser)
    assert ran.returncode == native.returncode == 1, ran.stdout + ran.stderr
    assert ran.summary == native.summary
    assert junit_outcomes(harness_dir / "out.xml") == junit_outcomes(native_dir / "out.xml")
    assert junit_totals(harness_dir / "out.xml") == junit_totals(native_dir / "out.xml")
    assert f"harness: {browser} runtime" in ran.stdout
    # Node ids and tracebacks name the host's paths: the project sits at the same place.
    assert f"{harness_dir}/test_outcomes.py:" in ran.stdout


@uses_dists
@pytest.mark.parametrize("browser", ["chromium", "firefox-worker"])
def test_environment_matches_native(tmp_path: Path, browser: str) -> None:
    """HOME and temp dirs in a page and in a worker are what natively holds."""
    need(browser)
    ran = run_harness(copy_project("environ", tmp_path), "-p", "no:cacheprovider", runtime=browser)
    assert (ran.returncode, ran.summary) == (0, "2 passed"), ran.stdout + ran.stderr


@uses_dists
def test_capture_project_matches_native(tmp_path: Path) -> None:
    need("chromium")
    native = run_native(copy_project("capture", tmp_path / "n"), "--junitxml=out.xml")
    project = copy_project("capture", tmp_path / "h")
    ran = run_harness(project, "--junitxml=out.xml", runtime="chromium")
    assert ran.returncode == native.returncode == 1, ran.stdout + ran.stderr
    assert ran.summary == native.summary == "1 failed, 3 passed"
    assert junit_outcomes(project / "out.xml") == junit_outcomes(tmp_path / "n" / "capture" / "out.xml")
    assert "visible stdout line" in ran.stdout and "visible stderr line" in ran.stdout


@uses_dists
@pytest.mark.parametrize("browser", ["chromium", "firefox-worker"])
def test_crash_restarts_the_browser(tmp_path: Path, browser: str) -> None:
    need(browser)
    project = copy_project("crash", tmp_path)
    ran = run_harness(project, "-v", "--junitxml=out.xml", runtime=browser)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "Exit: Program terminated with exit(3); restarting the runtime" in ran.stdout
    assert f"{browser} page: Pyodide exit code 3" in ran.stdout
    assert junit_outcomes(project / "out.xml") == CRASH_OUTCOMES
    assert ran.summary == "1 failed, 3 passed"
    assert "Traceback" not in ran.stderr


def browsers_under(root: int) -> int:
    """How many browser processes (not their helpers: renderer, GPU, ...) descend from ``root``."""
    parents: dict[int, int] = {}
    commands: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                commands[int(entry.name)] = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except (OSError, IndexError, ValueError):
                continue

    def descends(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == root:
                return True
        return False

    def chromium(pid: int) -> bool:
        argv = commands.get(pid, [""])
        return "chromium" in Path(argv[0].split(" ")[0]).name

    return sum(
        1
        for pid, argv in commands.items()
        # A helper process rewrites its command line into one string: look for its --type in
        # all. One the browser has just forked still shows the browser's own command line
        # until it execs: a browser started by another browser is not one.
        if chromium(pid) and "--type=" not in " ".join(argv) and not chromium(parents[pid]) and descends(pid)
    )


def run_counting_browsers(project: Path, runtime: str, *args: str) -> tuple[Result, int]:
    """``harness run -n 2`` on ``project`` and the most browser processes it had at once."""
    command = [sys.executable, "-m", "harness.cli", "run", "--runtime", runtime, "-n", "2", "--", *args]
    env = {**os.environ, "COLUMNS": "120"}
    with subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env) as proc:  # fmt: skip
        most = 0
        while proc.poll() is None:
            most = max(most, browsers_under(proc.pid))
            time.sleep(0.2)
        stdout, stderr = proc.communicate(timeout=600)
    return Result(proc.returncode, stdout, stderr), most


@uses_dists
def test_two_runtimes_share_one_browser(tmp_path: Path) -> None:
    """``-n 2``: two pages of one Chromium; each runtime blocks for its next tests inside
    pytest's hooks (long-poll)."""
    need("chromium")
    native = run_native(copy_project("workers", tmp_path / "n"), "--junitxml=out.xml")
    project = copy_project("workers", tmp_path / "h")
    ran, browsers = run_counting_browsers(project, "chromium", "--junitxml=out.xml")
    assert ran.returncode == native.returncode == 1, ran.stdout + ran.stderr
    assert ran.summary == native.summary == "1 failed, 23 passed"
    assert junit_outcomes(project / "out.xml") == junit_outcomes(tmp_path / "n" / "workers" / "out.xml")
    assert "harness: 2 chromium runtimes (-n 2)" in ran.stdout
    assert browsers == 1


@uses_dists
def test_a_crashed_page_of_a_shared_browser_is_replaced_alone(tmp_path: Path) -> None:
    """A test ends its runtime (``os._exit``) in one of two pages of one browser: that page
    is closed and a fresh one opened in the same browser; the other runtime goes on, and
    every test is accounted for."""
    need("chromium")
    project = copy_project("crash", tmp_path)
    ran, browsers = run_counting_browsers(project, "chromium", "-v", "--junitxml=out.xml", "-p", "no:cacheprovider")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ran.stdout.count("; restarting the runtime") == 1
    assert junit_outcomes(project / "out.xml") == CRASH_OUTCOMES
    assert ran.summary == "1 failed, 3 passed"
    assert browsers == 1
    assert "Traceback" not in ran.stderr


@uses_dists
def test_results_stream_while_python_blocks_the_page(tmp_path: Path) -> None:
    """The first result reaches the host while the second test still holds the page."""
    need("chromium")
    (tmp_path / "test_slow.py").write_text(
        "import time\n\ndef test_first():\n    pass\n\ndef test_second():\n    time.sleep(4)\n"
    )
    command = [
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        "--runtime",
        "chromium",
        "--",
        "-v",
        "-p",
        "no:cacheprovider",
    ]
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen: dict[str, float] = {}
    for line in proc.stdout:
        for name in ("test_first PASSED", "test_second PASSED"):
            if name in line:
                seen[name] = time.monotonic()
    assert proc.wait(timeout=300) == 0
    assert seen["test_second PASSED"] - seen["test_first PASSED"] > 3


def test_missing_or_broken_browser_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(HarnessError, match=r"^chromium not found: apt-get install chromium"):
        runtime_class("chromium").launch_plan(LaunchSettings(driver="direct"))
    monkeypatch.undo()
    (tmp_path / "test_a.py").write_text("def test(): pass\n")
    env = {**os.environ, "HARNESS_CHROMIUM": "/bin/false"}
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--runtime", "chromium"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert proc.returncode == 4
    assert "chromium runtime failed to start: chromium exited with code 1 before its page connected" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


@uses_dists
def test_config_files_outside_the_project_are_packed_alone(tmp_path: Path) -> None:
    """``-c`` and ``--cov-config`` naming files elsewhere: the page gets those files, not
    their directory (a sibling file there is not copied into the browser)."""
    need("chromium")
    project, cfg = tmp_path / "project", tmp_path / "cfg"
    project.mkdir()
    cfg.mkdir()
    (cfg / "pytest.ini").write_text("[pytest]\nmarkers =\n    from_outside: declared in the outside ini\n")
    (cfg / ".coveragerc").write_text("[run]\nbranch = true\n")
    (cfg / "private.txt").write_text("not for the run")
    (project / "test_seen.py").write_text(
        "import os\n\nimport pytest\n\n\n@pytest.mark.from_outside\ndef test_seen():\n"
        f"    assert os.path.isfile({str(cfg / 'pytest.ini')!r})\n"
        f"    assert os.path.isfile({str(cfg / '.coveragerc')!r})\n"
        f"    assert not os.path.exists({str(cfg / 'private.txt')!r})\n"
    )
    ran = run_harness(
        project,
        "-c",
        str(cfg / "pytest.ini"),
        "--strict-markers",
        runtime="chromium",
        harness_args=("--cov", str(project), "--cov-config", str(cfg / ".coveragerc")),
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout
    assert "Branch" in ran.stdout  # the coverage config was read: branch coverage columns


@uses_dists
@pytest.mark.parametrize("browser", ["chromium", "firefox-worker"])
def test_corrupt_distribution_fails_the_boot_with_its_cause(tmp_path: Path, browser: str) -> None:
    """A truncated ``pyodide.asm.wasm``: the CompileError comes back at once, as under Node,
    instead of the boot limit running out (Pyodide's browser loader swallows the error)."""
    need(browser)
    from harness.provision import distribution as dist

    good = dist.resolve("314.0.7", None).path
    broken = tmp_path / "dist"
    shutil.copytree(good, broken, ignore=shutil.ignore_patterns(".*"))
    (broken / "pyodide.asm.wasm").write_bytes((good / "pyodide.asm.wasm").read_bytes()[:4096])
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    ran = run_harness(
        tmp_path, runtime=browser, harness_args=("--dist-dir", str(broken)), env={"HARNESS_BOOT_TIMEOUT": "240"}
    )
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    assert ran.returncode == 4, ran.stdout + ran.stderr
    assert len(lines) == 1 and lines[0].startswith(f"ERROR: {browser} runtime failed to start: CompileError: ")


@uses_dists
@pytest.mark.parametrize("browser", RUNTIMES)
def test_umask_is_native_in_browsers(tmp_path: Path, browser: str) -> None:
    """A browser's umask call remembers nothing (it answers 0): the umask-on-create patch
    holds the host's umask, so modes are native's: 0o644 files, 0o755 dirs under 0o022."""
    need(browser)
    shutil.copyfile(Path(__file__).parent / "inside" / "test_umask_on_create.py", tmp_path / "test_umask_on_create.py")
    mask = os.umask(0o022)
    os.umask(mask)
    (tmp_path / "test_initial.py").write_text(
        f"import os\n\n\ndef test_initial_umask_is_the_hosts():\n    assert os.umask(0o077) == {mask:#o}\n"
    )
    native = run_native(tmp_path, "-p", "no:cacheprovider")
    ran = run_harness(tmp_path, "-p", "no:cacheprovider", runtime=browser)
    assert ran.returncode == native.returncode == 0, ran.stdout + ran.stderr
    assert ran.summary == native.summary == "8 passed"
    assert "umask-on-create (open_create, mkdir)" in ran.stdout and "still failing" not in ran.stdout
