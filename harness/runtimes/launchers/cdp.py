"""Chromium started directly, driven over the DevTools protocol on a private pipe: one
browser process, one page (tab, own renderer process) per runtime.

``--remote-debugging-pipe`` makes Chromium read DevTools commands from its fd 3 and write
replies and events to its fd 4, NUL-terminated JSON. Unlike ``--remote-debugging-port`` no
socket is opened, so no other local user can reach the browser, and page URLs (with their
one-time secrets) travel over the pipe, never on a command line. ``Target.createTarget``
opens a runtime's page in a window of its own (a new browsing instance: its own renderer
process, so one page's crash or kill leaves the others running); ``Target.closeTarget``
closes it, and when its renderer does not let go (Python busy on the page's thread),
``Page.crash`` ends that renderer alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from harness.errors import HarnessError
from harness.runtimes.launchers import Pages
from harness.runtimes.launchers.direct import Command, exit_status, kill_group, watch

# How long a DevTools command may take to be answered (a loaded machine starting pages).
REPLY_SECONDS = 60.0
# How long a closing page may take before its renderer is crashed instead.
CLOSE_SECONDS = 3.0


class CdpError(Exception):
    """The browser refused a DevTools command, or went away before answering it."""


class _Pipe:
    """The DevTools connection: numbered commands, their replies, and events by name."""

    def __init__(self, commands: IO[bytes], replies: IO[bytes], on_event: Callable[[dict[str, Any]], None]) -> None:
        self._out = commands
        self._on_event = on_event
        self._lock = threading.Lock()
        self._next = 0
        self._waiting: dict[int, tuple[threading.Event, list[dict[str, Any]]]] = {}
        self.closed = threading.Event()
        threading.Thread(target=self._read, args=(replies,), name="harness-cdp", daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        pending = b""
        try:
            with stream:
                while chunk := stream.read1(1 << 16):  # type: ignore[attr-defined]
                    pending += chunk
                    *messages, pending = pending.split(b"\0")
                    for raw in messages:
                        self._dispatch(json.loads(raw))
        except (OSError, ValueError):
            pass
        finally:
            self.closed.set()
            with self._lock:
                waiting, self._waiting = self._waiting, {}
            for event, _ in waiting.values():
                event.set()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" not in message:
            self._on_event(message)
            return
        with self._lock:
            found = self._waiting.pop(message["id"], None)
        if found is not None:
            found[1].append(message)
            found[0].set()

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = REPLY_SECONDS,
    ) -> dict[str, Any]:
        done, reply = threading.Event(), list[dict[str, Any]]()
        with self._lock:
            if self.closed.is_set():
                raise CdpError("the browser is gone")
            self._next += 1
            number = self._next
            self._waiting[number] = (done, reply)
            message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
            if session is not None:
                message["sessionId"] = session
            try:
                self._out.write(json.dumps(message).encode() + b"\0")
                self._out.flush()
            except OSError:
                self._waiting.pop(number, None)
                raise CdpError("the browser is gone") from None
        if not done.wait(timeout) or not reply:
            with self._lock:
                self._waiting.pop(number, None)
            raise CdpError(f"{method}: no answer" if not self.closed.is_set() else "the browser is gone")
        if "error" in reply[0]:
            raise CdpError(f"{method}: {reply[0]['error'].get('message', 'refused')}")
        result: dict[str, Any] = reply[0].get("result", {})
        return result

    def close(self) -> None:
        try:
            self._out.close()
        except OSError:
            pass


class _Page:
    """One runtime's tab: its target, the session attached to it, who to tell when it ends."""

    def __init__(self, target: str, session: str, ended: Callable[[str], None]) -> None:
        self.target = target
        self.session = session
        self.ended = ended
        self.destroyed = threading.Event()


class CdpLauncher(Pages):
    """One Chromium process (and its process group) for every runtime of a run."""

    def __init__(self, description: str, executable: str, profile: Path, command: Command) -> None:
        super().__init__(description)
        self.executable = executable
        self.profile = profile
        self.command = command
        self._process: subprocess.Popen[bytes] | None = None
        self._pipe: _Pipe | None = None
        self._pages: dict[str, _Page] = {}
        self._blank: list[str] = []  # the tab Chromium opens on its own: closed once ours is up

    def launch(self) -> None:
        to_browser, commands = os.pipe()
        replies, from_browser = os.pipe()

        def pipes_at_3_and_4() -> None:  # where --remote-debugging-pipe expects them
            os.dup2(to_browser, 3)
            os.dup2(from_browser, 4)

        command = self.command(self.executable, self.profile, "about:blank")
        command.insert(-1, "--remote-debugging-pipe")
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=str(self.profile),
                pass_fds=(3, 4),
                preexec_fn=pipes_at_3_and_4,  # noqa: PLW1509 - dup2 only, nothing that allocates
                start_new_session=True,  # its own process group: close() ends every child
            )
        except OSError as exc:
            os.close(commands)
            os.close(replies)
            raise HarnessError(f"cannot run {self.executable}: {exc.strerror}") from None
        finally:
            os.close(to_browser)
            os.close(from_browser)
        with self._lock:
            self._process = process
        watch(process, self.log, self.ended)
        self._pipe = _Pipe(os.fdopen(commands, "wb"), os.fdopen(replies, "rb"), self._event)
        if self.closing:
            self._shut()
            raise HarnessError(f"{self.description} closed while starting")
        try:
            self._pipe.call("Target.setDiscoverTargets", {"discover": True})
            targets = self._pipe.call("Target.getTargets").get("targetInfos", [])
            self._blank = [t["targetId"] for t in targets if t.get("type") == "page"]
        except CdpError as exc:
            try:  # a browser that cannot start closes the pipe as it exits: say how it ended
                status = exit_status(process.wait(CLOSE_SECONDS))
            except subprocess.TimeoutExpired:
                raise HarnessError(f"{self.description}: {exc}") from None
            raise HarnessError(f"{self.description} {status} before its page connected") from None

    def _event(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Target.targetCrashed":
            page = self._pages.get(params.get("targetId", ""))
            if page is not None:
                page.ended(f"page crashed ({params.get('status', 'renderer gone')})")
        elif method == "Target.targetDestroyed":
            page = self._pages.pop(params.get("targetId", ""), None)
            if page is not None:
                page.destroyed.set()
                page.ended("page closed")

    def new_page(self, url: str, ended: Callable[[str], None]) -> object:
        pipe = self._pipe
        if pipe is None:
            raise HarnessError(f"{self.description} is not running")
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank", "newWindow": True})["targetId"]
            session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            page = _Page(target, session, ended)
            self._pages[target] = page
            pipe.call("Page.navigate", {"url": url}, session=session)
            blank, self._blank = self._blank, []
            for other in blank:  # not before: a browser without tabs may end
                pipe.call("Target.closeTarget", {"targetId": other})
        except (CdpError, KeyError) as exc:
            raise HarnessError(f"{self.description}: cannot open a page: {exc}") from None
        return page

    def close_page(self, page: object) -> None:
        assert isinstance(page, _Page)
        pipe = self._pipe
        if pipe is None or page.destroyed.is_set():
            return
        try:
            pipe.call("Target.closeTarget", {"targetId": page.target})
            if page.destroyed.wait(CLOSE_SECONDS):
                return
            # Its renderer is busy (Python holding the page's thread): end that process alone.
            pipe.call("Page.crash", session=page.session, timeout=CLOSE_SECONDS)  # never answered
        except CdpError:
            pass  # the page or the whole browser is gone already
        page.destroyed.wait(CLOSE_SECONDS)

    def _shut(self) -> None:
        with self._lock:
            process = self._process
        if self._pipe is not None:
            self._pipe.close()
        kill_group(process)
