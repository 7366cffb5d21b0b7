"""Reminder e-mails through a real SMTP server (aiosmtpd, started here): sent by their own
job after the reminders are committed, to the right person with the right subject; with no
SMTP server configured, reminders stay in the app."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import features
from backend.jobs.worker import Executor
from backend.notifications.jobs import MAIL, REMIND
from backend.settings import Settings
from tests.notifications.helpers import Expected, day, outbox, run_job
from tests.planning.helpers import Plan

USER, PASSWORD = "mailer", "s3cret:pass"


class Inbox:
    """What the server received: (envelope recipients, parsed message) per message."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        content = envelope.original_content or b""
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(content)))
        return "250 OK"


def _authenticate(
    _server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), _free_port()
    server = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
        auth_require_tls=False,
    )
    server.start()
    yield handler, port
    server.stop()


async def _deliver_mail(settings: Settings, owner_engine: AsyncEngine) -> int:
    """Run every queued mail job as a worker would; how many there were."""
    async with owner_engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT id, tenant_id FROM job_outbox WHERE job = :job AND status = 'pending'"
                ),
                {"job": MAIL.name},
            )
        ).all()
    executor = Executor(settings, {job.name: job for job in features.jobs()})
    try:
        for outbox_id, tenant_id in rows:
            await executor.run(outbox_id, tenant_id)
    finally:
        await executor.close()
    return len(rows)


async def _statuses(owner_engine: AsyncEngine) -> dict[str, int]:
    async with owner_engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT email_status::text, count(*) FROM notifications GROUP BY 1")
        )
        return {row[0]: row[1] for row in rows}


async def test_reminders_are_emailed_by_their_own_job_to_the_person_responsible(
    migrated: Settings,
    owner_engine: AsyncEngine,
    plan: Plan,
    due: Expected,
    inbox: tuple[Inbox, int],
) -> None:
    handler, port = inbox
    settings = migrated.model_copy(
        update={
            "smtp_url": SecretStr(f"smtp://{USER}:{PASSWORD.replace(':', '%3A')}@127.0.0.1:{port}"),
            "smtp_from": "certready <reminders@example.test>",
        }
    )
    await run_job(settings, REMIND.name, plan.orgs["a"])
    assert handler.received == []  # nothing is sent while reminders are written
    assert await outbox(owner_engine, MAIL.name) == [(plan.orgs["a"], "pending")]
    assert await _statuses(owner_engine) == {"pending": 11}

    assert await _deliver_mail(settings, owner_engine) == 1
    by_person: dict[str, list[str]] = {}
    for recipients, mail in handler.received:
        assert mail["From"] == "certready <reminders@example.test>"
        assert recipients == [mail["To"]]
        by_person.setdefault(mail["To"], []).append(mail["Subject"])
    assert sorted(by_person["a_manager@example.test"]) == sorted(
        [
            f"Reminder: Week ahead is due on {day(7).isoformat()}",
            f"Reminder: NC-2026-001 is due on {day(14).isoformat()}",
            f"Reminder: Calibration certificate is due on {day(10).isoformat()}",
        ]
    )
    assert sorted(by_person["a_contributor@example.test"]) == sorted(
        [
            f"Reminder: Yesterday was due on {day(-1).isoformat()}",
            f"Reminder: In ten days is due on {day(10).isoformat()}",
        ]
    )
    assert {person: len(subjects) for person, subjects in by_person.items()} == {
        "a_manager@example.test": 3,
        "a_contributor@example.test": 2,
        "a_owner@example.test": 2,
        "a_admin@example.test": 4,
    }
    assert await _statuses(owner_engine) == {"sent": 11}
    await run_job(settings, REMIND.name, plan.orgs["a"])  # the same day again: nothing new
    await _deliver_mail(settings, owner_engine)
    assert len(handler.received) == 11


async def test_email_only_reminders_are_mailed_but_not_listed(
    migrated: Settings,
    owner_engine: AsyncEngine,
    plan: Plan,
    due: Expected,
    inbox: tuple[Inbox, int],
) -> None:
    handler, port = inbox
    settings = migrated.model_copy(
        update={
            "smtp_url": SecretStr(f"smtp://{USER}:{PASSWORD.replace(':', '%3A')}@127.0.0.1:{port}")
        }
    )
    async with owner_engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO notification_preferences (id, tenant_id, user_id, kind, in_app, email)"
                " VALUES (:id, :tenant, :user, 'finding_due', false, true)"
            ),
            {"id": uuid.uuid4(), "tenant": plan.orgs["a"], "user": plan.users["a_manager"]},
        )
    await run_job(settings, REMIND.name, plan.orgs["a"])
    await _deliver_mail(settings, owner_engine)
    subjects = [mail["Subject"] for _, mail in handler.received]
    assert f"Reminder: NC-2026-001 is due on {day(14).isoformat()}" in subjects
    async with owner_engine.connect() as connection:
        shown = await connection.scalar(
            text("SELECT in_app FROM notifications WHERE title = 'NC-2026-001'")
        )
    assert shown is False


async def test_without_smtp_reminders_stay_in_the_app(
    migrated: Settings, owner_engine: AsyncEngine, plan: Plan, due: Expected
) -> None:
    assert migrated.smtp_url is None
    await run_job(migrated, REMIND.name, plan.orgs["a"])
    assert await _statuses(owner_engine) == {"none": 11}
    assert await outbox(owner_engine, MAIL.name) == []


async def test_a_person_the_tenant_cannot_address_keeps_the_reminder_in_the_app(
    migrated: Settings,
    owner_engine: AsyncEngine,
    plan: Plan,
    inbox: tuple[Inbox, int],
) -> None:
    """The consultancy's consultant owns one of A's actions: A reads no account of another
    organization's, so there is no address to send to."""
    handler, port = inbox
    settings = migrated.model_copy(update={"smtp_url": SecretStr(f"smtp://127.0.0.1:{port}")})
    async with owner_engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO actions (id, tenant_id, program_id, title, description, owner_id,"
                " due_date, status) VALUES (:id, :tenant, :program, 'Consultant''s', '', :owner,"
                " :due, 'open')"
            ),
            {
                "id": uuid.uuid4(),
                "tenant": plan.orgs["a"],
                "program": plan.programs["a"],
                "owner": plan.users["consultant"],
                "due": day(1),
            },
        )
    await run_job(settings, REMIND.name, plan.orgs["a"])
    assert await _statuses(owner_engine) == {"pending": 1}
    await _deliver_mail(settings, owner_engine)
    assert handler.received == []
    assert await _statuses(owner_engine) == {"none": 1}
