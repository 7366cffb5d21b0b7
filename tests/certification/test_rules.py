"""The cycle's due dates as pure rules: a scripted three-year cycle, renewals, the other
deadlines, and properties that hold for any decision date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.certification import rules
from backend.certification.rules import BodyRules, ExpectedKind, ExpectedStatus

DEFAULTS = BodyRules()
DECISION = date(2026, 5, 14)  # the 12-month and calendar-year rules give different dates


def _cycle(held: list[tuple[ExpectedKind, date]], today: date, **overrides: int) -> rules.Cycle:
    body = BodyRules.with_overrides(overrides)
    expires = rules.expiry(DECISION, None, body).day
    return rules.cycle(DECISION, expires, initial=True, held=held, today=today, rules=body)


def test_a_scripted_three_year_cycle_has_exactly_these_due_dates() -> None:
    held = [(ExpectedKind.SURVEILLANCE, date(2027, 4, 20))]
    found = _cycle(held, today=date(2028, 6, 1))
    assert found.expires_on == date(2029, 5, 14)
    assert [
        (e.kind, e.number, e.opens, e.due.day, e.held_on, e.status) for e in found.expected
    ] == [
        (
            ExpectedKind.SURVEILLANCE,
            1,
            date(2026, 5, 15),
            date(2027, 5, 14),
            date(2027, 4, 20),
            ExpectedStatus.HELD,
        ),
        (
            ExpectedKind.SURVEILLANCE,
            2,
            date(2028, 1, 1),
            date(2028, 12, 31),
            None,
            ExpectedStatus.DUE,
        ),
        (
            ExpectedKind.RECERTIFICATION,
            1,
            date(2028, 11, 14),
            date(2029, 5, 13),
            None,
            ExpectedStatus.DUE,
        ),
    ]
    assert [e.due.rule for e in found.expected] == [
        "first surveillance due by 2027-05-14: 12 months after the certification decision of"
        " 2026-05-14",
        "second surveillance due by 2028-12-31: at least once in calendar year 2028, which is not"
        " the recertification year 2029",
        "recertification audit and decision due by 2029-05-13: before the certificate expires on"
        " 2029-05-14",
    ]
    # A 12-month chain from the first surveillance would have asked for the second by
    # 2028-04-20; the calendar-year rule gives the client until the end of 2028.
    assert found.expected[1].due.day != rules.add_months(date(2027, 4, 20), 12)
    assert found.restore_until.rule == (
        "certification may be restored until 2029-11-14: 6 months after expiry on 2029-05-14"
    )


def test_a_late_surveillance_is_overdue_and_makes_the_certificate_suspendable() -> None:
    found = _cycle([], today=date(2027, 5, 15))
    first = found.expected[0]
    assert first.status is ExpectedStatus.OVERDUE
    assert rules.suspension_reasons(found.expected) == [
        "first surveillance was due by 2027-05-14 and has not been held (first surveillance due"
        " by 2027-05-14: 12 months after the certification decision of 2026-05-14)"
    ]
    on_time = _cycle([], today=date(2027, 5, 14))
    assert rules.suspension_reasons(on_time.expected) == []
    late = _cycle([(ExpectedKind.SURVEILLANCE, date(2027, 6, 1))], today=date(2027, 6, 2))
    assert late.expected[0].status is ExpectedStatus.HELD_LATE


def test_a_renewal_runs_from_the_previous_expiry_and_has_no_twelve_month_rule() -> None:
    renewed = rules.expiry(date(2029, 3, 1), date(2029, 5, 14), DEFAULTS)
    assert renewed == rules.Due(
        date(2032, 5, 14), "expires on 2032-05-14: 3 years after the previous expiry on 2029-05-14"
    )
    found = rules.cycle(
        date(2029, 3, 1),
        renewed.day,
        initial=False,
        held=[],
        today=date(2029, 3, 2),
        rules=DEFAULTS,
    )
    assert [(e.kind, e.due.day) for e in found.expected] == [
        (ExpectedKind.SURVEILLANCE, date(2030, 12, 31)),
        (ExpectedKind.SURVEILLANCE, date(2031, 12, 31)),
        (ExpectedKind.RECERTIFICATION, date(2032, 5, 13)),
    ]


def test_audits_before_the_decision_do_not_count_for_the_cycle() -> None:
    found = _cycle([(ExpectedKind.SURVEILLANCE, DECISION)], today=DECISION)
    assert found.expected[0].held_on is None


def test_the_other_deadlines_say_why() -> None:
    last_day = date(2026, 3, 13)
    assert rules.major_deadline(last_day, DEFAULTS) == rules.Due(
        date(2026, 6, 11),
        "major nonconformities to be verified by 2026-06-11: 90 days after the audit ended on"
        " 2026-03-13",
    )
    assert rules.stage2_repeat(last_day, DEFAULTS) == rules.Due(
        date(2026, 9, 13),
        "stage 2 must be repeated if a major nonconformity is not verified by 2026-09-13:"
        " 6 months after stage 2 ended on 2026-03-13",
    )
    assert rules.withdrawal_due(date(2027, 5, 20), DEFAULTS).day == date(2027, 11, 20)
    body = BodyRules.with_overrides({"major_deadline_days": 30})
    assert rules.major_deadline(last_day, body).day == date(2026, 4, 12)


def test_months_end_on_the_last_day_of_a_shorter_month() -> None:
    assert rules.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert rules.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert rules.add_months(date(2026, 1, 31), -2) == date(2025, 11, 30)


@pytest.mark.parametrize(
    "overrides",
    [{"cycle_years": 0}, {"cycle_years": True}, {"nonsense": 3}, {"restore_months": 25}],
)
def test_a_body_rule_out_of_range_is_refused(overrides: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=r"rule|whole number"):
        BodyRules.with_overrides(overrides)


DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@given(DAYS, st.integers(min_value=1, max_value=6))
def test_any_cycle_has_one_surveillance_per_year_but_the_recertification_year(
    decision: date, years: int
) -> None:
    body = BodyRules.with_overrides({"cycle_years": years})
    expires = rules.expiry(decision, None, body).day
    found = rules.cycle(decision, expires, initial=True, held=[], today=decision, rules=body)
    surveillance = [e for e in found.expected if e.kind is ExpectedKind.SURVEILLANCE]
    assert [e.due.day.year for e in surveillance] == list(range(decision.year + 1, expires.year))
    assert found.expected[-1].kind is ExpectedKind.RECERTIFICATION
    assert found.expected[-1].due.day == expires - timedelta(days=1)
    for item in found.expected:
        assert decision < item.due.day < expires
        assert item.opens <= item.due.day
        assert item.status is ExpectedStatus.DUE
    if surveillance:
        assert surveillance[0].due.day <= rules.add_months(decision, 12)


@given(DAYS, DAYS)
def test_a_surveillance_held_by_its_date_is_never_overdue(decision: date, held_on: date) -> None:
    expires = rules.expiry(decision, None, DEFAULTS).day
    held = [(ExpectedKind.SURVEILLANCE, held_on)]
    found = rules.cycle(decision, expires, initial=True, held=held, today=expires, rules=DEFAULTS)
    first = found.expected[0]
    counted = held_on > decision
    assert (first.held_on is not None) == counted
    if counted:
        expected = ExpectedStatus.HELD if held_on <= first.due.day else ExpectedStatus.HELD_LATE
        assert first.status is expected


@given(DAYS, st.integers(min_value=0, max_value=400))
def test_a_renewal_before_expiry_keeps_the_cycle_s_calendar(previous: date, early: int) -> None:
    """However early the renewal is decided, the new certificate expires three years after
    the old one, and its surveillances fall in the years between the two expiries."""
    decided = previous - timedelta(days=early)
    expires = rules.expiry(decided, previous, DEFAULTS).day
    assert expires == rules.add_months(previous, 36)
    found = rules.cycle(decided, expires, initial=False, held=[], today=decided, rules=DEFAULTS)
    years = [e.due.day.year for e in found.expected if e.kind is ExpectedKind.SURVEILLANCE]
    assert years == list(range(previous.year + 1, expires.year))
    assert all(
        e.due.rule.endswith(f"recertification year {expires.year}") for e in found.expected[:-1]
    )
