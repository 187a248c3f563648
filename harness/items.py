"""Host-side stand-ins for tests that live in the runtime.

The host never imports the project's test modules, but pytest's terminal reporter and
other host plugins expect ``Item`` objects in ``CollectReport.result``, ``session.items``
and ``pytest_deselected``. These carry exactly what the runtime sent: node id and location.
"""

from __future__ import annotations

from typing import Any

import pytest


class RuntimeItem(pytest.Item):
    """A test collected and run inside the runtime; calling it on the host is a bug."""

    def __init__(self, *, location: tuple[str, int | None, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._runtime_location = location

    @property  # type: ignore[override]
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

    def get(self, nodeid: str, location: list[Any] | None = None) -> RuntimeItem:
        item = self._items.get(nodeid)
        if item is None:
            loc = tuple(location) if location else (nodeid.split("::")[0], None, nodeid)
            item = RuntimeItem.from_parent(
                self._session,
                name=nodeid.rpartition("::")[2] or nodeid,
                nodeid=nodeid,
                path=self._session.config.rootpath / loc[0],
                location=loc,
            )
            self._items[nodeid] = item
        return item
