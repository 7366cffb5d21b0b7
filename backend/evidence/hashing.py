"""SHA-256 of stored objects in bounded memory: whatever the size, one chunk at a time."""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterable
from pathlib import Path

from backend.evidence.store import StoredObject

CHUNK_BYTES = 1024 * 1024


def measure(chunks: Iterable[bytes]) -> StoredObject:
    """Size and digest of a stream; only the chunk in hand is ever held."""
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return StoredObject(size_bytes=size, sha256=digest.hexdigest())


def file_chunks(path: Path) -> Generator[bytes, None, None]:
    """A file read in fixed-size chunks (blocking: call it off the event loop)."""
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


def measure_file(path: Path) -> StoredObject:
    return measure(file_chunks(path))
