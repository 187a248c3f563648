"""The local HTTP server one browser runtime talks to: files in, events out, commands in.

Bound to 127.0.0.1 on an ephemeral port unless the user binds it elsewhere (``--bind``,
for a browser on another machine; ``--advertise`` names the host in the page's URL).
Every URL starts with the run's random token
(``/<token>/page.html``); anything else gets 403, so another local process or a web page
cannot read the project or inject commands. Only what the run needs is served, from fixed
tables built at start (no directory listing, no path from the URL ever reaches the file
system):

    page.html, page.mjs, runtime.mjs, boot.mjs   the entry point (``browsers/``)
    boot.json                             the boot document
    dist/<name>                           the Pyodide distribution's files (immutable)
    file/<n>                              the runtime-side Python (``runtime_files()``)
    bundle/<digest>                       packed trees: project, site-packages (immutable)
    events                                WebSocket: one protocol line per text message;
                                          binary messages are output, first byte the fd
    command                               long-poll: the next command line (200), none
                                          yet (204), or the host is gone (410)

Receivers only enqueue (the pytest-xdist rule): the WebSocket handler decodes lines into
the ``EventQueue`` and puts ``EOF`` there once, when the page's socket closes.
"""

from __future__ import annotations

import hmac
import json
import queue
import secrets
import socket
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.host.intake import EOF, EventQueue, decode_or_error
from harness.inside import protocol
from harness.runtimes.web import websocket
from harness.runtimes.web.bundle import Bundle

# How long one ``command`` long-poll waits before answering 204 (the page asks again).
POLL_SECONDS = 10.0
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

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that goes away mid-request (killed, crashed, restarted) is part of the
        job: say nothing. Anything else is a harness bug and keeps its traceback."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class RunServer:
    """Serves one browser runtime; ``url`` is the page to open."""

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
    ) -> None:
        self.channel = channel
        self.token = secrets.token_urlsafe(24)
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
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.1,), name="harness-server", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        """The page, at the address browsers are told (``--advertise``; else the bound one)."""
        return f"http://{self._url_host}:{self.address[1]}/{self.token}/page.html"

    def close(self) -> None:
        self.channel.close()
        self._httpd.shutdown()
        self._httpd.server_close()

    def authorized(self, path: str) -> str | None:
        """The route after ``/<token>/``, or None when the token is missing or wrong."""
        given, _, rest = path.partition("?")[0].lstrip("/").partition("/")
        return rest if hmac.compare_digest(given.encode(), self.token.encode()) else None

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

    def do_GET(self) -> None:
        route = self.run_server.authorized(self.path)
        if route is None:
            return self._reply(HTTPStatus.FORBIDDEN, b"forbidden\n")
        if route == "events" and self.headers.get("Upgrade", "").lower() == "websocket":
            return self._events()
        if route == "command":
            return self._command()
        found = self.run_server.static(route)
        if found is None:
            return self._reply(HTTPStatus.NOT_FOUND, b"not found\n")
        body, content_type, immutable = found
        self._reply(HTTPStatus.OK, body, content_type, IMMUTABLE if immutable else "no-store")

    def do_POST(self) -> None:
        self._reply(
            HTTPStatus.FORBIDDEN if self.run_server.authorized(self.path) is None else HTTPStatus.METHOD_NOT_ALLOWED,
            b"",
        )

    def _reply(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str = "text/plain; charset=utf-8",
        cache: str = "no-store",
    ) -> None:
        self.send_response(status)
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
        if not key or not channel.claim():
            return self._reply(HTTPStatus.CONFLICT, b"")
        self.send_response(HTTPStatus.SWITCHING_PROTOCOLS)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", websocket.accept_key(key))
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        try:
            for opcode, payload in websocket.messages(self.rfile):
                if opcode == websocket.TEXT:
                    channel.deliver(payload)
                elif payload:
                    channel.output(payload[0], payload[1:])
            self.wfile.write(websocket.CLOSE_FRAME)
        except OSError:
            pass  # the browser went away mid-frame: the stream ends all the same
        finally:
            channel.end()


def _handler_class(server: RunServer) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to ``server`` (``http.server`` instantiates it per request)."""
    return type("Handler", (_Handler,), {"run_server": server})
