"""Which file changes start a watch cycle, and waiting for them.

Files are watched with ``watchfiles`` (the file watcher behind uvicorn's ``--reload``): the
operating system reports each change (inotify, FSEvents, ...), so a save is noticed within
one ``STEP_MS`` and an idle watch costs no CPU, where a poller would stat every file of the
project several times a second on a machine whose cores the tests need, and still notice
later. Where the system cannot report changes (some network and container file systems),
``watchfiles`` polls by itself (``WATCHFILES_FORCE_POLLING=1`` forces it). The watcher runs
for the whole watch, so what changes while a cycle runs is kept and starts the next cycle
as soon as that one ends.

What counts, as pytest-xdist's ``--looponfail`` and pytest-watch decide it: Python files and
pytest's configuration files, outside caches, version control, virtual environments and build
output. A test that writes other files into the project (and the harness's own reports:
JUnit XML, JSON, coverage) therefore cannot start cycles by itself.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

# Changes arriving within this many milliseconds of each other are one save (editors write
# a file in several steps, "save all" writes several files) ...
STEP_MS = 30
# ... but a cycle starts at most this long after the first of them.
DEBOUNCE_MS = 300
SUFFIXES = (".py", ".pyi")
CONFIG_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
IGNORED_DIRS = frozenset(
    {
        *("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".benchmarks"),
        *(".git", ".hg", ".svn", ".idea", ".vscode"),
        *(".venv", "venv", ".tox", ".nox", "site-packages", "node_modules"),
        *("build", "dist", "htmlcov"),
    }
)
# Editors' swap, backup, lock and "safe write" temp files (vim, emacs, JetBrains, flycheck).
EDITOR_FILES = re.compile(r"(\.sw.|~|\.___jb_\w+___)$|^(\.#|flycheck_)")


class ProjectFilter:
    """Whether a changed path counts (``watchfiles``' filter interface): the rules above,
    and nothing under ``ignore_paths``."""

    def __init__(self, ignore_paths: Iterable[Path] = ()) -> None:
        self.ignore_paths = tuple(str(p) for p in ignore_paths)

    def __call__(self, change: object, path: str) -> bool:
        parts = Path(path).parts
        name = parts[-1]
        return (
            (name.endswith(SUFFIXES) or name in CONFIG_FILES)
            and not EDITOR_FILES.search(name)
            and IGNORED_DIRS.isdisjoint(parts[:-1])
            and not path.startswith(self.ignore_paths)
        )


@dataclass(frozen=True)
class ChangeSet:
    """What changed, and when: ``noticed`` when the watcher said so, ``saved`` the newest
    modification time among the changed files (the moment of the save, when it is plausible;
    else ``noticed``). Both on the ``time.time()`` clock, as file times are."""

    paths: tuple[Path, ...]
    noticed: float
    saved: float

    def describe(self, roots: Iterable[Path], shown: int = 3) -> str:
        """``a.py, pkg/b.py (+2 more)``, relative to the watched root that holds each."""
        names = [_relative(path, roots) for path in self.paths]
        more = f" (+{len(names) - shown} more)" if len(names) > shown else ""
        return ", ".join(names[:shown]) + more


def _relative(path: Path, roots: Iterable[Path]) -> str:
    for root in roots:
        if root == path or root in path.parents:
            return path.relative_to(root).as_posix()
    return str(path)


def saved_at(paths: Iterable[Path], noticed: float) -> float:
    """The newest modification time of ``paths`` if it is a moment before ``noticed`` (a
    save); a file restored with an old time, removed, or stamped in the future gives
    ``noticed``."""
    times = []
    for path in paths:
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            continue
    newest = max(times, default=noticed)
    return newest if noticed - 5.0 <= newest <= noticed else noticed


class Watcher:
    """Changes under ``roots`` that pass ``ProjectFilter``, one ``ChangeSet`` at a time.

    Created during the first session (see ``_watch``). ``watchfiles`` starts watching when
    its generator is first advanced, and advancing it blocks: a thread of its own runs it
    from the start (so changes made while the first cycle runs are seen too) and queues
    what it yields.
    """

    def __init__(self, roots: Iterable[Path], ignore_paths: Iterable[Path] = ()) -> None:
        self.roots = tuple(roots)
        self._filter = ProjectFilter(ignore_paths)
        self._stop = threading.Event()
        self._found: queue.Queue[tuple[set[tuple[Any, str]] | Exception, float]] = queue.Queue()
        self._thread = threading.Thread(target=self._watch, name="harness-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        # Imported here, once pytest's first session has loaded its plugins: watchfiles
        # imports anyio, whose pytest plugin pytest then finds imported without its
        # assertion rewriting and warns about in every session.
        import watchfiles

        try:
            for changed in watchfiles.watch(
                *self.roots,
                watch_filter=self._filter,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=self._stop,
                rust_timeout=0,  # no timeout: until a change or close()
                raise_interrupt=False,  # Ctrl-C is the main thread's to handle
            ):
                self._found.put((changed, time.time()))
        except Exception as exc:  # noqa: BLE001 - the OS refused (watch limit, permissions): wait() says so
            self._found.put((exc, time.time()))

    def wait(self) -> ChangeSet:
        """Block until the next changes (at once if some came since the last call; all that
        came are taken together)."""
        changed, noticed = self._take(self._found.get())
        while not self._found.empty():
            more, noticed = self._take(self._found.get())
            changed |= more
        paths = tuple(sorted({Path(path) for _, path in changed}))
        return ChangeSet(paths, noticed, saved_at(paths, noticed))

    def _take(self, found: tuple[set[tuple[Any, str]] | Exception, float]) -> tuple[set[tuple[Any, str]], float]:
        what, noticed = found
        if isinstance(what, Exception):
            raise HarnessError(
                f"cannot watch {', '.join(map(str, self.roots))} for changes: {what} "
                "(WATCHFILES_FORCE_POLLING=1 makes the watch poll instead)"
            )
        return what, noticed

    def close(self) -> None:
        """Stop watching; ``watchfiles`` sees the stop within one step."""
        self._stop.set()
        self._thread.join(timeout=2)
