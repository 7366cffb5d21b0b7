"""Compact signed, expiring tokens for URLs that carry their own permission: the local
evidence store's uploads and downloads, and report downloads. Whoever mints one has checked
the caller's rights; the token then binds every detail the holder may not change."""

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
        payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{_b64(self._mac(payload))}"

    def verify(self, token: str, purpose: str) -> dict[str, Any]:
        payload, _, mac = token.partition(".")
        if not hmac.compare_digest(mac.encode(), _b64(self._mac(payload)).encode()):
            raise BadTokenError("bad signature")
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
        if claims.get("purpose") != purpose:
            raise BadTokenError("token for another purpose")
        if self._clock() > claims["exp"]:
            raise BadTokenError("expired")
        return claims

    def _mac(self, payload: str) -> bytes:
        return hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
