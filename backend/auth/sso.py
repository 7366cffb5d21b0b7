"""The OpenID Connect protocol as certready speaks it: authorization code flow with PKCE.

authlib's httpx client builds the authorization URL (S256 challenge) and redeems the code;
the ID token is then checked here with joserfc: its signature against the provider's JWKS
(from discovery), `iss`, `aud` (our client id), `exp`, `iat` and the login's `nonce`. A
provider's discovery document and JWKS are cached briefly per issuer, and the JWKS is fetched
again once when a token names a key it does not hold (the provider rotated its keys).

Nothing here touches the database; `backend/auth/providers.py` decides what a verified
identity may do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

SCOPE = "openid email profile"
CACHE_SECONDS = 300
HTTP_TIMEOUT_SECONDS = 5.0
CLOCK_LEEWAY_SECONDS = 60
# Asymmetric algorithms only: never `none`, never a MAC keyed with the client secret.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class OidcError(Exception):
    """The provider could not be reached, answered something unusable, or its token failed a
    check; the message says which, in words fit for the person signing in."""


@dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class Identity:
    """What a verified ID token says about the person."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


@dataclass(frozen=True)
class Client:
    """Our registration at one provider."""

    issuer: str
    client_id: str
    client_secret: str


def is_acceptable_issuer(issuer: str) -> bool:
    """HTTPS, or plain HTTP to this machine (a provider run for development or tests)."""
    try:
        parts = urlsplit(issuer)
        host = parts.hostname
    except ValueError:  # an unclosed IPv6 bracket, a bad port
        return False
    if not host or parts.query or parts.fragment:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS)


class _Cache:
    """Values per key for CACHE_SECONDS; a process keeps a few providers' documents."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, value: Any) -> None:
        self._entries[key] = (time.monotonic() + CACHE_SECONDS, value)


_discoveries = _Cache()
_key_sets = _Cache()


async def _get_json(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
            response = await http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
        raise OidcError(f"The identity provider did not answer at {url} ({error}).") from None
    if not isinstance(body, dict):
        raise OidcError(f"The identity provider's answer at {url} is not a JSON object.")
    return body


async def discover(issuer: str) -> Discovery:
    """The provider's endpoints, from its discovery document (which must name this issuer)."""
    cached: Discovery | None = _discoveries.get(issuer)
    if cached is not None:
        return cached
    document = await _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    if document.get("issuer") != issuer:
        raise OidcError("The identity provider's discovery document names another issuer.")
    try:
        found = Discovery(
            issuer=issuer,
            authorization_endpoint=_url(document, "authorization_endpoint"),
            token_endpoint=_url(document, "token_endpoint"),
            jwks_uri=_url(document, "jwks_uri"),
            algorithms=tuple(
                algorithm
                for algorithm in document.get("id_token_signing_alg_values_supported", ["RS256"])
                if algorithm in SIGNING_ALGORITHMS
            ),
        )
    except (KeyError, TypeError):
        raise OidcError("The identity provider's discovery document is incomplete.") from None
    if not found.algorithms:
        raise OidcError("The identity provider signs ID tokens with no algorithm we accept.")
    _discoveries.put(issuer, found)
    return found


def _url(document: dict[str, Any], name: str) -> str:
    value = document[name]
    if not isinstance(value, str) or not is_acceptable_issuer(value.split("?")[0]):
        raise KeyError(name)
    return value


async def _key_set(discovery: Discovery, *, fresh: bool = False) -> KeySet:
    cached: KeySet | None = None if fresh else _key_sets.get(discovery.jwks_uri)
    if cached is not None:
        return cached
    try:
        keys = KeySet.import_key_set(await _get_json(discovery.jwks_uri))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        raise OidcError("The identity provider's key set is unreadable.") from None
    _key_sets.put(discovery.jwks_uri, keys)
    return keys


def _oauth_client(client: Client, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=client.client_id,
        client_secret=client.client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT_SECONDS,
    )


async def authorization_url(
    client: Client, *, redirect_uri: str, state: str, nonce: str, code_verifier: str
) -> str:
    """Where to send the person: the provider's login, bound to this state, nonce and PKCE."""
    discovery = await discover(client.issuer)
    async with _oauth_client(client, redirect_uri) as oauth:
        url, _ = oauth.create_authorization_url(
            discovery.authorization_endpoint,
            state=state,
            code_verifier=code_verifier,
            nonce=nonce,
        )
    return str(url)


async def redeem(
    client: Client, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
) -> Identity:
    """Exchange the code for tokens and return the identity its verified ID token states."""
    discovery = await discover(client.issuer)
    try:
        async with _oauth_client(client, redirect_uri) as oauth:
            token = await oauth.fetch_token(
                discovery.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
            )
    except OAuthError as error:
        raise OidcError(f"The identity provider refused the code ({error.error}).") from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
        raise OidcError(f"The identity provider's token endpoint failed ({error}).") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcError("The identity provider returned no ID token.")
    return await verify_id_token(client, discovery, id_token, nonce)


async def verify_id_token(
    client: Client, discovery: Discovery, id_token: str, nonce: str
) -> Identity:
    keys = await _key_set(discovery)
    try:
        kid = jws.extract_compact(id_token.encode()).headers().get("kid")
        if kid is not None and kid not in {key.kid for key in keys.keys}:
            keys = await _key_set(discovery, fresh=True)
        decoded = jwt.decode(id_token, keys, algorithms=list(discovery.algorithms))
        _claims_registry(client, nonce).validate(decoded.claims)
    except (JoseError, ValueError, TypeError) as error:
        reason = getattr(error, "description", None) or str(error) or type(error).__name__
        raise OidcError(f"The ID token failed verification: {reason}.") from None
    claims = decoded.claims
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client.client_id:
        raise OidcError("The ID token failed verification: it is meant for another party.")
    return Identity(
        issuer=client.issuer,
        subject=str(claims["sub"]),
        email=claims.get("email") if isinstance(claims.get("email"), str) else None,
        email_verified=claims.get("email_verified") is True,
        name=claims.get("name") if isinstance(claims.get("name"), str) else None,
    )


def _claims_registry(client: Client, nonce: str) -> JWTClaimsRegistry:
    return JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": client.issuer},
        aud={"essential": True, "value": client.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
