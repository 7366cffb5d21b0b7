"""`make bench` (readiness): recomputing every program's score, against hand-written SQL.

Fills a fresh database with BENCH_READINESS_PROGRAMS programs (1,000: one per standard in
each of a quarter as many client organizations) and their facts, written directly as the
schema owner: assessments of every requirement, steps, actions, open findings, approved
documents and renewed evidence, in proportions like the demo's. Training is left empty on
both sides (its component is then not measured by either).

Two sides recompute every program, organization by organization, each in that organization's
system scope and transaction under row-level security, as the nightly job does:

- certready: `readiness.service.recompute_active` (facts in eight statements, the pure score,
  one snapshot per program with its breakdown, groups and blockers);
- baseline: one hand-written statement per organization that aggregates the same facts with
  the same rules (conformity, evidence freshness, document coverage, steps, plan, audits,
  findings and the major nonconformity cap) and inserts the snapshots with a breakdown per
  component and per clause group, computed entirely inside PostgreSQL.

The sides alternate BENCH_READINESS_PAIRS times (3); the ratio is baseline time over
certready time (goal: 1 / 1.5 = 0.67 or more), with the statements each side sent.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from backend.core.forecast import STAGE_2
from backend.db.migrate import migrate
from backend.embedded import start_embedded_postgres
from backend.readiness import service
from backend.readiness.score import MAJOR_CAP, STAGE_1
from backend.runtime import Runtime
from backend.settings import Environment, Settings
from tests.api.helpers import count_statements

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = int(os.environ.get("BENCH_READINESS_PROGRAMS", "1000"))
PAIRS = int(os.environ.get("BENCH_READINESS_PAIRS", "3"))
GOAL = 1 / 1.5
STANDARDS = 4  # every client runs one program of each standard in the catalog

# Each statement fills one kind of fact for every bench organization at once.
_FILL = (
    """INSERT INTO organizations (id, kind, name, slug, timezone)
       SELECT gen_random_uuid(), 'client', 'Bench client ' || n, 'bench-' || n,
              (ARRAY['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'])[1 + n % 4]
       FROM generate_series(1, :tenants) n""",
    """INSERT INTO programs (id, tenant_id, standard_id, scope_statement, status)
       SELECT gen_random_uuid(), o.id, s.id, 'Bench scope', 'preparing'
       FROM organizations o
       CROSS JOIN (SELECT * FROM standards ORDER BY code LIMIT :standards) s
       WHERE o.slug LIKE 'bench-%'""",
    """INSERT INTO program_steps (id, tenant_id, program_id, number, key, status, notes, checklist)
       SELECT gen_random_uuid(), p.tenant_id, p.id, k.n, k.key::step_key,
              (CASE WHEN k.n <= reached THEN 'completed' WHEN k.n = reached + 1 THEN 'in_progress'
                    ELSE 'not_started' END)::step_status, '', '{}'
       FROM (SELECT *, abs(hashtext(id::text)) % 5 AS reached FROM programs) p
       CROSS JOIN (VALUES (1, 'gap_analysis'), (2, 'planning'), (3, 'training'),
                          (4, 'documentation'), (5, 'implementation'), (6, 'internal_audit'),
                          (7, 'certification_audit')) k(n, key)""",
    """INSERT INTO assessments (id, tenant_id, program_id, clause_id, status, current_practice,
                                gap_description, justification)
       SELECT gen_random_uuid(), p.tenant_id, p.id, c.id,
              (ARRAY['conformant', 'conformant', 'partial', 'nonconformant', 'not_assessed',
                     'not_applicable'])[1 + abs(hashtext(p.id::text || c.id::text)) % 6]
                     ::conformity, '', '', ''
       FROM programs p JOIN clauses c ON c.standard_id = p.standard_id AND c.assessable""",
    """INSERT INTO actions (id, tenant_id, program_id, title, description, status, due_date)
       SELECT gen_random_uuid(), p.tenant_id, p.id, 'Action ' || n, '',
              (ARRAY['open', 'in_progress', 'done', 'done'])[1 + n % 4]::action_status,
              current_date + (n * 9 - 20)
       FROM programs p CROSS JOIN generate_series(1, 6) n""",
    """WITH source AS MATERIALIZED (
         SELECT gen_random_uuid() AS id, p.tenant_id, p.id AS program_id,
                abs(hashtext(p.id::text)) % 10 = 0 AS major, row_number() OVER () AS n,
                (SELECT id FROM clauses WHERE standard_id = p.standard_id AND assessable
                 ORDER BY position LIMIT 1) AS clause_id
         FROM programs p WHERE abs(hashtext(p.id::text)) % 3 = 0),
       finding AS (
         INSERT INTO findings (id, tenant_id, reference, type, source, statement,
                               objective_evidence, status, correction, root_cause, round,
                               closure_note)
         SELECT id, tenant_id, 'F-' || n, (CASE WHEN major THEN 'major_nonconformity'
                ELSE 'minor_nonconformity' END)::finding_type, 'internal_audit',
                'Bench finding', '', 'open', '', '', 1, ''
         FROM source)
       INSERT INTO finding_requirements (id, tenant_id, finding_id, program_id, clause_id)
       SELECT gen_random_uuid(), tenant_id, id, program_id, clause_id FROM source""",
    """WITH source AS MATERIALIZED (
         SELECT gen_random_uuid() AS id, p.tenant_id, p.id AS program_id, c.id AS clause_id,
                regexp_replace(s.code, '[^0-9]', '', 'g') || '-' || c.number AS code,
                now() - make_interval(days => abs(hashtext(p.id::text || c.id::text)) % 420)
                  AS approved_at
         FROM programs p JOIN standards s ON s.id = p.standard_id
         JOIN clauses c ON c.standard_id = p.standard_id AND c.documented_information
         WHERE abs(hashtext(c.id::text || p.id::text)) % 3 <> 0),
       document AS (
         INSERT INTO controlled_documents (id, tenant_id, type, code, title,
                                           review_interval_days, status, approved_at)
         SELECT id, tenant_id, 'procedure', code, 'Procedure ' || code, 365, 'approved',
                approved_at FROM source)
       INSERT INTO document_requirements (id, tenant_id, document_id, program_id, clause_id)
       SELECT gen_random_uuid(), tenant_id, id, program_id, clause_id FROM source""",
    """WITH source AS MATERIALIZED (
         SELECT gen_random_uuid() AS id, p.tenant_id, p.id AS program_id, c.id AS clause_id,
                now() - make_interval(days => abs(hashtext(p.id::text || c.id::text)) % 240)
                  AS confirmed_at
         FROM programs p JOIN clauses c ON c.standard_id = p.standard_id
              AND c.documented_information AND c.assessable
         WHERE abs(hashtext(p.id::text || c.number)) % 4 <> 0),
       item AS (
         INSERT INTO evidence_items (id, tenant_id, title, description, kind,
                                     review_interval_days)
         SELECT id, tenant_id, 'Bench record', '', 'record', 180 FROM source),
       version AS (
         INSERT INTO evidence_versions (id, tenant_id, evidence_id, storage_key, filename,
                                        content_type, size_bytes, sha256, status,
                                        upload_expires_at, confirmed_at)
         SELECT gen_random_uuid(), tenant_id, id, 'bench/' || id, 'record.pdf',
                'application/pdf', 1024, repeat('0', 64), 'available', now(), confirmed_at
         FROM source)
       INSERT INTO evidence_links (id, tenant_id, evidence_id, program_id, clause_id)
       SELECT gen_random_uuid(), tenant_id, id, program_id, clause_id FROM source""",
)

# The same facts and rules as backend/readiness, aggregated by hand in one statement.
_BASELINE = """
WITH program AS (
  SELECT p.id, p.tenant_id, p.standard_id, s.code,
         CAST(timezone(o.timezone, now()) AS date) AS today, o.timezone
  FROM programs p JOIN standards s ON s.id = p.standard_id
  JOIN organizations o ON o.id = p.tenant_id
  WHERE p.status::text NOT IN ('withdrawn', 'expired')
),
requirement AS (
  SELECT a.program_id, c.number, split_part(c.number, '.', 1) AS grp, c.documented_information,
         CASE a.status::text WHEN 'conformant' THEN 1.0 WHEN 'partial' THEN 0.5 ELSE 0.0 END
           AS value,
         EXISTS (SELECT 1 FROM evidence_links l JOIN evidence_items e ON e.id = l.evidence_id
                 CROSS JOIN LATERAL (SELECT CAST(timezone(pr.timezone, max(v.confirmed_at))
                                            AS date) AS renewed FROM evidence_versions v
                                     WHERE v.evidence_id = e.id AND v.status = 'available') r
                 WHERE l.program_id = a.program_id AND l.clause_id = c.id
                   AND e.deleted_at IS NULL
                   AND (e.valid_until IS NULL OR e.valid_until >= pr.today)
                   AND r.renewed + e.review_interval_days >= pr.today) AS fresh,
         EXISTS (SELECT 1 FROM audit_checklist_lines cl JOIN audits au ON au.id = cl.audit_id
                 WHERE cl.program_id = a.program_id AND cl.clause_id = c.id
                   AND cl.result IS NOT NULL AND cl.result::text <> 'not_sampled'
                   AND au.status::text <> 'cancelled'
                   AND coalesce(au.actual_start, au.planned_start) > pr.today - 365) AS audited
  FROM assessments a JOIN program pr ON pr.id = a.program_id
  JOIN clauses c ON c.id = a.clause_id AND c.assessable
  WHERE a.status::text <> 'not_applicable'
),
mandatory AS (
  SELECT pr.id AS program_id, bool_or(d.id IS NOT NULL AND
           CAST(timezone(pr.timezone, d.approved_at) AS date) + d.review_interval_days
             >= pr.today) AS covered
  FROM program pr JOIN clauses c ON c.standard_id = pr.standard_id AND c.documented_information
  LEFT JOIN document_requirements dr ON dr.program_id = pr.id AND dr.clause_id = c.id
  LEFT JOIN controlled_documents d ON d.id = dr.document_id AND d.approved_at IS NOT NULL
       AND d.status::text <> 'obsolete'
  GROUP BY pr.id, c.id
),
component AS (
  SELECT pr.id AS program_id, pr.tenant_id, pr.code,
    (SELECT avg(value) FROM requirement r WHERE r.program_id = pr.id) AS conformity,
    (SELECT avg(fresh::int) FROM requirement r WHERE r.program_id = pr.id
       AND r.documented_information) AS evidence,
    (SELECT avg(covered::int) FROM mandatory m WHERE m.program_id = pr.id) AS documents,
    (SELECT avg(CASE status::text WHEN 'completed' THEN 1.0 WHEN 'in_progress' THEN 0.25
                ELSE 0.0 END) FROM program_steps st WHERE st.program_id = pr.id
       AND st.number <= 6) AS steps,
    (SELECT avg((status::text = 'done')::int) FROM actions ac WHERE ac.program_id = pr.id
       AND ac.status::text <> 'cancelled') AS plan,
    (SELECT avg(audited::int) FROM requirement r WHERE r.program_id = pr.id) AS audits,
    f.majors, f.minors,
    (SELECT jsonb_agg(jsonb_build_object('group', grp, 'score', v) ORDER BY grp)
       FROM (SELECT grp, avg(value) AS v FROM requirement r WHERE r.program_id = pr.id
             GROUP BY grp) g) AS groups
  FROM program pr
  CROSS JOIN LATERAL (
    SELECT count(DISTINCT fi.id) FILTER (WHERE fi.type::text = 'major_nonconformity') AS majors,
           count(DISTINCT fi.id) FILTER (WHERE fi.type::text = 'minor_nonconformity') AS minors
    FROM finding_requirements fr JOIN findings fi ON fi.id = fr.finding_id
    WHERE fr.program_id = pr.id AND fi.status::text <> 'closed'
      AND fi.type::text IN ('major_nonconformity', 'minor_nonconformity')) f
),
weighted AS (
  SELECT c.*, w.*, greatest(0.0, 1.0 - 0.5 * majors - 0.15 * minors) AS findings
  FROM component c CROSS JOIN LATERAL (
    SELECT CASE WHEN c.code = 'ISO/IEC 27001' THEN 20.0 ELSE 15.0 END AS w_evidence,
           CASE WHEN c.code = 'ISO/IEC 27001' THEN 10.0 ELSE 15.0 END AS w_documents) w
),
scored AS (
  SELECT program_id, tenant_id, majors, groups, conformity, evidence, documents, steps, plan,
         audits, findings,
         100 * (30 * coalesce(conformity, 0) + w_evidence * coalesce(evidence, 0)
                + w_documents * coalesce(documents, 0) + 10 * coalesce(plan, 0)
                + 10 * findings + 10 * coalesce(steps, 0) + 10 * coalesce(audits, 0))
             / nullif(30 * (conformity IS NOT NULL)::int + w_evidence * (evidence IS NOT NULL)::int
                      + w_documents * (documents IS NOT NULL)::int + 10 * (plan IS NOT NULL)::int
                      + 10 + 10 * (steps IS NOT NULL)::int + 10 * (audits IS NOT NULL)::int, 0)
           AS raw
  FROM weighted
)
INSERT INTO readiness_snapshots (id, tenant_id, program_id, score, level, breakdown)
SELECT gen_random_uuid(), tenant_id, program_id, score,
       CASE WHEN score >= :stage_2 THEN 'ready_for_stage_2'
            WHEN score >= :stage_1 THEN 'ready_for_stage_1'
            WHEN score > 0 THEN 'in_progress' ELSE 'not_started' END,
       jsonb_build_object('components', jsonb_build_object(
           'conformity', conformity, 'evidence', evidence, 'documents', documents,
           'steps', steps, 'plan', plan, 'audits', audits, 'findings', findings),
         'groups', coalesce(groups, '[]'::jsonb))
FROM (SELECT *, round(CASE WHEN majors > 0 THEN least(coalesce(raw, 0), :cap)
                           ELSE coalesce(raw, 0) END::numeric, 1)::float AS score
      FROM scored) s
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    statements: int
    snapshots: int


Side = Callable[[Runtime, list[uuid.UUID]], Awaitable[int]]


async def certready(runtime: Runtime, tenants: list[uuid.UUID]) -> int:
    stored = 0
    for tenant in tenants:
        async with runtime.acting_in(tenant) as db:
            stored += await service.recompute_active(db)
            await db.commit()
    return stored


async def baseline(runtime: Runtime, tenants: list[uuid.UUID]) -> int:
    values = {"stage_1": STAGE_1, "stage_2": STAGE_2, "cap": MAJOR_CAP}
    stored = 0
    for tenant in tenants:
        async with runtime.acting_in(tenant) as db:
            stored += (await db.execute(text(_BASELINE), values)).rowcount  # type: ignore[attr-defined]
            await db.commit()
    return stored


async def measure(side: Side, runtime: Runtime, tenants: list[uuid.UUID]) -> Run:
    with count_statements(runtime.engine) as statements:
        started = time.perf_counter()
        stored = await side(runtime, tenants)
        seconds = time.perf_counter() - started
    return Run(seconds, len(statements), stored)


async def fill(
    connection: AsyncConnection, tenants: int, standards: int = STANDARDS
) -> list[uuid.UUID]:
    """`tenants` client organizations, each with a program of the first `standards`
    standards (by code) and their facts; also the fill of tests/bench/scale.py."""
    for statement in _FILL:
        await connection.execute(text(statement), {"tenants": tenants, "standards": standards})
    rows = await connection.execute(
        text("SELECT id FROM organizations WHERE slug LIKE 'bench-%' ORDER BY slug")
    )
    return [row[0] for row in rows]


async def _bench(settings: Settings) -> None:
    password = settings.database_app_password.get_secret_value()
    await migrate(settings.owner_url, settings.database_app_role, password)
    owner = create_async_engine(settings.owner_url)
    try:
        async with owner.begin() as connection:
            tenants = await fill(connection, PROGRAMS // STANDARDS)
        async with owner.begin() as connection:  # committed: statistics are rows too
            await connection.execute(text("ANALYZE"))
    finally:
        await owner.dispose()
    runtime = Runtime.build(settings)
    try:
        await measure(certready, runtime, tenants[:5])  # warm the pool and the caches
        pairs = [
            (await measure(certready, runtime, tenants), await measure(baseline, runtime, tenants))
            for _ in range(PAIRS)
        ]
    finally:
        await runtime.close()
    _report(pairs, len(tenants))
    await _agreement(settings)


def _report(pairs: list[tuple[Run, Run]], tenants: int) -> None:
    ratios = [hand.seconds / ours.seconds for ours, hand in pairs]
    ours, hand = pairs[-1]
    ratio = statistics.median(ratios)
    verdict = "met" if ratio >= GOAL else "NOT met"
    print(f"readiness recompute of {ours.snapshots:,} programs in {tenants:,} organizations:")
    print(
        f"  certready {statistics.median(p[0].seconds for p in pairs):.2f} s,"
        f" {ours.statements:,} statements ({ours.statements / tenants:.1f} per organization)"
    )
    print(
        f"  hand-written SQL {statistics.median(p[1].seconds for p in pairs):.2f} s,"
        f" {hand.statements:,} statements ({hand.statements / tenants:.1f} per organization)"
    )
    spread = ", ".join(f"{value:.2f}" for value in ratios)
    print(f"  ratio {ratio:.2f} (pairs: {spread}); goal {GOAL:.2f} (within 1.5x): {verdict}")


async def _agreement(settings: Settings) -> None:
    """The two sides' mean scores: close figures show the baseline does the same work."""
    owner = create_async_engine(settings.owner_url)
    try:
        async with owner.connect() as connection:
            rows = await connection.execute(text(_MEANS))
            means: dict[str, float] = dict(rows.all())
    finally:
        await owner.dispose()
    print(
        f"  mean score: certready {means.get('certready', 0):.1f},"
        f" hand-written SQL {means.get('baseline', 0):.1f} (its rules are a simplified twin)"
    )


# certready stores components as a list, the baseline as an object.
_MEANS = """
SELECT CASE jsonb_typeof(breakdown -> 'components') WHEN 'object' THEN 'baseline'
            ELSE 'certready' END, avg(score)
FROM readiness_snapshots GROUP BY 1
"""


async def database(server: URL, statement: str) -> None:
    engine = create_async_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def main() -> None:
    configured = os.environ.get("TEST_DATABASE_URL")
    server = make_url(configured or start_embedded_postgres(ROOT / ".data" / "test-postgres"))
    server = server.set(drivername="postgresql+asyncpg")
    name = f"certready_bench_readiness_{uuid.uuid4().hex[:8]}"
    asyncio.run(database(server, f'CREATE DATABASE "{name}"'))
    data_dir = Path(tempfile.mkdtemp(prefix="certready-bench-"))
    settings = Settings(
        _env_file=None,
        certready_env=Environment.TEST,
        database_url=server.set(database=name).render_as_string(hide_password=False),
        data_dir=data_dir,
        log_level="WARNING",
    )
    try:
        asyncio.run(_bench(settings))
    finally:
        asyncio.run(database(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
