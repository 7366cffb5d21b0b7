"""HTTP endpoints of the local evidence store: the signed PUT and GET its URLs point to.

They exist only when the local store is in use (no S3 bucket configured). The token in the
path is the whole authorization, exactly like a presigned S3 URL.
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, Router, get, put
from litestar.response import File

from backend.core.signing import BadTokenError
from backend.evidence.disposition import attachment
from backend.evidence.local import (
    ROUTE,
    AlreadyStoredError,
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
            return _answer(403, "forbidden")
        except UploadRefusedError as refusal:
            return _answer(400, str(refusal))
        except AlreadyStoredError:
            return _answer(409, "an object is already stored under this key")
        return _answer(200, "")

    @get("/{token:str}")
    async def download(token: str) -> Response[str] | File:
        """The stored file, streamed by Litestar: each chunk is read in a worker thread that a
        client leaving mid-download does not interrupt, and the file is closed after it."""
        try:
            found = await store.open_download(token)
        except BadTokenError:
            return _answer(403, "forbidden")
        except FileNotFoundError:
            return _answer(404, "not found")
        headers = {
            "Content-Disposition": attachment(found.filename),
            "X-Content-Type-Options": "nosniff",
        }
        return File(
            found.path, stat_result=found.stat, media_type=found.content_type, headers=headers
        )

    return [Router(ROUTE, route_handlers=[upload, download])]


def _answer(status: int, message: str) -> Response[str]:
    """A plain-text answer, labelled as such: clients of a file URL show or log it as is."""
    return Response(message, status_code=status, media_type=MediaType.TEXT)
