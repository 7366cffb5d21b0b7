"""Helpers shared by the authentication tests: raw GraphQL calls, cookies and crafted tokens."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, Key
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.auth.keys import generate_key
from backend.auth.models import LoginThrottle, RefreshToken
from backend.settings import Settings
from tests.support import PASSWORD, Client

LOGIN = """
mutation Login($email: String!, $password: String!, $inCookie: Boolean! = false) {
  login(input: {email: $email, password: $password, refreshTokenInCookie: $inCookie}) {
    accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt
    user { id email }
    errors { field code message }
  }
}
"""

# Only the error list, so two failed logins can be compared byte for byte.
LOGIN_ERRORS = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) {
    accessToken refreshToken errors { field code message }
  }
}
"""

REFRESH = """
mutation Refresh($token: String, $inCookie: Boolean! = false) {
  refresh(input: {refreshToken: $token, refreshTokenInCookie: $inCookie}) {
    accessToken refreshToken refreshTokenExpiresAt
    user { email }
    errors { field code message }
  }
}
"""

LOGOUT = """
mutation Logout($token: String) {
  logout(input: {refreshToken: $token}) { errors { field code message } }
}
"""

ME = "query { me { user { email } } }"


def email_of(user: str) -> str:
    return f"{user}@example.test"


async def post(
    client: Client,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One GraphQL request with no cookies carried over from earlier responses."""
    client.cookies.clear()
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )


def data_of(response: httpx.Response, field: str) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][field]
    return payload


async def login_response(
    client: Client, email: str, password: str = PASSWORD, *, in_cookie: bool = False
) -> httpx.Response:
    return await post(client, LOGIN, {"email": email, "password": password, "inCookie": in_cookie})


async def login_payload(
    client: Client, email: str, password: str = PASSWORD, *, in_cookie: bool = False
) -> dict[str, Any]:
    return data_of(await login_response(client, email, password, in_cookie=in_cookie), "login")


async def login_session(client: Client, user: str) -> dict[str, Any]:
    """A successful login of a seeded user: its access token, refresh token and user."""
    payload = await login_payload(client, email_of(user))
    assert payload["errors"] == [], payload
    return payload


def error_codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def refresh_payload(
    client: Client,
    token: str | None,
    *,
    in_cookie: bool = False,
    cookie: str | None = None,
    settings: Settings | None = None,
) -> httpx.Response:
    headers = {}
    if cookie is not None:
        assert settings is not None
        headers["Cookie"] = f"{settings.refresh_cookie_name}={cookie}"
    return await post(client, REFRESH, {"token": token, "inCookie": in_cookie}, headers)


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def parse_set_cookie(header: str) -> tuple[str, str, dict[str, str]]:
    """Name, value and attributes (lower-case names; flags map to '') of one Set-Cookie."""
    first, *attributes = (part.strip() for part in header.split(";"))
    name, _, value = first.partition("=")
    parsed: dict[str, str] = {}
    for attribute in attributes:
        key, _, attribute_value = attribute.partition("=")
        parsed[key.strip().lower()] = attribute_value.strip()
    return name, value.strip('"'), parsed


def refresh_cookie(response: httpx.Response, settings: Settings) -> tuple[str, dict[str, str]]:
    """The value and attributes of the one refresh cookie the response sets."""
    found = [
        parse_set_cookie(header)
        for header in set_cookies(response)
        if header.startswith(f"{settings.refresh_cookie_name}=")
    ]
    assert len(found) == 1, set_cookies(response)
    _, value, attributes = found[0]
    return value, attributes


# --- tokens -------------------------------------------------------------------------------


def new_key(kid: str | None = None) -> ECKey:
    data = generate_key()
    if kid is not None:
        data["kid"] = kid
    return ECKey.import_key(data)


def claims_for(
    settings: Settings, user_id: uuid.UUID, session_id: uuid.UUID | None = None, **overrides: Any
) -> dict[str, Any]:
    """Claims like ours; `session_id` names a login (`live_session`), else a made-up one."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "sub": str(user_id),
        "sid": str(session_id or uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(key: Key, claims: dict[str, Any], **header: Any) -> str:
    protected: dict[str, Any] = {"alg": "ES256", "kid": key.kid, "typ": "JWT", **header}
    protected = {name: value for name, value in protected.items() if value is not None}
    return jwt.encode(protected, claims, key)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return (
        json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))),
        json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))),
        signature,
    )


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    return ".".join(
        [b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()), signature]
    )


# --- database -----------------------------------------------------------------------------


TEST_CLIENT_ADDRESS = "testclient"  # what the in-process test client reports as its peer


async def failure_count(
    owner_engine: AsyncEngine, email: str, address: str = TEST_CLIENT_ADDRESS
) -> int:
    """Recent failures of the (email, address) pair; '' for either means all of the other."""
    async with owner_engine.connect() as connection:
        count = await connection.scalar(
            select(LoginThrottle.failures).where(
                LoginThrottle.email == email, LoginThrottle.client_address == address
            )
        )
    return int(count or 0)


async def live_session(owner_engine: AsyncEngine, user_id: uuid.UUID) -> uuid.UUID:
    """A login of `user_id` that has not ended, as an access token's `sid` names it."""
    family_id = uuid.uuid4()
    async with owner_engine.begin() as connection:
        await connection.execute(
            insert(RefreshToken).values(
                id=uuid.uuid4(),
                user_id=user_id,
                family_id=family_id,
                token_hash=uuid.uuid4().bytes * 2,
                expires_at=func.now() + timedelta(days=1),
            )
        )
    return family_id


async def refresh_rows(owner_engine: AsyncEngine) -> list[Any]:
    async with owner_engine.connect() as connection:
        result = await connection.execute(
            select(
                RefreshToken.family_id, RefreshToken.rotated_at, RefreshToken.revoked_at
            ).order_by(RefreshToken.created_at)
        )
        return list(result.all())
