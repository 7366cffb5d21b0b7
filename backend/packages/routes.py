"""GET /packages/<token>: a frozen package as one streamed ZIP, manifest inside.

The signed, expiring token in the path is the whole authorization, as with evidence
downloads: `packageDownloadUrl` gives it only to someone who may read the package. The
route reads the package's items in the system scope of its tenant, records the download
under the token's user, and streams every file from the evidence store into the ZIP.
"""

from __future__ import annotations

import uuid

from litestar import MediaType, Response, get
from litestar.datastructures import State
from litestar.response import Stream

from backend.core.signing import BadTokenError, Signer
from backend.packages import service
from backend.packages.archive import parts_with_manifest, zip_stream
from backend.runtime import Runtime


@get("/packages/{token:str}")
async def package_zip(token: str, state: State) -> Response[str] | Stream:
    runtime: Runtime = state.runtime
    signer = Signer(runtime.settings.evidence_signing_secret.get_secret_value())
    try:
        claims = signer.verify(token, service.DOWNLOAD)
    except BadTokenError:
        return _answer(403, "forbidden")
    package_id = uuid.UUID(claims["package"])
    async with runtime.acting_in(uuid.UUID(claims["tenant"])) as db:
        found = await service.open_download(db, package_id, uuid.UUID(claims["user"]))
    if found is None:
        return _answer(404, "not found")
    parts = parts_with_manifest(found.parts, found.manifest, found.manifest_sha256)
    headers = {
        "Content-Disposition": f'attachment; filename="evidence-package-{package_id}.zip"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return Stream(
        zip_stream(parts, runtime.evidence.read, found.frozen_at),
        media_type="application/zip",
        headers=headers,
    )


def _answer(status: int, message: str) -> Response[str]:
    return Response(message, status_code=status, media_type=MediaType.TEXT)
