"""Short-lived access tokens (JWT) signed with the current key and checked against all keys.

Each token names its login (`sid`, the refresh-token family), so ending the login ends the
token at once: every request checks that the login is still live (`tenants/entitlements.py`).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry

from backend.auth.keys import SigningKeys


class InvalidAccessTokenError(Exception):
    """The token is not one we issued for this audience, or it is no longer valid."""


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenSubject:
    """Whom a valid token speaks for, and in which login."""

    user_id: uuid.UUID
    session_id: uuid.UUID


LEEWAY_SECONDS = 5  # clock skew allowed on the time claims
REMEMBERED_TOKENS = 4096


@dataclass(frozen=True)
class TokenIssuer:
    """Issues and checks access tokens.

    A token that passed the check is remembered with its expiry, for this issuer's keys:
    every request of a signed-in client shows the same token for its whole life, and its
    signature and claims took a fifth of a millisecond to check each time. The expiry is
    still judged on every request, and whether its login is live is the database's answer
    (`tenants/entitlements.py`), so remembering changes neither.
    """

    keys: SigningKeys
    issuer: str
    audience: str
    ttl_seconds: int
    _verified: dict[str, tuple[TokenSubject, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def issue(self, user_id: uuid.UUID, session_id: uuid.UUID) -> AccessToken:
        now = int(time.time())
        expires = now + self.ttl_seconds
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "sid": str(session_id),
            "iat": now,
            "nbf": now,
            "exp": expires,
            "jti": uuid.uuid4().hex,
        }
        header = {"alg": self.keys.algorithm, "kid": self.keys.current.kid, "typ": "JWT"}
        # Named explicitly: the JWT library signs only its "recommended" algorithms by default,
        # which leaves out EdDSA.
        token = jwt.encode(header, claims, self.keys.current, algorithms=[self.keys.algorithm])
        return AccessToken(token, datetime.fromtimestamp(expires, UTC))

    def verify(self, token: str) -> TokenSubject:
        """Whom the token was issued to; raises InvalidAccessTokenError for anything else."""
        remembered = self._verified.get(token)
        if remembered is not None:
            subject, expires = remembered
            if time.time() < expires + LEEWAY_SECONDS:
                return subject
            del self._verified[token]
            raise InvalidAccessTokenError("The token has expired.")
        subject, expires = self._check(token)
        if len(self._verified) >= REMEMBERED_TOKENS:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = (subject, expires)
        return subject

    def _check(self, token: str) -> tuple[TokenSubject, float]:
        try:
            decoded = jwt.decode(token, self.keys.keyset, algorithms=self.keys.algorithms)
            if not decoded.header.get("kid"):
                raise InvalidAccessTokenError("token has no key id")
            self._registry().validate(decoded.claims)
            claims = decoded.claims
            subject = TokenSubject(uuid.UUID(str(claims["sub"])), uuid.UUID(str(claims["sid"])))
            return subject, float(claims["exp"])
        except (JoseError, ValueError, TypeError) as error:
            raise InvalidAccessTokenError(str(error) or type(error).__name__) from None

    def _registry(self) -> JWTClaimsRegistry:
        return JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            sub={"essential": True},
            sid={"essential": True},
            exp={"essential": True},
        )
