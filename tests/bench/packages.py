"""`make bench` (packages): the memory a package ZIP costs while it streams.

Writes BENCH_PACKAGE_MIB (1024) MiB of evidence as BENCH_PACKAGE_FILES (8) files into a
local evidence store, streams them as one package ZIP (manifest first) exactly as the
download route does (`archive.zip_stream` reading `LocalStore.read`), into a file standing
for the network, and reports the process's RSS before and after and the tracemalloc peak
while streaming. Then checks the ZIP with `manifest.verify`, as an auditor would offline.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import resource
import shutil
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from backend.core.signing import Signer
from backend.evidence.local import LocalStore
from backend.packages import manifest
from backend.packages.archive import Part, parts_with_manifest, zip_stream

MIB = 1024 * 1024
TOTAL_MIB = int(os.environ.get("BENCH_PACKAGE_MIB", "1024"))
FILES = int(os.environ.get("BENCH_PACKAGE_FILES", "8"))


def rss_mib() -> float:
    """The resident set now (Linux: /proc), in MiB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / MIB


def write_file(path: Path, size: int) -> str:
    """`size` bytes of pseudo-random data (incompressible, like most evidence); its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, block = hashlib.sha256(), os.urandom(MIB)
    with path.open("wb") as out:
        for n in range(size // MIB):
            chunk = bytes([n % 256]) + block[1:]
            out.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def stream(store: LocalStore, parts: list[Part], target: Path) -> tuple[int, float]:
    written, started = 0, time.perf_counter()
    with target.open("wb") as out:
        async for chunk in zip_stream(parts, store.read, datetime.now(UTC)):
            out.write(chunk)
            written += len(chunk)
    return written, time.perf_counter() - started


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="certready-bench-packages-"))
    try:
        store = LocalStore(folder / "store", Signer("bench"), "http://bench.local")
        size = TOTAL_MIB * MIB // FILES
        entries, parts = [], []
        for n in range(FILES):
            key, path = f"tenants/bench/evidence/file{n}", f"files/file{n}.bin"
            digest = write_file(store.root.joinpath(*key.split("/")), size)
            entries.append(manifest.Entry(path, "file", "EvidenceVersion", None, size, digest))
            parts.append(Part(path, size, key))
        built, digest = manifest.build({"id": "bench"}, entries)
        body = manifest.canonical(built)
        print(f"packages: {FILES} files, {TOTAL_MIB} MiB in the local store")

        before, max_before = rss_mib(), max_rss_mib()
        tracemalloc.start()
        written, seconds = asyncio.run(
            stream(store, parts_with_manifest(parts, body, digest), folder / "package.zip")
        )
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        after = rss_mib()
        print(
            f"packages: streamed a {written / MIB:.0f} MiB ZIP in {seconds:.1f} s"
            f" ({written / MIB / seconds:.0f} MiB/s)"
        )
        print(
            f"packages: RSS before {before:.1f} MiB, after {after:.1f} MiB"
            f" (+{after - before:.1f}); tracemalloc peak while streaming {peak / MIB:.2f} MiB;"
            f" max RSS of the process {max_before:.1f} MiB before, {max_rss_mib():.1f} MiB after"
        )
        started = time.perf_counter()
        checked = manifest.verify(folder / "package.zip")
        print(
            f"packages: verified offline, manifest and {checked} files,"
            f" in {time.perf_counter() - started:.1f} s"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
