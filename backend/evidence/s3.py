"""The S3 evidence store (any S3-compatible endpoint) through boto3.

Every boto3 call runs in a worker thread so the event loop never waits on the network; one
client serves the whole process (boto3 clients are thread-safe).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from backend.evidence.disposition import attachment
from backend.evidence.hashing import CHUNK_BYTES, measure
from backend.evidence.store import StoredObject, UploadTicket, check_key
from backend.settings import Settings

_MISSING = {"404", "NoSuchKey", "NotFound"}

# How each signed PutObject parameter travels: the client must send these headers verbatim.
_HEADERS = {
    "ContentType": "Content-Type",
    "ContentLength": "Content-Length",
    "ChecksumSHA256": "x-amz-checksum-sha256",
    "IfNoneMatch": "If-None-Match",
    "ServerSideEncryption": "x-amz-server-side-encryption",
    "SSEKMSKeyId": "x-amz-server-side-encryption-aws-kms-key-id",
    "ChecksumAlgorithm": "x-amz-sdk-checksum-algorithm",
    "ObjectLockMode": "x-amz-object-lock-mode",
    "ObjectLockRetainUntilDate": "x-amz-object-lock-retain-until-date",
}


class S3Store:
    """Evidence in one bucket under a key prefix; S3 enforces what the URLs were signed for."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        prefix: str = "",
        kms_key_id: str | None = None,
        object_lock_days: int | None = None,
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix
        self._kms_key_id = kms_key_id
        self._object_lock_days = object_lock_days

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Store:
        if settings.s3_bucket is None:
            raise ValueError("S3_BUCKET is not set")
        client = boto3.session.Session().client(
            "s3",
            region_name=settings.s3_region,
            endpoint_url=settings.s3_endpoint_url,
            config=Config(signature_version="s3v4"),
        )
        return cls(
            client,
            settings.s3_bucket,
            prefix=settings.s3_prefix,
            kms_key_id=settings.s3_kms_key_id,
            object_lock_days=settings.s3_object_lock_days,
        )

    async def upload_ticket(
        self, key: str, *, size_bytes: int, sha256: str, content_type: str, ttl_seconds: int
    ) -> UploadTicket:
        """A presigned PUT whose signature covers length, checksum, type and protections:
        S3 refuses the upload when any header differs or the body does not match them."""
        params = {
            "ContentType": content_type,
            "ContentLength": size_bytes,
            "ChecksumSHA256": base64.b64encode(bytes.fromhex(sha256)).decode(),
            "IfNoneMatch": "*",  # never replace a stored version
            **self._protection(),
        }
        url = await asyncio.to_thread(self._presign, "put_object", key, params, ttl_seconds)
        headers = {_HEADERS[name]: _header_value(value) for name, value in params.items()}
        return UploadTicket(url=url, method="PUT", headers=headers)

    async def inspect(self, key: str) -> StoredObject | None:
        return await asyncio.to_thread(self._inspect, self._object_key(key))

    async def read(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes in 1 MiB chunks; every blocking read runs off the event loop."""
        response = await asyncio.to_thread(
            self._client.get_object, Bucket=self._bucket, Key=self._object_key(key)
        )
        body = response["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK_BYTES):
                yield chunk
        finally:
            body.close()

    async def remove(self, key: str) -> None:
        object_key = self._object_key(key)
        await asyncio.to_thread(self._client.delete_object, Bucket=self._bucket, Key=object_key)

    async def download_url(
        self, key: str, *, filename: str, content_type: str, ttl_seconds: int
    ) -> str:
        params = {
            "ResponseContentDisposition": attachment(filename),
            "ResponseContentType": content_type,
        }
        return await asyncio.to_thread(self._presign, "get_object", key, params, ttl_seconds)

    def _protection(self) -> dict[str, Any]:
        """SSE-KMS and Object Lock retention, when configured, are part of every upload."""
        params: dict[str, Any] = {}
        if self._kms_key_id:
            params |= {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self._kms_key_id}
        if self._object_lock_days:
            until = datetime.now(UTC).replace(microsecond=0)
            params |= {
                "ChecksumAlgorithm": "SHA256",  # S3 wants it named for retained uploads
                "ObjectLockMode": "COMPLIANCE",
                "ObjectLockRetainUntilDate": until + timedelta(days=self._object_lock_days),
            }
        return params

    def _presign(self, operation: str, key: str, params: dict[str, Any], ttl: int) -> str:
        url: str = self._client.generate_presigned_url(
            operation,
            Params={"Bucket": self._bucket, "Key": self._object_key(key), **params},
            ExpiresIn=ttl,
        )
        return url

    def _inspect(self, object_key: str) -> StoredObject | None:
        """S3 verified the checksum on upload and reports it; otherwise (an older or partial
        S3-compatible store, a multipart object) hash the object as it streams past."""
        try:
            head = self._client.head_object(
                Bucket=self._bucket, Key=object_key, ChecksumMode="ENABLED"
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        checksum = head.get("ChecksumSHA256")
        if checksum and head.get("ChecksumType", "FULL_OBJECT") == "FULL_OBJECT":
            return StoredObject(head["ContentLength"], base64.b64decode(checksum).hex())
        body = self._client.get_object(Bucket=self._bucket, Key=object_key)["Body"]
        with body:
            return measure(body.iter_chunks(CHUNK_BYTES))

    def _object_key(self, key: str) -> str:
        return self._prefix + check_key(key)


def _header_value(value: object) -> str:
    """Header text exactly as botocore signs it (ISO 8601 for the retention date)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)
