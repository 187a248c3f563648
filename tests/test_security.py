"""A run is private to its user: another local user can neither read it nor speak for it.

The attacker (``tests/attacker.py``) runs as the second Unix user ``nobody`` while a real run
is in progress: it reads every command line of the run's process tree, every file they name,
each process's environment and fds, and knocks on the run's server with whatever it found.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import browsers
from harness.errors import HarnessError
from harness.runtimes import runtime_class
from harness.runtimes.launchers.settings import LaunchSettings

ATTACKER = Path(__file__).with_name("attacker.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # one the other user can run (ours may sit in root's home)
INJECTED = "INJECTED-BY-ANOTHER-USER"


def _other_user() -> None:
    """Skip, saying why, where no second user can be used; fail in CI, which must run this."""
    reason = None
    if os.geteuid() != 0:
        reason = "needs root to run the attacker as user nobody (su)"
    elif not shutil.which("su") or not Path(SYSTEM_PYTHON).exists():
        reason = f"needs su and {SYSTEM_PYTHON} to run the attacker as user nobody"
    else:
        probe = subprocess.run(["su", "nobody", "-s", "/bin/sh", "-c", "id -u"], capture_output=True, text=True)
        if probe.returncode != 0 or probe.stdout.strip() in ("", "0"):
            reason = f"cannot run a command as user nobody: {probe.stderr.strip() or probe.stdout.strip()}"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def _listening_port(pid: int, timeout: float = 120) -> int:
    """The 127.0.0.1 port ``pid`` listens on (its run's server), as /proc/net/tcp shows it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inodes = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            target = os.readlink(f"/proc/{pid}/fd/{fd}") if os.path.islink(f"/proc/{pid}/fd/{fd}") else ""
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes and local.startswith("0100007F:"):
                return int(local.split(":")[1], 16)
        time.sleep(0.1)
    raise AssertionError("the run's server never listened")


@pytest.fixture
def attacker_script() -> Path:
    """The attacker, where user nobody can read it (the checkout may be private)."""
    folder = Path(tempfile.mkdtemp(prefix="harness-attacker-"))
    folder.chmod(0o755)
    script = folder / "attacker.py"
    shutil.copyfile(ATTACKER, script)
    script.chmod(0o644)
    yield script
    shutil.rmtree(folder)


@pytest.mark.usefixtures("warm_dists")
@pytest.mark.parametrize("runtime", ["chromium", "node"])
def test_another_user_can_neither_read_nor_inject(tmp_path: Path, attacker_script: Path, runtime: str) -> None:
    _other_user()
    if runtime != "node":
        try:
            runtime_class(runtime).launch_plan(LaunchSettings(driver="direct"))  # type: ignore[attr-defined]
        except HarnessError as exc:
            if os.environ.get("CI"):
                pytest.fail(str(exc))
            pytest.skip(str(exc))
    (tmp_path / "test_slow.py").write_text("import time\n\ndef test_slow():\n    time.sleep(8)\n")
    env = {**os.environ, "HARNESS_NO_SNAPSHOT": "1", "SECRET_TOKEN": "host-secret-value"}
    env.pop("PYTEST_ADDOPTS", None)
    run = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", "--runtime", runtime, "--", "-v", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        port = _listening_port(run.pid) if runtime != "node" else 0
        attack = subprocess.run(
            ["su", "nobody", "-s", "/bin/sh", "-c", f"{SYSTEM_PYTHON} {attacker_script} {run.pid} {port} 6"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        output, _ = run.communicate(timeout=300)
    finally:
        run.kill()
    assert attack.returncode == 0, attack.stderr
    report = json.loads(attack.stdout)
    assert report["uid"] != 0
    # The run went on as if nobody had been there.
    assert run.returncode == 0, output
    assert "1 passed" in output and INJECTED not in output
    # What the attacker could see: command lines, naming only files it cannot read (besides
    # the harness's own code, which is public).
    code = str(Path(browsers.__file__).parent)
    named = {p: outcome for p, outcome in report["files"].items() if not p.startswith(("/proc/", code))}
    assert named and "read" not in named.values(), report["files"]
    private = {path: outcome for path, outcome in report["files"].items() if path.startswith("/proc/")}
    assert private and "read" not in private.values(), private
    assert not any("host-secret-value" in url for url in report["urls"])
    if runtime == "node":
        # The boot document: unreadable (0600), and gone once node has read it.
        boot = [outcome for path, outcome in named.items() if path.endswith(".json")]
        assert boot and set(boot) <= {"PermissionError", "FileNotFoundError"}, named
        return
    if runtime == "chromium":
        # Driven over --remote-debugging-pipe: the page's URL travels over the pipe, no URL at
        # all is on the command line.
        assert report["urls"] == [], report["urls"]
    else:
        # A direct launch opens a start page in the private profile; only its file: URL shows.
        assert any(url.startswith("file://") and url.endswith("/start.html") for url in report["urls"]), report
        assert {o for p, o in named.items() if p.endswith("/start.html")} == {"PermissionError"}, named
        assert not any(url.startswith("http") for url in report["urls"]), report["urls"]
    # Every knock reached the server and was refused (-1: the run had already ended).
    statuses = {status for _, _, status in report["answers"]}
    assert 403 in statuses and statuses <= {403, -1}, report["answers"]
    tried = {path.split("?")[0] for path, _, _ in report["answers"]}
    assert {"boot.json", "page.html", "command", "events"} <= tried
