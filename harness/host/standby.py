"""Runtimes booted ahead of a session, for its pool to adopt (``harness run --watch``).

A re-run cannot reuse the interpreter that ran the last session: it has imported the
project's modules, and a changed module would be served stale from ``sys.modules``. What a
fresh runtime costs is its boot (a snapshot restore on Node, about half a second), so
watch mode pays it *before* the change: as soon as a session ends, a standby boots to
``ready`` (pytest imported, patches applied, nothing of the project imported) and waits.
It is also asked to prepare the next session at once (``describe``: the conftests and
plugins imported, the arguments parsed), which is most of what a session costs before its
first test; that preparation stays valid unless a file it imported changes (the runtime
lists them) or a conftest or configuration file does. When a file changes, the next
session's pool adopts the standby instead of booting its own.

Only runtimes that see the host's files live can wait like that: Node mounts the project
(NODEFS), so the files it reads after the change are the new ones; a browser page gets a
copy of the project when it starts (``harness.runtimes.web.bundle``) and would test the old
files, so browsers boot after the change instead (``Runtime.sees_live_files``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.host.intake import EventQueue
from harness.inside import protocol
from harness.provision.boot import with_fresh_scratch
from harness.runtimes import runtime_class
from harness.runtimes.base import BOOT_TIMEOUT, BootConfig, Runtime


class Standby:
    """``count`` runtimes of one kind, started from a copy of a session's ``BootConfig`` and
    asked at once to prepare the next session (``describe``), so that after the change only
    collection and the tests are left to do.

    The copy has its own scratch directory: the session it was copied from removes its
    own when it ends. Whoever holds a standby either hands it to a pool (``RuntimePool``) or
    stops it (``discard``).
    """

    def __init__(self, runtime: str, boot: BootConfig, count: int, args: Sequence[str]) -> None:
        self.kind = runtime_class(runtime)
        self.boot = with_fresh_scratch(boot)
        self.args = list(args)  # the runtime's pytest arguments of the session to come
        self.events = EventQueue()
        self.runtimes: list[Runtime] = [self.kind(self.boot, self.events, f"rt{i}") for i in range(count)]
        self.readies: dict[str, protocol.Ready] = {}
        self.described: dict[str, protocol.Described] = {}

    @classmethod
    def possible(cls, runtime: str) -> bool:
        """Whether this kind of runtime can boot before the change it is to test."""
        return runtime_class(runtime).sees_live_files

    def start(self) -> bool:
        """Launch every runtime and ask it to prepare the session (its ``ready`` and
        ``described`` wait in ``events``); False, all discarded, if one cannot even be
        launched (the session after the change then says why)."""
        try:
            for runtime in self.runtimes:
                runtime.start()
                runtime.describe(self.args)
        except HarnessError:
            self.discard()
            return False
        return True

    def prepared(self, timeout: float = BOOT_TIMEOUT) -> bool:
        """Wait until every runtime has booted and prepared the session; False if one
        failed at it (a conftest that does not import, say: the session after the change
        boots its own runtimes and reports what is wrong, if it still is)."""
        deadline = time.monotonic() + timeout
        while len(self.described) < len(self.runtimes):
            got = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            if got is None:
                return False
            worker, event = got
            if event["type"] == "ready":
                self.readies[worker] = event
            elif event["type"] == "described":
                self.described[worker] = event
            else:
                return False
        return True

    def project_files(self) -> set[Path]:
        """The project's files the prepared sessions imported (once ``prepared``): if one
        of them changed, the prepared session is stale."""
        return {Path(file) for event in self.described.values() for file in event["project_files"]}

    def fits(self, runtime: str, boot: BootConfig, count: int, args: Sequence[str]) -> bool:
        """Whether these runtimes are what a session booting ``boot`` with ``args`` would
        start itself: the same kind and number, all prepared and still running, and the same
        boot apart from the scratch directory (a test file may have asked for another
        package, say)."""
        return (
            self.kind is runtime_class(runtime)
            and len(self.runtimes) == count
            and list(args) == self.args
            and len(self.described) == count
            and all(r.alive() for r in self.runtimes)
            and _comparable(self.boot) == _comparable(boot)
        )

    def discard(self) -> None:
        """Stop the runtimes and remove the scratch directory (idempotent)."""
        for runtime in self.runtimes:
            runtime.kill()
        self.boot.cleanup()


def _comparable(boot: BootConfig) -> tuple[dict[str, Any], Any]:
    """What a runtime is booted from, minus the scratch directory (private to each boot)."""
    document = boot.document()
    scratch = {str(path) for path in boot.probe_dirs}
    document["mounts"] = [m for m in document["mounts"] if m not in scratch]
    document["probe_dirs"] = len(scratch)
    return document, boot.launch
