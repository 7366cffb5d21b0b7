"""The published signing keys: public members only, cacheable, and usable to verify tokens."""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet

from backend.runtime import ApiRuntime
from tests.support import Client, World, login

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}


async def test_jwks_publishes_only_public_members(client: Client, runtime: ApiRuntime) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    keys = response.json()["keys"]
    assert [key["kid"] for key in keys] == runtime.keys.kids
    for key in keys:
        assert not PRIVATE_MEMBERS & set(key), key
        assert key["kty"] == "EC"
        assert key["crv"] == "P-256"
        assert key["alg"] == "ES256"
        assert key["use"] == "sig"
        assert key["x"]
        assert key["y"]


async def test_jwks_response_may_be_cached_by_clients(client: Client) -> None:
    response = await client.get("/.well-known/jwks.json")
    cache_control = response.headers.get("cache-control", "")
    directives = {part.strip().split("=")[0]: part.strip() for part in cache_control.split(",")}
    assert "max-age" in directives, cache_control
    assert int(directives["max-age"].split("=")[1]) > 0
    assert "private" not in directives
    assert "no-store" not in directives


async def test_jwks_verifies_tokens_from_login(client: Client, world: World) -> None:
    token = await login(client, "auditor")
    keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    decoded = jwt.decode(token, keys, algorithms=["ES256"])
    assert decoded.claims["sub"] == str(world.users["auditor"].id)
