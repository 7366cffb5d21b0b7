"""Login throttling: whether a password may be checked now, decided and recorded atomically.

N is LOGIN_MAX_FAILURES, W LOGIN_FAILURE_WINDOW_SECONDS and B LOGIN_BACKOFF_SECONDS.

- An (email, client address) pair may fail N times within W; after that it waits B, 2B,
  4B, ... (at most W) after each further failure. Guessing from one address slows only that
  address: the account's owner elsewhere, and everyone else behind the same address, still
  log in at once.
- An email that failed N x CROWD_FACTOR times within W from any number of addresses (a
  distributed attack), or an address that failed that often across emails (spraying), is
  crowded: it gets one password check per B, whoever asks. The right password still gets
  in within B; guessing slows to one try per B.
- A success resets its pair and takes its own attempt back from the email and the address.

Each attempt locks its three counter rows (always in the same order, so attempts never
deadlock), decides, counts itself as a failure and commits, all before its password is
checked; a success takes the count back. Parallel attempts are therefore decided one after
the other, and no more of them get a check than the rules allow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert

from backend.auth.models import LoginThrottle
from backend.core.errors import ErrorCode, ServiceError
from backend.db.session import TenantSession

CROWD_FACTOR = 4
ANY = ""  # the other column of an email's or an address's own row
_MAX_DOUBLINGS = 20  # beyond it the backoff is W anyway; keeps 2**n small
_PRESENT_LOGIN = text(
    "SELECT set_config('app.login_email', :email, true),"
    " set_config('app.login_address', :address, true)"
)


@dataclass(frozen=True)
class ThrottleRules:
    max_failures: int
    window: timedelta
    backoff: timedelta

    @property
    def crowd(self) -> int:
        return self.max_failures * CROWD_FACTOR


def _keys(email: str, address: str) -> list[tuple[str, str]]:
    """The attempt's three rows, sorted: the order every attempt locks them in."""
    return sorted([(email, address), (email, ANY), (ANY, address)])


async def admit(db: TenantSession, rules: ThrottleRules, email: str, address: str) -> None:
    """Refuse the attempt (RATE_LIMITED), or commit it as a failure until it succeeds."""
    keys = _keys(email, address)
    await db.execute(_PRESENT_LOGIN, {"email": email, "address": address})
    await db.execute(
        insert(LoginThrottle)
        .values([{"email": e, "client_address": a} for e, a in keys])
        .on_conflict_do_nothing()
    )
    locked = await db.scalars(
        select(LoginThrottle)
        .where(tuple_(LoginThrottle.email, LoginThrottle.client_address).in_(keys))
        .order_by(LoginThrottle.email, LoginThrottle.client_address)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    rows = {(row.email, row.client_address): row for row in locked}
    now: datetime = (await db.execute(select(func.clock_timestamp()))).scalar_one()
    pair, crowds = rows[(email, address)], [rows[(email, ANY)], rows[(ANY, address)]]
    wait = max(_pair_wait(pair, now, rules), *(_crowd_wait(row, now, rules) for row in crowds))
    if wait > timedelta(0):
        await db.rollback()
        raise _rate_limited(wait)
    for row in crowds:
        if _recent(row, now, rules) >= rules.crowd:
            row.next_attempt_at = now + rules.backoff
    for row in (pair, *crowds):
        row.failures = _recent(row, now, rules) + 1
        row.last_failure_at = now
    await db.commit()


async def succeeded(db: TenantSession, email: str, address: str) -> None:
    """Reset the pair and take this attempt back from the email and the address.

    Part of the caller's transaction. Rows are reset, never deleted, so an attempt that
    made sure its rows exist still finds them when it locks them.
    """
    await db.execute(_PRESENT_LOGIN, {"email": email, "address": address})
    key = tuple_(LoginThrottle.email, LoginThrottle.client_address)
    await db.execute(
        update(LoginThrottle)
        .where(key == (email, address))
        .values(failures=0, last_failure_at=None)
        .execution_options(synchronize_session=False)
    )
    await db.execute(
        update(LoginThrottle)
        .where(key.in_([(email, ANY), (ANY, address)]))
        .values(failures=func.greatest(LoginThrottle.failures - 1, 0))
        .execution_options(synchronize_session=False)
    )


def _recent(row: LoginThrottle, now: datetime, rules: ThrottleRules) -> int:
    """Failures that still count: none once the last one is a window old."""
    if row.last_failure_at is None or row.last_failure_at <= now - rules.window:
        return 0
    return row.failures


def _pair_wait(row: LoginThrottle, now: datetime, rules: ThrottleRules) -> timedelta:
    beyond = _recent(row, now, rules) - rules.max_failures
    if beyond < 0 or row.last_failure_at is None:
        return timedelta(0)
    backoff = min(rules.window, rules.backoff * 2 ** min(beyond, _MAX_DOUBLINGS))
    wait: timedelta = row.last_failure_at + backoff - now
    return wait


def _crowd_wait(row: LoginThrottle, now: datetime, rules: ThrottleRules) -> timedelta:
    if _recent(row, now, rules) < rules.crowd or row.next_attempt_at is None:
        return timedelta(0)
    return row.next_attempt_at - now


def _rate_limited(wait: timedelta) -> ServiceError:
    seconds = math.ceil(wait.total_seconds())
    when = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
    return ServiceError(ErrorCode.RATE_LIMITED, f"Too many failed logins. Try again in {when}.")
