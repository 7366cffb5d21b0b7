"""The one convention for updates: a field left out keeps its value, None clears it.

Update inputs carry `Change[T]` fields defaulting to `KEEP`. GraphQL's "omitted" and "null"
become `KEEP` and `None` in `backend.api.inputs`; services never see strawberry's UNSET.
"""

from __future__ import annotations

import enum
from typing import Literal, TypeAlias, TypeVar


class Keep(enum.Enum):
    """An optional change that was not asked for, where None means "clear the value"."""

    KEEP = "keep"


KEEP = Keep.KEEP
Value = TypeVar("Value")
Change: TypeAlias = Value | Literal[Keep.KEEP]
