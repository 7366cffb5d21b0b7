"""Login throttling by (account, address): guessing slows the guesser, never locks the owner out.

These tests log in through the service, each attempt on its own database session, so they can
speak from several client addresses and run attempts truly in parallel.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.auth import passwords, service
from backend.auth.throttle import CROWD_FACTOR
from backend.core.errors import ErrorCode, ServiceError
from backend.runtime import ApiRuntime
from backend.settings import Settings
from tests.auth.helpers import email_of, failure_count
from tests.support import PASSWORD, World
from tests.tenants.helpers import owner_execute

WRONG = "not the password"
ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.7"
OFFICE = "192.0.2.10"
OK = "ok"


async def _login(runtime: ApiRuntime, email: str, password: str, address: str) -> str:
    """'ok', or the code of the error the login was refused with."""
    async with runtime.sessions() as db:
        try:
            await service.login(db, runtime.auth, email, password, address)
        except ServiceError as error:
            return error.code.value
    return OK


async def _message(runtime: ApiRuntime, email: str, address: str) -> str:
    async with runtime.sessions() as db:
        with pytest.raises(ServiceError) as refused:
            await service.login(db, runtime.auth, email, PASSWORD, address)
    assert refused.value.code is ErrorCode.RATE_LIMITED
    return refused.value.message


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check login makes (the real one runs)."""
    made: list[str] = []

    def counting(password_hash: str | None, password: str) -> bool:
        made.append(password)
        return passwords.verify_password(password_hash, password)

    monkeypatch.setattr(service, "verify_password", counting)
    return made


async def test_the_owner_logs_in_from_elsewhere_while_an_attacker_hammers_the_account(
    runtime: ApiRuntime, world: World, settings: Settings
) -> None:
    victim = email_of("a_admin")
    outcomes = [await _login(runtime, victim, WRONG, ATTACKER) for _ in range(10)]
    limit = settings.login_max_failures
    assert outcomes == ["invalid_credentials"] * limit + ["rate_limited"] * (10 - limit)
    # The attacker's address is stopped even with the right password ...
    assert await _login(runtime, victim, PASSWORD, ATTACKER) == "rate_limited"
    # ... while the owner, from their own address, gets straight in.
    assert await _login(runtime, victim, PASSWORD, VICTIM) == OK


async def test_an_office_behind_one_address_is_not_locked_out_by_one_person(
    runtime: ApiRuntime, world: World
) -> None:
    for _ in range(10):
        await _login(runtime, email_of("a_admin"), WRONG, OFFICE)
    assert await _login(runtime, email_of("a_admin"), PASSWORD, OFFICE) == "rate_limited"
    for colleague in ("a_owner", "a_viewer", "b_owner"):
        assert await _login(runtime, email_of(colleague), PASSWORD, OFFICE) == OK, colleague
    assert await _login(runtime, email_of("a_admin"), PASSWORD, VICTIM) == OK


async def test_a_distributed_attack_delays_the_owner_but_never_locks_them_out(
    runtime: ApiRuntime, world: World, settings: Settings, owner_engine: AsyncEngine
) -> None:
    victim = email_of("a_admin")
    limit = settings.login_max_failures
    for n in range(CROWD_FACTOR):  # each address up to its own limit: the account is crowded
        for _ in range(limit):
            assert await _login(runtime, victim, WRONG, f"203.0.113.{n}") == "invalid_credentials"

    # A crowded account gets one password check per backoff, whoever asks: a fresh attacker
    # address takes this one, so the owner waits at most the backoff ...
    assert await _login(runtime, victim, WRONG, "203.0.113.99") == "invalid_credentials"
    assert await _login(runtime, victim, WRONG, "203.0.113.98") == "rate_limited"
    message = await _message(runtime, victim, VICTIM)
    assert f"Try again in {settings.login_backoff_seconds} seconds" in message

    # ... and then gets in with the right password.
    await owner_execute(
        owner_engine,
        "UPDATE login_throttles SET next_attempt_at = now()"
        " WHERE email = :email AND client_address = ''",
        email=victim,
    )
    assert await _login(runtime, victim, PASSWORD, VICTIM) == OK


async def test_each_further_failure_of_a_pair_doubles_its_backoff(
    runtime: ApiRuntime, world: World, settings: Settings, owner_engine: AsyncEngine
) -> None:
    email, backoff = email_of("a_admin"), settings.login_backoff_seconds

    async def after_the_wait() -> None:
        await owner_execute(
            owner_engine,
            "UPDATE login_throttles SET last_failure_at = last_failure_at"
            " - make_interval(secs => :wait) WHERE email = :email AND client_address = :address",
            wait=backoff * 8,  # more than any wait so far
            email=email,
            address=ATTACKER,
        )

    for _ in range(settings.login_max_failures):
        await _login(runtime, email, WRONG, ATTACKER)
    assert f"Try again in {backoff} seconds" in await _message(runtime, email, ATTACKER)
    await after_the_wait()
    assert await _login(runtime, email, WRONG, ATTACKER) == "invalid_credentials"
    assert f"Try again in {2 * backoff} seconds" in await _message(runtime, email, ATTACKER)
    await after_the_wait()
    assert await _login(runtime, email, WRONG, ATTACKER) == "invalid_credentials"
    assert backoff == 30  # the default, so four times it reads in minutes
    assert "Try again in 2 minutes" in await _message(runtime, email, ATTACKER)


async def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(
    runtime: ApiRuntime,
    world: World,
    settings: Settings,
    owner_engine: AsyncEngine,
    checks: list[str],
) -> None:
    email, limit = email_of("a_admin"), settings.login_max_failures
    outcomes = await asyncio.gather(
        *(_login(runtime, email, f"wrong guess {n}", ATTACKER) for n in range(12))
    )
    assert len(checks) == limit
    assert sorted(outcomes) == ["invalid_credentials"] * limit + ["rate_limited"] * (12 - limit)
    assert await failure_count(owner_engine, email, ATTACKER) == limit


async def test_parallel_spraying_gets_no_more_checks_than_the_crowd_limit(
    runtime: ApiRuntime, world: World, settings: Settings, checks: list[str]
) -> None:
    crowd = settings.login_max_failures * CROWD_FACTOR
    outcomes = await asyncio.gather(
        *(_login(runtime, f"guess{n}@example.test", WRONG, ATTACKER) for n in range(crowd + 6))
    )
    # Up to the crowd limit, then the one check per backoff.
    assert len(checks) == crowd + 1
    assert outcomes.count("rate_limited") == 5
