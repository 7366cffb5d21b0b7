"""Signed, expiring tokens for URLs that are their own authorization (file downloads).

One signer shape for every such URL: evidence files, auditor packages and reports alike. Each token
names its purpose, so a token made for one route is refused by another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any


class BadTokenError(Exception):
    """Forged, altered, expired or meant for another purpose: answer 403."""


class Signer:
    """Compact signed tokens: base64url(JSON) "." base64url(HMAC-SHA256), with an expiry."""

    def __init__(self, secret: str, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret.encode()
        self._clock = clock

    def sign(self, purpose: str, ttl_seconds: int, **claims: Any) -> str:
        body = {**claims, "purpose": purpose, "exp": int(self._clock()) + ttl_seconds}
        payload = b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{b64(self._mac(payload))}"

    def verify(self, token: str, purpose: str) -> dict[str, Any]:
        payload, _, mac = token.partition(".")
        if not hmac.compare_digest(mac.encode(), b64(self._mac(payload)).encode()):
            raise BadTokenError("bad signature")
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
        if claims.get("purpose") != purpose:
            raise BadTokenError("token for another purpose")
        if self._clock() > claims["exp"]:
            raise BadTokenError("expired")
        return claims

    def _mac(self, payload: str) -> bytes:
        return hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
