"""`make bench`: evidence upload round trips and the memory cost of hashing a large file.

A round trip is what a client and the API do for one file: ask the store for an upload
ticket, PUT the bytes over real HTTP on loopback, then let the store inspect what it holds.
The local store is served by the app under uvicorn, S3 by moto's server; both in this
process's threads, so figures compare stores on the same machine, not absolute capacity.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import resource
import socket
import statistics
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import uvicorn
from moto.server import ThreadedMotoServer

from backend.app import create_app
from backend.evidence.hashing import measure_file
from backend.evidence.store import EvidenceStore, object_key
from backend.evidence.stores import make_evidence_store
from backend.runtime import ApiRuntime
from backend.settings import Environment, Settings

MIB = 1024 * 1024
SIZES = {1 * MIB: 20, 16 * MIB: 8}  # bytes -> round trips measured (median reported)
HASHED_BYTES = 1024 * MIB
BUCKET = "certready-bench"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _settings(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,
        certready_env=Environment.TEST,
        database_url="postgresql://unused@127.0.0.1:9/unused",  # the engine is never used
        data_dir=data_dir,
        log_level="WARNING",
        **overrides,
    )


@contextmanager
def served_local_store(data_dir: Path) -> Iterator[EvidenceStore]:
    """The app under uvicorn in a thread of its own, as `certready serve` would run it."""
    port = _free_port()
    runtime = ApiRuntime.build(_settings(data_dir, public_base_url=f"http://127.0.0.1:{port}"))
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield runtime.evidence
    finally:
        server.should_exit = True
        thread.join()


@contextmanager
def moto_store(data_dir: Path) -> Iterator[EvidenceStore]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    try:
        yield make_evidence_store(
            _settings(data_dir, s3_bucket=BUCKET, s3_endpoint_url=endpoint, s3_region="us-east-1")
        )
    finally:
        server.stop()


async def round_trip_ms(store: EvidenceStore, http: httpx.AsyncClient, data: bytes) -> float:
    """Ticket, PUT, inspect; fails loudly if the store does not report what was sent."""
    key = object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    digest = hashlib.sha256(data).hexdigest()
    started = time.perf_counter()
    ticket = await store.upload_ticket(
        key, size_bytes=len(data), sha256=digest, content_type="application/pdf", ttl_seconds=300
    )
    response = await http.request(ticket.method, ticket.url, content=data, headers=ticket.headers)
    response.raise_for_status()
    stored = await store.inspect(key)
    elapsed = (time.perf_counter() - started) * 1000
    if stored is None or (stored.size_bytes, stored.sha256) != (len(data), digest):
        raise RuntimeError(f"the store did not keep what was sent: {stored}")
    await store.remove(key)
    return elapsed


async def bench_uploads(name: str, store: EvidenceStore) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        for size, runs in SIZES.items():
            data = os.urandom(size)
            await round_trip_ms(store, http, data)  # warm up connections and caches
            times = [await round_trip_ms(store, http, data) for _ in range(runs)]
            median = statistics.median(times)
            print(
                f"upload round trip  {name:<6} {size // MIB:3d} MiB  median {median:8.1f} ms"
                f"  ({size / MIB / median * 1000:6.0f} MiB/s, n={runs})"
            )


def bench_hashing(folder: Path) -> None:
    """Hash a sparse 1 GiB file: the bytes are read for real, the disk stays empty."""
    path = folder / "large.bin"
    with path.open("wb") as file:
        file.truncate(HASHED_BYTES)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    stored = measure_file(path)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_delta = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    path.unlink()
    assert stored.size_bytes == HASHED_BYTES
    print(
        f"hash 1 GiB file    {seconds:6.2f} s ({HASHED_BYTES / MIB / seconds:5.0f} MiB/s)"
        f"  tracemalloc peak {peak / MIB:5.2f} MiB  max RSS growth {rss_delta / 1024:5.1f} MiB"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="certready-bench-") as temp:
        folder = Path(temp)
        bench_hashing(folder)  # first, so the RSS high-water mark is not already raised
        with served_local_store(folder / "local") as store:
            asyncio.run(bench_uploads("local", store))
        with moto_store(folder / "s3") as store:
            asyncio.run(bench_uploads("moto", store))


if __name__ == "__main__":
    main()
