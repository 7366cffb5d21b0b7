"""The demo's reminders: Acme's owner has chosen channels, the job has written reminders
over the demo's data (one of them read), and seeding again writes nothing new."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import seed_demo
from backend.runtime import Runtime

NOTIFICATIONS = """
SELECT n.kind::text, n.in_app, n.read_at IS NOT NULL, n.email_status::text
FROM notifications n JOIN organizations o ON o.id = n.tenant_id
WHERE o.slug = 'acme' ORDER BY n.id
"""
PREFERENCES = "SELECT kind::text, in_app, email FROM notification_preferences ORDER BY kind"


async def test_the_demo_has_reminders_some_read_and_chosen_channels(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    await seed_demo(runtime)
    async with owner_engine.connect() as connection:
        first = [tuple(row) for row in await connection.execute(text(NOTIFICATIONS))]
        preferences = [tuple(row) for row in await connection.execute(text(PREFERENCES))]
    await seed_demo(runtime)  # seeding again changes nothing
    async with owner_engine.connect() as connection:
        again = [tuple(row) for row in await connection.execute(text(NOTIFICATIONS))]
    assert again == first
    assert len(first) > 0
    assert sum(1 for _, _, read, _ in first if read) == 1
    assert {status for *_, status in first} == {"none"}  # the tests configure no SMTP server
    assert preferences == [("evidence_renewal_due", True, True), ("training_session", False, True)]
    print(f"demo reminders: {len(first)}, kinds {sorted({kind for kind, *_ in first})}")
