"""The certification cycle's due dates, computed from a decision date and a body's rules.

Pure: no I/O, no clock (today is an argument), so the rules are tested on their own and
every screen explains a date with the same words. Each date comes with the rule that
produced it ("first surveillance due by 2027-05-14: 12 months after the certification
decision of 2026-05-14").

The rules, as certification bodies apply ISO/IEC 17021-1 (our own summary):
- a certificate is valid for `cycle_years` from the decision; a renewal's validity runs on
  from the previous expiry, not from the renewal decision;
- surveillance at least once in every calendar year of the cycle except the year the
  certificate expires (the recertification year); after an initial certification the first
  surveillance also falls within `first_surveillance_months` of the decision;
- the recertification audit and decision come before expiry; after expiry a certificate may
  be restored within `restore_months`, else the client starts again from stage 2;
- a major nonconformity is verified within `major_deadline_days` of the audit's last day;
  unverified `stage2_repeat_months` after stage 2 ended, stage 2 is repeated;
- a suspension lasts at most `suspension_months`; then the certificate is withdrawn.
Every number is a default of `BodyRules`, which a certification body may override.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")


@dataclass(frozen=True)
class BodyRules:
    """A certification body's numbers; the defaults are those most bodies apply."""

    cycle_years: int = 3
    first_surveillance_months: int = 12
    major_deadline_days: int = 90
    stage2_repeat_months: int = 6
    restore_months: int = 6
    suspension_months: int = 6
    recertification_window_months: int = 6  # how long before expiry a renewal audit counts

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, int]) -> BodyRules:
        """The defaults with a body's own numbers; an unknown name or a number out of range
        is refused with `ValueError` naming it."""
        known = {field.name for field in fields(cls)}
        for name, value in overrides.items():
            if name not in known:
                raise ValueError(f"Unknown rule {name!r}.")
            whole = isinstance(value, int) and not isinstance(value, bool)
            if not whole or not 1 <= value <= LIMITS[name]:
                raise ValueError(f"{name} must be a whole number from 1 to {LIMITS[name]}.")
        return replace(cls(), **overrides)


LIMITS = {
    "cycle_years": 6,
    "first_surveillance_months": 24,
    "major_deadline_days": 365,
    "stage2_repeat_months": 24,
    "restore_months": 24,
    "suspension_months": 24,
    "recertification_window_months": 24,
}


class ExpectedKind(enum.StrEnum):
    SURVEILLANCE = "surveillance"
    RECERTIFICATION = "recertification"


class ExpectedStatus(enum.StrEnum):
    HELD = "held"
    HELD_LATE = "held_late"
    DUE = "due"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Due:
    """A date and the rule that produced it, in words a client can check."""

    day: date
    rule: str


@dataclass(frozen=True)
class ExpectedAudit:
    kind: ExpectedKind
    number: int  # 1 and 2 for the surveillances of a three-year cycle
    opens: date  # the first day an audit counts for it
    due: Due
    held_on: date | None
    status: ExpectedStatus


@dataclass(frozen=True)
class Cycle:
    """A cycle's dates: when its certificate expires and what must happen before."""

    decision_on: date
    expires_on: date
    expected: tuple[ExpectedAudit, ...]
    restore_until: Due


def add_months(day: date, months: int) -> date:
    """`months` later on the same day of the month, or the month's last day when it has
    none (29 February plus 12 months is 28 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months(count: int) -> str:
    return f"{count} month{'s' if count != 1 else ''}"


def expiry(decision_on: date, previous_expiry: date | None, rules: BodyRules) -> Due:
    """When a certificate decided on `decision_on` expires; a renewal runs on from the
    certificate it renews."""
    years = rules.cycle_years
    if previous_expiry is None:
        day = add_months(decision_on, 12 * years)
        return Due(
            day,
            f"expires on {day}: {years} years after the certification decision of {decision_on}",
        )
    day = add_months(previous_expiry, 12 * years)
    return Due(
        day, f"expires on {day}: {years} years after the previous expiry on {previous_expiry}"
    )


def cycle(
    decision_on: date,
    expires_on: date,
    *,
    initial: bool,
    held: Sequence[tuple[ExpectedKind, date]],
    today: date,
    rules: BodyRules,
) -> Cycle:
    """The cycle's expected audits with their windows, matched in date order with the
    audits `held` (kind and last day) since the decision."""
    surveillances = _surveillances(decision_on, expires_on, initial, rules)
    expected = [*surveillances, _recertification(decision_on, expires_on, rules)]
    days = {
        kind: sorted(day for held_kind, day in held if held_kind is kind and day > decision_on)
        for kind in ExpectedKind
    }
    matched = []
    for kind, number, opens, due in expected:
        held_on = days[kind][number - 1] if len(days[kind]) >= number else None
        status = _status(due, held_on, today)
        matched.append(ExpectedAudit(kind, number, opens, due, held_on, status))
    return Cycle(decision_on, expires_on, tuple(matched), restore_until(expires_on, rules))


def _surveillances(
    decision_on: date, expires_on: date, initial: bool, rules: BodyRules
) -> list[tuple[ExpectedKind, int, date, Due]]:
    """One surveillance in each calendar year after the cycle's first and before its
    expiry year; the first after an initial certification within the body's months."""
    start = decision_on.year if initial else add_months(expires_on, -12 * rules.cycle_years).year
    expected = []
    for number, year in enumerate(range(start + 1, expires_on.year), start=1):
        ordinal = ORDINALS[number - 1]
        year_end = date(year, 12, 31)
        due = Due(
            year_end,
            f"{ordinal} surveillance due by {year_end}: at least once in calendar year {year},"
            f" which is not the recertification year {expires_on.year}",
        )
        limit = add_months(decision_on, rules.first_surveillance_months)
        if number == 1 and initial and limit < year_end:
            due = Due(
                limit,
                f"{ordinal} surveillance due by {limit}:"
                f" {_months(rules.first_surveillance_months)} after the certification"
                f" decision of {decision_on}",
            )
        opens = decision_on + timedelta(days=1) if number == 1 else date(year, 1, 1)
        expected.append((ExpectedKind.SURVEILLANCE, number, opens, due))
    return expected


def _recertification(
    decision_on: date, expires_on: date, rules: BodyRules
) -> tuple[ExpectedKind, int, date, Due]:
    last = expires_on - timedelta(days=1)
    opens = max(add_months(expires_on, -rules.recertification_window_months), decision_on)
    rule = (
        f"recertification audit and decision due by {last}: before the certificate expires"
        f" on {expires_on}"
    )
    return ExpectedKind.RECERTIFICATION, 1, opens, Due(last, rule)


def _status(due: Due, held_on: date | None, today: date) -> ExpectedStatus:
    if held_on is not None:
        return ExpectedStatus.HELD if held_on <= due.day else ExpectedStatus.HELD_LATE
    return ExpectedStatus.OVERDUE if today > due.day else ExpectedStatus.DUE


def suspension_reasons(expected: Sequence[ExpectedAudit]) -> list[str]:
    """Why the certificate may be suspended now: each expected audit past its date."""
    return [
        f"{ORDINALS[item.number - 1]} {item.kind.value} was due by {item.due.day} and has not"
        f" been held ({item.due.rule})"
        for item in expected
        if item.status is ExpectedStatus.OVERDUE
    ]


def restore_until(expires_on: date, rules: BodyRules) -> Due:
    day = add_months(expires_on, rules.restore_months)
    return Due(
        day,
        f"certification may be restored until {day}: {_months(rules.restore_months)} after"
        f" expiry on {expires_on}",
    )


def major_deadline(last_day: date, rules: BodyRules) -> Due:
    day = last_day + timedelta(days=rules.major_deadline_days)
    return Due(
        day,
        f"major nonconformities to be verified by {day}: {rules.major_deadline_days} days"
        f" after the audit ended on {last_day}",
    )


def stage2_repeat(last_day: date, rules: BodyRules) -> Due:
    day = add_months(last_day, rules.stage2_repeat_months)
    return Due(
        day,
        f"stage 2 must be repeated if a major nonconformity is not verified by {day}:"
        f" {_months(rules.stage2_repeat_months)} after stage 2 ended on {last_day}",
    )


def withdrawal_due(suspended_on: date, rules: BodyRules) -> Due:
    day = add_months(suspended_on, rules.suspension_months)
    return Due(
        day,
        f"withdrawn if not resolved by {day}: a suspension lasts at most"
        f" {_months(rules.suspension_months)} (suspended on {suspended_on})",
    )
