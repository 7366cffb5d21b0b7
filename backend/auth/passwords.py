"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend.core.errors import invalid

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both failures cost the same time.
_DECOY_HASH = _hasher.hash("certready-decoy-password")

# Stored for accounts created by an invitation: no password verifies against it.
UNUSABLE_PASSWORD = "!"  # noqa: S105
# Length is what makes a password strong; the upper bound keeps hashing cheap to refuse.
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


def check_new_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise invalid(
            f"A password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
            ["password"],
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    # An unusable hash costs the same as a real one, so timing does not tell invited accounts apart.
    usable = password_hash is not None and password_hash != UNUSABLE_PASSWORD
    checked = password_hash if password_hash is not None and usable else _DECOY_HASH
    try:
        return _hasher.verify(checked, password) and usable
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
