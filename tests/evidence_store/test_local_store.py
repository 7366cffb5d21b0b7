"""What only the local store does itself: streaming checks and hashing in bounded memory."""

from __future__ import annotations

import tracemalloc
import uuid
from collections.abc import AsyncIterator

import pytest

from backend.evidence.local import LocalStore, UploadRefusedError
from backend.evidence.store import StoredObject, object_key
from tests.evidence_store.conftest import Harness
from tests.evidence_store.test_contract import DATA, ticket_for

LARGE = 256 * 1024 * 1024
ZEROS_SHA256 = "a6d72ac7690f53be6ae46ba88506bd97302a093f7108472bd9efc3cefda06484"  # 256 MiB


async def _body(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def test_a_body_longer_than_declared_is_cut_off(local: Harness) -> None:
    """Even when Content-Length lies, no more than the declared bytes are accepted."""
    key = object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    token = (await ticket_for(local, key)).url.rsplit("/", 1)[1]
    assert isinstance(local.store, LocalStore)
    with pytest.raises(UploadRefusedError, match="more bytes than declared"):
        await local.store.receive(
            token, "application/pdf", len(DATA), _body(DATA, b"x" * (2 * 1024 * 1024))
        )
    assert await local.store.inspect(key) is None
    assert not [path for path in local.root.rglob("*") if path.is_file()]


async def test_a_large_file_is_hashed_in_bounded_memory(local: Harness) -> None:
    key = object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    path = local.root.joinpath(*key.split("/"))
    path.parent.mkdir(parents=True)
    with path.open("wb") as file:
        file.truncate(LARGE)  # sparse: 256 MiB of zeros without writing them
    tracemalloc.start()
    try:
        stored = await local.store.inspect(key)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored == StoredObject(LARGE, ZEROS_SHA256)
    assert peak < 4 * 1024 * 1024
