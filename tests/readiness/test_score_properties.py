"""The invariants of the readiness score, over generated facts (docs/readiness.md)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from backend.core.forecast import STAGE_2
from backend.readiness.score import (
    MAJOR_CAP,
    Component,
    Facts,
    FindingFact,
    Level,
    RequirementFact,
    score,
)
from backend.readiness.weights import DEFAULT
from tests.readiness.facts_strategies import NUMBERS, facts, improvements, weights


@given(facts, weights)
def test_the_score_is_within_0_and_100(found: Facts, weighed: dict[Component, float]) -> None:
    result = score(found, weighed)
    assert 0 <= result.score <= 100
    assert all(0 <= item.score <= 100 for item in result.components if item.score is not None)
    assert all(b.points >= 0 for b in result.blockers)


@given(facts, weights)
def test_improving_any_single_fact_never_lowers_the_score(
    found: Facts, weighed: dict[Component, float]
) -> None:
    before = score(found, weighed).score
    for better in improvements(found):
        assert score(better, weighed).score >= before - 1e-9


@given(facts, st.sampled_from(NUMBERS), st.booleans())
def test_a_not_applicable_requirement_changes_nothing(
    found: Facts, number: str, needs_records: bool
) -> None:
    excluded = RequirementFact(uuid.uuid4(), number, "not_applicable", needs_records)
    with_it = replace(found, requirements=(*found.requirements, excluded))
    assert score(with_it, DEFAULT) == score(found, DEFAULT)


@given(facts)
def test_an_open_major_nonconformity_caps_the_level(found: Facts) -> None:
    major = FindingFact(uuid.uuid4(), "NC-2026-009", major=True)
    result = score(replace(found, open_findings=(*found.open_findings, major)), DEFAULT)
    assert result.score <= MAJOR_CAP < STAGE_2
    assert result.level in (Level.NOT_STARTED, Level.IN_PROGRESS, Level.READY_FOR_STAGE_1)
    assert (result.blockers[0].caps, result.blockers[0].kind) == (True, "finding")


@given(facts, weights)
def test_the_same_facts_give_the_same_score(found: Facts, weighed: dict[Component, float]) -> None:
    assert score(found, weighed) == score(replace(found), dict(weighed))
