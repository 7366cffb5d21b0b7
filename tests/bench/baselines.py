"""Hand-written baselines that `make bench` measures certready against.

- `plain_app`: a Litestar app with one JSON POST route, the floor of any request: HTTP, routing,
  JSON in and out. `{ __typename }` and `me` are compared with it.
- `dashboard_app`: the program dashboard (tests/bench/scenarios.py DASHBOARD) written by hand
  on an asyncpg pool, answering exactly the JSON the GraphQL query answers. It does the work
  the API must do for that answer and nothing else: it checks the bearer token with the same
  keys and claims, resolves the caller's entitlements and login in one statement, refuses an
  `X-Tenant-ID` the caller is not entitled to, and runs as the same NOBYPASSRLS app role with
  the same transaction-local tenant settings (`set_config(..., true)`, as
  backend/db/session.py writes them). Its SQL is the API's own statements, one for one (the
  program, its steps, the requirements with their assessments and action counts, each exit
  criterion), so the ratio between the two is what the framework layers cost, not the data.

tests/bench/test_baseline_honest.py keeps the dashboard baseline equal to the API's answer.
Both serve POST /graphql, so one request body drives either.

    python -m tests.bench.baselines plain|dashboard --port N   (settings from the environment)
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry
from litestar import Litestar, Request, Response, post

from backend.auth.keys import SigningKeys, development_keys, parse_keys
from backend.certification.rules import BodyRules, major_deadline, stage2_repeat
from backend.programs.steps import STEPS
from backend.settings import Settings

PLAIN_ANSWER: dict[str, Any] = {"data": {"__typename": "Query"}}
NAMED = 5  # how many requirements, sessions or people a criterion's reason names
PAGE = 500  # the dashboard asks for `first: 500`
# The order of the roles, strongest first (tenants/roles.py); writes need one above viewer.
ROLES = ("owner", "admin", "consultant", "manager", "contributor", "viewer", "auditor")
READ_ONLY_ROLES = {"viewer", "auditor"}


def plain_app() -> Litestar:
    """One JSON POST route: the body is decoded, a small JSON object comes back."""

    @post("/graphql", status_code=200)
    async def graphql(data: dict[str, Any]) -> dict[str, Any]:
        return PLAIN_ANSWER

    return Litestar([graphql])


# --- the dashboard, by hand --------------------------------------------------------------

_SET_CONTEXT = (
    "SELECT set_config('app.user_id', $1, true), set_config('app.read_tenants', $2, true),"
    " set_config('app.write_tenant', $3, true)"
)
_ENTITLEMENTS = """
SELECT s.live, (SELECT u.is_active FROM users u WHERE u.id = $1) AS active, r.tenant_id, r.role
FROM (SELECT EXISTS (SELECT 1 FROM refresh_tokens t
                     WHERE t.family_id = $2 AND t.user_id = $1 AND t.revoked_at IS NULL) AS live) s
LEFT JOIN (
    SELECT m.tenant_id, m.role::text AS role FROM memberships m WHERE m.user_id = $1
    UNION ALL
    SELECT e.tenant_id, CASE WHEN m.role::text = 'viewer' THEN 'viewer' ELSE 'consultant' END
    FROM consultancy_engagements e JOIN memberships m ON m.tenant_id = e.consultancy_id
    WHERE m.user_id = $1 AND e.started_at <= now() AND (e.ended_at IS NULL OR e.ended_at > now())
    UNION ALL
    SELECT g.tenant_id, 'auditor' FROM auditor_grants g
    WHERE g.certification_body_id IN (SELECT m.tenant_id FROM memberships m WHERE m.user_id = $1)
      AND g.valid_from <= now() AND g.valid_until > now() AND g.revoked_at IS NULL
) r ON s.live
"""
_PROGRAM = """
SELECT p.status::text AS status, p.standard_id, s.code, s.edition
FROM programs p JOIN standards s ON s.id = p.standard_id WHERE p.id = $1
"""
_STEPS = """
SELECT number, key::text AS key, status::text AS status, checklist::text AS checklist
FROM program_steps WHERE program_id = $1 ORDER BY number
"""
_REQUIREMENTS = f"""
SELECT a.status::text AS status, a.priority::text AS priority, c.number, c.title,
       (SELECT count(*) FROM actions x JOIN action_requirements ar ON ar.action_id = x.id
        WHERE x.program_id = a.program_id AND ar.clause_id = a.clause_id
          AND x.status::text <> 'cancelled') AS action_count,
       count(*) OVER () AS total
FROM assessments a JOIN clauses c ON c.id = a.clause_id
WHERE a.program_id = $1 ORDER BY c.position, c.id LIMIT {PAGE}
"""
_NOT_ASSESSED = f"""
SELECT c.number, count(*) OVER () AS remaining
FROM clauses c JOIN assessments a ON a.clause_id = c.id
WHERE a.program_id = $1 AND a.status::text = 'not_assessed'
ORDER BY c.position LIMIT {NAMED}
"""
_GAPS_WITHOUT_ACTION = f"""
SELECT count(*), count(*) FILTER (WHERE NOT covered),
       (array_agg(number ORDER BY position) FILTER (WHERE NOT covered))[1:{NAMED}]
FROM (SELECT c.number, c.position, EXISTS (
          SELECT 1 FROM action_requirements ar JOIN actions x ON x.id = ar.action_id
          WHERE ar.clause_id = a.clause_id AND x.program_id = $1
            AND x.status::text <> 'cancelled' AND x.owner_id IS NOT NULL
            AND x.due_date IS NOT NULL) AS covered
      FROM assessments a JOIN clauses c ON c.id = a.clause_id
      WHERE a.program_id = $1 AND a.status::text IN ('partial', 'nonconformant')) gaps
"""
_MEASURABLE_OBJECTIVES = """
SELECT count(*) FROM objectives
WHERE program_id = $1 AND status::text <> 'cancelled'
  AND trim(indicator) <> '' AND trim(target) <> ''
"""
_SESSIONS = f"""
SELECT count(*), count(*) FILTER (WHERE status::text = 'planned'),
       (array_agg(topic ORDER BY held_on, topic)
          FILTER (WHERE status::text = 'planned'))[1:{NAMED}]
FROM training_sessions WHERE program_id = $1 AND status::text <> 'cancelled'
"""
_ATTENDANCE = f"""
SELECT count(*), count(*) FILTER (WHERE NOT attended),
       (array_agg(who || ' (' || topic || ')' ORDER BY held_on, who)
          FILTER (WHERE NOT attended))[1:{NAMED}]
FROM (SELECT a.attended, s.held_on, s.topic, coalesce(a.person_name, u.name, 'a member') AS who
      FROM training_attendance a JOIN training_sessions s ON s.id = a.session_id
      LEFT JOIN users u ON u.id = a.user_id
      WHERE s.program_id = $1 AND s.status::text = 'held') attendance
"""
_ZONE = (
    "(SELECT o.timezone FROM organizations o JOIN programs p ON p.tenant_id = o.id WHERE p.id = $1)"
)
_TODAY = f"CAST(timezone({_ZONE}, now()) AS date)"
_DOCUMENTS = f"""
SELECT count(*), count(*) FILTER (WHERE NOT covered),
       (array_agg(number ORDER BY position) FILTER (WHERE NOT covered))[1:{NAMED}]
FROM (SELECT c.number, c.position, EXISTS (
          SELECT 1 FROM document_requirements r JOIN controlled_documents d ON d.id = r.document_id
          WHERE r.program_id = $1 AND r.clause_id = c.id
            AND d.approved_at IS NOT NULL AND d.status::text <> 'obsolete'
            AND CAST(timezone({_ZONE}, d.approved_at) AS date) + d.review_interval_days
                >= {_TODAY}
      ) AS covered
      FROM clauses c WHERE c.standard_id = $2 AND c.documented_information) items
"""

_OPERATION = f"""
SELECT s.completed_at, o.operation_period_days AS period, o.timezone, {_TODAY} AS today
FROM programs p JOIN organizations o ON o.id = p.tenant_id
LEFT JOIN program_steps s ON s.program_id = p.id AND s.key::text = 'documentation'
                         AND s.status::text = 'completed'
WHERE p.id = $1
"""
_RECORDS = f"""
SELECT count(*), count(*) FILTER (WHERE NOT fresh),
       (array_agg(number ORDER BY position) FILTER (WHERE NOT fresh))[1:{NAMED}]
FROM (SELECT c.number, c.position, EXISTS (
          SELECT 1 FROM evidence_links l JOIN evidence_items e ON e.id = l.evidence_id
          CROSS JOIN LATERAL (
              SELECT CAST(timezone({_ZONE}, max(v.confirmed_at)) AS date) AS renewed,
                     max(v.confirmed_at) AS confirmed
              FROM evidence_versions v
              WHERE v.evidence_id = e.id AND v.status::text = 'available') v
          WHERE l.program_id = $1 AND l.clause_id = c.id AND e.deleted_at IS NULL
            AND v.confirmed IS NOT NULL
            AND (e.valid_until IS NULL OR e.valid_until >= {_TODAY})
            AND (e.review_interval_days IS NULL
                 OR v.renewed + e.review_interval_days >= {_TODAY})
      ) AS fresh
      FROM clauses c JOIN assessments a ON a.clause_id = c.id
      WHERE a.program_id = $1 AND a.status::text <> 'not_applicable'
        AND c.assessable AND c.documented_information) items
"""
_UNFINISHED_ACTIONS = f"""
SELECT title, count(*) OVER () FROM actions x
WHERE x.program_id = $1 AND x.status::text NOT IN ('done', 'cancelled')
  AND NOT EXISTS (SELECT 1 FROM corrective_actions ca WHERE ca.action_id = x.id)
ORDER BY x.due_date NULLS LAST, x.created_at, x.id LIMIT {NAMED}
"""
_OPEN_FINDINGS = f"""
SELECT f.reference, count(*) OVER () FROM findings f
WHERE f.type::text = $2 AND f.status::text <> 'closed'
  AND EXISTS (SELECT 1 FROM finding_requirements r
              WHERE r.finding_id = f.id AND r.program_id = $1)
  AND ($2 = 'major_nonconformity' OR (f.status::text <> 'verified' AND NOT EXISTS (
      SELECT 1 FROM corrective_actions ca JOIN actions x ON x.id = ca.action_id
      WHERE ca.finding_id = f.id AND ca.round = f.round AND x.status::text <> 'cancelled'
        AND x.owner_id IS NOT NULL AND x.due_date IS NOT NULL)))
ORDER BY f.created_at, f.id LIMIT {NAMED}
"""

# The program's current audit programme: its period holds today, else the latest to start.
_PROGRAMME = f"""
SELECT ap.id, ap.period_start, ap.period_end FROM audit_programmes ap
WHERE EXISTS (SELECT 1 FROM audit_programme_requirements r
              WHERE r.programme_id = ap.id AND r.program_id = $1)
ORDER BY (ap.period_start <= {_TODAY} AND ap.period_end >= {_TODAY}) DESC,
         ap.period_start DESC, ap.id
LIMIT 1
"""
_NO_PROGRAMME = "No audit programme covers this program yet."


def _hs_key(clause: str) -> str:
    """The harmonized clause a requirement implements (backend/catalog/harmonized.py)."""
    return f"""(SELECT k.hs_key FROM clauses k
        WHERE k.standard_id = {clause}.standard_id AND k.hs_key IS NOT NULL
          AND (k.id = {clause}.id OR {clause}.number LIKE k.number || '.%')
        ORDER BY length(k.number) DESC LIMIT 1)"""


def _area(clause: str) -> str:
    return f"""CASE WHEN {clause}.number LIKE 'A.%'
        THEN split_part({clause}.number, '.', 1) || '.' || split_part({clause}.number, '.', 2)
        ELSE split_part({clause}.number, '.', 1) END"""


_UNCOVERED = f"""
WITH lines AS (
    SELECT l.audit_id, l.program_id, l.clause_id, {_hs_key("lc")} AS hs_key
    FROM audit_checklist_lines l JOIN audits a ON a.id = l.audit_id
    JOIN clauses lc ON lc.id = l.clause_id JOIN audit_programmes ap ON ap.id = a.programme_id
    WHERE a.programme_id = $2 AND a.status::text <> 'cancelled'
      AND coalesce(a.actual_start, a.planned_start) BETWEEN ap.period_start AND ap.period_end
      AND l.result IS NOT NULL AND l.result::text <> 'not_sampled'
), targets AS (
    SELECT r.program_id, r.clause_id, c.number, c.position, {_hs_key("c")} AS hs_key,
           {_area("c")} AS area, ap.audits_per_period
    FROM audit_programme_requirements r JOIN clauses c ON c.id = r.clause_id
    JOIN audit_programmes ap ON ap.id = r.programme_id
    WHERE r.programme_id = $2 AND r.program_id = $1
), counted AS (
    SELECT t.number, t.position,
           (SELECT count(DISTINCT l.audit_id) FROM lines l
            WHERE (l.program_id = t.program_id AND l.clause_id = t.clause_id)
               OR l.hs_key = t.hs_key) AS audited,
           t.audits_per_period + CASE WHEN EXISTS (
               SELECT 1 FROM finding_requirements fr JOIN clauses fc ON fc.id = fr.clause_id
               JOIN findings f ON f.id = fr.finding_id
               WHERE fr.program_id = t.program_id AND {_area("fc")} = t.area
                 AND f.type::text IN ('major_nonconformity', 'minor_nonconformity')
                 AND f.status::text <> 'closed') THEN 1 ELSE 0 END AS due
    FROM targets t
)
SELECT number, audited, count(*) OVER () FROM counted WHERE audited < due
ORDER BY position LIMIT {NAMED}
"""
_UNFINISHED_AUDITS = f"""
SELECT count(*) FILTER (WHERE NOT finished) AS unfinished,
       count(*) FILTER (WHERE status = 'closed') AS closed,
       (array_agg(reference ORDER BY day, reference)
          FILTER (WHERE NOT finished))[1:{NAMED}] AS named
FROM (SELECT a.id, a.reference, a.status::text AS status,
             coalesce(a.actual_start, a.planned_start) AS day,
             a.status::text IN ('closed', 'cancelled') AS finished
      FROM audits a
      WHERE a.programme_id = $2
        AND coalesce(a.actual_start, a.planned_start) BETWEEN $3 AND $4
        AND EXISTS (SELECT 1 FROM audit_checklist_lines l
                    WHERE l.audit_id = a.id AND l.program_id = $1)) audits
"""
# The program's last closed audit (in its programme's period), and its latest held review.
_LAST_REVIEW = """
SELECT last.reference, last.closed_on,
       (SELECT max(r.held_on) FROM management_reviews r
        JOIN management_review_programs rp ON rp.review_id = r.id
        WHERE rp.program_id = $1 AND r.status::text IN ('held', 'signed')) AS held_on
FROM (SELECT a.reference, a.signed_at,
             CAST(timezone((SELECT o.timezone FROM organizations o WHERE o.id = a.tenant_id),
                           a.signed_at) AS date) AS closed_on
      FROM audits a JOIN audit_programmes ap ON ap.id = a.programme_id
      WHERE a.status::text = 'closed'
        AND coalesce(a.actual_start, a.planned_start) BETWEEN ap.period_start AND ap.period_end
        AND EXISTS (SELECT 1 FROM audit_checklist_lines l
                    WHERE l.audit_id = a.id AND l.program_id = $1)
      ORDER BY a.signed_at DESC, a.reference DESC LIMIT 1) last
"""
_NO_AUDIT = (
    "No internal audit of this program has closed yet: the management review comes after one."
)
# The program's latest held stage 1 or stage 2, the body's numbers and the tenant's today.
_REGISTERS = """
SELECT s.code,
       count(e.id) FILTER (WHERE e.kind::text = 'risk') AS risks,
       count(e.id) FILTER (WHERE e.kind::text = 'risk' AND (e.likelihood IS NULL
                           OR e.impact IS NULL)) AS risks_open,
       count(e.id) FILTER (WHERE e.kind::text = 'aspect') AS aspects,
       count(e.id) FILTER (WHERE e.kind::text = 'aspect' AND (e.likelihood IS NULL
                           OR e.impact IS NULL)) AS aspects_open,
       count(e.id) FILTER (WHERE e.kind::text = 'obligation') AS obligations,
       count(e.id) FILTER (WHERE e.kind::text = 'hazard') AS hazards,
       count(e.id) FILTER (WHERE e.kind::text = 'hazard' AND (e.likelihood IS NULL
                           OR e.impact IS NULL)) AS hazards_open,
       count(e.id) FILTER (WHERE e.kind::text = 'security_risk') AS security,
       count(e.id) FILTER (WHERE e.kind::text = 'security_risk' AND (e.likelihood IS NULL
                           OR e.impact IS NULL OR e.treatment IS NULL)) AS security_open,
       (SELECT count(DISTINCT c.clause_id) FROM register_risk_controls c
        JOIN register_entries x ON x.id = c.entry_id
        WHERE x.program_id = p.id AND x.archived_at IS NULL
          AND EXISTS (SELECT 1 FROM assessments a WHERE a.program_id = p.id
                      AND a.clause_id = c.clause_id AND a.status::text = 'not_applicable'))
         AS excluded
FROM programs p JOIN standards s ON s.id = p.standard_id
LEFT JOIN register_entries e ON e.program_id = p.id AND e.archived_at IS NULL
WHERE p.id = $1 GROUP BY p.id, s.code
"""
_RISK_NOUNS = ("risk or opportunity", "risks or opportunities")

_STAGE = """
SELECT a.id, a.outcome::text AS outcome, a.actual_start, a.actual_end,
       (SELECT r.overrides FROM certification_body_rules r
        WHERE r.tenant_id = a.tenant_id
          AND r.certification_body_id = a.certification_body_id) AS overrides,
       CAST(timezone((SELECT o.timezone FROM organizations o WHERE o.id = a.tenant_id), now())
            AS date) AS today
FROM certification_audits a JOIN certification_audit_programs p ON p.audit_id = a.id
WHERE p.program_id = $1 AND a.kind::text = $2 AND a.status::text = 'held'
ORDER BY a.actual_end DESC, a.id LIMIT 1
"""
# Its findings, with the day each was verified (found effective, else closed).
_STAGE_FINDINGS = """
SELECT f.reference, f.type::text AS type, f.status::text AS status,
       coalesce((SELECT max(e.reviewed_on) FROM effectiveness_reviews e
                 WHERE e.finding_id = f.id AND e.verdict::text = 'effective'),
                CAST(timezone((SELECT o.timezone FROM organizations o WHERE o.id = f.tenant_id),
                              f.closed_at) AS date)) AS verified_on
FROM certification_audit_findings l JOIN findings f ON f.id = l.finding_id
WHERE l.audit_id = $1 ORDER BY f.reference
"""
_CERTIFICATE = """
SELECT c.number, c.decision_on, c.expires_on FROM certificates c
JOIN certificate_programs p ON p.certificate_id = c.id
WHERE p.program_id = $1 ORDER BY c.cycle_number DESC LIMIT 1
"""
_RESOLVED = ("verified", "closed")
_PLAN_ACCEPTED = ("action_planned", "implemented", *_RESOLVED)


class RefusedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    roles: dict[uuid.UUID, str]


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _more(count: int, named: list[str]) -> str:
    return f" and {count - len(named)} more" if count > len(named) else ""


class DashboardBaseline:
    """Token, entitlements, tenant settings, then the dashboard's statements; no framework."""

    def __init__(self, settings: Settings) -> None:
        self.keys = _signing_keys(settings)
        self.claims = JWTClaimsRegistry(
            leeway=5,
            iss={"essential": True, "value": settings.auth_issuer},
            aud={"essential": True, "value": settings.auth_audience},
            sub={"essential": True},
            sid={"essential": True},
            exp={"essential": True},
        )
        self.dsn = settings.app_url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self.pool_size = settings.database_pool_size
        self.pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        self.pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=self.pool_size)

    async def stop(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    def _subject(self, authorization: str | None) -> tuple[uuid.UUID, uuid.UUID]:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise RefusedError(401, "Authorization must be 'Bearer <access token>'.")
        try:
            decoded = jwt.decode(token.strip(), self.keys.keyset, algorithms=self.keys.algorithms)
            if not decoded.header.get("kid"):
                raise RefusedError(401, "token has no key id")
            self.claims.validate(decoded.claims)
            return uuid.UUID(str(decoded.claims["sub"])), uuid.UUID(str(decoded.claims["sid"]))
        except (JoseError, ValueError, TypeError):
            raise RefusedError(401, "The access token is invalid or expired.") from None

    async def answer(
        self, authorization: str | None, tenant_header: str | None, body: dict[str, Any]
    ) -> dict[str, Any]:
        user_id, session_id = self._subject(authorization)
        program_id = _program_uuid((body.get("variables") or {}).get("id"))
        assert self.pool is not None, "start() first"
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(_SET_CONTEXT, str(user_id), "", "")
            caller = await _caller(connection, user_id, session_id)
            acting = _acting_tenant(tenant_header, caller)
            role = caller.roles.get(acting) if acting else None
            write = str(acting) if role is not None and role not in READ_ONLY_ROLES else ""
            read = ",".join(sorted(str(tenant) for tenant in caller.roles))
            await connection.execute(_SET_CONTEXT, str(user_id), read, write)
            return {"data": await _dashboard(connection, program_id)}


def _signing_keys(settings: Settings) -> SigningKeys:
    if settings.auth_signing_keys is not None:
        return parse_keys(settings.auth_signing_keys.get_secret_value())
    return development_keys(settings.data_dir)


def _program_uuid(global_id: Any) -> uuid.UUID | None:
    try:
        type_name, _, value = (
            base64.b64decode(str(global_id), validate=True).decode().partition(":")
        )
        return uuid.UUID(value) if type_name == "Program" else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


async def _caller(
    connection: asyncpg.Connection, user_id: uuid.UUID, session_id: uuid.UUID
) -> Caller:
    rows = await connection.fetch(_ENTITLEMENTS, user_id, session_id)
    if not rows[0]["live"]:
        raise RefusedError(401, "The access token is invalid or expired.")
    if not rows[0]["active"]:
        raise RefusedError(401, "The account is disabled.")
    roles: dict[uuid.UUID, str] = {}
    for row in rows:
        tenant, role = row["tenant_id"], row["role"]
        if tenant is not None and (
            tenant not in roles or ROLES.index(role) < ROLES.index(roles[tenant])
        ):
            roles[tenant] = role
    return Caller(user_id, roles)


def _acting_tenant(raw: str | None, caller: Caller) -> uuid.UUID | None:
    if raw is None or not raw.strip():
        return None
    try:
        tenant = uuid.UUID(raw.strip())
    except ValueError:
        try:
            type_name, _, value = (
                base64.b64decode(raw.strip(), validate=True).decode().partition(":")
            )
            tenant = uuid.UUID(value) if type_name == "Organization" else uuid.UUID(int=0)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise RefusedError(400, "X-Tenant-ID must be an organization id.") from None
    if tenant not in caller.roles:
        raise RefusedError(404, "Organization not found.")
    return tenant


async def _dashboard(
    connection: asyncpg.Connection, program_id: uuid.UUID | None
) -> dict[str, Any]:
    program = await connection.fetchrow(_PROGRAM, program_id) if program_id else None
    rows = await connection.fetch(_REQUIREMENTS, program_id) if program_id else []
    assessments = {
        "totalCount": rows[0]["total"] if rows else 0,
        "edges": [
            {
                "node": {
                    "status": row["status"].upper(),
                    "priority": row["priority"].upper() if row["priority"] else None,
                    "requirement": {"number": row["number"], "title": row["title"]},
                    "actionCount": row["action_count"],
                }
            }
            for row in rows
        ],
    }
    if program is None or program_id is None:
        return {"program": None, "assessments": assessments}
    steps = await connection.fetch(_STEPS, program_id)
    criteria = await _criteria(connection, program_id, program["standard_id"])
    return {
        "program": {
            "status": program["status"].upper(),
            "standard": {"code": program["code"], "edition": program["edition"]},
            "steps": [_step(row, criteria.get(row["key"], [])) for row in steps],
        },
        "assessments": assessments,
    }


def _step(row: asyncpg.Record, criteria: list[dict[str, Any]]) -> dict[str, Any]:
    ticked = json.loads(row["checklist"]) if row["checklist"] else {}
    definition = next(step for step in STEPS if step.key.value == row["key"])
    return {
        "number": row["number"],
        "key": row["key"].upper(),
        "status": row["status"].upper(),
        "canComplete": row["status"] != "completed" and all(item["met"] for item in criteria),
        "criteria": criteria,
        "checklist": [
            {"key": item.key, "done": bool(ticked.get(item.key, False))}
            for item in definition.checklist
        ],
    }


async def _criteria(
    connection: asyncpg.Connection, program_id: uuid.UUID, standard_id: uuid.UUID
) -> dict[str, list[dict[str, Any]]]:
    """Each step's exit criteria, in the order the features register them (backend/features.py)."""
    verdicts = {
        "gap_analysis": [("all-assessed", await _all_assessed(connection, program_id))],
        "documentation": [
            (
                "mandatory-documents-covered",
                await _documents(connection, program_id, standard_id),
            )
        ],
        "planning": [
            ("every-gap-has-an-action", await _gaps(connection, program_id)),
            ("measurable-objective", await _objectives(connection, program_id)),
            *await _registers(connection, program_id),
        ],
        "training": [
            ("every-planned-session-held", await _sessions(connection, program_id)),
            ("everyone-in-scope-attended", await _attendance(connection, program_id)),
        ],
        "implementation": [
            ("plan-actions-finished", await _plan_finished(connection, program_id)),
            (
                "required-documents-approved",
                await _documents(connection, program_id, standard_id),
            ),
            ("operation-period-elapsed", await _operation(connection, program_id)),
            ("records-produced", await _records(connection, program_id)),
        ],
        "internal_audit": [
            ("no-major-nonconformity-open", await _majors_open(connection, program_id)),
            ("minor-nonconformities-acted-on", await _minors_open(connection, program_id)),
            ("programme-covers-scope", await _coverage(connection, program_id)),
            ("audits-closed", await _audits_closed(connection, program_id)),
            ("management-review-held", await _review_held(connection, program_id)),
        ],
        "certification_audit": await _certification(connection, program_id),
    }
    return {
        step: [{"key": key, "met": met, "reason": reason} for key, (met, reason) in items]
        for step, items in verdicts.items()
    }


async def _all_assessed(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    rows = await connection.fetch(_NOT_ASSESSED, program_id)
    if not rows:
        return (True, "Every requirement has been assessed.")
    remaining, numbers = rows[0]["remaining"], [row["number"] for row in rows]
    listed = ", ".join(numbers) + _more(remaining, numbers)
    if remaining == 1:
        return (False, f"1 requirement is not assessed yet: {listed}.")
    return (False, f"{remaining} requirements are not assessed yet: {listed}.")


async def _documents(
    connection: asyncpg.Connection, program_id: uuid.UUID, standard_id: uuid.UUID
) -> tuple[bool, str]:
    items, missing, named = await connection.fetchrow(_DOCUMENTS, program_id, standard_id)
    named = list(named or [])
    if items == 0:
        return (True, "The standard asks for no documented information.")
    if missing == 0:
        return (True, f"All {items} mandatory items are covered by an approved, in-date document.")
    subject = "1 mandatory item is" if missing == 1 else f"{missing} mandatory items are"
    return (
        False,
        f"{subject} not covered by an approved, in-date document:"
        f" {', '.join(named)}{_more(missing, named)}.",
    )


async def _gaps(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    gaps, missing, named = await connection.fetchrow(_GAPS_WITHOUT_ACTION, program_id)
    named = list(named or [])
    if gaps == 0:
        return (True, "No partial or nonconformant requirements are recorded.")
    if missing == 0:
        return (True, f"Each of the {_plural(gaps, 'gap', 'gaps')} has an owned, dated action.")
    return (
        False,
        f"{_plural(missing, 'gap lacks', 'gaps lack')} an action with an owner and a due date:"
        f" {', '.join(named)}{_more(missing, named)}.",
    )


async def _objectives(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    count = await connection.fetchval(_MEASURABLE_OBJECTIVES, program_id)
    if not count:
        return (False, "No objective has both an indicator and a target yet.")
    return (True, f"{_plural(count, 'measurable objective', 'measurable objectives')}.")


async def _registers(
    connection: asyncpg.Connection, program_id: uuid.UUID
) -> list[tuple[str, tuple[bool, str]]]:
    """The planning criteria each standard's register judges; other standards' are met."""
    row = await connection.fetchrow(_REGISTERS, program_id)
    number = next(n for n in ("9001", "14001", "45001", "27001") if n in row["code"])
    judged: dict[str, tuple[str, Callable[[], tuple[bool, str]]]] = {
        "9001": (
            "risks-and-opportunities-assessed",
            lambda: _assessed(row["risks"], row["risks_open"], _RISK_NOUNS, "risk register"),
        ),
        "14001": ("significant-aspects-and-obligations", lambda: _aspects(row)),
        "45001": (
            "hazards-assessed",
            lambda: _assessed(
                row["hazards"], row["hazards_open"], ("hazard", "hazards"), "hazard register"
            ),
        ),
        "27001": ("risks-treated-soa-consistent", lambda: _treated(row)),
    }
    not_asked = (True, f"Not asked of {row['code']} programs.")
    return [
        (key, judge() if standard == number else not_asked)
        for standard, (key, judge) in judged.items()
    ]


def _assessed(listed: int, unmet: int, nouns: tuple[str, str], register: str) -> tuple[bool, str]:
    if listed == 0:
        return (False, f"The {register} lists no {nouns[1]} yet.")
    if unmet:
        return (False, f"{_plural(unmet, *nouns)} not yet assessed (likelihood and impact).")
    return (True, f"{_plural(listed, *nouns)} listed and assessed.")


def _aspects(row: asyncpg.Record) -> tuple[bool, str]:
    met, reason = _assessed(
        row["aspects"], row["aspects_open"], ("aspect", "aspects"), "aspects register"
    )
    if not met:
        return (met, reason)
    if row["obligations"] == 0:
        return (False, "The legal register lists no compliance obligation yet.")
    obligations = _plural(row["obligations"], "compliance obligation", "compliance obligations")
    return (True, f"{reason[:-1]}; {obligations} listed.")


def _treated(row: asyncpg.Record) -> tuple[bool, str]:
    if row["security"] == 0:
        return (False, "The risk assessment lists no security risk yet.")
    if row["security_open"]:
        subject = _plural(row["security_open"], "security risk is", "security risks are")
        return (False, f"{subject} not yet assessed and treated.")
    if row["excluded"]:
        controls = _plural(row["excluded"], "control", "controls")
        return (
            False,
            f"The Statement of Applicability excludes {controls} that a treatment selects.",
        )
    risks = _plural(row["security"], "security risk", "security risks")
    return (True, f"{risks} assessed and treated; the Statement of Applicability agrees.")


async def _sessions(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    sessions, waiting, topics = await connection.fetchrow(_SESSIONS, program_id)
    topics = list(topics or [])
    if sessions == 0:
        return (False, "No training session is recorded yet.")
    if waiting:
        noun = "session is" if waiting == 1 else "sessions are"
        listed = ", ".join(topics) + _more(waiting, topics)
        return (False, f"{waiting} {noun} still planned: {listed}.")
    if sessions == 1:
        return (True, "The one session has been held.")
    return (True, f"All {sessions} sessions have been held.")


async def _attendance(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    in_scope, missing, named = await connection.fetchrow(_ATTENDANCE, program_id)
    named = list(named or [])
    if in_scope == 0:
        return (False, "Nobody is recorded in scope of a held session yet.")
    if missing:
        listed = ", ".join(named) + _more(missing, named)
        return (False, f"{missing} of {in_scope} did not attend: {listed}.")
    if in_scope == 1:
        return (True, "The one person in scope attended.")
    return (True, f"All {in_scope} people in scope attended.")


async def _operation(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    row = await connection.fetchrow(_OPERATION, program_id)
    period = row["period"]
    if row["completed_at"] is None:
        return (
            False,
            f"Documentation is not completed yet; the {period} days of operation count from"
            " its completion.",
        )
    completed_on = row["completed_at"].astimezone(zoneinfo.ZoneInfo(row["timezone"])).date()
    run = (row["today"] - completed_on).days
    since = f"since documentation was completed on {completed_on.isoformat()}"
    if run >= period:
        return (True, f"The system has run {run} days {since} ({period} asked).")
    until = (completed_on + timedelta(days=period)).isoformat()
    return (
        False,
        f"{run} of {period} days of operation have passed {since}; {period - run} to go"
        f" (until {until}).",
    )


async def _records(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    asking, missing, named = await connection.fetchrow(_RECORDS, program_id)
    named = list(named or [])
    if asking == 0:
        return (True, "No applicable requirement asks for documented information.")
    if missing == 0:
        subject = (
            "The one requirement that asks"
            if asking == 1
            else f"Each of the {asking} requirements that ask"
        )
        return (True, f"{subject} for records has fresh evidence.")
    subject = "1 requirement has" if missing == 1 else f"{missing} requirements have"
    return (
        False,
        f"{subject} no fresh evidence (current or expiring soon) yet:"
        f" {', '.join(named)}{_more(missing, named)}.",
    )


async def _plan_finished(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    rows = await connection.fetch(_UNFINISHED_ACTIONS, program_id)
    if not rows:
        return (True, "Every action of the plan is done or cancelled.")
    count, titles = rows[0]["count"], [f'"{row["title"]}"' for row in rows]
    subject = _plural(count, "action of the plan is", "actions of the plan are")
    return (False, f"{subject} not done yet: {', '.join(titles)}{_more(count, titles)}.")


async def _majors_open(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    rows = await connection.fetch(_OPEN_FINDINGS, program_id, "major_nonconformity")
    if not rows:
        return (True, "No major nonconformity is open.")
    count, references = rows[0]["count"], [row["reference"] for row in rows]
    subject = "1 major nonconformity is" if count == 1 else f"{count} major nonconformities are"
    return (False, f"{subject} open: {', '.join(references)}{_more(count, references)}.")


async def _minors_open(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    rows = await connection.fetch(_OPEN_FINDINGS, program_id, "minor_nonconformity")
    if not rows:
        return (True, "Every open minor nonconformity has an owned, dated corrective action.")
    count, references = rows[0]["count"], [row["reference"] for row in rows]
    subject = "1 minor nonconformity lacks" if count == 1 else f"{count} minor nonconformities lack"
    return (
        False,
        f"{subject} a corrective action with an owner and a due date:"
        f" {', '.join(references)}{_more(count, references)}.",
    )


async def _coverage(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    programme = await connection.fetchrow(_PROGRAMME, program_id)
    if programme is None:
        return (False, _NO_PROGRAMME)
    rows = await connection.fetch(_UNCOVERED, program_id, programme["id"])
    if not rows:
        return (True, "Every clause of the programme is audited as often as due.")
    count = rows[0]["count"]
    named = [row["number"] if row["audited"] == 0 else f"{row['number']} (again)" for row in rows]
    subject = _plural(count, "clause", "clauses")
    return (False, f"{subject} not yet audited: {', '.join(named)}{_more(count, named)}.")


async def _audits_closed(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    programme = await connection.fetchrow(_PROGRAMME, program_id)
    if programme is None:
        return (False, _NO_PROGRAMME)
    row = await connection.fetchrow(
        _UNFINISHED_AUDITS,
        program_id,
        programme["id"],
        programme["period_start"],
        programme["period_end"],
    )
    if row["unfinished"]:
        named = list(row["named"])
        subject = _plural(row["unfinished"], "audit is", "audits are")
        return (
            False,
            f"{subject} not closed yet: {', '.join(named)}{_more(row['unfinished'], named)}.",
        )
    if not row["closed"]:
        return (False, "No audit of this program in the programme's period is closed yet.")
    return (True, "Every audit in the programme's period is closed or cancelled.")


async def _review_held(connection: asyncpg.Connection, program_id: uuid.UUID) -> tuple[bool, str]:
    row = await connection.fetchrow(_LAST_REVIEW, program_id)
    if row is None:
        return (False, _NO_AUDIT)
    since = f"internal audit {row['reference']} closed on {row['closed_on'].isoformat()}"
    if row["held_on"] is None or row["held_on"] < row["closed_on"]:
        return (False, f"No management review held since {since}.")
    return (True, f"Management review held on {row['held_on'].isoformat()}, after {since}.")


async def _certification(
    connection: asyncpg.Connection, program_id: uuid.UUID
) -> list[tuple[str, tuple[bool, str]]]:
    """Step 7: stage 1, stage 2, its majors and minors, the decision."""
    stage_1 = await connection.fetchrow(_STAGE, program_id, "stage_1")
    stage_2 = await connection.fetchrow(_STAGE, program_id, "stage_2")
    concerns = await connection.fetch(_STAGE_FINDINGS, stage_1["id"]) if stage_1 else []
    found = await connection.fetch(_STAGE_FINDINGS, stage_2["id"]) if stage_2 else []
    certificate = await connection.fetchrow(_CERTIFICATE, program_id)
    return [
        ("stage-1-held", _stage_1(stage_1, concerns)),
        ("stage-2-held", _stage_2(stage_2, found)),
        ("majors-verified", _majors(stage_2, found)),
        ("minors-planned", _minors(stage_2, found)),
        ("decision-recorded", _decided(certificate)),
    ]


def _named(rows: list[asyncpg.Record]) -> str:
    named = [row["reference"] for row in rows[:5]]
    return ", ".join(named) + _more(len(rows), named)


def _stage_1(stage: asyncpg.Record | None, concerns: list[asyncpg.Record]) -> tuple[bool, str]:
    if stage is None:
        return (False, "No stage 1 audit held yet: plan it with the certification body.")
    held = f"Stage 1 held on {stage['actual_end']}"
    if stage["outcome"] == "not_ready":
        return (False, f"{held} found the system not ready: hold stage 1 again.")
    unresolved = [row for row in concerns if row["status"] not in _RESOLVED]
    if unresolved:
        return (
            False,
            f"{held}: {len(unresolved)} area(s) of concern still to resolve before stage 2:"
            f" {_named(unresolved)}.",
        )
    return (True, f"{held}; every area of concern resolved.")


def _body(stage: asyncpg.Record) -> BodyRules:
    return BodyRules.with_overrides(json.loads(stage["overrides"] or "{}"))


def _unverified(found: list[asyncpg.Record], by: Any) -> list[asyncpg.Record]:
    return [
        row
        for row in found
        if row["type"] == "major_nonconformity"
        and (row["verified_on"] is None or row["verified_on"] > by)
    ]


def _stage_2(stage: asyncpg.Record | None, found: list[asyncpg.Record]) -> tuple[bool, str]:
    if stage is None:
        return (False, "No stage 2 audit held yet: it follows a stage 1 found ready.")
    repeat = stage2_repeat(stage["actual_end"], _body(stage))
    late = _unverified(found, repeat.day)
    if late and stage["today"] > repeat.day:
        return (False, f"Stage 2 must be held again: {_named(late)} open; {repeat.rule}.")
    return (True, f"Stage 2 held from {stage['actual_start']} to {stage['actual_end']}.")


def _majors(stage: asyncpg.Record | None, found: list[asyncpg.Record]) -> tuple[bool, str]:
    if stage is None:
        return (False, "No stage 2 audit held yet.")
    if not [row for row in found if row["type"] == "major_nonconformity"]:
        return (True, "Stage 2 raised no major nonconformity.")
    deadline = major_deadline(stage["actual_end"], _body(stage))
    late = _unverified(found, deadline.day)
    if late:
        return (False, f"Not verified in time: {_named(late)} ({deadline.rule}).")
    return (True, f"Every major nonconformity verified closed ({deadline.rule}).")


def _minors(stage: asyncpg.Record | None, found: list[asyncpg.Record]) -> tuple[bool, str]:
    if stage is None:
        return (False, "No stage 2 audit held yet.")
    minors = [row for row in found if row["type"] == "minor_nonconformity"]
    unplanned = [row for row in minors if row["status"] not in _PLAN_ACCEPTED]
    if unplanned:
        return (
            False,
            f"No accepted action plan yet for {_named(unplanned)}: record the corrective"
            " action the body accepted.",
        )
    return (True, f"{len(minors)} minor nonconformity(ies), each with an accepted plan.")


def _decided(certificate: asyncpg.Record | None) -> tuple[bool, str]:
    if certificate is None:
        return (False, "No certification decision recorded yet.")
    return (
        True,
        f"Certified on {certificate['decision_on']}: certificate {certificate['number']}"
        f" expires on {certificate['expires_on']}.",
    )


def dashboard_app(settings: Settings) -> Litestar:
    """The hand-written dashboard on POST /graphql (the query text is not read: one answer)."""
    baseline = DashboardBaseline(settings)

    @post("/graphql", status_code=200)
    async def graphql(request: Request[Any, Any, Any], data: dict[str, Any]) -> Response[Any]:
        try:
            answer = await baseline.answer(
                request.headers.get("authorization"), request.headers.get("x-tenant-id"), data
            )
        except RefusedError as refusal:
            return Response({"errors": [{"message": str(refusal)}]}, status_code=refusal.status)
        return Response(answer)

    return Litestar([graphql], on_startup=[baseline.start], on_shutdown=[baseline.stop])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", choices=["plain", "dashboard"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    import uvicorn  # noqa: PLC0415 - only serving needs it

    app = plain_app() if arguments.app == "plain" else dashboard_app(Settings())
    # As `certready serve` runs the API (backend/cli.py server_config): one process, no access log.
    uvicorn.run(
        app,
        host=arguments.host,
        port=arguments.port,
        log_config=None,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
