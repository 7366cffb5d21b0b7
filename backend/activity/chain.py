"""The hash chain: how an entry is encoded and linked to the one before it.

An entry's hash is SHA-256 over the previous entry's hash, then the canonical encoding of
the entry: JSON of its fields with sorted keys, no whitespace, UTF-8, timestamps in UTC ISO
form. The first entry of a tenant links to GENESIS. Anyone holding the rows can recompute
the chain with these few lines (docs/activity.md shows them in plain Python).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = bytes(32)


@dataclass(frozen=True)
class Link:
    """What the chain covers of one entry."""

    tenant_id: uuid.UUID
    seq: int
    at: datetime
    actor_id: uuid.UUID | None
    action: str
    object_type: str
    object_id: str | None
    operation: str
    changes: dict[str, Any]
    request_id: str | None

    def canonical(self) -> bytes:
        fields = {
            "tenant_id": str(self.tenant_id),
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(),
            "actor_id": str(self.actor_id) if self.actor_id else None,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "operation": self.operation,
            "changes": self.changes,
            "request_id": self.request_id,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def link(previous: bytes, entry: Link) -> bytes:
    return hashlib.sha256(previous + entry.canonical()).digest()


@dataclass(frozen=True)
class Break:
    """Where a chain stops holding, and why."""

    seq: int
    reason: str
