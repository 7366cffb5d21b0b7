"""Jobs that follow changes: when a transaction changes rows of certain tables, queue a job
for the tenant it writes in, once, as part of that transaction.

An area names the tables whose changes matter to it (`Trigger` in its `Feature` line); no
area has to remember to enqueue. The job is queued at commit, in the same transaction, and
not again while one for that tenant is still pending, so a burst of edits costs one run. The
row keeps the trace context of the commit, so the job's span joins the request's trace.
Changes made without a write tenant (none the app makes) queue nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from backend.core.metrics import JOBS_ENQUEUED
from backend.core.telemetry import current_traceparent
from backend.db.session import SCOPE_KEY
from backend.jobs.sql import CHANNEL
from tenants.scope import NO_TENANT

PENDING_KEY = "jobs_triggered"
_QUEUE_ONCE = text(
    "WITH made AS ("
    " INSERT INTO job_outbox (id, tenant_id, job, traceparent)"
    " SELECT CAST(:id AS uuid), CAST(:tenant AS uuid), CAST(:job AS varchar),"
    " CAST(:traceparent AS varchar)"
    " WHERE NOT EXISTS (SELECT 1 FROM job_outbox"
    "  WHERE tenant_id = CAST(:tenant AS uuid) AND job = CAST(:job AS varchar)"
    "  AND status = 'pending')"
    " RETURNING 1)"
    f" SELECT pg_notify('{CHANNEL}', '') FROM made"
)


@dataclass(frozen=True)
class Trigger:
    """Run `job` for the tenant whenever a transaction changes rows of `tables`."""

    job: str
    tables: frozenset[str]


_WATCHED: dict[str, tuple[str, ...]] = {}
"""Table name -> the jobs its changes trigger; set once by the feature registry."""


def install(triggers: Iterable[Trigger]) -> None:
    _WATCHED.clear()
    for trigger in triggers:
        for table in trigger.tables:
            _WATCHED[table] = (*_WATCHED.get(table, ()), trigger.job)


def _note(session: Session, tables: Iterable[str]) -> None:
    scope = session.info.get(SCOPE_KEY, NO_TENANT)
    if scope.write_tenant is None:
        return
    jobs = {job for table in tables for job in _WATCHED.get(table, ())}
    if jobs:
        pending: set[tuple[str, uuid.UUID]] = session.info.setdefault(PENDING_KEY, set())
        pending.update((job, scope.write_tenant) for job in jobs)


def _tables_of(objects: Iterable[Any]) -> set[str]:
    return {table for row in objects if (table := getattr(row, "__tablename__", None))}


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    _note(session, _tables_of([*session.new, *session.dirty, *session.deleted]))


@event.listens_for(Session, "do_orm_execute")
def _bulk_change(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and state.bind_mapper is not None:
        _note(state.session, [state.bind_mapper.local_table.name])  # type: ignore[attr-defined]


@event.listens_for(Session, "before_commit")
def _queue(session: Session) -> None:
    """Queue for the tenant the transaction writes in now. A transaction that moved between
    tenants (seeding, a catalog upgrade) may write only there at commit; the nightly run
    catches up with the others. The commit's own flush comes after this hook, so flush
    first: its changes count too."""
    session.flush()
    writing = session.info.get(SCOPE_KEY, NO_TENANT).write_tenant
    traceparent = current_traceparent()
    for job, tenant in sorted(session.info.pop(PENDING_KEY, set()), key=str):
        if tenant != writing:
            continue
        parameters = {"id": uuid.uuid4(), "tenant": tenant, "job": job, "traceparent": traceparent}
        if session.execute(_QUEUE_ONCE, parameters).first() is not None:  # not already pending
            JOBS_ENQUEUED.labels(job=job).inc()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
