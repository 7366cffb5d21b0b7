"""Row-level security of calendar feeds, a person's own rows with no tenant.

A signed-in person reaches only their own feed (`app.user_id`); the feed route, which knows
no user yet, reaches only the row whose token digest the transaction presents
(`app.token_digest`, as presented refresh tokens are). With neither, the app role reads none.
"""

from __future__ import annotations

from tenants.rls import CURRENT_USER_ID

TABLE = "calendar_feeds"
PRESENTED_DIGEST = "decode(NULLIF(current_setting('app.token_digest', true), ''), 'hex')"
_OWN = f"user_id = {CURRENT_USER_ID}"

CALENDAR_FEED_POLICIES = [
    f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY",
    f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY",
    f"CREATE POLICY {TABLE}_select ON {TABLE} FOR SELECT"
    f" USING ({_OWN} OR token_hash = {PRESENTED_DIGEST})",
    f"CREATE POLICY {TABLE}_insert ON {TABLE} FOR INSERT WITH CHECK ({_OWN})",
    f"CREATE POLICY {TABLE}_update ON {TABLE} FOR UPDATE USING ({_OWN}) WITH CHECK ({_OWN})",
    f"CREATE POLICY {TABLE}_delete ON {TABLE} FOR DELETE USING ({_OWN})",
]
DROP_CALENDAR_FEED_POLICIES = [
    *(
        f"DROP POLICY IF EXISTS {TABLE}_{command} ON {TABLE}"
        for command in ("select", "insert", "update", "delete")
    ),
    f"ALTER TABLE {TABLE} NO FORCE ROW LEVEL SECURITY",
    f"ALTER TABLE {TABLE} DISABLE ROW LEVEL SECURITY",
]
