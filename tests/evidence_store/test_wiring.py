"""Which store a process gets, where its routes exist, and S3's optional protections."""

from __future__ import annotations

import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import AsyncTestClient

from backend import cli
from backend.app import create_app
from backend.evidence.local import LocalStore
from backend.evidence.s3 import S3Store
from backend.evidence.store import StoredObject, object_key
from backend.evidence.stores import make_evidence_store
from backend.runtime import ApiRuntime
from backend.settings import Settings
from tests.evidence_store.conftest import (
    UNUSED_DATABASE,
    s3_harness,
    s3_settings,
    store_settings,
)
from tests.evidence_store.test_contract import DATA, send, sha, ticket_for


def test_local_store_is_the_zero_setup_default(tmp_path: Path) -> None:
    store = make_evidence_store(store_settings(tmp_path))
    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "evidence"


@pytest.mark.parametrize(
    ("environment", "base"),
    [
        ({"PORT": "8100"}, "http://127.0.0.1:8100"),
        ({"HOST": "api.internal", "PORT": "8100"}, "http://api.internal:8100"),
        ({"HOST": "0.0.0.0", "PORT": "8100"}, "http://127.0.0.1:8100"),  # noqa: S104
        ({"HOST": "::", "PORT": "8100"}, "http://127.0.0.1:8100"),
        ({"HOST": "::1"}, "http://[::1]:8000"),
        (
            {"PORT": "8100", "PUBLIC_BASE_URL": "https://evidence.example/"},
            "https://evidence.example",
        ),
    ],
)
async def test_local_urls_point_where_the_server_listens_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], base: str
) -> None:
    """PUBLIC_BASE_URL, when unset, follows HOST and PORT; a wildcard address reads as loopback."""
    for name in ("HOST", "PORT", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    store = make_evidence_store(store_settings(tmp_path))
    key = object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    ticket = await store.upload_ticket(
        key, size_bytes=1, sha256="0" * 64, content_type="application/pdf", ttl_seconds=60
    )
    download = await store.download_url(
        key, filename="a.pdf", content_type="application/pdf", ttl_seconds=60
    )
    assert ticket.url.startswith(f"{base}/evidence/local/")
    assert download.startswith(f"{base}/evidence/local/")


async def test_serve_flags_move_signed_urls_with_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`certready serve --host --port` is where clients must come back for evidence."""
    monkeypatch.chdir(tmp_path)  # no .env
    for name in ("HOST", "PORT", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (
        ("CERTREADY_ENV", "test"),
        ("DATABASE_URL", UNUSED_DATABASE),
        ("DATA_DIR", str(tmp_path)),
    ):
        monkeypatch.setenv(name, value)
    served: list[ApiRuntime] = []

    def no_database_work(settings: Settings, work: Coroutine[Any, Any, Any]) -> Any:
        work.close()
        return settings, []

    def record_server(runtime: ApiRuntime, *_listening: Any) -> int:
        served.append(runtime)
        return 0

    monkeypatch.setattr(cli, "_run_database_work", no_database_work)
    monkeypatch.setattr(cli, "_run_server", record_server)
    args = cli._parser().parse_args(["serve", "--host", "api.internal", "--port", "8123"])
    assert args.run(args) == 0
    [runtime] = served
    try:
        download = await runtime.evidence.download_url(
            object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4()),
            filename="a.pdf",
            content_type="application/pdf",
            ttl_seconds=60,
        )
    finally:
        await runtime.close()
    assert (runtime.settings.host, runtime.settings.port) == ("api.internal", 8123)
    assert download.startswith("http://api.internal:8123/evidence/local/")


def test_a_bucket_selects_s3(tmp_path: Path, moto_endpoint: str) -> None:
    assert isinstance(make_evidence_store(s3_settings(tmp_path, moto_endpoint)), S3Store)


async def test_local_routes_exist_only_for_the_local_store(
    tmp_path: Path, moto_endpoint: str
) -> None:
    runtime = ApiRuntime.build(s3_settings(tmp_path, moto_endpoint))
    async with AsyncTestClient(create_app(runtime)) as client:
        assert (await client.get("/evidence/local/anything")).status_code == 404
    runtime = ApiRuntime.build(store_settings(tmp_path))
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
