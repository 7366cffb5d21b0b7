"""Evidence rules: uploads the server checks itself, downloads it records, links, soft delete.

The API never carries file bytes. `request_upload` records a pending version and hands out
the store's signed upload; `confirm_upload` measures what actually arrived and only then
makes the version available. A version never changes after that, and deleting evidence only
hides it. Changes happen in the acting tenant, by a role that may write; evidence of tenants
the caller cannot read is not found, exactly like ids that never existed.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, insert, select
from sqlalchemy.dialects.postgresql import distinct_on

from backend.catalog.models import Clause
from backend.core.access import Actor, Permission, for_change, readable, require_writer
from backend.core.calendar import TenantDay
from backend.core.errors import ErrorCode, ServiceError, invalid, not_found
from backend.core.validation import choice, text_field
from backend.db.batch import by_id
from backend.db.session import TenantSession
from backend.evidence.freshness import (
    Freshness,
    best,
    freshness,
    freshness_sql,
    last_confirmed_sql,
    renewed_on,
)
from backend.evidence.models import (
    EvidenceDownload,
    EvidenceItem,
    EvidenceKind,
    EvidenceLink,
    EvidenceVersion,
    VersionStatus,
)
from backend.evidence.store import EvidenceStore, UploadTicket, object_key
from backend.packages.models import EvidencePackage, PackageItem, PackageStatus
from backend.planning.models import Action
from backend.programs.models import Program, ProgramStep
from backend.programs.service import owner_member, readable_program
from backend.settings import Settings

SHA256 = re.compile(r"^[0-9a-f]{64}$")
TITLE_LIMIT = 300
TEXT_LIMIT = 10_000
FILENAME_LIMIT = 255
MAX_REVIEW_INTERVAL_DAYS = 3660  # ten years


@dataclass(frozen=True)
class Limits:
    """What the settings allow: content types, size, and how long signed URLs live."""

    max_bytes: int
    allowed_types: frozenset[str]
    url_ttl_seconds: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            settings.evidence_max_bytes,
            frozenset(settings.evidence_allowed_types),
            settings.evidence_url_ttl_seconds,
        )


@dataclass(frozen=True)
class NewItem:
    """The fields of an evidence item created together with its first version."""

    title: str
    kind: str
    description: str = ""
    owner_id: uuid.UUID | None = None
    period_from: date | None = None
    period_to: date | None = None
    collected_at: datetime | None = None
    valid_until: date | None = None
    review_interval_days: int | None = None


@dataclass(frozen=True)
class FileDeclaration:
    """What the client says it will upload; `confirm_upload` checks it against the store."""

    filename: str
    content_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class RequestedUpload:
    version: EvidenceVersion
    ticket: UploadTicket


@dataclass(frozen=True)
class SignedDownload:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkTarget:
    """What evidence proves in a program: one requirement (clause id or number), step or action."""

    program_id: uuid.UUID
    requirement: uuid.UUID | str | None = None
    step_id: uuid.UUID | None = None
    action_id: uuid.UUID | None = None


# --- validation ---------------------------------------------------------------------------


def clean_file(declared: FileDeclaration, limits: Limits) -> FileDeclaration:
    """A declaration the store may sign: allowed type, bounded size, a real SHA-256, and a
    plain file name (any directory part a browser or an attacker sent is dropped)."""
    content_type = declared.content_type.strip().lower()
    if content_type not in limits.allowed_types:
        allowed = ", ".join(sorted(limits.allowed_types))
        raise invalid(
            f"Content type {content_type!r} is not allowed; use one of: {allowed}.", ["contentType"]
        )
    if not 0 < declared.size_bytes <= limits.max_bytes:
        raise invalid(f"Size must be between 1 and {limits.max_bytes} bytes.", ["size"])
    sha256 = declared.sha256.strip().lower()
    if not SHA256.match(sha256):
        raise invalid("sha256 must be 64 hexadecimal characters.", ["sha256"])
    return FileDeclaration(_filename(declared.filename), content_type, declared.size_bytes, sha256)


def _filename(raw: str) -> str:
    name = re.split(r"[/\\]", raw)[-1].strip()
    if name in {".", ".."} or any(ord(char) < 32 or ord(char) == 127 for char in name):
        name = ""
    if not 1 <= len(name) <= FILENAME_LIMIT:
        raise invalid(
            f"Filename must be 1 to {FILENAME_LIMIT} characters without control characters.",
            ["filename"],
        )
    return name


def _check_dates(values: NewItem) -> None:
    if values.period_from and values.period_to and values.period_to < values.period_from:
        raise invalid("The period must end on or after its start.", ["periodTo"])
    if values.collected_at is not None and values.collected_at.tzinfo is None:
        raise invalid("Times must carry a UTC offset.", ["collectedAt"])
    interval = values.review_interval_days
    if interval is not None and not 1 <= interval <= MAX_REVIEW_INTERVAL_DAYS:
        raise invalid(
            f"reviewIntervalDays must be between 1 and {MAX_REVIEW_INTERVAL_DAYS}.",
            ["reviewIntervalDays"],
        )


# --- access -------------------------------------------------------------------------------


async def _live_item(db: TenantSession, evidence_id: uuid.UUID, field: str) -> EvidenceItem:
    """A readable evidence item that is not deleted."""
    item = await readable(db, EvidenceItem, evidence_id, "Evidence", field)
    if item.deleted_at is not None:
        raise not_found("Evidence", [field])
    return item


async def _item_for_change(
    db: TenantSession, actor: Actor, evidence_id: uuid.UUID, field: str = "evidenceId"
) -> EvidenceItem:
    item = await _live_item(db, evidence_id, field)
    require_writer(db, actor, item.tenant_id, "Evidence")
    return item


# --- uploads ------------------------------------------------------------------------------


async def request_upload(
    db: TenantSession,
    store: EvidenceStore,
    limits: Limits,
    actor: Actor,
    *,
    target: uuid.UUID | NewItem,
    declared: FileDeclaration,
) -> RequestedUpload:
    """A pending version of an item (`target` is its id, or the fields of a new one) and the
    signed upload that may fill it, bound to the declared size, checksum and type."""
    file = clean_file(declared, limits)
    if isinstance(target, NewItem):
        item = await _new_item(db, actor, target)
    else:
        item = await _item_for_change(db, actor, target)
    version = EvidenceVersion(
        id=uuid.uuid4(),
        tenant_id=item.tenant_id,
        evidence_id=item.id,
        filename=file.filename,
        content_type=file.content_type,
        size_bytes=file.size_bytes,
        sha256=file.sha256,
        status=VersionStatus.PENDING.value,
        uploaded_by_id=actor.user_id,
        upload_expires_at=datetime.now(UTC) + timedelta(seconds=limits.url_ttl_seconds),
    )
    version.storage_key = object_key(item.tenant_id, item.id, version.id)
    ticket = await store.upload_ticket(
        version.storage_key,
        size_bytes=file.size_bytes,
        sha256=file.sha256,
        content_type=file.content_type,
        ttl_seconds=limits.url_ttl_seconds,
    )
    db.add(version)
    await db.commit()
    await db.refresh(version)
    return RequestedUpload(version, ticket)


async def _new_item(db: TenantSession, actor: Actor, values: NewItem) -> EvidenceItem:
    require_writer(db, actor, actor.tenant_id, "Organization")
    _check_dates(values)
    item = EvidenceItem(
        id=uuid.uuid4(),
        tenant_id=actor.tenant_id,
        title=text_field(values.title, "title", TITLE_LIMIT),
        description=text_field(values.description, "description", TEXT_LIMIT, blank=True),
        kind=choice(EvidenceKind, values.kind, "kind").value,
        owner_id=await owner_member(db, actor.tenant_id, values.owner_id, "ownerId"),
        period_from=values.period_from,
        period_to=values.period_to,
        collected_at=values.collected_at,
        valid_until=values.valid_until,
        review_interval_days=values.review_interval_days,
    )
    db.add(item)
    return item


async def confirm_upload(
    db: TenantSession, store: EvidenceStore, actor: Actor, version_id: uuid.UUID
) -> EvidenceVersion:
    """Make a pending version available once the store's own measurement matches what was
    declared. Otherwise the version is rejected for good (the rejection is committed before the
    error is raised, so rolling the request back cannot undo it) and the object is removed."""
    # Locked and re-read: of two concurrent confirmations, the second sees the first's verdict.
    version = await for_change(
        db,
        actor,
        EvidenceVersion,
        version_id,
        permission=Permission.CONTRIBUTE,
        what="Evidence version",
        field="versionId",
    )
    if version.status != VersionStatus.PENDING.value:
        raise ServiceError(
            ErrorCode.CONFLICT,
            f"This version is already {version.status}; versions never change once decided.",
            ["versionId"],
        )
    reason = await _mismatch(store, version)
    if reason is not None:
        await _reject(db, store, version, reason)
    version.status = VersionStatus.AVAILABLE.value
    version.confirmed_at = datetime.now(UTC)
    await db.commit()
    return version


async def _mismatch(store: EvidenceStore, version: EvidenceVersion) -> str | None:
    """Why the stored object cannot be accepted, or None when it is exactly as declared."""
    if datetime.now(UTC) > version.upload_expires_at:
        return "The upload request expired; request a new upload."
    stored = await store.inspect(version.storage_key)
    if stored is None:
        return "Nothing was uploaded for this version."
    if stored.size_bytes != version.size_bytes:
        return (
            f"The stored file has {stored.size_bytes} bytes, not the {version.size_bytes} declared."
        )
    if stored.sha256 != version.sha256:
        return "The stored file's SHA-256 differs from the one declared."
    return None


async def _reject(
    db: TenantSession, store: EvidenceStore, version: EvidenceVersion, reason: str
) -> None:
    await store.remove(version.storage_key)
    version.status = VersionStatus.REJECTED.value
    version.rejection_reason = reason
    await db.commit()
    raise ServiceError(ErrorCode.UPLOAD_REJECTED, reason, ["versionId"])


# --- downloads ----------------------------------------------------------------------------


async def download_url(
    db: TenantSession,
    store: EvidenceStore,
    limits: Limits,
    user_id: uuid.UUID,
    version_id: uuid.UUID,
) -> SignedDownload:
    """A short-lived signed GET for an available version, for anyone who may read it (members,
    consultants, auditors of a granted client); the download is recorded."""
    version = await readable(db, EvidenceVersion, version_id, "Evidence version", "versionId")
    await _live_item(db, version.evidence_id, "versionId")
    if version.status != VersionStatus.AVAILABLE.value:
        raise invalid(
            f"This version is {version.status}; only available versions download.", ["versionId"]
        )
    url = await store.download_url(
        version.storage_key,
        filename=version.filename,
        content_type=version.content_type,
        ttl_seconds=limits.url_ttl_seconds,
    )
    await record_download(db, version.tenant_id, version.id, user_id)
    return SignedDownload(url, datetime.now(UTC) + timedelta(seconds=limits.url_ttl_seconds))


async def record_download(
    db: TenantSession, tenant_id: uuid.UUID, version_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Append who downloaded which version, even for a reader that may write nowhere.

    Auditors and viewers have no write tenant, so row-level security refuses their INSERT. For
    this one append-only audit row the session writes in the evidence's tenant, in a
    transaction of its own that runs nothing else: the reader's transaction is committed first
    (a reader has nothing pending, and anything pending is refused rather than written with
    the wider scope), the single INSERT is committed, and the reader's scope comes back before
    any other statement. The row names the caller, so nobody can record a download for someone
    else, and the table is append-only: the database refuses to change or delete it.
    """
    if db.new or db.dirty or db.deleted:
        raise RuntimeError("Refusing to widen the scope over pending changes.")
    await db.commit()
    reader = db.scope
    await db.set_scope(reader.writing_in(tenant_id))
    try:
        await db.execute(
            insert(EvidenceDownload).values(
                tenant_id=tenant_id, version_id=version_id, user_id=user_id
            )
        )
        await db.commit()
    finally:
        await db.set_scope(reader)


# --- links and deletion -------------------------------------------------------------------


async def link_evidence(
    db: TenantSession, actor: Actor, evidence_id: uuid.UUID, target: LinkTarget
) -> EvidenceLink:
    """Tie evidence to what it proves in a program of its own tenant; linking twice is a no-op."""
    item = await _item_for_change(db, actor, evidence_id)
    program = await readable_program(db, target.program_id)
    if program.tenant_id != item.tenant_id:
        raise invalid("The program belongs to another organization.", ["programId"])
    link = EvidenceLink(tenant_id=item.tenant_id, evidence_id=item.id, program_id=program.id)
    await _aim(db, program, link, target)
    existing = await db.scalar(
        select(EvidenceLink).where(
            EvidenceLink.evidence_id == item.id,
            EvidenceLink.program_id == program.id,
            EvidenceLink.clause_id.is_not_distinct_from(link.clause_id),
            EvidenceLink.step_id.is_not_distinct_from(link.step_id),
            EvidenceLink.action_id.is_not_distinct_from(link.action_id),
        )
    )
    if existing is not None:
        return existing
    db.add(link)
    await db.commit()
    return link


async def _aim(db: TenantSession, program: Program, link: EvidenceLink, target: LinkTarget) -> None:
    """Point `link` at exactly one target of `program`; others' ids read as not found."""
    given = [t for t in (target.requirement, target.step_id, target.action_id) if t is not None]
    if len(given) != 1:
        raise invalid("Name exactly one of requirement, stepId or actionId.", ["requirement"])
    if target.requirement is not None:
        link.clause_id = await _requirement(db, program, target.requirement)
    elif target.step_id is not None:
        step = await db.get(ProgramStep, target.step_id)
        if step is None or step.program_id != program.id:
            raise not_found("Step of this program", ["stepId"])
        link.step_id = step.id
    else:
        action = await db.get(Action, target.action_id)
        if action is None or action.program_id != program.id:
            raise not_found("Action of this program", ["actionId"])
        link.action_id = action.id


async def _requirement(db: TenantSession, program: Program, ref: uuid.UUID | str) -> uuid.UUID:
    named = Clause.id == ref if isinstance(ref, uuid.UUID) else Clause.number == ref.strip()
    clause_id = await db.scalar(
        select(Clause.id).where(Clause.standard_id == program.standard_id, named)
    )
    if clause_id is None:
        raise invalid("Not a requirement of this program's standard.", ["requirement"])
    return clause_id


async def unlink_evidence(db: TenantSession, actor: Actor, link_id: uuid.UUID) -> uuid.UUID:
    link = await readable(db, EvidenceLink, link_id, "Evidence link", "linkId")
    require_writer(db, actor, link.tenant_id, "Evidence link")
    await db.delete(link)
    await db.commit()
    return link_id


async def delete_evidence(db: TenantSession, actor: Actor, evidence_id: uuid.UUID) -> EvidenceItem:
    """Hide the item from every list; its versions, files and links are kept for the record."""
    item = await _item_for_change(db, actor, evidence_id, "id")
    await _refuse_if_packaged(db, item)
    item.deleted_at = datetime.now(UTC)
    await db.commit()
    return item


async def _refuse_if_packaged(db: TenantSession, item: EvidenceItem) -> None:
    """A version in a frozen package stays until the package is released: its auditors
    must find what the manifest lists. Read through the packages' models only."""
    package = await db.scalar(
        select(EvidencePackage.title)
        .join(PackageItem, PackageItem.package_id == EvidencePackage.id)
        .join(EvidenceVersion, EvidenceVersion.id == PackageItem.evidence_version_id)
        .where(
            EvidenceVersion.evidence_id == item.id,
            EvidencePackage.status == PackageStatus.FROZEN.value,
        )
        .limit(1)
    )
    if package is not None:
        raise ServiceError(
            ErrorCode.LOCKED,
            f"{item.title} is in the frozen evidence package {package!r}; it can be deleted"
            " once that package is released after its audit.",
            ["id"],
        )


# --- reads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceFilter:
    requirement: uuid.UUID | str | None = None
    kind: str | None = None
    freshness: Freshness | None = None


def evidence_statement(
    program: Program, where: EvidenceFilter, today: date
) -> Select[EvidenceItem]:
    """The live items linked to `program` (to anything in it), filtered."""
    linked = select(EvidenceLink.evidence_id).where(EvidenceLink.program_id == program.id)
    if where.requirement is not None:
        linked = linked.join(Clause, Clause.id == EvidenceLink.clause_id).where(
            Clause.id == where.requirement
            if isinstance(where.requirement, uuid.UUID)
            else Clause.number == where.requirement.strip()
        )
    statement = select(EvidenceItem).where(
        EvidenceItem.id.in_(linked), EvidenceItem.deleted_at.is_(None)
    )
    if where.kind is not None:
        statement = statement.where(EvidenceItem.kind == where.kind)
    if where.freshness is not None:
        derived = freshness_sql(
            EvidenceItem.valid_until,
            EvidenceItem.review_interval_days,
            last_confirmed_sql(),
            today,
        )
        statement = statement.where(derived == where.freshness.value)
    return statement


def item_freshness(
    item: EvidenceItem, current: EvidenceVersion | None, day: TenantDay
) -> Freshness:
    renewed = renewed_on(current.confirmed_at, day) if current else None
    return freshness(item.valid_until, item.review_interval_days, renewed, day.today)


@dataclass(frozen=True)
class CurrentEvidence:
    item: EvidenceItem
    version: EvidenceVersion
    freshness: Freshness


@dataclass(frozen=True)
class RequirementEvidence:
    """One requirement of a program and the evidence behind it, for auditors."""

    clause: Clause
    expects_evidence: bool  # the catalog says the clause demands documented information
    freshness: Freshness
    evidence: list[CurrentEvidence]

    @property
    def flagged(self) -> bool:
        """It expects evidence and has none current (expiring soon still counts as current)."""
        return self.expects_evidence and self.freshness not in {
            Freshness.CURRENT,
            Freshness.EXPIRING_SOON,
        }


async def requirement_evidence(
    db: TenantSession, program: Program, day: TenantDay
) -> list[RequirementEvidence]:
    """Every requirement of the program's standard with its linked, available evidence: three
    statements, however many requirements and items there are."""
    clauses = (
        await db.scalars(
            select(Clause)
            .where(Clause.standard_id == program.standard_id, Clause.assessable.is_(True))
            .order_by(Clause.position)
        )
    ).all()
    linked = await db.execute(
        select(EvidenceLink.clause_id, EvidenceItem)
        .join(EvidenceItem, EvidenceItem.id == EvidenceLink.evidence_id)
        .where(
            EvidenceLink.program_id == program.id,
            EvidenceLink.clause_id.is_not(None),
            EvidenceItem.deleted_at.is_(None),
        )
        .order_by(EvidenceItem.created_at, EvidenceItem.id)
    )
    items_of: dict[uuid.UUID | None, list[EvidenceItem]] = defaultdict(list)
    for clause_id, item in linked:
        items_of[clause_id].append(item)
    items = {item.id: item for group in items_of.values() for item in group}
    versions = dict(zip(items, await current_versions(db, list(items)), strict=True))
    return [_requirement_evidence(clause, items_of[clause.id], versions, day) for clause in clauses]


def _requirement_evidence(
    clause: Clause,
    items: list[EvidenceItem],
    versions: dict[uuid.UUID, EvidenceVersion | None],
    day: TenantDay,
) -> RequirementEvidence:
    current = [
        CurrentEvidence(item, version, item_freshness(item, version, day))
        for item in items
        if (version := versions[item.id]) is not None
    ]
    return RequirementEvidence(
        clause=clause,
        expects_evidence=clause.documented_information,
        freshness=best(entry.freshness for entry in current),
        evidence=current,
    )


# --- batch loads (one statement per batch, for the request's DataLoaders) -----------------


items_by_id = by_id(EvidenceItem)
versions_by_id = by_id(EvidenceVersion)
links_by_id = by_id(EvidenceLink)


async def current_versions(
    db: TenantSession, evidence_ids: Sequence[uuid.UUID]
) -> list[EvidenceVersion | None]:
    """Each item's newest available version: the one that counts today."""
    rows = await db.scalars(
        select(EvidenceVersion)
        .where(
            EvidenceVersion.evidence_id.in_(evidence_ids),
            EvidenceVersion.status == VersionStatus.AVAILABLE.value,
        )
        .order_by(
            EvidenceVersion.evidence_id,
            EvidenceVersion.confirmed_at.desc(),
            EvidenceVersion.id.desc(),
        )
        .ext(distinct_on(EvidenceVersion.evidence_id))
    )
    found = {row.evidence_id: row for row in rows}
    return [found.get(i) for i in evidence_ids]


async def versions_of_items(
    db: TenantSession, evidence_ids: Sequence[uuid.UUID]
) -> list[list[EvidenceVersion]]:
    """Every version of each item, newest first (rejected ones too: they are the record)."""
    rows = await db.scalars(
        select(EvidenceVersion)
        .where(EvidenceVersion.evidence_id.in_(evidence_ids))
        .order_by(EvidenceVersion.created_at.desc(), EvidenceVersion.id.desc())
    )
    grouped: dict[uuid.UUID, list[EvidenceVersion]] = defaultdict(list)
    for row in rows:
        grouped[row.evidence_id].append(row)
    return [grouped[i] for i in evidence_ids]


async def links_of_items(
    db: TenantSession, evidence_ids: Sequence[uuid.UUID]
) -> list[list[EvidenceLink]]:
    rows = await db.scalars(
        select(EvidenceLink)
        .where(EvidenceLink.evidence_id.in_(evidence_ids))
        .order_by(EvidenceLink.id)
    )
    grouped: dict[uuid.UUID, list[EvidenceLink]] = defaultdict(list)
    for row in rows:
        grouped[row.evidence_id].append(row)
    return [grouped[i] for i in evidence_ids]
