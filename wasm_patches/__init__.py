"""Runtime patches for Pyodide defects that break pytest; runs inside the runtime.

Why: some Pyodide releases carry filesystem defects (see each module) that crash pytest
itself. ``apply_all()`` must run before ``import pytest``. Every patch first *probes* for its
defect and changes nothing where the runtime is already correct, so new Pyodide releases are
left alone automatically.

Adding a patch: write one module satisfying ``contract.Patch`` (``NAME``, ``probe``,
``apply``, and optionally ``verify(**opts) -> dict[str, bool]``, a re-probe with the patch
active that defaults to ``probe``), then append it to ``_registry()``.

Importable on host CPython too: nothing here imports ``js``/``pyodide`` at import time.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any, cast

from .contract import Patch, PatchResult

__all__ = ["apply_all", "summary"]


def _registry() -> list[Patch]:
    from . import (
        faulthandler_watchdog,
        fd_without_path,
        nodefs_create_race,
        sockets_listen,
        sqlite3_for_coverage,
        umask_on_create,
    )

    modules: list[ModuleType] = [
        fd_without_path,
        umask_on_create,
        nodefs_create_race,
        faulthandler_watchdog,
        sockets_listen,
        sqlite3_for_coverage,
    ]
    return cast("list[Patch]", modules)


def _run(mod: Patch, enabled: bool, opts: dict[str, Any]) -> PatchResult:
    defects: dict[str, bool] = dict(mod.probe(**opts))
    res = PatchResult(
        name=mod.NAME,
        enabled=enabled,
        defects=defects,
        applied=False,
        fixed={k: not v for k, v in defects.items()},  # "works now" when nothing applied
        unpatchable=[],
    )
    if enabled and any(defects.values()):
        try:
            mod.apply(defects, **opts)
            still = dict(getattr(mod, "verify", mod.probe)(**opts))
        except Exception as e:  # noqa: BLE001 - keep the findings, report the failure
            res["error"] = f"{type(e).__name__}: {e}"
            return res
        res["applied"] = True
        res["fixed"] = {k: not still.get(k, False) for k in defects}
        res["unpatchable"] = [k for k, v in defects.items() if v and still.get(k, False)]
    probed_on, installed = getattr(mod, "PROBED_ON", None), getattr(mod, "INSTALLED", None)
    if probed_on is not None:
        res["probed_on"] = list(probed_on)
    if installed is not None:
        res["installed"] = list(installed)
    return res


def apply_all(enabled: bool = True, *, nodefs_dirs: Sequence[str] | None = None) -> list[PatchResult]:
    """Probe every registered patch and apply it where its defect is present.

    `enabled=False` (``--no-patches``) only probes. `nodefs_dirs`: host-mounted (NODEFS)
    directories to probe in besides auto-detected mounts. Returns one dict per patch:
    ``name``, ``enabled``, ``defects`` (True = present), ``applied``, ``fixed`` (True = the
    operation works now), ``unpatchable`` (defects still present after applying), when a
    patch fails itself ``error``, plus whatever the module reports in ``PROBED_ON`` /
    ``INSTALLED``. A failing patch never raises: the run continues unpatched.
    """
    opts: dict[str, Any] = {"nodefs_dirs": list(nodefs_dirs) if nodefs_dirs else None}
    results: list[PatchResult] = []
    for mod in _registry():
        try:
            results.append(_run(mod, enabled, opts))
        except Exception as e:  # noqa: BLE001 - a broken patch must not take the whole run down
            name = str(getattr(mod, "NAME", getattr(mod, "__name__", "?")))
            results.append(
                PatchResult(
                    name=name,
                    enabled=enabled,
                    defects={},
                    applied=False,
                    fixed={},
                    unpatchable=[],
                    error=f"{type(e).__name__}: {e}",
                )
            )
    return results


def _present(r: PatchResult) -> list[str]:
    return [k for k, v in r.get("defects", {}).items() if v]


def _describe(r: PatchResult) -> str:
    txt = ", ".join(_present(r))
    if r.get("error"):
        return f"{r['name']} ({txt + '; ' if txt else ''}patch failed: {r['error']})"
    if r.get("unpatchable"):
        txt += f"; still failing: {', '.join(r['unpatchable'])}"
    return f"{r['name']} ({txt})"


def summary(results: Sequence[PatchResult]) -> str:
    """One header line: ``patches: fd-without-path (fstat, ftruncate, ...)``,
    ``patches: none needed`` or, after ``apply_all(enabled=False)``,
    ``patches: disabled (--no-patches); defects present: ...``."""
    shown = [_describe(r) for r in results if r.get("error") or _present(r)]
    if any(r.get("enabled") is False for r in results):
        return "patches: disabled (--no-patches); defects present: " + ("; ".join(shown) or "none")
    return "patches: " + ("; ".join(shown) or "none needed")
