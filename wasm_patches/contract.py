"""What a runtime patch is, and what probing/applying one reports.

A patch is a module (see ``wasm_patches/__init__.py`` for the registry) that satisfies
``Patch``: it names itself, *probes* for its defect without changing anything, and
*applies* its fix only where the probe found the defect, so new Pyodide releases that
fixed a defect are left alone. ``apply_all`` turns each into a ``PatchResult``, which
travels to the host in the ``ready`` event and feeds the run header and ``harness probe``.
"""

from __future__ import annotations

from typing import Protocol, TypedDict


class Patch(Protocol):
    """The module interface of one patch (each is called with ``apply_all``'s keyword
    options, today ``nodefs_dirs``; take ``**_: object`` to ignore the others)."""

    NAME: str

    def probe(self, **opts: object) -> dict[str, bool]:
        """Defect name -> present (True), changing nothing."""

    def apply(self, defects: dict[str, bool], **opts: object) -> None:
        """Fix the defects ``probe`` found; may raise (reported, the run continues)."""


class _PatchResultBase(TypedDict):
    name: str
    enabled: bool  # False under --no-patches (probe only)
    defects: dict[str, bool]  # True = present before patching
    applied: bool
    fixed: dict[str, bool]  # True = the operation works now
    unpatchable: list[str]  # defects still present after applying


class PatchResult(_PatchResultBase, total=False):
    """One patch's outcome; ``error`` when the patch itself failed, plus what the module
    lists in ``PROBED_ON`` / ``INSTALLED`` (where it probed, what it installed)."""

    error: str
    probed_on: list[str]
    installed: list[str]
