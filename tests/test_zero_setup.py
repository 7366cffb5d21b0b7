"""`certready serve` with nothing configured: embedded PostgreSQL, migrations, demo data.

Runs the real command in a subprocess and talks to it over HTTP, as a newcomer would after
`make run`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

STARTUP_SECONDS = 120
DEMO_LOGIN = "consultant@northwind.example"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "APP_DATABASE", "AUTH_", "CERTREADY_"))
    }
    env |= {"DATA_DIR": str(tmp_path / "data"), "PORT": str(port), "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("certready")), "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_ready(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"certready serve exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"certready serve was not ready within {STARTUP_SECONDS} s")


def test_zero_setup_serves_demo_logins(served: tuple[str, subprocess.Popen[str]]) -> None:
    base, _ = served
    login = httpx.post(
        f"{base}/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p})"
            " { accessToken errors { message } } }",
            "variables": {"e": DEMO_LOGIN, "p": "demo-password-1"},
        },
        timeout=10,
    ).json()["data"]["login"]
    assert login["errors"] == []
    me = httpx.post(
        f"{base}/graphql",
        json={"query": "{ me { user { email } organizations { role organization { name } } } }"},
        headers={"Authorization": f"Bearer {login['accessToken']}"},
        timeout=10,
    ).json()["data"]["me"]
    assert me["user"]["email"] == DEMO_LOGIN
    names = {item["organization"]["name"]: item["role"] for item in me["organizations"]}
    assert names == {
        "Northwind Consulting": "OWNER",
        "Acme Manufacturing": "CONSULTANT",
        "Globex Foods": "CONSULTANT",
    }
