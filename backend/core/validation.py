"""Input rules every area applies the same way, with errors naming the field as the API does."""

from __future__ import annotations

import enum
from typing import Any, TypeVar

from backend.core.changes import KEEP
from backend.core.errors import invalid

TITLE_LIMIT = 300
TEXT_LIMIT = 10_000
Choice = TypeVar("Choice", bound=enum.StrEnum)


def require_given(values: Any, *names: str) -> None:
    """A new row needs these fields; missing ones are named as the API spells them."""
    missing = [camel(name) for name in names if getattr(values, name) is KEEP]
    if missing:
        raise invalid(f"Required: {', '.join(missing)}.", [missing[0]])


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def text_field(value: str, field: str, limit: int = TITLE_LIMIT, *, blank: bool = False) -> str:
    """The value without surrounding spaces; empty (unless `blank`) or too long is refused."""
    value = value.strip()
    if not value and not blank:
        raise invalid(f"{field} must not be empty.", [field])
    if len(value) > limit:
        raise invalid(f"{field} must be at most {limit} characters.", [field])
    return value


def choice(kind: type[Choice], value: str, field: str) -> Choice:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise invalid(f"{field} must be one of: {allowed}.", [field]) from None
