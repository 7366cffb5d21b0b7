"""The EvidenceStore contract, run against the local store and against S3 (moto).

moto accepts what real S3 would refuse by signature (a different length, type or checksum
header, an expired URL); the contract therefore says: a wrong upload is refused on PUT *or*
`inspect` reports what was really stored, so confirmation can never accept it. Where only
the local store can show a refusal over HTTP, the test uses the `local` fixture alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from backend.evidence.store import StoredObject, UploadTicket, object_key
from tests.evidence_store.conftest import Harness

DATA = b"%PDF-1.7 evidence of a management review\n" * 100
NASTY = 'r\u00e9vision "2026"\r\nX-Injected: yes/../..\\\u8a3c\u62e0.pdf'


def new_key() -> str:
    return object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def ticket_for(
    harness: Harness, key: str, data: bytes = DATA, ttl_seconds: int = 60
) -> UploadTicket:
    return await harness.store.upload_ticket(
        key,
        size_bytes=len(data),
        sha256=sha(data),
        content_type="application/pdf",
        ttl_seconds=ttl_seconds,
    )


async def send(harness: Harness, ticket: UploadTicket, body: bytes, **headers: str) -> int:
    """Upload like a client would: the ticket's headers, and the body's true length."""
    sent = {**ticket.headers, **headers, "Content-Length": str(len(body))}
    response = await harness.http.request(ticket.method, ticket.url, content=body, headers=sent)
    return response.status_code


async def upload(harness: Harness, key: str, data: bytes = DATA) -> None:
    assert await send(harness, await ticket_for(harness, key, data), data) == 200


async def never_accepted(harness: Harness, status: int, key: str) -> None:
    """Refused on PUT, or what is stored does not pass for the declared object."""
    stored = await harness.store.inspect(key)
    assert status >= 400 or stored != StoredObject(len(DATA), sha(DATA))
    if harness.name == "local":
        assert status == 400
        assert stored is None


async def test_upload_with_ticket_headers_then_inspect_measures_it(harness: Harness) -> None:
    key = new_key()
    await upload(harness, key)
    assert await harness.store.inspect(key) == StoredObject(len(DATA), sha(DATA))


async def test_read_streams_the_stored_bytes_in_bounded_chunks(harness: Harness) -> None:
    key, data = new_key(), DATA * 600  # 2.5 MiB: several chunks
    await upload(harness, key, data)
    chunks = [chunk async for chunk in harness.store.read(key)]
    assert b"".join(chunks) == data
    assert len(chunks) > 1
    assert max(len(chunk) for chunk in chunks) <= 1024 * 1024


async def test_inspect_of_nothing_is_none(harness: Harness) -> None:
    assert await harness.store.inspect(new_key()) is None


async def test_wrong_checksum_is_never_accepted(harness: Harness) -> None:
    key = new_key()
    tampered = DATA[:-1] + b"!"
    status = await send(harness, await ticket_for(harness, key), tampered)
    await never_accepted(harness, status, key)


async def test_wrong_size_is_never_accepted(harness: Harness) -> None:
    key = new_key()
    status = await send(harness, await ticket_for(harness, key), DATA + b"more")
    await never_accepted(harness, status, key)


async def test_stored_objects_are_never_replaced(harness: Harness) -> None:
    key = new_key()
    await upload(harness, key)
    again = await send(harness, await ticket_for(harness, key), DATA)
    assert again in {409, 412}
    assert await harness.store.inspect(key) == StoredObject(len(DATA), sha(DATA))


async def test_remove_deletes_and_is_idempotent(harness: Harness) -> None:
    key = new_key()
    await upload(harness, key)
    await harness.store.remove(key)
    assert await harness.store.inspect(key) is None
    await harness.store.remove(key)
    await harness.store.remove(new_key())


@pytest.mark.parametrize(
    "key", ["tenants/../../etc/passwd", "/etc/passwd", "tenants/a/./b", "a//b", "", "a/b/"]
)
async def test_keys_that_could_leave_the_store_are_refused(harness: Harness, key: str) -> None:
    with pytest.raises(ValueError, match="not an evidence object key"):
        await ticket_for(harness, key)
    with pytest.raises(ValueError, match="not an evidence object key"):
        await harness.store.inspect(key)
    with pytest.raises(ValueError, match="not an evidence object key"):
        await harness.store.remove(key)
    with pytest.raises(ValueError, match="not an evidence object key"):
        await harness.store.download_url(
            key, filename="x.pdf", content_type="application/pdf", ttl_seconds=60
        )


async def test_download_answers_bytes_with_a_safe_disposition(harness: Harness) -> None:
    key = new_key()
    await upload(harness, key)
    url = await harness.store.download_url(
        key, filename=NASTY, content_type="application/pdf", ttl_seconds=60
    )
    response = await harness.http.get(url)
    assert response.status_code == 200
    assert response.content == DATA
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert not {"\r", "\n", "/", "\\"} & set(disposition)
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii()
    assert '"' not in fallback
    exact = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    assert exact == "r\u00e9vision _2026___X-Injected: yes_.._.._\u8a3c\u62e0.pdf"


async def test_local_upload_after_expiry_is_refused(local: Harness) -> None:
    key = new_key()
    ticket = await ticket_for(local, key, ttl_seconds=1)
    await asyncio.sleep(1.1)
    assert await send(local, ticket, DATA) == 403
    assert await local.store.inspect(key) is None


async def test_local_tampered_signatures_are_forbidden(local: Harness) -> None:
    key = new_key()
    ticket = await ticket_for(local, key)
    payload, mac = ticket.url.rsplit("/", 1)[1].split(".")
    forged = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for token in (f"{forged}.{mac}", f"{payload}.{mac[:-1]}", payload, "x"):
        url = ticket.url.rsplit("/", 1)[0] + "/" + token
        assert (await local.http.put(url, content=DATA, headers=ticket.headers)).status_code == 403
    download = await local.store.download_url(
        key, filename="a.pdf", content_type="application/pdf", ttl_seconds=60
    )
    assert await send(local, UploadTicket(download, "PUT", ticket.headers), DATA) == 403
    assert (await local.http.get(ticket.url)).status_code == 403
    assert await local.store.inspect(key) is None


async def test_local_refuses_headers_other_than_the_tickets(local: Harness) -> None:
    key = new_key()
    ticket = await ticket_for(local, key)
    assert await send(local, ticket, DATA, **{"Content-Type": "text/html"}) == 400
    assert await send(local, ticket, DATA + b"x") == 400
    assert await local.store.inspect(key) is None
    assert not [path for path in local.root.rglob("*") if path.is_file()]  # no temp file left


async def test_local_download_of_missing_object_is_404(local: Harness) -> None:
    url = await local.store.download_url(
        new_key(), filename="a.pdf", content_type="application/pdf", ttl_seconds=60
    )
    assert (await local.http.get(url)).status_code == 404


async def test_s3_urls_sign_every_header_and_expire(s3: Harness) -> None:
    """What moto cannot show: S3 itself refuses any header or expiry other than signed."""
    ticket = await ticket_for(s3, new_key(), ttl_seconds=120)
    query = parse_qs(urlsplit(ticket.url).query)
    assert query["X-Amz-Expires"] == ["120"]
    signed = set(query["X-Amz-SignedHeaders"][0].split(";"))
    assert signed == {name.lower() for name in ticket.headers} | {"host"}
    assert ticket.headers["x-amz-checksum-sha256"]
    assert urlsplit(ticket.url).path.startswith("/certready-evidence/certready/tenants/")
