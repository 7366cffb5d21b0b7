"""Prometheus metrics of one process, with labels of bounded cardinality only.

No metric is labelled by tenant, user or anything a client types freely: an operation name is
a label only while fewer than MAX_OPERATIONS distinct names were seen (later ones count as
`other`), a request without a name counts as `anonymous`, one that did not parse or validate
as `invalid`. Job labels are job names, which the code defines; error labels are error codes.
"""

from __future__ import annotations

import hmac
import threading
from http import HTTPStatus

from prometheus_client import Counter, Gauge, Histogram

from backend.settings import Settings

MAX_OPERATIONS = 200
ANONYMOUS, OTHER, INVALID = "anonymous", "other", "invalid"

GRAPHQL_REQUESTS = Counter(
    "certready_graphql_requests", "GraphQL operations executed", ["operation"]
)
GRAPHQL_SECONDS = Histogram(
    "certready_graphql_request_seconds", "Time to execute a GraphQL operation", ["operation"]
)
ERRORS = Counter("certready_errors", "Errors answered to clients, by code", ["code"])
POOL = Gauge("certready_db_pool_connections", "Database pool connections", ["state"])
JOBS_ENQUEUED = Counter("certready_jobs_enqueued", "Jobs written to the outbox", ["job"])
JOBS_PROCESSED = Counter("certready_jobs_processed", "Jobs run to completion", ["job"])
JOBS_FAILED = Counter("certready_jobs_failed", "Job attempts that failed", ["job"])
JOBS_DEAD = Counter("certready_jobs_dead_lettered", "Jobs dead-lettered", ["job"])
OUTBOX_BACKLOG = Gauge("certready_outbox_backlog", "Outbox jobs not done yet")
OUTBOX_OLDEST = Gauge(
    "certready_outbox_oldest_age_seconds", "Age of the oldest outbox job not done yet"
)
READINESS_SECONDS = Histogram(
    "certready_readiness_recompute_seconds", "Time to recompute readiness snapshots"
)

_seen: set[str] = set()
_seen_lock = threading.Lock()


def operation_label(name: str | None) -> str:
    """The label of an operation name: itself while the set of names is small."""
    if not name:
        return ANONYMOUS
    with _seen_lock:
        if name in _seen:
            return name
        if len(_seen) >= MAX_OPERATIONS:
            return OTHER
        _seen.add(name)
    return name


def scrape_refusal(settings: Settings, authorization: str) -> HTTPStatus | None:
    """Why a scrape is refused (None: serve it). With METRICS_TOKEN the bearer token must
    match; without one, metrics are served outside production and absent in production."""
    if settings.metrics_token is None:
        return HTTPStatus.NOT_FOUND if settings.is_production else None
    expected = f"Bearer {settings.metrics_token.get_secret_value()}"
    if hmac.compare_digest(authorization.encode(), expected.encode()):
        return None
    return HTTPStatus.UNAUTHORIZED
