"""The local HTTP server one browser runtime talks to: files in, events out, commands in.

Bound to 127.0.0.1 on an ephemeral port unless the user binds it elsewhere (``--bind``,
for a browser on another machine; ``--advertise`` names the host in the page's URL), and
private to the run: no secret ever appears in a
URL given on a command line (``/proc/PID/cmdline`` is world-readable), and every request is
checked (``check``):

- ``Host`` must name this server (the advertised host, the bound address or ``localhost``,
  with the port): a page of another site that rebinds its DNS name to it is refused.
- The page is opened once with a one-time secret, ``page.html?boot=SECRET`` (``boot_url``);
  that response sets the session cookie ``harness-PORT`` (HttpOnly, SameSite=Strict, named
  per port because cookies ignore ports), and the secret is spent. Every other request must
  carry the cookie; only the browser that opened the page holds it (not even the page's
  JavaScript can read it).
- The event WebSocket must come from this origin and is accepted exactly once.

Launchers never put ``boot_url`` on a command line either: a direct launch opens a start
page in the private profile directory (``browsers/page/start.html``); drivers hand the URL
over their own connection.

Only what the run needs is served, from fixed tables built at start (no directory listing,
no path from the URL ever reaches the file system):

    page.html, page.mjs, runtime.mjs, boot.mjs   the entry point (``browsers/``)
    boot.json                             the boot document
    dist/<name>                           the Pyodide distribution's files (immutable)
    file/<n>                              the runtime-side Python (``runtime_files()``)
    bundle/<digest>                       packed trees: project, site-packages (immutable)
    events                                WebSocket: one protocol line per text message;
                                          binary messages are output, first byte the fd
    command                               long-poll: the next command line (200), none
                                          yet (204), or the host is gone (410)
    snapshot?agent=UA                     the memory snapshot for this browser
                                          (``harness.runtimes.snapshot.BrowserSnapshot``):
                                          the file (200) or none yet (204), its key in
                                          ``X-Harness-Snapshot``; 404 when the run uses none
    POST snapshot?key=KEY                 a freshly made snapshot (the file), at most
                                          ``snapshot.MAX_UPLOAD`` bytes, written atomically
    POST snapshot-discard                 the one handed out did not verify: delete it
    bytecode                              the bytecode archive of this project and browser
                                          (``harness.runtimes.bytecode.BrowserBytecode``):
                                          the file (200) or none yet (204); 404 when the
                                          run keeps none
    POST bytecode                         the page's bytecode after a session (an archive
                                          of its key), at most ``bytecode.MAX_ARCHIVE``
                                          bytes, checked, merged and written atomically

Receivers only enqueue (the pytest-xdist rule): the WebSocket handler decodes lines into
the ``EventQueue`` and puts ``EOF`` there once, when the page's socket closes. What the
server holds per run is bounded: one message at most ``MAX_MESSAGE`` bytes, at most
``MAX_CONNECTIONS`` connections at once, ``HEADER_SECONDS`` to send a request's headers.
"""

from __future__ import annotations

import hmac
import json
import queue
import secrets
import socket
import sys
import threading
import urllib.parse
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.host.intake import EOF, EventQueue, decode_or_error
from harness.inside import protocol
from harness.runtimes.bytecode import MAX_ARCHIVE, BrowserBytecode
from harness.runtimes.snapshot import MAX_UPLOAD as MAX_SNAPSHOT
from harness.runtimes.snapshot import BrowserSnapshot
from harness.runtimes.web import websocket
from harness.runtimes.web.bundle import Bundle

# How long one ``command`` long-poll waits before answering 204 (the page asks again).
POLL_SECONDS = 10.0
# Limits on what one run's server holds: the largest event or output message the page may
# send (a report with megabytes of captured output fits; a runaway stream does not), the
# connections open at once (the page needs three: fetches, socket, poll) and how long a
# client may take to send a request's headers.
MAX_MESSAGE = 64 * 1024 * 1024
MAX_CONNECTIONS = 16
HEADER_SECONDS = 30.0
IMMUTABLE = "public, max-age=31536000, immutable"
CONTENT_TYPES = {
    ".wasm": "application/wasm",  # anything else and loadPyodide never settles
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".py": "text/x-python; charset=utf-8",
}


class Channel:
    """One runtime's event stream into the host queue and its command queue out."""

    def __init__(self, events: EventQueue, worker_id: str, output: Callable[[int, bytes], None]) -> None:
        self.events = events
        self.worker_id = worker_id
        self.output = output
        self.connected = threading.Event()
        self.fatal_message = ""
        self._commands: queue.Queue[str] = queue.Queue()
        self._closed = threading.Event()
        self._ended = False
        self._lock = threading.Lock()

    def claim(self) -> bool:
        """Whether a page may attach its event socket (only the first, only once)."""
        with self._lock:
            if self.connected.is_set() or self._ended:
                return False
            self.connected.set()
            return True

    def deliver(self, line: bytes) -> None:
        message = decode_or_error(line)
        if message["type"] == "error" and message["kind"] == "fatal":
            self.fatal_message = message["message"]
        self.events.put(self.worker_id, message)

    def end(self, last_words: protocol.Event | None = None) -> None:
        """The stream is over (socket closed, browser gone): ``EOF``, exactly once."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
        if last_words is not None:
            self.events.put(self.worker_id, last_words)
        self.events.put(self.worker_id, EOF)

    @property
    def ended(self) -> bool:
        return self._ended

    def push(self, line: str) -> None:
        self._commands.put(line)

    def next_command(self, timeout: float) -> str | None:
        try:
            return self._commands.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        """The host is done with this runtime: pending and future polls answer 410."""
        self._closed.set()
        self._commands.put("")  # wake a waiting poll

    @property
    def closed(self) -> bool:
        return self._closed.is_set()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        """At most ``MAX_CONNECTIONS`` at once: beyond that a connection is closed unread."""
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that goes away mid-request (killed, crashed, restarted) is part of the
        job: say nothing. Anything else is a harness bug and keeps its traceback."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class RunServer:
    """Serves one browser runtime; ``boot_url`` opens its page, once."""

    def __init__(
        self,
        channel: Channel,
        boot_document: dict[str, Any],
        entry_files: dict[str, Path],
        dist_dir: Path,
        runtime_files: list[Path],
        bundles: list[Bundle],
        bind: str = "127.0.0.1",
        url_host: str | None = None,
        snapshot: BrowserSnapshot | None = None,
        bytecode: BrowserBytecode | None = None,
    ) -> None:
        self.channel = channel
        self.snapshot = snapshot
        self.bytecode = bytecode
        self._boot_secret: str | None = secrets.token_urlsafe(24)
        self._session = secrets.token_urlsafe(32)
        self._lock = threading.Lock()
        self._boot_json = json.dumps(boot_document).encode("utf-8")
        self._entry = dict(entry_files)
        self._dist = {p.name: p for p in dist_dir.iterdir() if p.is_file()}
        self._runtime_files = list(runtime_files)
        self._bundles = {b.digest: b for b in bundles}
        server_class = _QuietServer6 if ":" in bind else _QuietServer
        try:
            self._httpd = server_class((bind, 0), _handler_class(self))
        except OSError as exc:
            raise HarnessError(f"--bind {bind}: cannot listen there: {exc.strerror}") from None
        self._url_host = url_host or (f"[{bind}]" if ":" in bind else bind)
        host, port = self.address
        self.origin = f"http://{self._url_host}:{port}"
        self.cookie_name = f"harness-{port}"
        self._hosts = {f"{self._url_host}:{port}", f"{host}:{port}", f"localhost:{port}"}
        self._boot_url = f"{self.origin}/page.html?boot={self._boot_secret}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.1,), name="harness-server", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def boot_url(self) -> str:
        """The page's one-time URL: hand it to the browser privately (a file only the user can
        read, a driver connection), never on a command line. Useless once the page is open."""
        return self._boot_url

    def close(self) -> None:
        self.channel.close()
        self._httpd.shutdown()
        self._httpd.server_close()

    def check(self, path: str, headers: Any) -> tuple[str, dict[str, str]] | None:
        """(the route, headers to add) for a request this run's page may make, or None (403).

        The one request without the session cookie is the page's first, with the one-time
        boot secret: it is answered with the cookie and the secret is spent.
        """
        if headers.get("Host", "") not in self._hosts:
            return None
        route, _, query = path.partition("?")
        route = route.lstrip("/")
        cookie = _cookie(headers.get("Cookie", ""), self.cookie_name)
        if cookie is not None and hmac.compare_digest(cookie.encode(), self._session.encode()):
            return route, {}
        given = next((v for k, _, v in (p.partition("=") for p in query.split("&")) if k == "boot"), "")
        if route != "page.html" or not given:
            return None
        with self._lock:
            if self._boot_secret is None or not hmac.compare_digest(given.encode(), self._boot_secret.encode()):
                return None
            self._boot_secret = None
        session = f"{self.cookie_name}={self._session}; Path=/; HttpOnly; SameSite=Strict"
        return route, {"Set-Cookie": session}

    def static(self, route: str) -> tuple[bytes, str, bool] | None:
        """(body, content type, immutable) for a file route, or None if there is none."""
        kind, _, name = route.partition("/")
        if route == "boot.json":
            return self._boot_json, CONTENT_TYPES[".json"], False
        if route in self._entry:
            return self._entry[route].read_bytes(), _content_type(route), False
        if kind == "dist" and name in self._dist:
            return self._dist[name].read_bytes(), _content_type(name), True
        if kind == "file" and name.isdigit() and int(name) < len(self._runtime_files):
            path = self._runtime_files[int(name)]
            return path.read_bytes(), _content_type(path.name), False
        if kind == "bundle" and name in self._bundles:
            return self._bundles[name].data, "application/octet-stream", True
        return None


def _cookie(header: str, name: str) -> str | None:
    """The value of cookie ``name`` in a ``Cookie`` header, if it is there."""
    for part in header.split(";"):
        key, eq, value = part.strip().partition("=")
        if eq and key == name:
            return value
    return None


class _QuietServer6(_QuietServer):
    address_family = socket.AF_INET6


def _content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")


class _Handler(BaseHTTPRequestHandler):
    """One request to a run's server; ``run_server`` is set per run by ``_handler_class``."""

    run_server: RunServer
    protocol_version = "HTTP/1.1"  # keep-alive: one connection carries the boot's fetches

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal belongs to pytest's report

    timeout = HEADER_SECONDS  # for the request's headers; the event socket lifts it

    def do_GET(self) -> None:
        checked = self.run_server.check(self.path, self.headers)
        if checked is None:
            return self._reply(HTTPStatus.FORBIDDEN, b"forbidden\n")
        route, extra = checked
        if route == "events" and self.headers.get("Upgrade", "").lower() == "websocket":
            return self._events()
        if route == "command":
            return self._command()
        if route == "snapshot":
            return self._snapshot()
        if route == "bytecode":
            return self._bytecode()
        found = self.run_server.static(route)
        if found is None:
            return self._reply(HTTPStatus.NOT_FOUND, b"not found\n")
        body, content_type, immutable = found
        self._reply(HTTPStatus.OK, body, content_type, IMMUTABLE if immutable else "no-store", extra)

    def do_POST(self) -> None:
        checked = self.run_server.check(self.path, self.headers)
        if checked is None:
            return self._reply(HTTPStatus.FORBIDDEN, b"")
        snapshot = self.run_server.snapshot
        route = checked[0]
        if self.run_server.bytecode is not None and route == "bytecode":
            return self._bytecode_upload(self.run_server.bytecode)
        if snapshot is not None and route == "snapshot":
            return self._upload(snapshot)
        if snapshot is not None and route == "snapshot-discard":
            snapshot.discard()
            return self._reply(HTTPStatus.NO_CONTENT, b"")
        self._reply(HTTPStatus.METHOD_NOT_ALLOWED, b"")

    def _query(self, name: str) -> str:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get(name, [""])[0]

    def _snapshot(self) -> None:
        snapshot = self.run_server.snapshot
        if snapshot is None:
            return self._reply(HTTPStatus.NOT_FOUND, b"")
        key, data = snapshot.lookup(self._query("agent"))
        extra = {"X-Harness-Snapshot": key}
        if data is None:
            return self._reply(HTTPStatus.NO_CONTENT, b"", extra=extra)
        self._reply(HTTPStatus.OK, data, "application/octet-stream", extra=extra)

    def _bytecode(self) -> None:
        bytecode = self.run_server.bytecode
        if bytecode is None:
            return self._reply(HTTPStatus.NOT_FOUND, b"")
        data = bytecode.lookup()
        if data is None:
            return self._reply(HTTPStatus.NO_CONTENT, b"")
        self._reply(HTTPStatus.OK, data, "application/octet-stream")

    def _bytecode_upload(self, bytecode: BrowserBytecode) -> None:
        size = self._length(MAX_ARCHIVE)
        if size is None:
            return
        refused = bytecode.save(size, self.rfile.read)
        if refused:
            self.close_connection = True
            return self._reply(HTTPStatus.CONFLICT, refused.encode() + b"\n")
        self._reply(HTTPStatus.NO_CONTENT, b"")

    def _length(self, limit: int) -> int | None:
        """The upload's Content-Length within ``limit``; else None, the refusal sent."""
        try:
            size = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._reply(HTTPStatus.LENGTH_REQUIRED, b"")
            return None
        if size > limit:
            self.close_connection = True  # the body stays unread
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"")
            return None
        self.connection.settimeout(HEADER_SECONDS)  # a stalled upload does not hold a thread
        return size

    def _upload(self, snapshot: BrowserSnapshot) -> None:
        size = self._length(MAX_SNAPSHOT)
        if size is None:
            return
        refused = snapshot.save(self._query("key"), size, self.rfile.read)
        if refused:
            self.close_connection = True
            return self._reply(HTTPStatus.CONFLICT, refused.encode() + b"\n")
        self._reply(HTTPStatus.NO_CONTENT, b"")

    def _reply(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str = "text/plain; charset=utf-8",
        cache: str = "no-store",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _command(self) -> None:
        channel = self.run_server.channel
        line = None if channel.closed else channel.next_command(POLL_SECONDS)
        if channel.closed:
            return self._reply(HTTPStatus.GONE, b"")
        if line is None:
            return self._reply(HTTPStatus.NO_CONTENT, b"")
        self._reply(HTTPStatus.OK, line.encode("utf-8"))

    def _events(self) -> None:
        channel = self.run_server.channel
        key = self.headers.get("Sec-WebSocket-Key")
        if self.headers.get("Origin", self.run_server.origin) != self.run_server.origin:
            return self._reply(HTTPStatus.FORBIDDEN, b"forbidden\n")
        if not key or not channel.claim():
            return self._reply(HTTPStatus.CONFLICT, b"")
        self.send_response(HTTPStatus.SWITCHING_PROTOCOLS)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", websocket.accept_key(key))
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        self.connection.settimeout(None)  # a test may run silently for as long as it likes
        last_words: protocol.Event | None = None
        try:
            for opcode, payload in websocket.messages(self.rfile, MAX_MESSAGE):
                if opcode == websocket.TEXT:
                    channel.deliver(payload)
                elif payload:
                    channel.output(payload[0], payload[1:])
            self.wfile.write(websocket.CLOSE_FRAME)
        except websocket.TooLarge:
            self.wfile.write(websocket.close_frame(websocket.MESSAGE_TOO_BIG))
            message = f"the page sent a message over {MAX_MESSAGE >> 20} MB, more than the run's server accepts"
            last_words = protocol.Error(type="error", kind="fatal", message=message)
        except OSError:
            pass  # the browser went away mid-frame: the stream ends all the same
        finally:
            channel.end(last_words)


def _handler_class(server: RunServer) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to ``server`` (``http.server`` instantiates it per request)."""
    return type("Handler", (_Handler,), {"run_server": server})
