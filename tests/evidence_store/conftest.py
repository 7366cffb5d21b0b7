"""Both evidence stores behind one harness, so one contract suite runs against each.

The local store is served by the real app (in process, through the test client); the S3
store talks over real HTTP to moto's server on a free loopback port. Neither needs a
database: the runtime's engine is never used.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from litestar.testing import AsyncTestClient
from moto.server import ThreadedMotoServer

from backend.app import create_app
from backend.evidence.store import EvidenceStore
from backend.evidence.stores import make_evidence_store
from backend.runtime import ApiRuntime
from backend.settings import Environment, Settings

BUCKET = "certready-evidence"
REGION = "us-east-1"
UNUSED_DATABASE = "postgresql://unused@127.0.0.1:9/unused"


@dataclass(frozen=True)
class Harness:
    name: str
    store: EvidenceStore
    http: httpx.AsyncClient
    root: Path  # the local store's directory (unused by S3)


def store_settings(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,
        certready_env=Environment.TEST,
        database_url=UNUSED_DATABASE,
        data_dir=data_dir,
        log_level="WARNING",
        **overrides,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """An S3 server over real HTTP, with fake credentials so no real account is ever used."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.delenv("AWS_PROFILE", raising=False)
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
        try:
            yield endpoint
        finally:
            server.stop()


def s3_settings(data_dir: Path, endpoint: str, **overrides: Any) -> Settings:
    return store_settings(
        data_dir,
        s3_bucket=BUCKET,
        s3_region=REGION,
        s3_endpoint_url=endpoint,
        s3_prefix="certready/",
        **overrides,
    )


@asynccontextmanager
async def local_harness(data_dir: Path) -> AsyncIterator[Harness]:
    """The local store as the app builds and serves it."""
    runtime = ApiRuntime.build(store_settings(data_dir))
    async with AsyncTestClient(create_app(runtime)) as client:
        yield Harness("local", runtime.evidence, client, data_dir / "evidence")


@asynccontextmanager
async def s3_harness(data_dir: Path, endpoint: str, **overrides: Any) -> AsyncIterator[Harness]:
    store = make_evidence_store(s3_settings(data_dir, endpoint, **overrides))
    async with httpx.AsyncClient() as http:
        yield Harness("s3", store, http, data_dir)


@pytest.fixture(params=["local", "s3"])
async def harness(
    request: pytest.FixtureRequest, tmp_path: Path, moto_endpoint: str
) -> AsyncIterator[Harness]:
    """Each store in turn: the contract holds for both."""
    opened = (
        local_harness(tmp_path) if request.param == "local" else s3_harness(tmp_path, moto_endpoint)
    )
    async with opened as harness:
        yield harness


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[Harness]:
    async with local_harness(tmp_path) as harness:
        yield harness


@pytest.fixture
async def s3(tmp_path: Path, moto_endpoint: str) -> AsyncIterator[Harness]:
    async with s3_harness(tmp_path, moto_endpoint) as harness:
        yield harness
