"""Freshness is derived: the rule itself, its SQL twin, and the per-requirement view."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.core.access import Actor
from backend.core.calendar import TenantDay
from backend.db.session import TenantSession
from backend.evidence import service
from backend.evidence.freshness import Freshness, best, freshness
from backend.programs.service import readable_program
from tests.evidence.helpers import (
    EXPECTS_EVIDENCE,
    MemoryStore,
    available,
    confirmed_days_ago,
    new_item,
    uploaded,
)
from tests.planning.helpers import Plan
from tests.tenants.helpers import owner_execute

TODAY = date(2026, 6, 15)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("valid_until", "interval", "renewed", "expected"),
    [
        (None, None, None, Freshness.MISSING),
        (TODAY + 400 * DAY, None, None, Freshness.MISSING),  # no file proves nothing
        (None, None, TODAY - 2000 * DAY, Freshness.CURRENT),  # no end date, no review
        (TODAY + 31 * DAY, None, TODAY, Freshness.CURRENT),
        (TODAY + 30 * DAY, None, TODAY, Freshness.EXPIRING_SOON),
        (TODAY, None, TODAY, Freshness.EXPIRING_SOON),  # valid through today
        (TODAY - DAY, None, TODAY, Freshness.STALE),
        (None, 365, TODAY - 300 * DAY, Freshness.CURRENT),  # review due in 65 days
        (None, 365, TODAY - 340 * DAY, Freshness.EXPIRING_SOON),  # due in 25 days
        (None, 365, TODAY - 366 * DAY, Freshness.STALE),  # review overdue
        (TODAY + 400 * DAY, 30, TODAY - 31 * DAY, Freshness.STALE),  # the earlier deadline wins
    ],
)
def test_freshness_of_an_item(
    valid_until: date | None, interval: int | None, renewed: date | None, expected: Freshness
) -> None:
    assert freshness(valid_until, interval, renewed, TODAY) is expected


def test_a_requirement_is_as_fresh_as_its_freshest_evidence() -> None:
    assert best([Freshness.STALE, Freshness.CURRENT]) is Freshness.CURRENT
    assert best([Freshness.STALE, Freshness.EXPIRING_SOON]) is Freshness.EXPIRING_SOON
    assert best([]) is Freshness.MISSING


# (fields of the item, days since its version was confirmed or None for no available version)
ITEMS: dict[str, tuple[dict[str, object], int | None]] = {
    "current": ({"valid_until": None}, 1),
    "ends_soon": ({"valid_until": "soon"}, 1),
    "ended": ({"valid_until": "past"}, 1),
    "review_due_soon": ({"review_interval_days": 90}, 70),
    "review_overdue": ({"review_interval_days": 90}, 100),
    "no_file": ({}, None),
}


async def test_the_sql_filter_agrees_with_the_rule(
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
) -> None:
    today = datetime.now(UTC).date()
    dates = {"soon": today + 10 * DAY, "past": today - DAY}
    program = await readable_program(session, plan.programs["a"])
    for title, (fields, age) in ITEMS.items():
        values = {k: dates.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
        item = new_item(title, **values)
        version = await (available if age is not None else uploaded)(
            session, store, owner_a, target=item
        )
        if age is not None:
            await confirmed_days_ago(owner_engine, version.id, age)
        target = service.LinkTarget(program.id, requirement="4.1")
        await service.link_evidence(session, owner_a, version.evidence_id, target)
    session.expunge_all()
    items = (
        await session.scalars(service.evidence_statement(program, service.EvidenceFilter(), today))
    ).all()
    versions = await service.current_versions(session, [item.id for item in items])
    derived = {
        item.title: service.item_freshness(item, version, TenantDay(today, "UTC"))
        for item, version in zip(items, versions, strict=True)
    }
    assert derived == {
        "current": Freshness.CURRENT,
        "ends_soon": Freshness.EXPIRING_SOON,
        "ended": Freshness.STALE,
        "review_due_soon": Freshness.EXPIRING_SOON,
        "review_overdue": Freshness.STALE,
        "no_file": Freshness.MISSING,
    }
    for wanted in Freshness:
        statement = service.evidence_statement(
            program, service.EvidenceFilter(freshness=wanted), today
        )
        found = {item.title for item in await session.scalars(statement)}
        assert found == {title for title, value in derived.items() if value is wanted}, wanted


async def test_requirements_show_their_current_evidence_and_flag_what_is_missing(
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
) -> None:
    today = datetime.now(UTC).date()
    program = await readable_program(session, plan.programs["a"])
    fresh = await available(session, store, owner_a, target=new_item("Fresh"))
    old = await available(session, store, owner_a, target=new_item("Old", review_interval_days=30))
    await confirmed_days_ago(owner_engine, old.id, 60)
    links = {"4.1": [fresh, old], "4.2": [old]}
    for number, versions in links.items():
        for version in versions:
            target = service.LinkTarget(program.id, requirement=number)
            await service.link_evidence(session, owner_a, version.evidence_id, target)
    session.expunge_all()

    view = {
        entry.clause.number: entry
        for entry in await service.requirement_evidence(session, program, TenantDay(today, "UTC"))
    }
    assert (view["4.1"].freshness, view["4.2"].freshness) == (Freshness.CURRENT, Freshness.STALE)
    assert [entry.version.sha256 for entry in view["4.1"].evidence] == [fresh.sha256, old.sha256]
    assert view["4.1"].evidence[0].version.uploaded_by_id == plan.users["a_owner"]
    assert view[EXPECTS_EVIDENCE].expects_evidence
    assert view[EXPECTS_EVIDENCE].freshness is Freshness.MISSING
    assert view[EXPECTS_EVIDENCE].flagged
    assert not view["4.2"].flagged  # stale, but the catalog does not ask for evidence there
    assert list(view) == ["4.1", "4.2", "5.1", "6.2", "7.1", "8.5.1", "9.2", "10.2"]


async def test_a_requirement_that_expects_evidence_is_flagged_while_its_evidence_is_stale(
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
) -> None:
    today = datetime.now(UTC).date()
    program = await readable_program(session, plan.programs["a"])
    version = await available(session, store, owner_a, target=new_item(review_interval_days=10))
    target = service.LinkTarget(program.id, requirement=EXPECTS_EVIDENCE)
    await service.link_evidence(session, owner_a, version.evidence_id, target)
    await confirmed_days_ago(owner_engine, version.id, 11)
    session.expunge_all()
    view = {
        e.clause.number: e
        for e in await service.requirement_evidence(session, program, TenantDay(today, "UTC"))
    }
    assert view[EXPECTS_EVIDENCE].freshness is Freshness.STALE
    assert view[EXPECTS_EVIDENCE].flagged
    await confirmed_days_ago(owner_engine, version.id, 0)
    session.expunge_all()
    view = {
        e.clause.number: e
        for e in await service.requirement_evidence(session, program, TenantDay(today, "UTC"))
    }
    assert view[EXPECTS_EVIDENCE].freshness is Freshness.EXPIRING_SOON
    assert not view[EXPECTS_EVIDENCE].flagged


async def test_a_renewal_counts_from_the_tenants_own_date(
    session: TenantSession,
    store: MemoryStore,
    owner_a: Actor,
    plan: Plan,
    owner_engine: AsyncEngine,
) -> None:
    """Confirmed at 11:00 UTC on 14 June is 15 June in Kiritimati (UTC+14): a 30-day review
    falls due on 15 July there, so on 15 July the item is expiring, not yet stale."""
    await owner_execute(
        owner_engine,
        "UPDATE organizations SET timezone = 'Pacific/Kiritimati' WHERE id = :id",
        id=owner_a.tenant_id,
    )
    program = await readable_program(session, plan.programs["a"])
    version = await available(session, store, owner_a, target=new_item(review_interval_days=30))
    await service.link_evidence(
        session, owner_a, version.evidence_id, service.LinkTarget(program.id, requirement="4.1")
    )
    await owner_execute(
        owner_engine,
        "UPDATE evidence_versions SET confirmed_at = :at WHERE id = :id",
        at=datetime(2026, 6, 14, 11, tzinfo=UTC),
        id=version.id,
    )
    session.expunge_all()
    day = TenantDay(date(2026, 7, 15), "Pacific/Kiritimati")
    (item,) = await session.scalars(
        service.evidence_statement(program, service.EvidenceFilter(), day.today)
    )
    (current,) = await service.current_versions(session, [item.id])
    assert service.item_freshness(item, current, day) is Freshness.EXPIRING_SOON
    expiring = service.EvidenceFilter(freshness=Freshness.EXPIRING_SOON)
    found = await session.scalars(service.evidence_statement(program, expiring, day.today))
    assert [row.id for row in found] == [item.id]
