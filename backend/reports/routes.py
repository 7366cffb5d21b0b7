"""Report downloads over plain HTTP: GET /reports/download/<token>. The token is the
permission (checked when it was minted, for the one report and tenant it names, and
expiring), as with evidence downloads; the file is read under that tenant's row-level
security."""

from __future__ import annotations

import uuid

from litestar import get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.response import Response

from backend.core.errors import ServiceError
from backend.core.signing import BadTokenError, Signer
from backend.reports import service
from backend.runtime import Runtime


@get("/reports/download/{token:str}", raises=[NotFoundException, PermissionDeniedException])
async def report_download(token: str, state: State) -> Response[bytes]:
    """The report's file; 403 for a forged, altered or expired token, 404 when it is gone."""
    runtime: Runtime = state.runtime
    signer = Signer(runtime.settings.evidence_signing_secret.get_secret_value())
    try:
        claims = signer.verify(token, service.DOWNLOAD)
        report_id, tenant_id = uuid.UUID(claims["report"]), uuid.UUID(claims["tenant"])
    except (BadTokenError, ValueError, KeyError):
        raise PermissionDeniedException() from None
    async with runtime.acting_in(tenant_id) as db:
        try:
            found = await service.download(db, report_id)
        except ServiceError:
            raise NotFoundException() from None
    return Response(
        found.content,
        media_type=found.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{found.filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
