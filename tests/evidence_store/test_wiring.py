"""Which store a process gets, where its routes exist, and S3's optional protections."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.evidence.local import LocalStore
from backend.evidence.s3 import S3Store
from backend.evidence.store import StoredObject, object_key
from backend.evidence.stores import make_evidence_store
from backend.runtime import Runtime
from tests.evidence_store.conftest import s3_harness, s3_settings, store_settings
from tests.evidence_store.test_contract import DATA, send, sha, ticket_for


def test_local_store_is_the_zero_setup_default(tmp_path: Path) -> None:
    store = make_evidence_store(store_settings(tmp_path))
    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "evidence"


def test_a_bucket_selects_s3(tmp_path: Path, moto_endpoint: str) -> None:
    assert isinstance(make_evidence_store(s3_settings(tmp_path, moto_endpoint)), S3Store)


async def test_local_routes_exist_only_for_the_local_store(
    tmp_path: Path, moto_endpoint: str
) -> None:
    runtime = Runtime.build(s3_settings(tmp_path, moto_endpoint))
    async with AsyncTestClient(create_app(runtime)) as client:
        assert (await client.get("/evidence/local/anything")).status_code == 404
    runtime = Runtime.build(store_settings(tmp_path))
    async with AsyncTestClient(create_app(runtime)) as client:
        assert (await client.get("/evidence/local/anything")).status_code == 403


async def test_s3_uploads_carry_kms_encryption_and_object_lock(
    tmp_path: Path, moto_endpoint: str
) -> None:
    protections = {"s3_kms_key_id": "alias/certready-evidence", "s3_object_lock_days": 30}
    async with s3_harness(tmp_path, moto_endpoint, **protections) as s3:
        key = object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
        ticket = await ticket_for(s3, key)
        assert ticket.headers["x-amz-server-side-encryption"] == "aws:kms"
        assert ticket.headers["x-amz-server-side-encryption-aws-kms-key-id"] == (
            "alias/certready-evidence"
        )
        assert ticket.headers["x-amz-object-lock-mode"] == "COMPLIANCE"
        assert ticket.headers["x-amz-object-lock-retain-until-date"].endswith("Z")
        signed = parse_qs(urlsplit(ticket.url).query)["X-Amz-SignedHeaders"][0].split(";")
        assert set(signed) == {name.lower() for name in ticket.headers} | {"host"}
        assert await send(s3, ticket, DATA) == 200
        assert await s3.store.inspect(key) == StoredObject(len(DATA), sha(DATA))
