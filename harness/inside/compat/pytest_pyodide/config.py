"""pytest-pyodide's global configuration object, for conftests that tune it.

Its settings choose browser flags and the script that loads Pyodide on a page the plugin
opens itself; the harness starts its runtimes its own way, so values are kept (and can be
read back) but change nothing.
"""

from __future__ import annotations

from functools import cache


class Config:
    def __init__(self) -> None:
        self._flags: dict[str, list[str]] = {}
        self._scripts: dict[str, str] = {}
        self._node_globals: list[str] = []

    def get_flags(self, runtime: str) -> list[str]:
        return list(self._flags.get(runtime, []))

    def set_flags(self, runtime: str, flags: list[str]) -> None:
        self._flags[runtime] = list(flags)

    def get_load_pyodide_script(self, runtime: str) -> str:
        return self._scripts.get(runtime, "")

    def set_load_pyodide_script(self, runtime: str, load_pyodide_script: str) -> None:
        self._scripts[runtime] = load_pyodide_script

    def get_initialize_script(self, runtime: str) -> str:
        return ""

    def set_initialize_script(self, runtime: str, initialize_script: str) -> None:
        pass

    def add_node_extra_globals(self, node_globals: list[str]) -> None:
        self._node_globals.extend(node_globals)

    def get_node_extra_globals(self) -> list[str]:
        return list(self._node_globals)


@cache
def get_global_config() -> Config:
    return Config()
