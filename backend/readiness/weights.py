"""The weight of each readiness component: data per standard, overridable per tenant.

Defaults are this table, keyed by standard code; an organization overrides any of them for
one standard with a row of `readiness_weights` (docs/readiness.md). Weights are relative:
only their proportions count, and a component that is not measured hands its share to the
others in proportion.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from backend.core.errors import invalid
from backend.readiness.score import Component

Weights = Mapping[Component, float]

DEFAULT: Weights = MappingProxyType(
    {
        Component.CONFORMITY: 30.0,
        Component.EVIDENCE: 15.0,
        Component.DOCUMENTS: 15.0,
        Component.TRAINING: 10.0,
        Component.PLAN: 10.0,
        Component.FINDINGS: 10.0,
        Component.STEPS: 10.0,
        Component.AUDITS: 10.0,
    }
)
# Annex A controls of ISO/IEC 27001 are proven by records more than by procedures.
BY_STANDARD: Mapping[str, Weights] = MappingProxyType(
    {
        "ISO/IEC 27001": MappingProxyType(
            {**DEFAULT, Component.EVIDENCE: 20.0, Component.DOCUMENTS: 10.0}
        )
    }
)
MAX_WEIGHT = 1000.0


def weights_for(standard_code: str, override: Mapping[str, Any] | None) -> Weights:
    """The standard's weights with the tenant's override on top."""
    base = dict(BY_STANDARD.get(standard_code, DEFAULT))
    base.update(parse_weights(override or {}))
    return MappingProxyType(base)


def parse_weights(raw: Mapping[str, Any]) -> dict[Component, float]:
    """Weights named by component, each a finite number from 0 to MAX_WEIGHT; a clear error
    names the first that is not."""
    parsed: dict[Component, float] = {}
    for name, value in raw.items():
        try:
            component = Component(name)
        except ValueError:
            known = ", ".join(c.value for c in Component)
            raise invalid(f"Unknown component {name!r}; known: {known}.", ["weights"]) from None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 <= value <= MAX_WEIGHT
        ):
            message = f"The weight of {name} must be a number from 0 to {MAX_WEIGHT:g}."
            raise invalid(message, ["weights", name])
        parsed[component] = float(value)
    return parsed
