"""Access tokens at the door: anything but a valid token of ours gets HTTP 401 and no data."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.auth import tokens
from backend.auth.keys import (
    KeyConfigurationError,
    SigningKeys,
    generate_key,
    parse_keys,
)
from backend.auth.tokens import InvalidAccessTokenError, TokenIssuer, TokenSubject
from backend.runtime import ApiRuntime
from backend.settings import Settings
from tests.auth.helpers import (
    ME,
    b64url,
    claims_for,
    email_of,
    live_session,
    new_key,
    post,
    segments,
    sign,
    unsigned,
)
from tests.support import Client, World, login

INVALID_TOKEN = "The access token is invalid or expired; refresh it or log in again."


async def _me(client: Client, authorization: str) -> Any:
    return await post(client, ME, headers={"Authorization": authorization})


async def _assert_refused(client: Client, token: str, message: str = INVALID_TOKEN) -> None:
    response = await _me(client, f"Bearer {token}")
    assert response.status_code == 401, response.text
    body = response.json()
    assert "data" not in body
    assert body["detail"] == message
    assert "example.test" not in response.text
    if message == INVALID_TOKEN:
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def _user_id(world: World) -> uuid.UUID:
    return world.users["a_owner"].id


async def test_a_valid_token_is_accepted(client: Client, world: World) -> None:
    response = await _me(client, f"Bearer {await login(client, 'a_owner')}")
    assert response.status_code == 200
    assert response.json()["data"]["me"]["user"]["email"] == email_of("a_owner")


async def test_a_token_crafted_with_our_key_and_right_claims_is_accepted(
    client: Client, world: World, runtime: ApiRuntime, settings: Settings, owner_engine: AsyncEngine
) -> None:
    """The control for the refusals below: only the one thing each of them changes matters."""
    login = await live_session(owner_engine, _user_id(world))
    token = sign(runtime.keys.current, claims_for(settings, _user_id(world), login))
    response = await _me(client, f"Bearer {token}")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["me"]["user"]["email"] == email_of("a_owner")


async def test_a_token_naming_no_login_of_its_user_is_refused(
    client: Client, world: World, runtime: ApiRuntime, settings: Settings, owner_engine: AsyncEngine
) -> None:
    """Signed by us with every claim right, but its `sid` is a made-up or another user's login."""
    someone_elses = await live_session(owner_engine, world.users["b_owner"].id)
    for session_id in (uuid.uuid4(), someone_elses):
        claims = claims_for(settings, _user_id(world), session_id)
        await _assert_refused(client, sign(runtime.keys.current, claims))


_NOW = int(time.time())
BAD_CLAIMS: dict[str, dict[str, Any]] = {
    "expired": {"iat": _NOW - 1000, "nbf": _NOW - 1000, "exp": _NOW - 60},
    "not-yet-valid": {"iat": _NOW + 3600, "nbf": _NOW + 3600, "exp": _NOW + 4000},
    "wrong-audience": {"aud": "some-other-api"},
    "wrong-issuer": {"iss": "https://evil.example"},
    "subject-not-a-user-id": {"sub": "admin"},
    "no-exp": {"exp": None},
    "no-sub": {"sub": None},
    "no-iss": {"iss": None},
    "no-aud": {"aud": None},
    "no-sid": {"sid": None},
    "sid-not-a-login-id": {"sid": "main"},
}


@pytest.mark.parametrize("case", list(BAD_CLAIMS))
async def test_token_with_bad_claims_is_refused(
    client: Client, world: World, runtime: ApiRuntime, settings: Settings, case: str
) -> None:
    """Signed with our own current key: only the claims are wrong."""
    claims = claims_for(settings, _user_id(world), **BAD_CLAIMS[case])
    await _assert_refused(client, sign(runtime.keys.current, claims))


async def test_tampered_payload_or_signature_is_refused(
    client: Client, world: World, runtime: ApiRuntime, settings: Settings
) -> None:
    token = sign(runtime.keys.current, claims_for(settings, _user_id(world)))
    head, body, signature = token.split(".")
    _, claims, _ = segments(token)
    claims["sub"] = str(world.users["b_owner"].id)
    other_user = b64url(json.dumps(claims).encode())
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    for forged in (
        f"{head}.{other_user}.{signature}",
        f"{head}.{body}.{flipped}",
        f"{head}.{body}.",
    ):
        await _assert_refused(client, forged)


async def test_token_signed_by_a_key_we_do_not_publish_is_refused(
    client: Client, world: World, settings: Settings
) -> None:
    stranger = new_key("someone-elses-key")
    await _assert_refused(client, sign(stranger, claims_for(settings, _user_id(world))))


async def test_token_signed_by_another_key_claiming_our_kid_is_refused(
    client: Client, world: World, runtime: ApiRuntime, settings: Settings
) -> None:
    impostor = new_key(str(runtime.keys.current.kid))
    token = sign(impostor, claims_for(settings, _user_id(world)))
    assert segments(token)[0]["kid"] == runtime.keys.current.kid
    await _assert_refused(client, token)
    # Embedding the signing key in the header does not make us trust it.
    embedded = sign(
        impostor, claims_for(settings, _user_id(world)), jwk=impostor.as_dict(private=False)
    )
    await _assert_refused(client, embedded)


async def test_alg_none_is_refused(
    client: Client, world: World, runtime: ApiRuntime, settings: Settings
) -> None:
    claims = claims_for(settings, _user_id(world))
    for alg in ("none", "None", "NONE"):
        await _assert_refused(
            client, unsigned({"alg": alg, "kid": runtime.keys.current.kid}, claims)
        )


async def test_hs256_signed_with_our_public_key_is_refused(
    client: Client, world: World, runtime: ApiRuntime, settings: Settings
) -> None:
    """The classic confusion: use the published public key as an HMAC secret."""
    public = json.dumps(runtime.keys.public_jwks()["keys"][0]).encode()
    x_coordinate = str(runtime.keys.public_jwks()["keys"][0]["x"]).encode()
    claims = claims_for(settings, _user_id(world))
    for secret in (public, x_coordinate):
        token = jwt.encode(
            {"alg": "HS256", "kid": runtime.keys.current.kid},
            claims,
            OctKey.import_key(secret),
            algorithms=["HS256"],
        )
        await _assert_refused(client, token)


async def test_token_without_kid_is_refused(
    client: Client, world: World, runtime: ApiRuntime, settings: Settings
) -> None:
    token = sign(runtime.keys.current, claims_for(settings, _user_id(world)), kid=None)
    assert "kid" not in segments(token)[0]
    await _assert_refused(client, token)


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "a.b.c", "x" * 5000, "W10.e30.c2ln"],
)
async def test_garbage_tokens_are_refused(client: Client, token: str) -> None:
    await _assert_refused(client, token)


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("Bearer", "Authorization must be 'Bearer <access token>'."),
        ("Bearer ", "Authorization must be 'Bearer <access token>'."),
        ("Basic x", "Authorization must be 'Bearer <access token>'."),
        ("Token abc", "Authorization must be 'Bearer <access token>'."),
    ],
)
async def test_malformed_authorization_header_is_refused(
    client: Client, authorization: str, message: str
) -> None:
    response = await _me(client, authorization)
    assert response.status_code == 401, response.text
    assert "data" not in response.json()
    assert response.json()["detail"] == message


async def test_non_ascii_authorization_header_is_refused(client: Client) -> None:
    client.cookies.clear()
    response = await client.post(
        "/graphql",
        json={"query": ME},
        headers={b"Authorization": "Bearer \u00e9.\u00e9.\u00e9".encode("latin-1")},
    )
    assert response.status_code == 401, response.text
    assert "data" not in response.json()


async def test_bearer_scheme_is_case_insensitive(client: Client, world: World) -> None:
    token = await login(client, "a_owner")
    response = await _me(client, f"bearer {token}")
    assert response.status_code == 200
    assert response.json()["data"]["me"]["user"]["email"] == email_of("a_owner")


async def test_token_of_a_deactivated_user_is_refused(
    client: Client, world: World, owner_engine: AsyncEngine
) -> None:
    token = await login(client, "a_viewer")
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE users SET is_active = false WHERE id = :id"),
            {"id": world.users["a_viewer"].id},
        )
    await _assert_refused(client, token, "The account is disabled.")


async def test_token_for_a_user_that_does_not_exist_is_refused(
    client: Client, world: World, runtime: ApiRuntime, settings: Settings
) -> None:
    token = sign(runtime.keys.current, claims_for(settings, uuid.uuid4()))
    response = await _me(client, f"Bearer {token}")
    assert response.status_code == 401, response.text
    assert "data" not in response.json()


# --- rotation -----------------------------------------------------------------------------


def _issuer(settings: Settings, keys: list[ECKey]) -> TokenIssuer:
    return TokenIssuer(
        SigningKeys(list(keys)), settings.auth_issuer, settings.auth_audience, ttl_seconds=60
    )


async def test_key_rotation_keeps_old_tokens_valid_until_the_old_key_is_dropped(
    settings: Settings,
) -> None:
    old, new = new_key("2025-old"), new_key("2026-new")
    user = TokenSubject(uuid.uuid4(), uuid.uuid4())
    old_token = _issuer(settings, [old]).issue(user.user_id, user.session_id).token

    rotated = _issuer(settings, [new, old])
    assert rotated.verify(old_token) == user
    new_token = rotated.issue(user.user_id, user.session_id).token
    assert segments(new_token)[0]["kid"] == "2026-new"
    assert rotated.verify(new_token) == user
    assert [key["kid"] for key in rotated.keys.public_jwks()["keys"]] == ["2026-new", "2025-old"]

    dropped = _issuer(settings, [new])
    assert dropped.verify(new_token) == user
    with pytest.raises(InvalidAccessTokenError):
        dropped.verify(old_token)
    assert [key["kid"] for key in dropped.keys.public_jwks()["keys"]] == ["2026-new"]


async def test_a_remembered_token_is_still_refused_once_it_expires(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = _issuer(settings, [new_key("k-1")])
    user = TokenSubject(uuid.uuid4(), uuid.uuid4())
    token = issuer.issue(user.user_id, user.session_id)
    assert issuer.verify(token.token) == user  # checked, then remembered
    assert issuer.verify(token.token) == user
    later = token.expires_at.timestamp() + tokens.LEEWAY_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(InvalidAccessTokenError):
        issuer.verify(token.token)
    with pytest.raises(InvalidAccessTokenError):  # and forgotten: the full check refuses it too
        issuer.verify(token.token)


async def test_remembered_tokens_are_bounded_and_refused_ones_never_remembered(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "REMEMBERED_TOKENS", 3)
    issuer = _issuer(settings, [new_key("k-1")])
    issued = [issuer.issue(uuid.uuid4(), uuid.uuid4()).token for _ in range(5)]
    for token in issued:
        issuer.verify(token)
    assert list(issuer._verified) == issued[2:]  # the oldest went first
    header, payload, signature = issued[0].split(".")
    with pytest.raises(InvalidAccessTokenError):
        issuer.verify(f"{header}.{payload}.{signature[:-4]}AAAA")
    assert len(issuer._verified) == 3
    assert issuer.verify(issued[0])  # checked in full again


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated:joserfc.errors.SecurityWarning")
async def test_an_ed25519_key_signs_and_verifies(settings: Settings) -> None:
    key = OKPKey.generate_key("Ed25519", parameters={"kid": "ed-1"}, private=True)
    keys = parse_keys(json.dumps({"keys": [key.as_dict(private=True)]}))
    issuer = TokenIssuer(keys, settings.auth_issuer, settings.auth_audience, ttl_seconds=60)
    user = TokenSubject(uuid.uuid4(), uuid.uuid4())
    token = issuer.issue(user.user_id, user.session_id).token
    assert segments(token)[0]["alg"] == keys.algorithm
    assert issuer.verify(token) == user


# --- parsing AUTH_SIGNING_KEYS ------------------------------------------------------------


def _without(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in data.items() if name not in names}


async def test_parse_keys_accepts_a_set_a_list_and_a_single_key() -> None:
    first, second = generate_key(), generate_key()
    assert parse_keys(json.dumps({"keys": [first, second]})).kids == [first["kid"], second["kid"]]
    assert parse_keys(json.dumps([first, second])).current.kid == first["kid"]
    assert parse_keys(json.dumps(first)).kids == [first["kid"]]


def _private(key: Any) -> str:
    return json.dumps(key.as_dict(private=True))


def _duplicate_kids() -> str:
    first, second = generate_key(), generate_key()
    second["kid"] = first["kid"]
    return json.dumps({"keys": [first, second]})


REFUSED_KEYS: dict[str, tuple[Callable[[], str], str]] = {
    "invalid-json": (lambda: "{not json", "AUTH_SIGNING_KEYS is not valid JSON"),
    "empty": (lambda: "", "AUTH_SIGNING_KEYS is not valid JSON"),
    "a-string": (lambda: '"a string"', "must be a JWK set, a list of JWKs or a JWK"),
    "keys-not-a-list": (lambda: '{"keys": 1}', "must be a JWK set, a list of JWKs or a JWK"),
    "no-key": (lambda: '{"keys": []}', "AUTH_SIGNING_KEYS holds no key"),
    "rsa": (
        lambda: _private(RSAKey.generate_key(2048, parameters={"kid": "r"}, private=True)),
        "must be a private EC P-256 or OKP Ed25519 JWK",
    ),
    "oct": (
        lambda: _private(OctKey.generate_key(256, parameters={"kid": "o"})),
        "must be a private EC P-256 or OKP Ed25519 JWK",
    ),
    "ec-p384": (
        lambda: _private(ECKey.generate_key("P-384", parameters={"kid": "p"}, private=True)),
        "must be a private EC P-256 or OKP Ed25519 JWK",
    ),
    "okp-x25519": (
        lambda: _private(OKPKey.generate_key("X25519", parameters={"kid": "x"}, private=True)),
        "must be a private EC P-256 or OKP Ed25519 JWK",
    ),
    "public-only": (
        lambda: json.dumps({"keys": [_without(generate_key(), "d")]}),
        "must be a private EC P-256 or OKP Ed25519 JWK",
    ),
    "no-kid": (
        lambda: json.dumps({"keys": [_without(generate_key(), "kid")]}),
        "entries must be JWK objects with a kid",
    ),
    "duplicate-kid": (_duplicate_kids, "signing key ids (kid) must be unique"),
    "not-an-object": (lambda: '{"keys": [1]}', "entries must be JWK objects with a kid"),
    "no-key-type": (lambda: '[{"kid": "k"}]', "AUTH_SIGNING_KEYS holds an unreadable key"),
    "no-curve": (
        lambda: '[{"kty": "EC", "kid": "k"}]',
        "AUTH_SIGNING_KEYS holds an unreadable key",
    ),
    "no-coordinates": (
        lambda: '[{"kty": "EC", "crv": "P-256", "kid": "k"}]',
        "AUTH_SIGNING_KEYS holds an unreadable key",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED_KEYS))
async def test_parse_keys_refuses_with_a_clear_message(case: str) -> None:
    raw, expected = REFUSED_KEYS[case]
    with pytest.raises(KeyConfigurationError) as caught:
        parse_keys(raw())
    assert expected in str(caught.value)
