"""The package as one ZIP, written while it streams: nothing whole in memory or on disk.

The standard library's `zipfile` writes to any object with `write`; given one that cannot
seek it puts each entry's CRC and sizes in a data descriptor after the bytes, which is what
a stream needs. The sink below keeps only what was written since the response last took
it, so the process holds one store chunk (1 MiB) and a few headers at a time, whatever the
package weighs. Entries are stored, not deflated: evidence is mostly PDFs, images and
office files that are compressed already, and storing keeps the CPU free on a 2-core host.
ZIP64 is used for entries near 4 GiB, which the sizes known in advance tell.
(zipstream-ng and stream-zip would do the same; the standard library needs no dependency.)
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from backend.packages.manifest import MANIFEST, MANIFEST_DIGEST

Reader = Callable[[str], AsyncIterator[bytes]]
"""Streams a stored object by key: the evidence store's `read`."""


@dataclass(frozen=True)
class Part:
    """One ZIP entry: a stored file (`storage_key`) or bytes in hand (a record, the manifest)."""

    path: str
    size: int
    storage_key: str | None = None
    body: bytes = b""


class _Sink:
    """Where zipfile writes; the response takes what gathered after every chunk."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the response drains the buffer."""

    def close(self) -> None:
        """Nothing to close: the response ends when the generator does."""

    def take(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


def parts_with_manifest(parts: Sequence[Part], manifest: bytes, digest: str) -> list[Part]:
    """The manifest first (a reader sees it before the files), its digest, then the items."""
    return [
        Part(MANIFEST, len(manifest), body=manifest),
        Part(MANIFEST_DIGEST, len(digest) + 1, body=f"{digest}\n".encode()),
        *parts,
    ]


async def zip_stream(parts: Sequence[Part], read: Reader, when: datetime) -> AsyncIterator[bytes]:
    """The ZIP of `parts`, chunk by chunk; entries carry the time `when` (the freeze)."""
    sink = _Sink()
    stamp = when.timetuple()[:6]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for part in parts:
            info = zipfile.ZipInfo(part.path, date_time=stamp)
            info.file_size = part.size
            with archive.open(info, "w") as member:
                async for chunk in _content(part, read):
                    member.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


async def _content(part: Part, read: Reader) -> AsyncIterator[bytes]:
    if part.storage_key is None:
        yield part.body
        return
    async for chunk in read(part.storage_key):
        yield chunk
