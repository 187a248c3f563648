"""Runtime patches for Pyodide defects that break pytest; runs inside the runtime.

Why: some Pyodide releases carry filesystem defects (see each module) that crash pytest
itself. ``apply_all()`` must run before ``import pytest``. Every patch first *probes* for its
defect and changes nothing where the runtime is already correct, so new Pyodide releases are
left alone automatically.

Adding a patch: write one module exposing ``NAME: str``, ``probe(**opts) -> dict[str, bool]``
(True = defect present), ``apply(defects, **opts) -> None`` and optionally
``verify(**opts) -> dict[str, bool]`` (re-probe with the patch active; defaults to
``probe``), then append it to ``_registry()``. Options such as ``nodefs_dirs`` are passed
only to functions whose signature accepts them.

Importable on host CPython too: nothing here imports ``js``/``pyodide`` at import time.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = ["apply_all", "summary"]


def _registry() -> list[ModuleType]:
    from . import fd_without_path

    return [fd_without_path]


def _call(fn: Callable[..., Any], *args: Any, **opts: Any) -> Any:
    """Call `fn` with only the keyword options its signature accepts."""
    params = inspect.signature(fn).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        opts = {k: v for k, v in opts.items() if k in params}
    return fn(*args, **opts)


def _run(mod: ModuleType, enabled: bool, opts: dict[str, Any]) -> dict[str, Any]:
    defects: dict[str, bool] = dict(_call(mod.probe, **opts))
    res: dict[str, Any] = {
        "name": mod.NAME,
        "enabled": enabled,
        "defects": defects,
        "applied": False,
        "fixed": {k: not v for k, v in defects.items()},  # "works now" when nothing applied
        "unpatchable": [],
    }
    if enabled and any(defects.values()):
        _call(mod.apply, defects, **opts)
        still = dict(_call(getattr(mod, "verify", mod.probe), **opts))
        res["applied"] = True
        res["fixed"] = {k: not still.get(k, False) for k in defects}
        res["unpatchable"] = [k for k, v in defects.items() if v and still.get(k, False)]
    for extra in ("PROBED_ON", "INSTALLED"):
        if hasattr(mod, extra):
            res[extra.lower()] = list(getattr(mod, extra))
    return res


def apply_all(enabled: bool = True, *, nodefs_dirs: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Probe every registered patch and apply it where its defect is present.

    `enabled=False` (``--no-patches``) only probes. `nodefs_dirs`: host-mounted (NODEFS)
    directories to probe in besides auto-detected mounts. Returns one dict per patch:
    ``name``, ``enabled``, ``defects`` (True = present), ``applied``, ``fixed`` (True = the operation works
    now), ``unpatchable`` (defects still present after applying), and, when a patch fails
    itself, ``error``. A failing patch never raises: the run continues unpatched.
    """
    opts: dict[str, Any] = {"nodefs_dirs": list(nodefs_dirs) if nodefs_dirs else None}
    results: list[dict[str, Any]] = []
    for mod in _registry():
        try:
            results.append(_run(mod, enabled, opts))
        except Exception as e:  # a broken patch must not take the whole run down
            results.append({
                "name": getattr(mod, "NAME", mod.__name__), "enabled": enabled,
                "defects": {}, "applied": False,
                "fixed": {}, "unpatchable": [], "error": f"{type(e).__name__}: {e}",
            })
    return results


def _present(r: dict[str, Any]) -> list[str]:
    return [k for k, v in r.get("defects", {}).items() if v]


def _describe(r: dict[str, Any]) -> str:
    if r.get("error"):
        return f"{r['name']} (failed: {r['error']})"
    txt = ", ".join(_present(r))
    if r.get("unpatchable"):
        txt += f"; still failing: {', '.join(r['unpatchable'])}"
    return f"{r['name']} ({txt})"


def summary(results: list[dict[str, Any]]) -> str:
    """One header line: ``patches: fd-without-path (fstat, ftruncate, ...)``,
    ``patches: none needed`` or, after ``apply_all(enabled=False)``,
    ``patches: disabled (--no-patches); defects present: ...``."""
    shown = [_describe(r) for r in results if r.get("error") or _present(r)]
    if any(r.get("enabled") is False for r in results):
        return "patches: disabled (--no-patches); defects present: " + ("; ".join(shown) or "none")
    return "patches: " + ("; ".join(shown) or "none needed")
