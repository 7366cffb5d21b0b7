"""The calendar feed: an unguessable URL per person, the ICS it serves parsed back with
icalendar, UIDs stable across fetches, what each person's scope lets in, revocation, and
that no token a client makes up gets anything but 404."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from icalendar import Calendar
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.runtime import Runtime
from tests.api.helpers import count_statements
from tests.notifications.helpers import Expected, day
from tests.planning.helpers import Plan
from tests.support import Client, global_id, gql, login
from tests.tenants.helpers import set_context

URL = "{ calendarFeedUrl }"
RESET = "mutation { resetCalendarFeed { url errors { code } } }"
A_EVENTS = {
    ("Action due: Week ahead", day(7), day(8)),
    ("Action due: Tomorrow, nobody's", day(1), day(2)),
    ("Action due: Far away", day(20), day(21)),
    ("Action due: Yesterday", day(-1), day(0)),
    ("Action due: In ten days", day(10), day(11)),
    ("Finding due: NC-2026-001", day(14), day(15)),
    ("Document review due: QP-01 Control of records", day(3), day(4)),
    ("Training session: Document control", day(1), day(2)),
    ("Internal audit: IA-2026-01 Records", day(7), day(9)),  # both planned days
}


async def _reset(client: Client, token: str) -> str:
    body = await gql(client, RESET, token=token)
    payload = body["data"]["resetCalendarFeed"]
    assert payload["errors"] == [], payload
    path: str = urlsplit(payload["url"]).path
    return path


async def _feed(client: Client, path: str) -> Any:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def _events(calendar: Any) -> dict[str, tuple[str, Any, Any]]:
    return {
        str(event["uid"]): (str(event["summary"]), event.decoded("dtstart"), event.decoded("dtend"))
        for event in calendar.walk("VEVENT")
    }


async def test_a_feed_lists_what_falls_due_with_stable_uids(
    client: Client, plan: Plan, due: Expected
) -> None:
    token = await login(client, "a_manager")
    assert (await gql(client, URL, token=token))["data"] == {"calendarFeedUrl": None}
    path = await _reset(client, token)
    shown = (await gql(client, URL, token=token))["data"]["calendarFeedUrl"]
    assert urlsplit(shown).path == path
    assert path.startswith("/calendar/")
    assert path.endswith(".ics")

    first = _events(await _feed(client, path))
    second = _events(await _feed(client, path))
    assert first == second  # the same UIDs, the same events
    assert set(first.values()) == A_EVENTS
    uids = {summary: uid for uid, (summary, _, _) in first.items()}
    assert uids["Action due: Week ahead"].endswith("-action_due@127.0.0.1")


async def test_the_action_uid_is_its_global_id(
    client: Client, plan: Plan, due: Expected, owner_engine: AsyncEngine
) -> None:
    async with owner_engine.connect() as connection:
        action = await connection.scalar(text("SELECT id FROM actions WHERE title = 'Week ahead'"))
    path = await _reset(client, await login(client, "a_manager"))
    uids = _events(await _feed(client, path))
    assert f"{global_id('Action', action)}-action_due@127.0.0.1" in uids


async def test_each_person_sees_what_their_scope_reads(
    client: Client, plan: Plan, due: Expected
) -> None:
    b_feed = _events(await _feed(client, await _reset(client, await login(client, "b_owner"))))
    assert set(b_feed.values()) == {("Action due: B's tomorrow", day(1), day(2))}
    auditor = _events(await _feed(client, await _reset(client, await login(client, "auditor"))))
    assert set(auditor.values()) == A_EVENTS  # granted A, read-only; B is none of its business


async def test_resetting_revokes_the_former_url(client: Client, plan: Plan, due: Expected) -> None:
    token = await login(client, "a_manager")
    old = await _reset(client, token)
    new = await _reset(client, token)
    assert old != new
    assert (await client.get(old)).status_code == 404
    await _feed(client, new)


async def test_made_up_tokens_get_404_and_never_a_server_error(
    client: Client, plan: Plan, due: Expected
) -> None:
    real = await _reset(client, await login(client, "a_manager"))
    for path in (
        "/calendar/nonsense.ics",
        "/calendar/" + "A" * 43 + ".ics",
        real.removesuffix(".ics"),
        real + ".ics",
        "/calendar/" + "x" * 5000 + ".ics",
        "/calendar/%00%ff.ics",
        "/calendar/..%2F..%2Fetc.ics",
    ):
        response = await client.get(path)
        assert response.status_code == 404, (path, response.status_code)


async def test_a_feed_row_is_reached_only_by_its_owner_or_its_token(
    runtime: Runtime, client: Client, plan: Plan
) -> None:
    await _reset(client, await login(client, "a_manager"))
    async with runtime.engine.begin() as connection:
        nobody = await connection.scalar(text("SELECT count(*) FROM calendar_feeds"))
        await set_context(
            connection, user_id=plan.users["a_admin"], read=frozenset({plan.orgs["a"]})
        )
        other = await connection.scalar(text("SELECT count(*) FROM calendar_feeds"))
        await set_context(connection, user_id=plan.users["a_manager"])
        own = await connection.scalar(text("SELECT count(*) FROM calendar_feeds"))
    assert (nobody, other, own) == (0, 0, 1)


async def test_a_feed_costs_the_same_statements_for_9_and_for_39_events(
    app: Litestar, client: Client, owner_engine: AsyncEngine, plan: Plan, due: Expected
) -> None:
    path = await _reset(client, await login(client, "a_manager"))

    async def cost() -> tuple[int, int]:
        await _feed(client, path)  # warm up
        with count_statements(app.state.runtime.engine) as sent:
            events = _events(await _feed(client, path))
        return len(sent), len(events)

    small = await cost()
    async with owner_engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO actions (id, tenant_id, program_id, title, description, due_date,"
                " status) SELECT gen_random_uuid(), :tenant, :program, 'Extra ' || n, '',"
                " current_date + n, 'open' FROM generate_series(1, 30) n"
            ),
            {"tenant": plan.orgs["a"], "program": plan.programs["a"]},
        )
    large = await cost()
    assert (small[1], large[1]) == (9, 39)
    assert 0 < small[0] == large[0]
    print(f"statements to serve a calendar feed: {small[0]} for 9 events, {large[0]} for 39")
