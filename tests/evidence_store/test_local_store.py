"""What only the local store does itself: streaming checks, hashing in bounded memory, and
downloads that end quietly when the client leaves."""

from __future__ import annotations

import asyncio
import logging
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar import Litestar
from litestar.types import Message

from backend.app import create_app
from backend.evidence.local import LocalStore, UploadRefusedError
from backend.evidence.store import StoredObject, object_key
from backend.runtime import ApiRuntime
from tests.evidence_store.conftest import Harness, store_settings
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


@pytest.fixture
def served(tmp_path: Path) -> tuple[Litestar, LocalStore]:
    """The app and its local store, built before the test so its logging setup runs first and
    the log capture sees what the app logs."""
    runtime = ApiRuntime.build(store_settings(tmp_path))
    assert isinstance(runtime.evidence, LocalStore)
    return create_app(runtime), runtime.evidence


async def _download_abandoned(app: Litestar, path: str) -> None:
    """A GET whose client leaves once the body has begun, as a server reports it: the next
    receive says `http.disconnect` while the rest of the file is being read."""
    first_chunk = asyncio.Event()

    async def receive() -> Message:
        await first_chunk.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            first_chunk.set()

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "root_path": "",
        "state": {},
    }
    await app(scope, receive, send)  # type: ignore[arg-type]


async def test_an_abandoned_download_ends_without_an_error(
    served: tuple[Litestar, LocalStore], caplog: pytest.LogCaptureFixture
) -> None:
    """Leaving mid-download used to close the file reader while a thread was still reading
    from it ("generator already executing"). The race is narrow (a few percent of abandoned
    downloads here), so it is run many times."""
    app, store = served
    key = object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    path = store.root.joinpath(*key.split("/"))
    path.parent.mkdir(parents=True)
    with path.open("wb") as file:
        file.truncate(LARGE)  # sparse: plenty of chunks still to read when the client leaves
    url = await store.download_url(
        key, filename="large.pdf", content_type="application/pdf", ttl_seconds=60
    )
    with caplog.at_level(logging.WARNING):
        for _ in range(200):
            await _download_abandoned(app, urlsplit(url).path)
    assert [record.getMessage() for record in caplog.records] == []


async def test_refusals_answer_in_plain_text(local: Harness) -> None:
    """What the store says when it refuses is a message, and is labelled text/plain."""
    key = object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    ticket = await ticket_for(local, key)
    wrong_type = {**ticket.headers, "Content-Type": "text/plain"}
    answers = [
        await local.http.put(ticket.url, content=DATA, headers=wrong_type),
        await local.http.put(ticket.url + "x", content=DATA, headers=ticket.headers),
        await local.http.get(ticket.url),  # an upload token is no download token
        await local.http.get(
            await local.store.download_url(
                key, filename="a.pdf", content_type="application/pdf", ttl_seconds=60
            )
        ),  # nothing stored yet
    ]
    assert [answer.status_code for answer in answers] == [400, 403, 403, 404]
    for answer in answers:
        assert answer.headers["content-type"] == "text/plain; charset=utf-8"
        assert answer.text.strip()
