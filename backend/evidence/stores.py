"""Which evidence store this process uses: S3 when a bucket is configured, else local files."""

from __future__ import annotations

from backend.core.signing import Signer
from backend.evidence.local import LocalStore
from backend.evidence.s3 import S3Store
from backend.evidence.store import EvidenceStore
from backend.settings import Settings


def make_evidence_store(settings: Settings) -> EvidenceStore:
    if settings.s3_bucket is not None:
        return S3Store.from_settings(settings)
    signer = Signer(settings.evidence_signing_secret.get_secret_value())
    return LocalStore(settings.evidence_directory, signer, settings.public_url)
