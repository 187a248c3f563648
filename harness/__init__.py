"""harness: run a project's pytest suite inside Pyodide and replay every report on the host.

Kept import-free on purpose: ``harness.inside`` is copied into the runtime and must not
drag host-only modules along.
"""

__version__ = "0.1.0"
