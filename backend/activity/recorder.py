"""Writes the activity log: every change a transaction makes, in that same transaction.

Session events see every change, whichever area or process makes it:

- after each flush, the rows the unit of work inserted, updated or deleted, with the
  values of the columns that changed (before and after; long text and binary values as
  their SHA-256, so the log proves what a value was without keeping a second copy);
- bulk INSERT, UPDATE and DELETE statements, with their values and row count;
- events that change no row (a login), noted with `core.activity.note`.

At commit the pending entries are chained per tenant: the tenant's head row is locked
(`INSERT ... ON CONFLICT DO UPDATE` locks it, or makes it on the tenant's first entry),
the entries get the next sequence numbers and their hashes, and the head moves on — three
statements, whatever the number of entries. A rollback drops them with the changes.

Only the app's sessions (those given a tenant scope) are logged: the schema owner working
outside the app (migrations, an operator) is what the chain guards against, not a writer of
it. Only tenant-owned rows are logged; a model opts out with `activity_logged = False` (derived
data such as readiness snapshots, the job machinery, the log itself).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from backend.activity.chain import GENESIS, Link, link
from backend.core.activity import EVENTS_KEY, current_action
from backend.db.base import TenantOwned
from backend.db.session import SCOPE_KEY
from backend.observability import current_request_id
from tenants.scope import NO_TENANT, TenantScope

PENDING_KEY = "activity_pending"
LONG_VALUE = 200  # characters; a longer text is logged as its digest

_LOCK_HEAD = text(
    "INSERT INTO activity_heads (tenant_id, seq, hash) VALUES (:tenant, 0, :genesis)"
    " ON CONFLICT (tenant_id) DO UPDATE SET seq = activity_heads.seq"
    " RETURNING seq, hash"
)
_MOVE_HEAD = text("UPDATE activity_heads SET seq = :seq, hash = :hash WHERE tenant_id = :tenant")
_INSERT = text(
    "INSERT INTO activity_log (id, tenant_id, seq, at, actor_id, action, object_type,"
    " object_id, operation, changes, request_id, prev_hash, hash) VALUES (:id, :tenant_id,"
    " :seq, :at, :actor_id, :action, :object_type, :object_id, :operation,"
    " CAST(:changes AS jsonb), :request_id, :prev_hash, :hash)"
)
_SET_SCOPE = text(
    "SELECT set_config('app.read_tenants', :read, true),"
    " set_config('app.write_tenant', :write, true)"
)


@dataclass
class Pending:
    """An entry waiting for its place in the chain."""

    tenant_id: uuid.UUID
    object_type: str
    object_id: str | None
    operation: str
    changes: dict[str, Any]
    actor_id: uuid.UUID | None
    action: str
    request_id: str | None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _who(session: Session) -> tuple[uuid.UUID | None, str, str | None]:
    scope: TenantScope = session.info.get(SCOPE_KEY, NO_TENANT)
    return scope.user_id, current_action() or "unnamed", current_request_id()


def _add(session: Session, entry: Pending) -> None:
    session.info.setdefault(PENDING_KEY, []).append(entry)


def _logged(row: Any) -> bool:
    return isinstance(row, TenantOwned) and getattr(row, "activity_logged", True)


def _digest(data: bytes) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "length": len(data)}


def _plain(value: Any) -> Any:
    """A JSON value for the log: short values as they are, long ones as their digest."""
    if value is None or isinstance(value, bool | int | float):
        plain: Any = value
    elif isinstance(value, bytes):
        plain = _digest(value)
    elif isinstance(value, Enum):
        plain = _plain(value.value)
    elif isinstance(value, datetime | date):
        plain = value.isoformat()
    elif isinstance(value, dict):
        plain = {str(key): _plain(item) for key, item in value.items()}
    elif isinstance(value, list | tuple | set | frozenset):
        plain = [_plain(item) for item in value]
    else:
        text_value = str(value)  # uuids, decimals, text
        plain = _digest(text_value.encode()) if len(text_value) > LONG_VALUE else text_value
    return plain


def _hidden(column: str) -> bool:
    """Secrets and their digests are not repeated in the log, only that they changed."""
    return any(word in column for word in ("digest", "secret", "password", "token"))


def _row_changes(row: Any, operation: str) -> dict[str, Any]:
    """Values the row holds in memory: a column the database fills (a timestamp default)
    is not read back for the log, which would cost a statement per row."""
    state = inspect(row)
    loaded = state.dict
    changes: dict[str, Any] = {}
    for column in state.mapper.column_attrs:
        key = column.key
        history = state.attrs[key].history
        if operation == "update" and not history.has_changes():
            continue
        if operation != "update" and key not in loaded:
            continue
        if _hidden(key):
            changes[key] = "hidden"
        elif operation == "insert":
            changes[key] = {"after": _plain(loaded[key])}
        elif operation == "delete":
            changes[key] = {"before": _plain(loaded[key])}
        else:
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            changes[key] = {"before": _plain(before), "after": _plain(after)}
    return changes


def _record_rows(session: Session, rows: Iterable[Any], operation: str) -> None:
    if SCOPE_KEY not in session.info:  # the schema owner's own sessions are not the app's
        return
    who = _who(session)
    for row in rows:
        if not _logged(row):
            continue
        changes = _row_changes(row, operation)
        if operation == "update" and not changes:
            continue
        object_id = getattr(row, "id", None)
        # An organization's tenant key is generated from its id by the database.
        tenant: uuid.UUID = row.tenant_id if row.tenant_id is not None else row.id
        _add(
            session,
            Pending(
                tenant,
                type(row).__name__,
                str(object_id) if object_id is not None else None,
                operation,
                changes,
                *who,
            ),
        )


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    _record_rows(session, session.new, "insert")
    _record_rows(session, [row for row in session.dirty if session.is_modified(row)], "update")
    _record_rows(session, session.deleted, "delete")


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> Any:
    """A bulk statement is one entry in the tenant it writes in, with what it set."""
    if not (state.is_update or state.is_delete or state.is_insert) or state.bind_mapper is None:
        return None
    model = state.bind_mapper.class_
    scope: TenantScope = state.session.info.get(SCOPE_KEY, NO_TENANT)
    if not (issubclass(model, TenantOwned) and getattr(model, "activity_logged", True)):
        return None
    if scope.write_tenant is None:
        return None
    operation = "insert" if state.is_insert else "update" if state.is_update else "delete"
    details = {"bulk": True, "statement": _plain(_described(state))}
    _add(
        state.session,
        Pending(scope.write_tenant, model.__name__, None, operation, details, *_who(state.session)),
    )
    return None


def _described(state: ORMExecuteState) -> dict[str, Any]:
    """What the statement sets and which rows it names, without compiling the ORM statement
    itself (that is the ORM's to do, once, when it runs)."""
    statement: Any = state.statement
    described: dict[str, Any] = {}
    values = getattr(statement, "_values", None) or {}
    if values:
        described["values"] = {
            getattr(column, "key", str(column)): _literal(value) for column, value in values.items()
        }
    where = getattr(statement, "whereclause", None)
    if where is not None:
        described["where"] = _literal(where)
    if state.parameters:
        described["parameters"] = state.parameters
    return described


def _literal(clause: Any) -> Any:
    """A bound value as itself, an expression as SQL text with its values inlined."""
    if hasattr(clause, "value") and not hasattr(clause, "whereclause"):
        return clause.value
    try:
        return str(clause.compile(compile_kwargs={"literal_binds": True}))
    except Exception:
        return str(clause)


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    session.flush()  # before_commit runs before the commit's own flush: see every change
    pending: list[Pending] = session.info.pop(PENDING_KEY, [])
    who = _who(session)
    for noted in session.info.pop(EVENTS_KEY, []):
        pending.append(
            Pending(
                noted.tenant_id,
                noted.object_type,
                noted.object_id,
                "event",
                _plain(noted.details),
                *who,
            )
        )
    if not pending:
        return
    scope: TenantScope = session.info.get(SCOPE_KEY, NO_TENANT)
    by_tenant: defaultdict[uuid.UUID, list[Pending]] = defaultdict(list)
    for entry in pending:
        by_tenant[entry.tenant_id].append(entry)
    for tenant in sorted(by_tenant, key=str):  # one lock order: writers never deadlock
        if tenant != scope.write_tenant:
            _write_as(session, tenant, scope, by_tenant[tenant])
        else:
            _chain(session, tenant, by_tenant[tenant])


def _write_as(
    session: Session, tenant: uuid.UUID, scope: TenantScope, entries: list[Pending]
) -> None:
    """Entries of rows the transaction changed in a tenant it no longer writes in (seeding
    moves between tenants): the changes passed that tenant's policies, so their entries are
    written there, under a scope of that tenant alone for those three statements."""
    session.execute(_SET_SCOPE, {"read": str(tenant), "write": str(tenant)})
    try:
        _chain(session, tenant, entries)
    finally:
        settings = scope.settings()
        values = {"read": settings["app.read_tenants"], "write": settings["app.write_tenant"]}
        session.execute(_SET_SCOPE, values)


def _chain(session: Session, tenant: uuid.UUID, entries: list[Pending]) -> None:
    seq, previous = session.execute(_LOCK_HEAD, {"tenant": tenant, "genesis": GENESIS}).one()
    rows = []
    for entry in entries:
        seq += 1
        chained = Link(
            tenant,
            seq,
            entry.at,
            entry.actor_id,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.operation,
            entry.changes,
            entry.request_id,
        )
        digest = link(previous, chained)
        rows.append(
            {**_columns(chained), "id": uuid.uuid4(), "prev_hash": previous, "hash": digest}
        )
        previous = digest
    session.execute(_INSERT, rows)
    session.execute(_MOVE_HEAD, {"tenant": tenant, "seq": seq, "hash": previous})


def _columns(entry: Link) -> dict[str, Any]:
    return {
        "tenant_id": entry.tenant_id,
        "seq": entry.seq,
        "at": entry.at,
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "operation": entry.operation,
        "changes": json.dumps(entry.changes),
        "request_id": entry.request_id,
    }


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
    session.info.pop(EVENTS_KEY, None)
