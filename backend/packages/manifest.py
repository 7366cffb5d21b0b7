"""The manifest of a frozen package and its offline check. No database, no I/O but the ZIP.

A record is hashed as its canonical JSON (keys sorted, no spaces, UTF-8): the bytes the
ZIP carries for it are exactly those, so anyone can hash them again. The manifest itself
is canonical JSON too, stored in the ZIP as `manifest.json`; its SHA-256 goes beside it in
`manifest.sha256` and is shown by the API, so an auditor can compare it with what the
client's certready shows (a ZIP altered together with its manifest no longer matches).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = "certready-evidence-package/1"
MANIFEST = "manifest.json"
MANIFEST_DIGEST = "manifest.sha256"
CHUNK_BYTES = 1024 * 1024


def canonical(value: Any) -> bytes:
    """One encoding per value, so a digest of it means the same on every machine."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One item as the manifest lists it."""

    path: str
    kind: str  # "file" or "record"
    type: str  # EvidenceVersion, Audit, ...
    id: str | None
    size: int
    sha256: str

    def listed(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "type": self.type,
            "id": self.id,
            "size": self.size,
            "sha256": self.sha256,
        }


def build(package: dict[str, Any], entries: Sequence[Entry]) -> tuple[dict[str, Any], str]:
    """The manifest of `entries` and its own SHA-256."""
    manifest = {
        "format": FORMAT,
        "package": package,
        "files": [entry.listed() for entry in entries if entry.kind == "file"],
        "records": [entry.listed() for entry in entries if entry.kind == "record"],
    }
    return manifest, sha256(canonical(manifest))


class MismatchError(Exception):
    """The first thing in a package ZIP that is not what its manifest says."""


def verify(path: Path) -> int:
    """Check a package ZIP offline: the manifest's own hash, then every listed entry's size
    and SHA-256, in order. Returns the number of entries checked; raises `MismatchError` naming
    the first that fails."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        for needed in (MANIFEST, MANIFEST_DIGEST):
            if needed not in names:
                raise MismatchError(f"{needed}: missing")
        raw = archive.read(MANIFEST)
        if sha256(raw) != archive.read(MANIFEST_DIGEST).decode().strip():
            raise MismatchError(f"{MANIFEST}: its SHA-256 is not the one in {MANIFEST_DIGEST}")
        manifest = json.loads(raw)
        listed = [*manifest["files"], *manifest["records"]]
        for entry in listed:
            _check(archive, names, entry)
        return len(listed)


def _check(archive: zipfile.ZipFile, names: set[str], entry: dict[str, Any]) -> None:
    name = entry["path"]
    if name not in names:
        raise MismatchError(f"{name}: missing")
    digest, size = hashlib.sha256(), 0
    for chunk in _chunks(archive, name):
        digest.update(chunk)
        size += len(chunk)
    if size != entry["size"]:
        raise MismatchError(f"{name}: {size} bytes, the manifest says {entry['size']}")
    if digest.hexdigest() != entry["sha256"]:
        raise MismatchError(f"{name}: SHA-256 differs from the manifest")


def _chunks(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """An entry's bytes in bounded memory; a CRC error (altered bytes) is a mismatch too."""
    try:
        with archive.open(name) as member:
            while chunk := member.read(CHUNK_BYTES):
                yield chunk
    except zipfile.BadZipFile as error:
        raise MismatchError(f"{name}: {error}") from error
