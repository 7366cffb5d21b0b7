"""Hypothesis strategies for readiness facts, and the single improvements a person can make."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import strategies as st

from backend.readiness.score import (
    ActionFact,
    Component,
    DocumentFact,
    EvidenceFact,
    Facts,
    FindingFact,
    MandatoryItem,
    RequirementFact,
    SessionFact,
    StepFact,
)

TODAY = date(2026, 12, 6)
STATUSES = ("not_assessed", "nonconformant", "partial", "conformant", "not_applicable")
BETTER = {"not_assessed": "partial", "nonconformant": "partial", "partial": "conformant"}
NUMBERS = ("4.1", "5.2", "6.1.2", "7.2", "7.5.1", "8.1", "9.2", "10.2", "A.5.1", "A.8.3")

ids = st.builds(uuid.uuid4)
days = st.integers(min_value=-400, max_value=400).map(lambda n: TODAY + timedelta(days=n))
evidence = st.builds(
    EvidenceFact,
    ids,
    st.none() | days,
    st.none() | st.integers(min_value=1, max_value=400),
    st.none() | days.filter(lambda d: d <= TODAY),
)
requirements = st.builds(
    RequirementFact,
    ids,
    st.sampled_from(NUMBERS),
    st.sampled_from(STATUSES),
    st.booleans(),
    st.lists(evidence, max_size=2).map(tuple),
)
documents = st.builds(DocumentFact, ids, st.just("QP-01"), st.none() | days)
mandatory = st.builds(
    MandatoryItem, ids, st.sampled_from(NUMBERS), st.lists(documents, max_size=2).map(tuple)
)
steps = st.lists(
    st.sampled_from(("not_started", "in_progress", "completed")), min_size=7, max_size=7
).map(
    lambda statuses: tuple(
        StepFact(uuid.uuid4(), number, f"Step {number}", status)
        for number, status in enumerate(statuses, start=1)
    )
)
actions = st.builds(ActionFact, ids, st.just("Write it down"), st.booleans(), st.none() | days)


@st.composite
def sessions(draw: st.DrawFn) -> SessionFact:
    invited = draw(st.integers(min_value=0, max_value=5))
    held = draw(st.booleans())
    attended = draw(st.integers(min_value=0, max_value=invited)) if held else 0
    return SessionFact(uuid.uuid4(), "Induction", held, invited, attended)


findings = st.builds(FindingFact, ids, st.just("NC-2026-001"), st.booleans())
facts = st.builds(
    Facts,
    program_id=ids,
    today=st.just(TODAY),
    requirements=st.lists(requirements, max_size=8).map(tuple),
    mandatory=st.lists(mandatory, max_size=4).map(tuple),
    steps=steps,
    actions=st.lists(actions, max_size=4).map(tuple),
    sessions=st.lists(sessions(), max_size=3).map(tuple),
    open_findings=st.lists(findings, max_size=3).map(tuple),
)
weights = st.fixed_dictionaries(
    {component: st.floats(min_value=0, max_value=100) for component in Component}
)


def _at(items: tuple, index: int, item: object) -> tuple:  # type: ignore[type-arg]
    return (*items[:index], item, *items[index + 1 :])


def improvements(facts: Facts) -> list[Facts]:
    """Every fact made better by one step a person could take."""
    found: list[Facts] = []
    for i, r in enumerate(facts.requirements):
        if r.status in BETTER:
            better = replace(r, status=BETTER[r.status])
            found.append(replace(facts, requirements=_at(facts.requirements, i, better)))
        fresh = EvidenceFact(uuid.uuid4(), None, None, TODAY)
        renewed = replace(r, evidence=(*r.evidence, fresh))
        found.append(replace(facts, requirements=_at(facts.requirements, i, renewed)))
    for i, item in enumerate(facts.mandatory):
        approved = DocumentFact(uuid.uuid4(), "QP-02", TODAY + timedelta(days=365))
        covered = replace(item, documents=(*item.documents, approved))
        found.append(replace(facts, mandatory=_at(facts.mandatory, i, covered)))
    for i, s in enumerate(facts.steps):
        if s.status != "completed":
            done = replace(s, status="completed")
            found.append(replace(facts, steps=_at(facts.steps, i, done)))
    for i, a in enumerate(facts.actions):
        if not a.done:
            found.append(replace(facts, actions=_at(facts.actions, i, replace(a, done=True))))
    for i, t in enumerate(facts.sessions):
        if not t.held:
            found.append(replace(facts, sessions=_at(facts.sessions, i, replace(t, held=True))))
        elif t.attended < t.invited:
            more = replace(t, attended=t.attended + 1)
            found.append(replace(facts, sessions=_at(facts.sessions, i, more)))
    for i in range(len(facts.open_findings)):
        closed = (*facts.open_findings[:i], *facts.open_findings[i + 1 :])
        found.append(replace(facts, open_findings=closed))
    return found
