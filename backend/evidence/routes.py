"""HTTP endpoints of the local evidence store: the signed PUT and GET its URLs point to.

They exist only when the local store is in use (no S3 bucket configured). The token in the
path is the whole authorization, exactly like a presigned S3 URL.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, put
from litestar.response import File

from backend.evidence.disposition import attachment
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
    async def download(token: str) -> Response[str] | File:
        """The stored file, streamed by Litestar: each chunk is read in a worker thread that a
        client leaving mid-download does not interrupt, and the file is closed after it."""
        try:
            found = await store.open_download(token)
        except BadTokenError:
            return Response("forbidden", status_code=403)
        except FileNotFoundError:
            return Response("not found", status_code=404)
        headers = {
            "Content-Disposition": attachment(found.filename),
            "X-Content-Type-Options": "nosniff",
        }
        return File(
            found.path, stat_result=found.stat, media_type=found.content_type, headers=headers
        )

    return [Router(ROUTE, route_handlers=[upload, download])]
