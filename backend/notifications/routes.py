"""The calendar feed over plain HTTP: GET /calendar/<token>.ics, no login (calendar
applications cannot send one), the token being the credential."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from litestar import get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import Response

from backend.notifications import calendar
from backend.runtime import Runtime

TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
"""The shape `calendar.feed_token` gives; anything else is not looked up."""


@get("/calendar/{name:str}", raises=[NotFoundException])
async def calendar_feed(name: str, state: State) -> Response[bytes]:
    """The person's ICS feed; 404 for a revoked, unknown or malformed token alike."""
    token = name.removesuffix(".ics")
    if not name.endswith(".ics") or TOKEN.fullmatch(token) is None:
        raise NotFoundException()
    runtime: Runtime = state.runtime
    now = datetime.now(UTC)
    async with runtime.sessions() as db:
        user_id = await calendar.owner_of(db, token)
        if user_id is None:
            raise NotFoundException()
        host = calendar.host_of(runtime.settings.public_url)
        found = await calendar.entries(db, user_id, now.date(), host)
    return Response(
        calendar.ics(found, now),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, no-store"},
    )
