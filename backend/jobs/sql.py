"""The two ways past tenant isolation that jobs need, as SECURITY DEFINER functions.

Tenant rows are visible only in their tenant's scope, yet the relay must find every tenant's
committed jobs, and a periodic job starts one job per client. Rather than give a process the
owner's credentials, the owner provides exactly these two operations: `job_outbox_claim`
returns ids, tenants and trace context of due rows of the jobs the caller runs (never
payloads) and marks them published, and
`job_outbox_fan_out` writes one row per client. `job_outbox` is ENABLEd but not FORCEd so
that the owner, running these functions, reads it; the app role owns nothing and meets the
tenant policies like everywhere else. The jobs themselves run in one tenant's system scope.
"""

from __future__ import annotations

CLAIM_FUNCTION = "job_outbox_claim(integer, integer, text[])"
FAN_OUT_FUNCTION = "job_outbox_fan_out(text, jsonb)"
FUNCTIONS = (CLAIM_FUNCTION, FAN_OUT_FUNCTION)
CHANNEL = "job_outbox"


def _claim(columns: dict[str, str]) -> str:
    """The claim function returning `columns` (name: type) of each claimed row."""
    returned = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    claimed = ", ".join(f"o.{name}" for name in columns)
    return f"""
    CREATE FUNCTION job_outbox_claim(batch integer, visibility_seconds integer, jobs text[])
    RETURNS TABLE ({returned})
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        UPDATE public.job_outbox o
        SET status = 'published', published_at = now(), publications = o.publications + 1
        FROM (
            SELECT c.id FROM public.job_outbox c
            WHERE c.job = ANY (jobs)
              AND (c.status = 'pending'
                   OR (c.status = 'published'
                       AND c.published_at < now() - make_interval(secs => visibility_seconds)))
            ORDER BY c.created_at
            LIMIT batch
            FOR UPDATE SKIP LOCKED
        ) due
        WHERE o.id = due.id
        RETURNING {claimed}
    $$
    """


_CLAIMED = {"id": "uuid", "tenant_id": "uuid", "job": "varchar"}

CREATE_FUNCTIONS = [
    _claim(_CLAIMED),
    """
    CREATE FUNCTION job_outbox_fan_out(job_name text, job_payload jsonb)
    RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        WITH made AS (
            INSERT INTO public.job_outbox (id, tenant_id, job, payload)
            SELECT gen_random_uuid(), o.id, job_name, job_payload
            FROM public.organizations o WHERE o.kind = 'client'
            RETURNING 1
        ), woken AS (SELECT pg_notify('job_outbox', '') FROM made LIMIT 1)
        SELECT count(*)::integer FROM made LEFT JOIN woken ON true
    $$
    """,
    *(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC" for function in FUNCTIONS),
]
DROP_FUNCTIONS = [f"DROP FUNCTION IF EXISTS {function}" for function in FUNCTIONS]


# The outbox's backlog for the metrics scrape: every tenant's open jobs, as two numbers only.
# Added later (migration 0023), hence apart from FUNCTIONS, which migration 0013 creates.
BACKLOG_FUNCTION = "job_outbox_backlog()"
CREATE_BACKLOG_FUNCTION = [
    """
    CREATE FUNCTION job_outbox_backlog()
    RETURNS TABLE (open bigint, oldest_seconds double precision)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT count(*),
               coalesce(extract(epoch FROM now() - min(o.created_at))::double precision, 0)
        FROM public.job_outbox o
        WHERE o.status IN ('pending', 'published')
    $$
    """,
    f"REVOKE ALL ON FUNCTION {BACKLOG_FUNCTION} FROM PUBLIC",
]
DROP_BACKLOG_FUNCTION = [f"DROP FUNCTION IF EXISTS {BACKLOG_FUNCTION}"]

# The claim also returns each row's traceparent (migration 0027), so the relay's publish span
# continues the trace of the request that enqueued the job. A function's result type cannot
# be replaced in place, hence drop and create; the grants are applied at every migrate.
_REPLACE_CLAIM = [f"DROP FUNCTION {CLAIM_FUNCTION}"]
_REVOKE_CLAIM = f"REVOKE ALL ON FUNCTION {CLAIM_FUNCTION} FROM PUBLIC"
CREATE_TRACED_CLAIM = [
    *_REPLACE_CLAIM,
    _claim({**_CLAIMED, "traceparent": "varchar"}),
    _REVOKE_CLAIM,
]
DROP_TRACED_CLAIM = [*_REPLACE_CLAIM, _claim(_CLAIMED), _REVOKE_CLAIM]


def app_role_job_grants(role: str) -> list[str]:
    return [
        f'GRANT EXECUTE ON FUNCTION {function} TO "{role}"'
        for function in (*FUNCTIONS, BACKLOG_FUNCTION)
    ]
