"""Where evidence bytes live. The API never carries them: clients upload and download
directly with short-lived signed URLs, and the server checks what was stored.

Two implementations share this contract (one test suite runs against both): S3 through
boto3 (`s3.py`) and a local directory for the zero-setup mode (`local.py`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol


def object_key(tenant_id: uuid.UUID, evidence_id: uuid.UUID, version_id: uuid.UUID) -> str:
    """Keys are built from ids only, never from anything a user typed."""
    return f"tenants/{tenant_id}/evidence/{evidence_id}/{version_id}"


_KEY = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")


def check_key(key: str) -> str:
    """Stores refuse any other key shape, so no key can climb out of its folder or prefix."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"not an evidence object key: {key!r}")
    return key


@dataclass(frozen=True)
class UploadTicket:
    """How the client sends the bytes: one request with exactly these headers."""

    url: str
    method: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredObject:
    """What the store itself measured of an object, never what a client claimed."""

    size_bytes: int
    sha256: str  # hex


class EvidenceStore(Protocol):
    async def upload_ticket(
        self, key: str, *, size_bytes: int, sha256: str, content_type: str, ttl_seconds: int
    ) -> UploadTicket:
        """A signed upload bound to this key, length, checksum and content type."""
        ...

    async def inspect(self, key: str) -> StoredObject | None:
        """Size and SHA-256 of the stored object, or None when nothing is there."""
        ...

    def read(self, key: str) -> AsyncIterator[bytes]:
        """The stored bytes, chunk by chunk, for the server's own use (an auditor package
        streams them into its ZIP): only the chunk in hand is held."""
        ...

    async def remove(self, key: str) -> None:
        """Delete the object (a rejected upload); missing objects are fine."""
        ...

    async def download_url(
        self, key: str, *, filename: str, content_type: str, ttl_seconds: int
    ) -> str:
        """A signed GET that answers with a safe Content-Disposition naming `filename`."""
        ...
