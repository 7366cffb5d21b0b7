"""The asymmetric keys that sign access tokens, and their public JWK set.

AUTH_SIGNING_KEYS holds a JWK set of private keys: the first signs, every key verifies and is
published. Rotation: put a new key first, keep the old one until the longest access token it
signed has expired, then drop it. Without the setting (development only) a key is generated
once and kept under the data directory; its kid starts with `dev-` and production refuses it.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, KeySet

SIGNING_ALGORITHMS = {"EC": "ES256", "OKP": "EdDSA"}
# The one curve each algorithm signs with; another curve would load but fail at signing time.
SIGNING_CURVES = {"EC": "P-256", "OKP": "Ed25519"}
DEV_KID_PREFIX = "dev-"


class KeyConfigurationError(Exception):
    """The configured keys cannot be used; the message says what to change."""


class SigningKeys:
    def __init__(self, keys: list[Key]) -> None:
        if not keys:
            raise KeyConfigurationError("AUTH_SIGNING_KEYS holds no key.")
        for key in keys:
            if (
                key.key_type not in SIGNING_ALGORITHMS
                or key.get("crv") != SIGNING_CURVES[key.key_type]
                or not key.is_private
                or not key.kid
            ):
                raise KeyConfigurationError(
                    "every signing key must be a private EC P-256 or OKP Ed25519 JWK with a kid."
                )
        if len({key.kid for key in keys}) != len(keys):
            raise KeyConfigurationError("signing key ids (kid) must be unique.")
        self.current = keys[0]
        self.keyset = KeySet(list(keys))
        self.kids = [str(key.kid) for key in keys]

    @property
    def algorithm(self) -> str:
        return SIGNING_ALGORITHMS[self.current.key_type]

    @property
    def algorithms(self) -> list[str]:
        return sorted({SIGNING_ALGORITHMS[key.key_type] for key in self.keyset.keys})

    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [_public(key) for key in self.keyset.keys]}

    def has_development_key(self) -> bool:
        return any(kid.startswith(DEV_KID_PREFIX) for kid in self.kids)


def _public(key: Key) -> dict[str, Any]:
    public = dict(key.as_dict(private=False))
    public.setdefault("alg", SIGNING_ALGORITHMS[key.key_type])
    public.setdefault("use", "sig")
    return public


def generate_key(kid_prefix: str = "") -> dict[str, Any]:
    """A new private P-256 signing JWK, with a kid that says when it was made."""
    kid = f"{kid_prefix}{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"
    key = ECKey.generate_key("P-256", parameters={"kid": kid, "alg": "ES256", "use": "sig"})
    return dict(key.as_dict(private=True))


def parse_keys(raw: str) -> SigningKeys:
    """Accept a JWK set (`{"keys": [...]}`), a list of JWKs or a single JWK."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise KeyConfigurationError(f"AUTH_SIGNING_KEYS is not valid JSON: {error.msg}.") from None
    entries = data.get("keys", [data]) if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise KeyConfigurationError("AUTH_SIGNING_KEYS must be a JWK set, a list of JWKs or a JWK.")
    # Checked before importing: the JWK library would invent a kid (the key's thumbprint).
    if not all(isinstance(entry, dict) and entry.get("kid") for entry in entries):
        raise KeyConfigurationError("AUTH_SIGNING_KEYS entries must be JWK objects with a kid.")
    try:
        keys = [KeySet.import_key_set({"keys": [entry]}).keys[0] for entry in entries]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise KeyConfigurationError(
            f"AUTH_SIGNING_KEYS holds an unreadable key: {error}."
        ) from None
    return SigningKeys(keys)


def development_keys(data_dir: Path) -> SigningKeys:
    """Load, or create on first use, the development key kept under the data directory."""
    path = data_dir / "signing-keys.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created owner-only: the private key is never readable by others, not even briefly.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(json.dumps({"keys": [generate_key(DEV_KID_PREFIX)]}))
    return parse_keys(path.read_text())
