"""The client address login throttling counts: the peer, unless a trusted proxy names another.

Each test runs uvicorn's configuration for `certready serve` around a small ASGI app that
records the address it was handed, and sends it requests as a peer of our choosing.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from backend.cli import server_config
from backend.settings import Settings

ATTACKER = "203.0.113.66"
PROXY = "10.0.0.5"


class _RecordingApp:
    def __init__(self) -> None:
        self.clients: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.clients.append(scope["client"][0])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def _seen_address(settings: Settings, peer: str, forwarded_for: str | None) -> str:
    """The address the app sees for one request from `peer` carrying X-Forwarded-For."""
    app = _RecordingApp()
    config = server_config(app, settings, "127.0.0.1", 8000)
    config.load()
    headers = [(b"x-forwarded-for", forwarded_for.encode())] if forwarded_for else []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers,
        "client": (peer, 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: dict[str, Any]) -> None:
        return None

    await config.loaded_app(scope, receive, send)
    return app.clients[0]


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


async def test_by_default_no_forwarded_header_is_believed_not_even_from_loopback() -> None:
    settings = _settings()
    assert settings.trusted_proxies == []
    assert await _seen_address(settings, "127.0.0.1", ATTACKER) == "127.0.0.1"
    assert await _seen_address(settings, PROXY, ATTACKER) == PROXY


async def test_a_trusted_proxy_names_the_client_and_nobody_else_can() -> None:
    settings = _settings(trusted_proxies=f"{PROXY}, 10.1.0.0/16")
    assert await _seen_address(settings, PROXY, "198.51.100.7") == "198.51.100.7"
    assert await _seen_address(settings, "10.1.2.3", "198.51.100.7") == "198.51.100.7"
    # Loopback is not trusted unless listed.
    assert await _seen_address(settings, "127.0.0.1", ATTACKER) == "127.0.0.1"
    # What a client writes in front of the proxy's entry does not count: the proxy appends the
    # address it saw, and the nearest address the proxies did not add is the client.
    assert await _seen_address(settings, PROXY, f"{ATTACKER}, 198.51.100.7") == "198.51.100.7"


@pytest.mark.parametrize("value", ["proxy.internal", "10.0.0.300", "*"])
async def test_trusted_proxies_must_be_addresses_or_networks(value: str) -> None:
    with pytest.raises(ValidationError, match="is not an IP address or network"):
        _settings(trusted_proxies=value)
