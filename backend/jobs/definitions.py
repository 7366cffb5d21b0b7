"""What an area declares about its jobs: the work, its limits and when it repeats."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from backend.db.session import TenantSession

Handler = Callable[[TenantSession, dict[str, Any]], Awaitable[None]]
"""The work: runs in the system scope of the job's tenant, in the transaction that marks the
job done, so its effect and that mark commit together."""


@dataclass(frozen=True)
class Job:
    name: str
    handler: Handler
    max_failures: int = 5
    """Failures before the job is dead-lettered; a worker killed mid-job is not a failure."""
    time_limit_seconds: float = 300.0


@dataclass(frozen=True)
class Periodic:
    """Run `job` for every client organization whenever `cron` (in UTC) comes round."""

    name: str
    job: str
    cron: str
