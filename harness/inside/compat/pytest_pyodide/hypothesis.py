"""pytest-pyodide's hypothesis strategies and settings (needs ``hypothesis`` in the runtime:
``--with hypothesis``)."""

from __future__ import annotations

import builtins
import io
import pickle
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings, strategies


def is_picklable(x: Any) -> bool:
    try:
        pickle.dumps(x)
    except Exception:  # noqa: BLE001 - anything pickle rejects
        return False
    return True


def is_equal_to_self(x: Any) -> bool:
    try:
        return bool(x == x)
    except Exception:  # noqa: BLE001 - comparisons that raise count as unequal
        return False


class _NoHypothesisUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "hypothesis":
            raise pickle.UnpicklingError(f"{module}.{name}")
        return super().find_class(module, name)


def no_hypothesis(x: Any) -> bool:
    """Whether ``x`` survives a pickle round trip without referring to hypothesis itself."""
    try:
        _NoHypothesisUnpickler(io.BytesIO(pickle.dumps(x))).load()
    except Exception:  # noqa: BLE001 - any failure means "no"
        return False
    return True


_GROUP = getattr(builtins, "BaseExceptionGroup", ())  # Python >= 3.11 (every Pyodide with pytest 8+)

# Any picklable object (what pytest-pyodide can send to the runtime)...
strategy: strategies.SearchStrategy[Any] = (
    strategies.from_type(type).flatmap(strategies.from_type).filter(lambda x: not isinstance(x, ZoneInfo))
).filter(is_picklable)
any_strategy = strategy.filter(lambda x: not isinstance(x, _GROUP)).filter(no_hypothesis)
# ... and the ones that compare equal to themselves.
any_equal_to_self_strategy = any_strategy.filter(is_equal_to_self)

std_hypothesis_settings = settings(deadline=6000, suppress_health_check=[HealthCheck.function_scoped_fixture])
