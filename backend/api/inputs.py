"""GraphQL's "omitted" and "null" in update inputs, turned into the core convention: omitted
keeps the stored value (`KEEP`), null clears an optional one (`None`)."""

from __future__ import annotations

import uuid
from typing import TypeVar

import strawberry
from strawberry import relay

from backend.api.mutations import node_uuid
from backend.core.changes import KEEP, Change

Value = TypeVar("Value")


def given(value: Value | None) -> Change[Value]:
    """A field that cannot be empty: omitted or null leaves it as it is."""
    return KEEP if value is None or value is strawberry.UNSET else value


def clearable(value: Value | None) -> Change[Value | None]:
    """An optional field: omitted leaves it, null clears it."""
    return KEEP if value is strawberry.UNSET else value


def clearable_id(
    value: relay.GlobalID | None, type_name: str, field: str
) -> Change[uuid.UUID | None]:
    """An optional reference by global id: omitted leaves it, null clears it."""
    if value is None or value is strawberry.UNSET:
        return clearable(value)
    return node_uuid(value, type_name, field)
