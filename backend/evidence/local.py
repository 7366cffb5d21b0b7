"""The zero-setup evidence store: files in a local directory, reached through this app.

Upload and download URLs carry an HMAC-signed, expiring token that binds every detail the
client may not change (key, length, checksum, content type, filename); `routes.py` serves
them. Files are written once, verified while streaming and never overwritten.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from tempfile import NamedTemporaryFile

from backend.core.signing import Signer
from backend.evidence.hashing import CHUNK_BYTES, measure_file
from backend.evidence.store import StoredObject, UploadTicket, check_key

ROUTE = "/evidence/local"
UPLOAD, DOWNLOAD = "put", "get"


class UploadRefusedError(Exception):
    """The request does not match its ticket: answer 400."""


class AlreadyStoredError(Exception):
    """Objects are immutable: a second upload to the same key is a conflict (409)."""


@dataclass(frozen=True)
class Download:
    """A stored file and how a signed download token says to present it."""

    path: Path
    stat: os.stat_result  # taken when the token was checked: size, time, and that it exists
    filename: str
    content_type: str


class LocalStore:
    """Evidence under one directory; keys map to nested folders, one file per version."""

    def __init__(self, root: Path, signer: Signer, base_url: str) -> None:
        self.root = root
        self._signer = signer
        self._base_url = base_url.rstrip("/") + ROUTE

    async def upload_ticket(
        self, key: str, *, size_bytes: int, sha256: str, content_type: str, ttl_seconds: int
    ) -> UploadTicket:
        claims = {"key": check_key(key), "size": size_bytes, "sha256": sha256.lower()}
        token = self._signer.sign(UPLOAD, ttl_seconds, **claims, type=content_type)
        headers = {"Content-Type": content_type, "Content-Length": str(size_bytes)}
        return UploadTicket(url=f"{self._base_url}/{token}", method="PUT", headers=headers)

    async def inspect(self, key: str) -> StoredObject | None:
        path = self._path(key)
        try:
            return await asyncio.to_thread(measure_file, path)
        except FileNotFoundError:
            return None

    async def remove(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def download_url(
        self, key: str, *, filename: str, content_type: str, ttl_seconds: int
    ) -> str:
        claims = {"key": check_key(key), "filename": filename, "type": content_type}
        return f"{self._base_url}/{self._signer.sign(DOWNLOAD, ttl_seconds, **claims)}"

    async def receive(
        self,
        token: str,
        content_type: str | None,
        content_length: int | None,
        body: AsyncIterable[bytes],
    ) -> None:
        """Store an upload only if it is exactly what its ticket allows."""
        claims = self._signer.verify(token, UPLOAD)
        if content_type != claims["type"] or content_length != claims["size"]:
            raise UploadRefusedError("Content-Type and Content-Length must be the ticket's")
        target = self._path(claims["key"])
        if await asyncio.to_thread(target.exists):
            raise AlreadyStoredError(claims["key"])
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        await _write_verified(target, body, claims["size"], claims["sha256"])

    async def open_download(self, token: str) -> Download:
        """What a signed download token grants; FileNotFoundError when nothing is stored."""
        claims = self._signer.verify(token, DOWNLOAD)
        path = self._path(claims["key"])
        stat = await asyncio.to_thread(path.stat)
        return Download(path, stat, claims["filename"], claims["type"])

    def _path(self, key: str) -> Path:
        """Only plain name segments pass `check_key`: no '..', no root, nothing outside."""
        return self.root.joinpath(*check_key(key).split("/"))


async def _write_verified(target: Path, body: AsyncIterable[bytes], size: int, sha256: str) -> None:
    """Stream to a temporary file beside the target, hashing as it goes, then link it in
    atomically; the link fails rather than replace an object that appeared meanwhile."""
    temp = await asyncio.to_thread(_Temporary, target.parent)
    try:
        async for chunk in _batched(body):
            if temp.size + len(chunk) > size:
                raise UploadRefusedError("more bytes than declared")
            await asyncio.to_thread(temp.write, chunk)
        await asyncio.to_thread(temp.file.close)
        if temp.size != size or not hmac.compare_digest(temp.digest.hexdigest(), sha256):
            raise UploadRefusedError("size or SHA-256 differs from the ticket")
        try:
            await asyncio.to_thread(os.link, temp.file.name, target)
        except FileExistsError as error:
            raise AlreadyStoredError(str(target)) from error
    finally:
        await asyncio.to_thread(temp.discard)


class _Temporary:
    """A temporary file that hashes and counts what it is given (blocking I/O: use a thread)."""

    def __init__(self, folder: Path) -> None:
        self.file = NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False)  # noqa: SIM115
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.file.write(chunk)
        self.digest.update(chunk)
        self.size += len(chunk)

    def discard(self) -> None:
        self.file.close()
        with suppress(FileNotFoundError):
            os.unlink(self.file.name)


async def _batched(body: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """Gather the server's small receive chunks so each thread hop moves about 1 MiB."""
    buffer = bytearray()
    async for chunk in body:
        buffer += chunk
        if len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)
