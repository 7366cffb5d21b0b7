"""A person's calendar feed: an ICS document of what falls due in every organization they
read, at a URL only they know.

The URL's token is an HMAC (SHA-256, under the server's signing secret) of a random nonce
kept on the person's `calendar_feeds` row with the token's SHA-256. The server can show the
URL again from the nonce; the database alone gives no working token; resetting draws a new
nonce, so the old URL answers 404 from then on. The feed is read in a scope built from the
person's entitlements at the time of the fetch, exactly as a request of theirs would read,
so an expired auditor grant or an ended engagement leaves the feed at once.

Events are whole days with stable UIDs (`<global id>-<kind>@<host>`), so a calendar
application updates an event when its date moves instead of adding another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from backend.audits.models import Audit, AuditStatus
from backend.db.session import TenantSession
from backend.notifications.models import CalendarFeed, ReminderKind
from backend.notifications.reminders import SOURCES
from tenants.entitlements import load_entitlements

PAST = timedelta(days=90)
AHEAD = timedelta(days=366)
MAX_EVENTS_PER_KIND = 500
TOKEN_BYTES = 32
_PRESENT_DIGEST = text("SELECT set_config('app.token_digest', :digest, true)")
_LABELS = {
    ReminderKind.ACTION_DUE: "Action due",
    ReminderKind.FINDING_DUE: "Finding due",
    ReminderKind.DOCUMENT_REVIEW_DUE: "Document review due",
    ReminderKind.TRAINING_SESSION: "Training session",
    ReminderKind.AUDIT: "Internal audit",
}


def feed_token(secret: str, nonce: bytes) -> str:
    mac = hmac.new(secret.encode(), b"calendar-feed:" + nonce, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url}/calendar/{token}.ics"


async def current_token(db: TenantSession, user_id: uuid.UUID, secret: str) -> str | None:
    """The token of the person's feed; None until they first reset it."""
    nonce = await db.scalar(select(CalendarFeed.nonce).where(CalendarFeed.user_id == user_id))
    return None if nonce is None else feed_token(secret, nonce)


async def reset(db: TenantSession, user_id: uuid.UUID, secret: str) -> str:
    """A new token for the person's feed; the former one stops working."""
    nonce = secrets.token_bytes(TOKEN_BYTES)
    token = feed_token(secret, nonce)
    upsert = insert(CalendarFeed).values(
        user_id=user_id, nonce=nonce, token_hash=token_digest(token)
    )
    await db.execute(
        upsert.on_conflict_do_update(
            index_elements=[CalendarFeed.user_id],
            set_={
                "nonce": upsert.excluded.nonce,
                "token_hash": upsert.excluded.token_hash,
                "created_at": datetime.now(UTC),
            },
        )
    )
    await db.commit()
    return token


async def owner_of(db: TenantSession, token: str) -> uuid.UUID | None:
    """Whose feed `token` opens (None for a revoked or made-up token)."""
    digest = token_digest(token)
    await db.execute(_PRESENT_DIGEST, {"digest": digest.hex()})
    found: uuid.UUID | None = await db.scalar(
        select(CalendarFeed.user_id).where(CalendarFeed.token_hash == digest)
    )
    return found


@dataclass(frozen=True)
class Entry:
    uid: str
    summary: str
    start: date
    end: date  # exclusive, as ICS wants whole-day events


async def entries(db: TenantSession, user_id: uuid.UUID, today: date, host: str) -> list[Entry]:
    """What falls due from `PAST` before `today` to `AHEAD` after it, in every organization
    the person reads now."""
    entitlements = await load_entitlements(db, user_id)
    await db.set_scope(entitlements.scope())
    first, last = today - PAST, today + AHEAD
    found: list[Entry] = []
    for source in SOURCES:
        if source.kind is ReminderKind.AUDIT:
            continue  # audits span their planned days, below
        statement = source.due_between(first, last).order_by(source.columns[2], source.columns[0])
        for subject_id, title, due_on, _owner in await db.execute(
            statement.limit(MAX_EVENTS_PER_KIND)
        ):
            uid = _uid(source.subject_type, subject_id, source.kind, host)
            summary = f"{_LABELS[source.kind]}: {title}"
            found.append(Entry(uid, summary, due_on, due_on + timedelta(days=1)))
    audits = await db.execute(
        select(Audit.id, Audit.reference, Audit.title, Audit.planned_start, Audit.planned_end)
        .where(
            Audit.status != AuditStatus.CANCELLED.value,
            Audit.planned_end >= first,
            Audit.planned_start <= last,
        )
        .order_by(Audit.planned_start, Audit.id)
        .limit(MAX_EVENTS_PER_KIND)
    )
    for audit_id, reference, title, start, end in audits:
        uid = _uid("Audit", audit_id, ReminderKind.AUDIT, host)
        summary = f"{_LABELS[ReminderKind.AUDIT]}: {reference} {title}"
        found.append(Entry(uid, summary, start, end + timedelta(days=1)))
    return found


def global_id(type_name: str, row_id: uuid.UUID) -> str:
    """The object's Relay global id, as the API spells it (base64 of "Type:id")."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def _uid(type_name: str, row_id: uuid.UUID, kind: ReminderKind, host: str) -> str:
    return f"{global_id(type_name, row_id)}-{kind.value}@{host}"


def host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or "certready.invalid"


def ics(found: list[Entry], stamp: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//certready//reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "certready")
    for entry in found:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.start)
        event.add("dtend", entry.end)
        event.add("summary", entry.summary)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    document: bytes = calendar.to_ical()
    return document
