"""HTTP endpoints of the local evidence store: the signed PUT and GET its URLs point to.

They exist only when the local store is in use (no S3 bucket configured). The token in the
path is the whole authorization, exactly like a presigned S3 URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get, put
from litestar.response import Stream

from backend.evidence.disposition import attachment
from backend.evidence.hashing import file_chunks
from backend.evidence.local import (
    ROUTE,
    AlreadyStoredError,
    BadTokenError,
    LocalStore,
    UploadRefusedError,
)
from backend.evidence.store import EvidenceStore


def local_store_routes(store: EvidenceStore, max_bytes: int) -> list[Router]:
    """The routes for `store` when it is local; S3 serves its own URLs."""
    if not isinstance(store, LocalStore):
        return []

    @put("/{token:str}", request_max_body_size=max_bytes, status_code=200)
    async def upload(token: str, request: Request[Any, Any, Any]) -> Response[str]:
        try:
            await store.receive(
                token, request.headers.get("content-type"), request.content_length, request.stream()
            )
        except BadTokenError:
            return Response("forbidden", status_code=403)
        except UploadRefusedError as refusal:
            return Response(str(refusal), status_code=400)
        except AlreadyStoredError:
            return Response("an object is already stored under this key", status_code=409)
        return Response("", status_code=200)

    @get("/{token:str}")
    async def download(token: str) -> Response[str] | Stream:
        try:
            found = await store.open_download(token)
        except BadTokenError:
            return Response("forbidden", status_code=403)
        except FileNotFoundError:
            return Response("not found", status_code=404)
        headers = {
            "Content-Disposition": attachment(found.filename),
            "Content-Length": str(found.size_bytes),
            "X-Content-Type-Options": "nosniff",
        }
        return Stream(_read(found.path), media_type=found.content_type, headers=headers)

    return [Router(ROUTE, route_handlers=[upload, download])]


async def _read(path: Path) -> AsyncIterator[bytes]:
    """The file chunk by chunk, each read in a thread; closed even if the client leaves."""
    chunks = file_chunks(path)
    try:
        while chunk := await asyncio.to_thread(next, chunks, b""):
            yield chunk
    finally:
        chunks.close()
