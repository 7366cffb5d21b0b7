"""Refresh tokens: one use each, a replay ends the whole login, and the cookie mode."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.settings import Settings
from tests.auth.helpers import (
    LOGOUT,
    ME,
    data_of,
    email_of,
    error_codes,
    login_response,
    login_session,
    post,
    refresh_cookie,
    refresh_payload,
    refresh_rows,
    segments,
    set_cookies,
)
from tests.support import Client, World


async def _refresh(client: Client, token: str | None) -> dict[str, Any]:
    return data_of(await refresh_payload(client, token), "refresh")


async def _logout(client: Client, token: str | None, headers: dict[str, str] | None = None) -> Any:
    return await post(client, LOGOUT, {"token": token}, headers)


def _cookie_header(settings: Settings, value: str) -> dict[str, str]:
    return {"Cookie": f"{settings.refresh_cookie_name}={value}"}


async def test_refresh_returns_new_tokens_and_retires_the_old_refresh_token(
    client: Client, world: World
) -> None:
    session = await login_session(client, "a_owner")
    renewed = await _refresh(client, session["refreshToken"])
    assert renewed["errors"] == []
    assert renewed["user"]["email"] == email_of("a_owner")
    assert renewed["refreshToken"] not in (None, session["refreshToken"])
    assert renewed["accessToken"] != session["accessToken"]
    assert segments(renewed["accessToken"])[1]["sub"] == str(world.users["a_owner"].id)

    me = await post(client, ME, headers={"Authorization": f"Bearer {renewed['accessToken']}"})
    assert me.json()["data"]["me"]["user"]["email"] == email_of("a_owner")

    assert (await _refresh(client, renewed["refreshToken"]))["errors"] == []


async def test_the_old_refresh_token_fails_after_rotation(client: Client, world: World) -> None:
    session = await login_session(client, "a_owner")
    await _refresh(client, session["refreshToken"])
    again = await _refresh(client, session["refreshToken"])
    assert again["accessToken"] is None
    assert again["refreshToken"] is None
    assert error_codes(again) == ["INVALID_REFRESH_TOKEN"]


async def test_replaying_a_rotated_token_revokes_its_family_only(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    stolen = await login_session(client, "a_owner")
    other_login = await login_session(client, "a_owner")
    first = await _refresh(client, stolen["refreshToken"])
    newest = await _refresh(client, first["refreshToken"])
    assert newest["errors"] == []

    # The thief replays the token the victim already traded in.
    replay = await _refresh(client, first["refreshToken"])
    assert error_codes(replay) == ["INVALID_REFRESH_TOKEN"]

    # The newest token of that family, which nobody had used yet, is dead too ...
    assert error_codes(await _refresh(client, newest["refreshToken"])) == ["INVALID_REFRESH_TOKEN"]
    # ... while the user's other login is untouched.
    assert (await _refresh(client, other_login["refreshToken"]))["errors"] == []

    rows = await refresh_rows(owner_engine)
    families: dict[Any, list[bool]] = {}
    for family_id, _, revoked_at in rows:
        families.setdefault(family_id, []).append(revoked_at is not None)
    assert sorted(map(tuple, families.values())) == [(False, False), (True, True, True)]


async def test_unknown_refresh_token_fails(client: Client, world: World) -> None:
    for token in ("not-a-token", "x" * 5000, ""):
        assert error_codes(await _refresh(client, token)) == ["INVALID_REFRESH_TOKEN"]


async def test_expired_refresh_token_fails(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    session = await login_session(client, "a_owner")
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'")
        )
    assert error_codes(await _refresh(client, session["refreshToken"])) == ["INVALID_REFRESH_TOKEN"]


async def test_refresh_fails_for_a_deactivated_user(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    session = await login_session(client, "a_viewer")
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE users SET is_active = false WHERE id = :id"),
            {"id": world.users["a_viewer"].id},
        )
    assert error_codes(await _refresh(client, session["refreshToken"])) == ["INVALID_REFRESH_TOKEN"]


async def test_refresh_or_logout_without_any_token_names_the_field(
    client: Client, world: World
) -> None:
    refreshed = await _refresh(client, None)
    logged_out = data_of(await _logout(client, None), "logout")
    for payload in (refreshed, logged_out):
        assert error_codes(payload) == ["INVALID_REFRESH_TOKEN"]
        assert payload["errors"][0]["field"] == ["refreshToken"]


async def test_logout_revokes_the_family_and_is_idempotent(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    session = await login_session(client, "a_owner")
    other_login = await login_session(client, "a_owner")
    renewed = await _refresh(client, session["refreshToken"])

    for _ in range(2):
        response = await _logout(client, renewed["refreshToken"])
        assert data_of(response, "logout") == {"errors": []}

    assert error_codes(await _refresh(client, renewed["refreshToken"])) == ["INVALID_REFRESH_TOKEN"]
    assert error_codes(await _refresh(client, session["refreshToken"])) == ["INVALID_REFRESH_TOKEN"]
    assert (await _refresh(client, other_login["refreshToken"]))["errors"] == []

    # Logging out with a token of a family that is already revoked, or one never issued, is fine.
    assert data_of(await _logout(client, session["refreshToken"]), "logout") == {"errors": []}
    assert data_of(await _logout(client, "never-issued"), "logout") == {"errors": []}


# --- cookie mode --------------------------------------------------------------------------


async def test_login_in_cookie_mode_sets_a_strict_http_only_cookie(
    client: Client, world: World, settings: Settings
) -> None:
    response = await login_response(client, email_of("a_owner"), in_cookie=True)
    payload = data_of(response, "login")
    assert payload["errors"] == []
    assert payload["accessToken"]
    assert payload["refreshToken"] is None
    assert payload["refreshTokenExpiresAt"]

    value, attributes = refresh_cookie(response, settings)
    assert value
    assert "httponly" in attributes
    assert "secure" in attributes
    assert attributes["samesite"].lower() == "strict"
    assert attributes["path"] == "/graphql"
    assert abs(int(attributes["max-age"]) - settings.refresh_token_ttl_seconds) <= 5


async def test_refresh_reads_the_cookie_and_sets_a_new_one(
    client: Client, world: World, settings: Settings
) -> None:
    logged_in = await login_response(client, email_of("a_owner"), in_cookie=True)
    first, _ = refresh_cookie(logged_in, settings)

    response = await refresh_payload(client, None, cookie=first, settings=settings)
    payload = data_of(response, "refresh")
    assert payload["errors"] == []
    assert payload["accessToken"]
    assert payload["refreshToken"] is None
    second, attributes = refresh_cookie(response, settings)
    assert second not in ("", first)
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "strict"

    # The new cookie works; the one traded in is spent (and replaying it ends the login).
    again = await refresh_payload(client, None, cookie=second, settings=settings)
    assert data_of(again, "refresh")["errors"] == []
    replay = await refresh_payload(client, None, cookie=first, settings=settings)
    assert error_codes(data_of(replay, "refresh")) == ["INVALID_REFRESH_TOKEN"]
    assert set_cookies(replay) == []


async def test_refresh_with_a_token_in_input_may_move_it_into_the_cookie(
    client: Client, world: World, settings: Settings
) -> None:
    session = await login_session(client, "a_owner")
    response = await refresh_payload(client, session["refreshToken"], in_cookie=True)
    payload = data_of(response, "refresh")
    assert payload["errors"] == []
    assert payload["refreshToken"] is None
    value, _ = refresh_cookie(response, settings)
    assert value

    plain = await refresh_payload(client, value)
    assert data_of(plain, "refresh")["refreshToken"]
    assert set_cookies(plain) == []


async def test_logout_in_cookie_mode_clears_the_cookie_and_ends_the_login(
    client: Client, world: World, settings: Settings
) -> None:
    logged_in = await login_response(client, email_of("a_owner"), in_cookie=True)
    token, _ = refresh_cookie(logged_in, settings)

    response = await _logout(client, None, _cookie_header(settings, token))
    assert data_of(response, "logout") == {"errors": []}
    value, attributes = refresh_cookie(response, settings)
    assert value == ""
    assert attributes["max-age"] == "0"
    assert attributes["path"] == "/graphql"

    refused = await refresh_payload(client, None, cookie=token, settings=settings)
    assert error_codes(data_of(refused, "refresh")) == ["INVALID_REFRESH_TOKEN"]


async def test_failed_login_in_cookie_mode_sets_no_cookie(client: Client, world: World) -> None:
    response = await login_response(client, email_of("a_owner"), "wrong", in_cookie=True)
    assert error_codes(data_of(response, "login")) == ["INVALID_CREDENTIALS"]
    assert set_cookies(response) == []


# --- access tokens end with their login ---------------------------------------------------


async def _me_status(client: Client, access_token: str) -> int:
    response = await post(client, ME, headers={"Authorization": f"Bearer {access_token}"})
    return response.status_code


async def test_logout_ends_the_access_tokens_of_that_login_at_once(
    client: Client, world: World
) -> None:
    session = await login_session(client, "a_owner")
    renewed = await _refresh(client, session["refreshToken"])
    other_login = await login_session(client, "a_owner")
    assert await _me_status(client, session["accessToken"]) == 200

    assert data_of(await _logout(client, renewed["refreshToken"]), "logout") == {"errors": []}

    # Both access tokens of the login, the first and the renewed one, are refused on the next
    # request, long before they expire; the user's other login is untouched.
    assert await _me_status(client, session["accessToken"]) == 401
    assert await _me_status(client, renewed["accessToken"]) == 401
    assert await _me_status(client, other_login["accessToken"]) == 200


async def test_a_replayed_refresh_token_ends_the_access_tokens_of_its_login(
    client: Client, world: World
) -> None:
    stolen = await login_session(client, "a_owner")
    other_login = await login_session(client, "a_owner")
    victim = await _refresh(client, stolen["refreshToken"])
    assert await _me_status(client, victim["accessToken"]) == 200

    replay = await _refresh(client, stolen["refreshToken"])
    assert error_codes(replay) == ["INVALID_REFRESH_TOKEN"]

    assert await _me_status(client, stolen["accessToken"]) == 401
    assert await _me_status(client, victim["accessToken"]) == 401
    assert await _me_status(client, other_login["accessToken"]) == 200


async def test_the_access_token_names_its_login(client: Client, world: World) -> None:
    session = await login_session(client, "a_owner")
    renewed = await _refresh(client, session["refreshToken"])
    other_login = await login_session(client, "a_owner")
    sid = {
        name: segments(tokens["accessToken"])[1]["sid"]
        for name, tokens in (("first", session), ("renewed", renewed), ("other", other_login))
    }
    assert sid["first"] == sid["renewed"] != sid["other"]
