"""Another local user attacking one harness run (started by tests/test_security.py as ``nobody``).

Usage: ``python3 attacker.py HARNESS_PID PORT SECONDS``. It does what any local user can:
read every process's command line (here only the run's own process tree, so no other run on
the machine is touched), try to read any file a command line names, and knock on the run's
server (PORT, which /proc/net/tcp shows anyone) with every secret it found: fetch
``boot.json``, open the page, poll for commands, open the event socket and inject a fatal
error. It prints one JSON object: what it found and every answer it got.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import socket
import sys
import time
from typing import Any

INJECTED = "INJECTED-BY-ANOTHER-USER"


def descendants(root: int) -> set[int]:
    """The pids under ``root`` (from /proc/PID/stat, which every user can read)."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    parents[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        grew = bool(more)
        found |= more
    return found


def command_lines(root: int, report: dict[str, dict[str, str]]) -> list[str]:
    """Every command line in the run's tree; also tries each process's environment and fds."""
    lines = []
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                lines.append(f.read().replace(b"\0", b" ").decode("utf-8", "replace"))
        except OSError:
            continue
        for private in (f"/proc/{pid}/environ", f"/proc/{pid}/fd"):
            report["files"][private] = try_read(private)
    return lines


def try_read(path: str) -> str:
    """ "read" if this user could read ``path`` (a file or a directory), else the error's name."""
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read(1)
        return "read"
    except OSError as exc:
        return type(exc).__name__


def request(port: int, path: str, cookie: str | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Cookie": cookie} if cookie else {}
    try:
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    except OSError:
        return -1
    finally:
        conn.close()


def inject(port: int, path: str, cookie: str | None = None) -> int:
    """Open the event socket and, if it is accepted, send a fatal error: the HTTP status."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    except OSError:
        return -1
    with sock:
        key = base64.b64encode(os.urandom(16)).decode()
        extra = f"Cookie: {cookie}\r\n" if cookie else ""
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n{extra}\r\n".encode()
        )
        try:
            status = int(sock.recv(100).split(b" ", 2)[1])
        except (OSError, ValueError, IndexError):
            return -1
        if status == 101:
            line = json.dumps({"v": 1, "type": "error", "kind": "fatal", "message": INJECTED}).encode()
            mask = os.urandom(4)
            sock.sendall(bytes([0x81, 0x80 | 126]) + len(line).to_bytes(2, "big") + mask)
            sock.sendall(bytes(b ^ mask[i % 4] for i, b in enumerate(line)))
        return status


def gather(root: int, report: dict[str, Any], secrets: set[str]) -> None:
    """Read what the run's command lines show, and every file they name, for secrets."""
    for line in command_lines(root, report):
        for url in re.findall(r"(?:https?|file)://\S+", line):
            if url not in report["urls"]:
                report["urls"].append(url)
            secrets.update(re.findall(r"[A-Za-z0-9_-]{20,}", url))
        for path in re.findall(r"(?:file://)?(/[^\s=]+)", line):
            if path.startswith(("/usr/", "/bin/", "/proc/", "/root/.pyenv/")):
                continue
            outcome = try_read(path)
            if outcome != "NotADirectoryError":
                report["files"][path] = outcome
            if outcome == "read" and os.path.isfile(path):
                with open(path, errors="replace") as f:
                    secrets.update(re.findall(r"[A-Za-z0-9_-]{20,}", f.read()))


def knock(port: int, secrets: set[str], report: dict[str, Any]) -> None:
    """Every request a run's page makes, without and with each secret found."""
    tries: list[tuple[str, str | None]] = [("boot.json", None), ("page.html", None), ("command", None)]
    tries.append(("events", None))
    for secret in sorted(secrets):
        cookie = f"harness-{port}={secret}"
        tries += [(f"{secret}/boot.json", None), (f"page.html?boot={secret}", None), ("boot.json", cookie)]
        tries += [("command", cookie), ("events", cookie)]
    for path, cookie in tries:
        status = inject(port, "/events", cookie) if path == "events" else request(port, "/" + path, cookie)
        report["answers"].append([path, bool(cookie), status])


def main() -> None:
    root, port, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    report: dict[str, Any] = {"uid": os.getuid(), "urls": [], "files": {}, "answers": []}
    secrets: set[str] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        gather(root, report, secrets)
        if port:
            knock(port, secrets, report)
        time.sleep(0.2)
    report["secrets_found"] = len(secrets)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
