"""Logging in: the access token we hand out, and what we refuse without saying why."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.auth import passwords
from backend.auth.throttle import CROWD_FACTOR
from backend.settings import Settings
from tests.auth.helpers import (
    LOGIN_ERRORS,
    email_of,
    error_codes,
    failure_count,
    login_payload,
    post,
)
from tests.support import PASSWORD, Client, World, gql, login
from tests.tenants.helpers import owner_execute

WRONG = "not the password"
DECOY_PASSWORD = "certready-decoy-password"  # what unknown emails are checked against

INVITE_MEMBER = """
mutation Invite($org: ID!, $email: String!) {
  inviteMember(input: {organizationId: $org, email: $email, role: VIEWER, name: "Invited Person"}) {
    invitation { id } errors { code message }
  }
}
"""


async def test_login_issues_an_es256_token_that_verifies_with_the_published_key(
    client: Client, world: World, settings: Settings
) -> None:
    payload = await login_payload(client, email_of("a_owner"))
    assert payload["errors"] == []
    assert payload["user"]["email"] == email_of("a_owner")
    assert payload["refreshToken"]

    jwks = (await client.get("/.well-known/jwks.json")).json()
    decoded = jwt.decode(payload["accessToken"], KeySet.import_key_set(jwks), algorithms=["ES256"])

    assert decoded.header["alg"] == "ES256"
    assert decoded.header["kid"] in {key["kid"] for key in jwks["keys"]}
    claims = decoded.claims
    assert claims["iss"] == settings.auth_issuer
    assert claims["aud"] == settings.auth_audience
    assert claims["sub"] == str(world.users["a_owner"].id)
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds
    assert claims["nbf"] == claims["iat"]
    assert claims["jti"]


async def test_wrong_password_and_unknown_email_answer_byte_for_byte_alike(
    client: Client, world: World
) -> None:
    wrong_password = await post(
        client, LOGIN_ERRORS, {"email": email_of("a_owner"), "password": WRONG}
    )
    unknown_email = await post(
        client, LOGIN_ERRORS, {"email": "nobody@example.test", "password": WRONG}
    )
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert wrong_password.content == unknown_email.content
    payload = wrong_password.json()["data"]["login"]
    assert payload["accessToken"] is None
    assert payload["refreshToken"] is None
    assert error_codes(payload) == ["INVALID_CREDENTIALS"]


async def test_email_is_matched_case_insensitively_and_trimmed(
    client: Client, world: World
) -> None:
    payload = await login_payload(client, "  A_Owner@EXAMPLE.test \t")
    assert payload["errors"] == []
    assert payload["user"]["email"] == email_of("a_owner")


async def test_inactive_user_cannot_log_in(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE users SET is_active = false WHERE id = :id"),
            {"id": world.users["a_viewer"].id},
        )
    payload = await login_payload(client, email_of("a_viewer"))
    assert payload["accessToken"] is None
    assert error_codes(payload) == ["INVALID_CREDENTIALS"]


async def test_an_invited_person_cannot_log_in_before_accepting(
    client: Client, world: World
) -> None:
    owner = await login(client, "a_owner")
    invited = await gql(
        client,
        INVITE_MEMBER,
        {"org": world.org_gid("a"), "email": "invited@example.test"},
        token=owner,
        tenant=world.org_gid("a"),
    )
    assert invited["data"]["inviteMember"]["errors"] == []

    for attempt in ("!", PASSWORD, DECOY_PASSWORD):  # below the per-email limit
        payload = await login_payload(client, "invited@example.test", attempt)
        assert payload["accessToken"] is None, attempt
        assert error_codes(payload) == ["INVALID_CREDENTIALS"], attempt


async def test_after_max_failures_even_the_right_password_is_rate_limited(
    client: Client, world: World, settings: Settings
) -> None:
    assert settings.login_max_failures == 3
    for _ in range(settings.login_max_failures):
        payload = await login_payload(client, email_of("a_admin"), WRONG)
        assert error_codes(payload) == ["INVALID_CREDENTIALS"]

    payload = await login_payload(client, email_of("a_admin"), PASSWORD)
    assert payload["accessToken"] is None
    assert error_codes(payload) == ["RATE_LIMITED"]
    assert "Try again" in payload["errors"][0]["message"]


async def test_rate_limit_counts_the_normalized_email(
    client: Client, world: World, settings: Settings
) -> None:
    for variant in ("A_ADMIN@example.test", " a_admin@Example.Test", "a_admin@example.test "):
        await login_payload(client, variant, WRONG)
    payload = await login_payload(client, email_of("a_admin"))
    assert error_codes(payload) == ["RATE_LIMITED"]


async def test_failures_for_one_email_do_not_lock_another(
    client: Client, world: World, settings: Settings
) -> None:
    for _ in range(settings.login_max_failures):
        await login_payload(client, email_of("a_admin"), WRONG)
    assert error_codes(await login_payload(client, email_of("a_admin"))) == ["RATE_LIMITED"]

    payload = await login_payload(client, email_of("a_viewer"))
    assert payload["errors"] == []
    assert payload["accessToken"]


async def test_spraying_from_one_address_slows_it_without_locking_anyone_out(
    client: Client, world: World, settings: Settings, owner_engine: AsyncEngine
) -> None:
    crowd = settings.login_max_failures * CROWD_FACTOR
    for n in range(crowd):  # one failure per email: no email reaches its own limit
        payload = await login_payload(client, f"guess{n}@example.test", WRONG)
        assert error_codes(payload) == ["INVALID_CREDENTIALS"]

    # From now on the address gets one password check per backoff, whoever asks: this guess
    # takes it, so the next attempt right after, even with the right password, has to wait.
    assert error_codes(await login_payload(client, "guess@example.test", WRONG)) == [
        "INVALID_CREDENTIALS"
    ]
    waiting = await login_payload(client, email_of("b_owner"))
    assert error_codes(waiting) == ["RATE_LIMITED"]
    assert (
        f"Try again in {settings.login_backoff_seconds} seconds" in waiting["errors"][0]["message"]
    )

    await owner_execute(
        owner_engine,
        "UPDATE login_throttles SET next_attempt_at = now() WHERE email = ''",
    )
    assert (await login_payload(client, email_of("b_owner")))["errors"] == []


async def test_a_successful_login_clears_the_failure_count(
    client: Client, world: World, settings: Settings, owner_engine: AsyncEngine
) -> None:
    email = email_of("a_admin")
    for _ in range(settings.login_max_failures - 1):
        await login_payload(client, email, WRONG)
    assert await failure_count(owner_engine, email) == settings.login_max_failures - 1

    assert (await login_payload(client, email))["errors"] == []
    assert await failure_count(owner_engine, email) == 0

    # A fresh allowance: as many failures as before may follow without a lock.
    for _ in range(settings.login_max_failures - 1):
        assert error_codes(await login_payload(client, email, WRONG)) == ["INVALID_CREDENTIALS"]
    assert (await login_payload(client, email))["errors"] == []


async def test_failed_logins_are_recorded_although_the_mutation_reports_an_error(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    await login_payload(client, email_of("a_owner"), WRONG)
    await login_payload(client, "  Nobody@Example.TEST", WRONG)
    assert await failure_count(owner_engine, email_of("a_owner")) == 1
    assert await failure_count(owner_engine, "nobody@example.test") == 1


async def test_old_failures_outside_the_window_do_not_count(
    client: Client, world: World, settings: Settings, owner_engine: AsyncEngine
) -> None:
    email = email_of("a_admin")
    for _ in range(settings.login_max_failures):
        await login_payload(client, email, WRONG)
    await owner_execute(
        owner_engine,
        "UPDATE login_throttles SET last_failure_at = now() - make_interval(secs => :age)"
        " WHERE email = :email",
        age=settings.login_failure_window_seconds + 60,
        email=email,
    )
    assert (await login_payload(client, email))["errors"] == []


async def test_overlong_or_odd_emails_are_refused_not_crashed(client: Client, world: World) -> None:
    for email in ("x" * 300 + "@example.test", "", "   "):
        response = await post(client, LOGIN_ERRORS, {"email": email, "password": WRONG})
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        assert error_codes(body["data"]["login"]) == ["INVALID_CREDENTIALS"], email


class _RecordingHasher:
    def __init__(self) -> None:
        self.checked: list[str] = []

    def verify(self, password_hash: str, password: str) -> bool:
        self.checked.append(password_hash)
        return bool(PasswordHasher().verify(password_hash, password))


async def test_unknown_and_unusable_hashes_cost_a_full_verification(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recording = _RecordingHasher()
    monkeypatch.setattr(passwords, "_hasher", recording)
    assert not passwords.verify_password(None, DECOY_PASSWORD)
    assert not passwords.verify_password(passwords.UNUSABLE_PASSWORD, DECOY_PASSWORD)
    assert not passwords.verify_password(passwords.UNUSABLE_PASSWORD, "!")
    assert recording.checked == [passwords._DECOY_HASH] * 3
