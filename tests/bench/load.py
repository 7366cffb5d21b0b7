"""Load generators for `make bench`: wrk when installed, and a Python one in its own process.

Both keep a fixed number of HTTP/1.1 keep-alive connections busy with one POST each and
count answers. wrk (C, one thread) has the lower overhead, so it drives the fast scenarios
when present. The Python generator is the fallback for those, and it always drives the slow
ones (and counted runs such as "2,000 dashboards"): when the time is up it stops sending
and waits for the requests in flight, then divides by the time to the last answer, so a
request of several hundred milliseconds that is cut off at the end does not bias the rate.

    python -m tests.bench.load REQUEST_FILE (--seconds S | --count N) --concurrency C
REQUEST_FILE is JSON: {"host", "port", "path", "body", "headers"}. Prints one JSON line:
{"requests", "seconds", "errors", "first_error"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Request:
    host: str
    port: int
    path: str
    body: str
    headers: dict[str, str]

    def raw(self) -> bytes:
        encoded = self.body.encode()
        lines = [
            f"POST {self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Content-Type: application/json",
            f"Content-Length: {len(encoded)}",
            *(f"{name}: {value}" for name, value in self.headers.items()),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + encoded


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    errors: int
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def pinned(command: list[str], cpu: int | None) -> list[str]:
    """`command` on one CPU (taskset), when there is a CPU to give it."""
    return ["taskset", "-c", str(cpu), *command] if cpu is not None else command


# --- wrk -----------------------------------------------------------------------------------


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(value: str) -> str:
    level = 1
    while f"]{'=' * level}]" in value:
        level += 1
    return f"[{'=' * level}[{value}]{'=' * level}]"


def run_wrk(request: Request, seconds: float, concurrency: int, cpu: int | None) -> Load:
    """One wrk run (one thread); answers other than 2xx/3xx and socket errors count as errors."""
    headers = {"Content-Type": "application/json", **request.headers}
    script = "\n".join(
        [
            'wrk.method = "POST"',
            f"wrk.path = {_lua_string(request.path)}",
            f"wrk.body = {_lua_string(request.body)}",
            *(f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items()),
        ]
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script + "\n")
        file.flush()
        command = [
            "wrk",
            "-t1",
            f"-c{concurrency}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "60s",
            "-s",
            file.name,
            f"http://{request.host}:{request.port}",
        ]
        done = subprocess.run(pinned(command, cpu), capture_output=True, text=True, check=True)
    return _parse_wrk(done.stdout)


def _parse_wrk(output: str) -> Load:
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if total is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[total.group(3)]
    errors = 0
    first_error = ""
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
        first_error = non_2xx.group(0)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if sockets:
        errors += sum(int(count) for count in sockets.groups())
        first_error = first_error or sockets.group(0)
    return Load(int(total.group(1)), float(total.group(2)) * unit, errors, first_error)


# --- the Python generator ------------------------------------------------------------------


def run_python(
    request: Request,
    concurrency: int,
    cpu: int | None,
    *,
    seconds: float | None = None,
    count: int | None = None,
) -> Load:
    """The Python generator in a process of its own (pinned to `cpu`)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(request.__dict__, file)
        file.flush()
        limit = ["--seconds", str(seconds)] if count is None else ["--count", str(count)]
        command = [sys.executable, "-m", "tests.bench.load", file.name, *limit]
        command += ["--concurrency", str(concurrency)]
        done = subprocess.run(
            pinned(command, cpu), capture_output=True, text=True, check=True, cwd=ROOT
        )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return Load(**result)


class _Counter:
    def __init__(self, count: int | None, deadline: float | None) -> None:
        self.remaining = count
        self.deadline = deadline
        self.done = 0
        self.errors = 0
        self.first_error = ""
        self.last = 0.0

    def take(self) -> bool:
        """Whether another request may be sent."""
        if self.remaining is not None:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            return True
        return self.deadline is not None and time.perf_counter() < self.deadline


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    fields = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip().lower()
    if fields.get(b"transfer-encoding") == b"chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        payload = b"".join(parts)
    else:
        payload = await reader.readexactly(int(fields.get(b"content-length", b"0")))
    return status, payload, fields.get(b"connection") == b"close"


async def _worker(request: Request, raw: bytes, counter: _Counter) -> None:
    reader, writer = await asyncio.open_connection(request.host, request.port)
    try:
        while counter.take():
            writer.write(raw)
            status, payload, close = await _read_answer(reader)
            counter.last = time.perf_counter()
            if status != 200 or b'"errors"' in payload:
                counter.errors += 1
                counter.first_error = counter.first_error or f"{status} {payload[:300]!r}"
            else:
                counter.done += 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(request.host, request.port)
    finally:
        writer.close()


async def generate(
    request: Request, concurrency: int, seconds: float | None, count: int | None
) -> Load:
    began = time.perf_counter()
    counter = _Counter(count, began + seconds if seconds is not None else None)
    raw = request.raw()
    await asyncio.gather(*(_worker(request, raw, counter) for _ in range(concurrency)))
    return Load(
        counter.done,
        (counter.last or time.perf_counter()) - began,
        counter.errors,
        counter.first_error,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("request", type=Path)
    limit = parser.add_mutually_exclusive_group(required=True)
    limit.add_argument("--seconds", type=float)
    limit.add_argument("--count", type=int)
    parser.add_argument("--concurrency", type=int, default=4)
    arguments = parser.parse_args()
    request = Request(**json.loads(arguments.request.read_text()))
    try:
        import uvloop  # noqa: PLC0415 - optional, faster when installed
    except ImportError:
        runner: Any = asyncio.run
    else:
        runner = uvloop.run
    load = runner(generate(request, arguments.concurrency, arguments.seconds, arguments.count))
    print(json.dumps(load.__dict__))


if __name__ == "__main__":
    main()
