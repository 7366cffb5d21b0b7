"""The demo's evidence package: frozen for Acme's stage 1 audit, given to Bureau
Certifica's grant, holding Acme's program, its evidence files and its signed audit and
review, with a manifest whose digest holds."""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import seed_demo
from backend.packages.manifest import canonical
from backend.runtime import Runtime

PACKAGE = """
SELECT p.status, p.certification_audit_id IS NOT NULL, p.grant_id IS NOT NULL,
       p.manifest, p.manifest_sha256,
       (SELECT array_agg(DISTINCT i.record_type ORDER BY i.record_type)
        FROM evidence_package_items i WHERE i.package_id = p.id)
FROM evidence_packages p
"""


async def test_the_demo_has_a_frozen_package_for_the_stage_1_audit(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    await seed_demo(runtime)  # seeding again changes nothing
    async with owner_engine.connect() as connection:
        rows = [tuple(row) for row in await connection.execute(text(PACKAGE))]
    [(status, for_audit, granted, manifest, digest, types)] = rows
    assert (status, for_audit, granted) == ("frozen", True, True)
    assert hashlib.sha256(canonical(manifest)).hexdigest() == digest
    assert {"Program", "EvidenceVersion", "Audit", "ManagementReview"} <= set(types)
    assert manifest["files"]
