"""The score on a worked example: components, redistribution, groups, levels and blockers."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta

import pytest

from backend.core.errors import ServiceError
from backend.readiness.score import (
    ActionFact,
    Component,
    EvidenceFact,
    Facts,
    Level,
    MandatoryItem,
    RequirementFact,
    SessionFact,
    StepFact,
    clause_group,
    score,
)
from backend.readiness.weights import DEFAULT, weights_for

TODAY = date(2026, 12, 6)
EXPIRED = date(2026, 11, 30)


def _facts() -> Facts:
    stale = EvidenceFact(uuid.uuid4(), EXPIRED, None, date(2026, 1, 5))
    return Facts(
        program_id=uuid.uuid4(),
        today=TODAY,
        requirements=(
            RequirementFact(uuid.uuid4(), "4.1", "conformant", False),
            RequirementFact(uuid.uuid4(), "7.2", "conformant", True, (stale,)),
            RequirementFact(uuid.uuid4(), "9.2", "nonconformant", False, audited=True),
            RequirementFact(uuid.uuid4(), "A.5.1", "partial", False),
        ),
        mandatory=(MandatoryItem(uuid.uuid4(), "7.5.1"),),
        steps=tuple(
            StepFact(uuid.uuid4(), n, f"Step {n}", "completed" if n == 1 else "not_started")
            for n in range(1, 8)
        ),
        actions=(ActionFact(uuid.uuid4(), "Plan the audit", False, TODAY - timedelta(days=2)),),
        sessions=(SessionFact(uuid.uuid4(), "Induction", True, 2, 2),),
    )


def test_components_weights_and_total() -> None:
    result = score(_facts(), DEFAULT)
    by = {item.component: item for item in result.components}
    assert by[Component.CONFORMITY].score == 62.5  # (1 + 1 + 0 + 0.5) / 4
    assert by[Component.EVIDENCE].score == 0  # its one requirement's evidence expired
    assert by[Component.DOCUMENTS].score == 0
    assert by[Component.TRAINING].score == 100
    assert by[Component.FINDINGS].score == 100
    assert by[Component.AUDITS].score == 25  # 9.2 audited, of four applicable requirements
    assert by[Component.AUDITS].note == "1 of 4 applicable requirements audited in the last year."
    # Every component is measured: conformity weighs 30 of 110.
    assert by[Component.CONFORMITY].weight == pytest.approx(30 / 110)
    assert sum(item.weight for item in result.components) == pytest.approx(1)
    assert result.level is Level.IN_PROGRESS
    assert [(g.clause, g.score) for g in result.groups] == [
        ("4", 100),
        ("7", 100),
        ("9", 0),
        ("A.5", 50),
    ]


def test_blockers_name_what_to_do_with_the_object() -> None:
    facts = _facts()
    result = score(facts, DEFAULT)
    messages = [b.message for b in result.blockers]
    assert "Evidence for 7.2 expired on 2026-11-30" in messages
    assert "Clause 9.2: nonconformant, gap to close" in messages
    assert "Clause 7.5.1: no document covers this mandatory item" in messages
    assert "Action \u201cPlan the audit\u201d was due on 2026-12-04" in messages
    evidence = next(b for b in result.blockers if b.kind == "evidence")
    assert evidence.object_type == "EvidenceItem"
    assert evidence.object_id == facts.requirements[1].evidence[0].id
    assert [b.points for b in result.blockers] == sorted(
        (b.points for b in result.blockers), reverse=True
    )


def test_levels_follow_the_score_and_the_program() -> None:
    facts = _facts()
    perfect = replace(
        facts,
        requirements=tuple(
            replace(r, status="conformant", needs_records=False) for r in facts.requirements
        ),
        mandatory=(),
        steps=tuple(replace(s, status="completed") for s in facts.steps),
        actions=(),
    )
    assert score(perfect, DEFAULT).level is Level.READY_FOR_STAGE_2
    certified = replace(perfect, program_status="surveillance_1")
    assert score(certified, DEFAULT).level is Level.CERTIFIED_MAINTENANCE
    assert score(Facts(uuid.uuid4(), TODAY), DEFAULT).level is Level.NOT_STARTED


def test_clause_groups() -> None:
    assert [clause_group(n) for n in ("7.1.5.2", "10", "A.5.1", "A")] == ["7", "10", "A.5", "A"]


def test_tenant_weights_override_the_standard_and_bad_ones_are_refused() -> None:
    weights = weights_for("ISO/IEC 27001", {"conformity": 50})
    assert (weights[Component.CONFORMITY], weights[Component.EVIDENCE]) == (50, 20)
    with pytest.raises(ServiceError, match="Unknown component"):
        weights_for("ISO 9001", {"luck": 1})
    with pytest.raises(ServiceError, match="number from 0"):
        weights_for("ISO 9001", {"plan": -1})
