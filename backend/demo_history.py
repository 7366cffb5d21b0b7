"""Acme's readiness history: real scores of the demo data, taken as the seed builds it.

The seed creates Acme's data in phases (programs started, gap analyses, the plan, evidence
with documents and training, findings). After each phase every program is scored from the
facts as they then stand, and the snapshot is dated one week after the previous one, ending a
week before today, so the history shows the path the data really took and the forecast reads
a real pace. Nothing is recorded when the seed finds Acme already there.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from backend.db.session import TenantSession
from backend.readiness.service import active_program_ids, recompute
from backend.runtime import Runtime

PHASES = 5
STEP = timedelta(weeks=1)


class DemoHistory:
    """Takes one snapshot of every program per phase, from PHASES weeks ago onwards."""

    def __init__(self, runtime: Runtime, tenant_id: uuid.UUID) -> None:
        self._runtime = runtime
        self._tenant_id = tenant_id
        self._first = datetime.now(UTC) - PHASES * STEP
        self._taken = 0

    async def record(self, db: TenantSession) -> None:
        """Score the programs `db` sees now and commit the snapshots, dated by phase."""
        when = self._first + self._taken * STEP
        await recompute(db, await active_program_ids(db), computed_at=when)
        await db.commit()
        self._taken += 1

    async def record_next_phase(self) -> None:
        """The snapshot after a phase seeded in its own session; only once the history has
        begun, so a seed that found Acme's programs already there adds nothing."""
        if self._taken == 0:
            return
        async with self._runtime.acting_in(self._tenant_id) as db:
            await self.record(db)
