"""A small OpenID Connect provider served over real HTTP on 127.0.0.1, for the sign-on tests.

It speaks the parts certready uses: discovery, a JWKS, `/authorize` (which signs in the one
configured person without asking, and redirects back with a code) and `/token` (which checks
the client secret, the redirect URI and the PKCE verifier, and returns an RS256 ID token
carrying the nonce). `Faults` make it misbehave the ways a hostile or broken provider would.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey
from litestar import Litestar, Request, get, post
from litestar.response import Redirect, Response

KID = "test-provider-1"


def _rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": KID, "alg": "RS256", "use": "sig"})


@dataclass
class Person:
    subject: str
    email: str
    email_verified: bool = True
    name: str = "Signed In Person"


@dataclass
class Faults:
    """What the next ID token gets wrong."""

    audience: str | None = None  # another client's id
    expires_in: int = 300  # negative: already expired
    foreign_key: bool = False  # signed with a key the JWKS does not hold (same kid)
    nonce: str | None = None  # not the one the sign-in sent
    other_audience: bool = False  # also meant for another party, with no azp naming us
    secret_signed: bool = False  # HS256 with the client secret, a known confusion attack


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    person: Person


@dataclass
class OidcProvider:
    clients: dict[str, str] = field(default_factory=dict)  # client id -> secret
    person: Person | None = None
    faults: Faults = field(default_factory=Faults)
    issuer: str = ""
    _grants: dict[str, Grant] = field(default_factory=dict)
    _key: RSAKey = field(default_factory=_rsa_key)
    _foreign: RSAKey = field(default_factory=_rsa_key)

    def reset(self) -> None:
        self.clients.clear()
        self.person, self.faults = None, Faults()
        self._grants.clear()

    def app(self) -> Litestar:
        return Litestar(
            [self._discovery(), self._jwks(), self._authorize(), self._token()], debug=False
        )

    def _discovery(self) -> Any:
        @get("/.well-known/openid-configuration", sync_to_thread=False)
        def discovery() -> dict[str, Any]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }

        return discovery

    def _jwks(self) -> Any:
        @get("/jwks", sync_to_thread=False)
        def jwks() -> dict[str, Any]:
            return dict(KeySet([self._key]).as_dict(private=False))

        return jwks

    def _authorize(self) -> Any:
        @get("/authorize", sync_to_thread=False)
        def authorize(request: Request[Any, Any, Any]) -> Response[Any]:
            query = request.query_params
            if (
                query.get("response_type") != "code"
                or query.get("client_id") not in self.clients
                or query.get("code_challenge_method") != "S256"
                or self.person is None
            ):
                return Response({"error": "invalid_request"}, status_code=400)
            code = secrets.token_urlsafe(16)
            self._grants[code] = Grant(
                client_id=query["client_id"],
                redirect_uri=query["redirect_uri"],
                nonce=query.get("nonce", ""),
                challenge=query["code_challenge"],
                person=self.person,
            )
            back = urlencode({"code": code, "state": query.get("state", "")})
            return Redirect(f"{query['redirect_uri']}?{back}", status_code=302)

        return authorize

    def _token(self) -> Any:
        @post("/token", status_code=200, sync_to_thread=False)
        def token(request: Request[Any, Any, Any], body: bytes) -> Response[Any]:
            return self._redeem(request, body)

        return token

    def _redeem(self, request: Request[Any, Any, Any], body: bytes) -> Response[Any]:
        form = {name: values[0] for name, values in parse_qs(body.decode()).items()}
        client_id, secret = _basic_auth(request.headers.get("authorization", ""))
        if self.clients.get(client_id) != secret:
            return Response({"error": "invalid_client"}, status_code=401)
        grant = self._grants.pop(form.get("code", ""), None)
        if (
            grant is None
            or grant.client_id != client_id
            or grant.redirect_uri != form.get("redirect_uri")
            or _s256(form.get("code_verifier", "")) != grant.challenge
        ):
            return Response({"error": "invalid_grant"}, status_code=400)
        return Response(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self._id_token(grant),
            }
        )

    def _id_token(self, grant: Grant) -> str:
        now = int(time.time())
        faults = self.faults
        claims = {
            "iss": self.issuer,
            "sub": grant.person.subject,
            "aud": [grant.client_id, "another-party"]
            if faults.other_audience
            else faults.audience or grant.client_id,
            "iat": now,
            "exp": now + faults.expires_in,
            "nonce": faults.nonce or grant.nonce,
            "email": grant.person.email,
            "email_verified": grant.person.email_verified,
            "name": grant.person.name,
        }
        if faults.secret_signed:
            secret = OctKey.import_key(self.clients[grant.client_id])
            return jwt.encode({"alg": "HS256", "kid": KID}, claims, secret, algorithms=["HS256"])
        key = self._foreign if faults.foreign_key else self._key
        return jwt.encode({"alg": "RS256", "kid": KID}, claims, key)


def _basic_auth(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    client_id, _, secret = base64.b64decode(value).decode().partition(":")
    return unquote(client_id), unquote(secret)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class RunningProvider:
    """The provider served by uvicorn on a thread of its own, on a free loopback port."""

    def __init__(self, provider: OidcProvider) -> None:
        self.provider = provider
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        provider.issuer = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(provider.app(), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> OidcProvider:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test OIDC provider did not start")
            time.sleep(0.01)
        return self.provider

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
