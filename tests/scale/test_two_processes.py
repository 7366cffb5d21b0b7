"""Two API processes on one database share every piece of request state: a refresh token
rotated by one and replayed on the other revokes its family, and failed logins spread over
both count against one throttle. Each process is `certready serve` on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.settings import Settings
from tests.auth.helpers import REFRESH
from tests.support import LOGIN, PASSWORD, World

EMAIL = "a_owner@example.test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "OTEL_"))}
    env |= {
        "DATABASE_URL": settings.owner_url.render_as_string(hide_password=False),
        "DATABASE_APP_PASSWORD": settings.database_app_password.get_secret_value(),
        "CERTREADY_ENV": "test",
        "DATA_DIR": str(settings.data_dir),  # one set of signing keys, as in a deployment
        "LOGIN_MAX_FAILURES": str(settings.login_max_failures),
        "LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("certready")), "serve", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_live(base: str, process: subprocess.Popen[bytes], within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert process.poll() is None, "the API process exited"
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} did not become ready")


@pytest.fixture(scope="module")
def apis(migrated: Settings) -> Iterator[tuple[str, str]]:
    """Base URLs of two API processes, started one after the other, shared by the tests
    (each seeds its own world)."""
    started: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    try:
        for _ in range(2):
            port = _free_port()
            started.append(_serve(migrated, port))
            bases.append(f"http://127.0.0.1:{port}")
            _wait_live(bases[-1], started[-1])
        yield bases[0], bases[1]
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)


def _call(base: str, query: str, variables: dict[str, Any], field: str) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["data"][field]
    return payload


def _codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


def test_a_refresh_token_replayed_on_the_other_process_revokes_its_family(
    apis: tuple[str, str], world: World
) -> None:
    a, b = apis
    session = _call(a, LOGIN, {"email": EMAIL, "password": PASSWORD}, "login")
    rotated = _call(a, REFRESH, {"token": session["refreshToken"]}, "refresh")
    assert rotated["errors"] == []
    replay = _call(b, REFRESH, {"token": session["refreshToken"]}, "refresh")
    assert _codes(replay) == ["INVALID_REFRESH_TOKEN"]
    # The newest token of the family, never used, died with it, on either process.
    for base in (a, b):
        again = _call(base, REFRESH, {"token": rotated["refreshToken"]}, "refresh")
        assert _codes(again) == ["INVALID_REFRESH_TOKEN"]


def test_failed_logins_on_both_processes_count_against_one_throttle(
    apis: tuple[str, str], migrated: Settings, world: World
) -> None:
    a, b = apis
    wrong = {"email": EMAIL, "password": "not the password"}
    limit = migrated.login_max_failures
    assert limit >= 2
    alternating = [(a, b)[attempt % 2] for attempt in range(limit)]  # a, b, a, ...
    outcomes = [_codes(_call(base, LOGIN, wrong, "login")) for base in alternating]
    assert outcomes == [["INVALID_CREDENTIALS"]] * limit
    # Neither process lets the right password in now: both read the same failures.
    for base in (a, b):
        right = _call(base, LOGIN, {"email": EMAIL, "password": PASSWORD}, "login")
        assert _codes(right) == ["RATE_LIMITED"], base
