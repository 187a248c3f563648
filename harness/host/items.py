"""Host-side stand-ins for tests that live in the runtime.

The host never imports the project's test modules, but pytest's terminal reporter and
other host plugins expect ``Item`` objects in ``CollectReport.result``, ``session.items``
and ``pytest_deselected``. These carry exactly what the runtime sent: node id and location.

They live for the whole session (``session.items``), so what they hold is shared where
pytest's own items share it: one ``Path`` per file, interned kind and file names. A stand-in
then costs about 1.2 KB, nearly all of it pytest's own ``Node`` fields (keywords, stash,
marker lists), a fraction of what a native ``Function`` holds.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest


class RuntimeCollector(pytest.Collector):
    """A module, class or directory of the runtime's collection tree (for ``--collect-only``)."""

    def __init__(self, *, kind: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name}>"

    def collect(self) -> list[Any]:
        raise RuntimeError(f"{self.nodeid} is collected inside the runtime, not on the host")


class RuntimeItem(pytest.Item):
    """A test collected and run inside the runtime; calling it on the host is a bug."""

    def __init__(self, *, location: tuple[str, int | None, str], kind: str = "Function", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._runtime_location = location
        self.kind = kind

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name}>"

    @property
    def location(self) -> tuple[str, int | None, str]:
        return self._runtime_location

    def runtest(self) -> None:
        raise RuntimeError(f"{self.nodeid} runs inside the runtime, not on the host")

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, self._runtime_location[1], self._runtime_location[2]


class ItemRegistry:
    """Creates each stand-in once and finds it again by node id."""

    def __init__(self, session: pytest.Session) -> None:
        self._session = session
        self._items: dict[str, RuntimeItem] = {}
        self._collectors: dict[tuple[tuple[str, str], ...], pytest.Collector] = {}
        self._paths: dict[str, Path] = {}

    def known(self, nodeid: str) -> RuntimeItem | None:
        """The stand-in for ``nodeid`` if the runtime collected it (no new one is made)."""
        return self._items.get(nodeid)

    def _path(self, file: str) -> Path:
        """One ``Path`` per test file, as a module's items share their module's path natively."""
        path = self._paths.get(file)
        if path is None:
            path = self._paths[file] = self._session.config.rootpath / file
        return path

    def _parent(self, chain: list[list[str]]) -> pytest.Collector:
        """The stand-in collector for a chain of (class name, name), created once."""
        parent: pytest.Collector = self._session
        for depth in range(1, len(chain) + 1):
            key = tuple((kind, name) for kind, name in chain[:depth])
            node = self._collectors.get(key)
            if node is None:
                kind, name = chain[depth - 1]
                node = RuntimeCollector.from_parent(parent, name=name, kind=kind, nodeid=f"{parent.nodeid}/{name}")
                self._collectors[key] = node
            parent = node
        return parent

    def get(self, nodeid: str, location: list[Any] | None = None, chain: list[list[str]] | None = None) -> RuntimeItem:
        item = self._items.get(nodeid)
        if item is None:
            file, line, domain = location if location else (nodeid.split("::")[0], None, nodeid)
            file = sys.intern(file)
            chain = chain or [["Function", nodeid.rpartition("::")[2] or nodeid]]
            item = RuntimeItem.from_parent(
                self._parent(chain[:-1]),
                name=chain[-1][1],
                kind=sys.intern(chain[-1][0]),
                nodeid=nodeid,
                path=self._path(file),
                location=(file, line, domain),
            )
            self._items[nodeid] = item
        return item
