"""pytest plugin for the pytest-pyodide contender (loaded with ``-p pp_fix``).

pytest-pyodide 0.59.2 ``--run-in-pyodide`` copies the suite to ``/home/pyodide/test_files/``
but runs the inner ``pytest.main([nodeid, ...])`` from ``/home/pyodide``: the inner run finds
no file and every test is reported as passed. Prefixing the node id with ``test_files/`` makes
the inner run find the test (same effect as running from that directory), so the bench times
real work. Its other false passes (skips and xfails seen as passes) remain and show in the
outcome column.
"""

from __future__ import annotations

import pytest_pyodide.hook as hook

_original = hook.run_test_in_pyodide


def _run_test_in_pyodide(node_tree_id, selenium, ignore_fail=False):
    return _original("test_files/" + node_tree_id, selenium, ignore_fail)


hook.run_test_in_pyodide = _run_test_in_pyodide
