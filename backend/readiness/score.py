"""How ready a program is for certification: a pure function of its facts.

`score(facts, weights)` does no I/O, so the same facts always give the same answer and the
rules can be tested for their properties (docs/readiness.md gives the formula):

- each component scores 0..1 from its facts, or is not measured (nothing to judge); a
  component that is not measured hands its weight to the others in proportion to theirs;
- the score is the weighted mean of the measured components, times 100;
- an open major nonconformity caps the score just below the stage 2 threshold, so the
  level cannot reach "ready for stage 2" while one is open;
- every shortfall that a person can act on is a blocker, ranked by the points it costs.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from backend.core.forecast import STAGE_2
from backend.core.freshness import Freshness, best, freshness


class Component(enum.StrEnum):
    CONFORMITY = "conformity"
    EVIDENCE = "evidence"
    DOCUMENTS = "documents"
    TRAINING = "training"
    PLAN = "plan"
    FINDINGS = "findings"
    STEPS = "steps"
    AUDITS = "audits"


class Level(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    READY_FOR_STAGE_1 = "ready_for_stage_1"
    READY_FOR_STAGE_2 = "ready_for_stage_2"
    CERTIFIED_MAINTENANCE = "certified_maintenance"


STAGE_1 = 60.0  # score from which the level is "ready for stage 1"
MAJOR_CAP = STAGE_2 - 1.0  # the most a program with an open major nonconformity scores
CERTIFIED_STATUSES = frozenset({"certified", "surveillance_1", "surveillance_2", "recertification"})

CONFORMITY_VALUE = {"conformant": 1.0, "partial": 0.5, "nonconformant": 0.0, "not_assessed": 0.0}
FRESHNESS_VALUE = {
    Freshness.CURRENT: 1.0,
    Freshness.EXPIRING_SOON: 0.75,
    Freshness.STALE: 0.0,
    Freshness.MISSING: 0.0,
}
STEP_VALUE = {"completed": 1.0, "in_progress": 0.25, "not_started": 0.0}
AUDIT_RECENCY_DAYS = 365
"""How long a requirement counts as audited after a checklist line looked at it."""
JUDGED_STEPS = 6  # steps 1-6 lead to the certification audit, which is step 7 itself
MAJOR_PENALTY = 0.5  # share of the findings component one open major nonconformity takes
MINOR_PENALTY = 0.15
NOT_APPLICABLE = "not_applicable"


# --- facts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceFact:
    id: uuid.UUID
    valid_until: date | None
    review_interval_days: int | None
    renewed_on: date | None  # the tenant's day its current version was confirmed


@dataclass(frozen=True)
class RequirementFact:
    clause_id: uuid.UUID
    number: str
    status: str  # a Conformity value
    needs_records: bool
    evidence: tuple[EvidenceFact, ...] = ()
    audited: bool = False  # a checklist line of the program looked at it within AUDIT_RECENCY


@dataclass(frozen=True)
class DocumentFact:
    id: uuid.UUID
    code: str
    review_due_on: date | None  # None: no approved version in force


@dataclass(frozen=True)
class MandatoryItem:
    clause_id: uuid.UUID
    number: str
    documents: tuple[DocumentFact, ...] = ()


@dataclass(frozen=True)
class StepFact:
    id: uuid.UUID
    number: int
    name: str
    status: str  # a StepStatus value


@dataclass(frozen=True)
class ActionFact:
    id: uuid.UUID
    title: str
    done: bool
    due_date: date | None


@dataclass(frozen=True)
class SessionFact:
    id: uuid.UUID
    topic: str
    held: bool
    invited: int  # attendance rows
    attended: int


@dataclass(frozen=True)
class FindingFact:
    id: uuid.UUID
    reference: str
    major: bool


@dataclass(frozen=True)
class Facts:
    """What the score reads of one program, as of `today` (the tenant's date)."""

    program_id: uuid.UUID
    today: date
    program_status: str = "preparing"
    requirements: tuple[RequirementFact, ...] = ()
    mandatory: tuple[MandatoryItem, ...] = ()
    steps: tuple[StepFact, ...] = ()
    actions: tuple[ActionFact, ...] = ()
    sessions: tuple[SessionFact, ...] = ()
    open_findings: tuple[FindingFact, ...] = ()


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Blocker:
    message: str
    kind: str  # what to act on: requirement, evidence, document, action, ...
    object_type: str  # the GraphQL type of the object, for its global id
    object_id: uuid.UUID
    points: float  # score points it costs now (before any cap)
    caps: bool = False  # it alone keeps the level below ready for stage 2


@dataclass(frozen=True)
class ComponentScore:
    component: Component
    score: float | None  # 0..100; None: not measured
    weight: float  # share of the total after redistribution, 0..1 (0 when not measured)
    note: str


@dataclass(frozen=True)
class GroupScore:
    clause: str  # top-level clause ("7", "A.5")
    score: float  # 0..100 conformity of its applicable requirements


@dataclass(frozen=True)
class Readiness:
    score: float
    level: Level
    components: tuple[ComponentScore, ...]
    groups: tuple[GroupScore, ...]
    blockers: tuple[Blocker, ...]


@dataclass(frozen=True)
class _Shortfall:
    """What one item lacks: its share (0..1) of its component, and how to fix it."""

    lost: float
    message: str
    kind: str
    object_type: str
    object_id: uuid.UUID
    caps: bool = False


@dataclass(frozen=True)
class _Measured:
    value: float | None
    note: str
    shortfalls: tuple[_Shortfall, ...] = ()


# --- the function ------------------------------------------------------------------------


def score(facts: Facts, weights: Mapping[Component, float]) -> Readiness:
    """The program's readiness from its facts and the weight of each component."""
    measured = {component: _measure(component, facts) for component in Component}
    shares = _shares(measured, weights)
    raw = 100 * sum(shares[c] * (m.value or 0.0) for c, m in measured.items())
    capped = bool(_majors(facts))
    total = round(min(raw, MAJOR_CAP) if capped else raw, 1)
    return Readiness(
        score=total,
        level=_level(total, facts),
        components=tuple(
            ComponentScore(c, _percent(m.value), shares[c], m.note) for c, m in measured.items()
        ),
        groups=_groups(facts),
        blockers=_blockers(measured, shares),
    )


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _shares(
    measured: Mapping[Component, _Measured], weights: Mapping[Component, float]
) -> dict[Component, float]:
    """Each measured component's share of the total; unmeasured ones hand theirs on."""
    counted = {c: max(weights.get(c, 0.0), 0.0) for c, m in measured.items() if m.value is not None}
    total = sum(counted.values())
    return {c: (counted.get(c, 0.0) / total if total else 0.0) for c in measured}


def _level(total: float, facts: Facts) -> Level:
    if facts.program_status in CERTIFIED_STATUSES:
        return Level.CERTIFIED_MAINTENANCE
    if total >= STAGE_2 and not _majors(facts):
        return Level.READY_FOR_STAGE_2
    if total >= STAGE_1:
        return Level.READY_FOR_STAGE_1
    return Level.IN_PROGRESS if _begun(facts) else Level.NOT_STARTED


def _begun(facts: Facts) -> bool:
    """Someone has judged an applicable requirement or started a step: work is under way."""
    return any(r.status != "not_assessed" for r in _applicable(facts)) or any(
        s.status != "not_started" for s in facts.steps
    )


def _majors(facts: Facts) -> list[FindingFact]:
    return [finding for finding in facts.open_findings if finding.major]


def _applicable(facts: Facts) -> list[RequirementFact]:
    return [r for r in facts.requirements if r.status != NOT_APPLICABLE]


def _mean(values: Iterable[float]) -> float | None:
    listed = list(values)
    return sum(listed) / len(listed) if listed else None


def _measure(component: Component, facts: Facts) -> _Measured:
    return _MEASURES[component](facts)


def _conformity(facts: Facts) -> _Measured:
    applicable = _applicable(facts)
    if not applicable:
        return _Measured(None, "No applicable requirement to judge.")
    shortfalls = tuple(
        _Shortfall(
            (1 - CONFORMITY_VALUE[r.status]) / len(applicable),
            _conformity_message(r),
            "requirement",
            "Requirement",
            r.clause_id,
        )
        for r in applicable
        if CONFORMITY_VALUE[r.status] < 1
    )
    value = _mean(CONFORMITY_VALUE[r.status] for r in applicable)
    conformant = sum(1 for r in applicable if r.status == "conformant")
    return _Measured(
        value, f"{conformant} of {len(applicable)} applicable requirements conform.", shortfalls
    )


def _conformity_message(requirement: RequirementFact) -> str:
    if requirement.status == "not_assessed":
        return f"Clause {requirement.number}: not assessed yet"
    return f"Clause {requirement.number}: {requirement.status.replace('_', ' ')}, gap to close"


def requirement_freshness(requirement: RequirementFact, today: date) -> Freshness:
    return best(
        freshness(e.valid_until, e.review_interval_days, e.renewed_on, today)
        for e in requirement.evidence
    )


def _evidence(facts: Facts) -> _Measured:
    asking = [r for r in _applicable(facts) if r.needs_records]
    if not asking:
        return _Measured(None, "No applicable requirement asks for records.")
    found = {r.clause_id: requirement_freshness(r, facts.today) for r in asking}
    shortfalls = tuple(
        _evidence_shortfall(r, found[r.clause_id], facts.today, len(asking))
        for r in asking
        if FRESHNESS_VALUE[found[r.clause_id]] < 1
    )
    fresh = sum(1 for r in asking if FRESHNESS_VALUE[found[r.clause_id]] == 1)
    return _Measured(
        _mean(FRESHNESS_VALUE[f] for f in found.values()),
        f"{fresh} of {len(asking)} requirements that ask for records have current evidence.",
        shortfalls,
    )


def _evidence_shortfall(
    requirement: RequirementFact, found: Freshness, today: date, asking: int
) -> _Shortfall:
    lost = (1 - FRESHNESS_VALUE[found]) / asking
    if found is Freshness.MISSING or not requirement.evidence:
        return _Shortfall(
            lost,
            f"Clause {requirement.number}: no evidence yet",
            "requirement",
            "Requirement",
            requirement.clause_id,
        )
    item, deadline = _latest_deadline(requirement.evidence, today)
    verb = "expired" if found is Freshness.STALE else "expires"
    when = f" on {deadline.isoformat()}" if deadline else ""
    return _Shortfall(
        lost, f"Evidence for {requirement.number} {verb}{when}", "evidence", "EvidenceItem", item
    )


def _latest_deadline(
    evidence: tuple[EvidenceFact, ...], today: date
) -> tuple[uuid.UUID, date | None]:
    """The item that kept the requirement fresh longest, and the day it stopped (or stops):
    the requirement is as fresh as its best evidence."""
    dated = [(item.id, _deadline(item)) for item in evidence]
    known = [(i, d) for i, d in dated if d is not None]
    return max(known, key=lambda pair: pair[1]) if known else dated[0]


def _deadline(item: EvidenceFact) -> date | None:
    deadlines = [item.valid_until]
    if item.review_interval_days is not None and item.renewed_on is not None:
        deadlines.append(item.renewed_on + timedelta(days=item.review_interval_days))
    known = [d for d in deadlines if d is not None]
    return min(known) if known else None


def _covered(item: MandatoryItem, today: date) -> bool:
    return any(d.review_due_on is not None and d.review_due_on >= today for d in item.documents)


def _documents(facts: Facts) -> _Measured:
    items = facts.mandatory
    if not items:
        return _Measured(None, "The standard asks for no documented information.")
    missing = [item for item in items if not _covered(item, facts.today)]
    shortfalls = tuple(_document_shortfall(item, len(items)) for item in missing)
    covered = len(items) - len(missing)
    return _Measured(
        covered / len(items),
        f"{covered} of {len(items)} mandatory items have an approved, in-date document.",
        shortfalls,
    )


def _document_shortfall(item: MandatoryItem, total: int) -> _Shortfall:
    lapsed = [d for d in item.documents if d.review_due_on is not None]
    if lapsed:
        document = max(lapsed, key=lambda d: d.review_due_on or date.min)
        return _Shortfall(
            1 / total,
            f"Document {document.code} for {item.number} was due for review on"
            f" {document.review_due_on}",
            "document",
            "ControlledDocument",
            document.id,
        )
    if item.documents:
        document = item.documents[0]
        return _Shortfall(
            1 / total,
            f"Document {document.code} for {item.number}: not approved yet",
            "document",
            "ControlledDocument",
            document.id,
        )
    return _Shortfall(
        1 / total,
        f"Clause {item.number}: no document covers this mandatory item",
        "requirement",
        "Requirement",
        item.clause_id,
    )


def _training(facts: Facts) -> _Measured:
    """Sessions held and people who attended, counted together: holding a session or
    marking someone present only ever adds to the numerator."""
    sessions = facts.sessions
    if not sessions:
        return _Measured(
            0.0,
            "No training session is recorded yet.",
            (
                _Shortfall(
                    1.0,
                    "No training session recorded yet",
                    "program",
                    "Program",
                    facts.program_id,
                ),
            ),
        )
    total = sum(1 + s.invited for s in sessions)
    done = sum(int(s.held) + s.attended for s in sessions)
    shortfalls = tuple(
        _Shortfall(
            (int(not s.held) + s.invited - s.attended) / total,
            _session_message(s),
            "training",
            "TrainingSession",
            s.id,
        )
        for s in sessions
        if not s.held or s.attended < s.invited
    )
    held = sum(1 for s in sessions if s.held)
    return _Measured(
        done / total,
        f"{held} of {len(sessions)} sessions held, {done - held} attendances.",
        shortfalls,
    )


def _session_message(session: SessionFact) -> str:
    if not session.held:
        return f"Training \u201c{session.topic}\u201d: not held yet"
    absent = session.invited - session.attended
    return f"Training \u201c{session.topic}\u201d: {absent} of {session.invited} did not attend"


def _plan(facts: Facts) -> _Measured:
    """Actions done of those planned. With none planned, there is nothing to measure only
    when every applicable requirement conforms; an unassessed one may still hide a gap, so
    judging it never turns an unmeasured plan into a zero."""
    actions = facts.actions
    open_ = [r for r in _applicable(facts) if r.status != "conformant"]
    if not actions:
        if not open_:
            return _Measured(None, "Nothing to plan: every applicable requirement conforms.")
        return _Measured(
            0.0,
            "Requirements are open and no action is planned.",
            (_Shortfall(1.0, "No action planned yet", "program", "Program", facts.program_id),),
        )
    shortfalls = tuple(
        _Shortfall(1 / len(actions), _action_message(a, facts.today), "action", "Action", a.id)
        for a in actions
        if not a.done
    )
    done = sum(1 for a in actions if a.done)
    return _Measured(done / len(actions), f"{done} of {len(actions)} actions done.", shortfalls)


def _action_message(action: ActionFact, today: date) -> str:
    if action.due_date is not None and action.due_date < today:
        return f"Action \u201c{action.title}\u201d was due on {action.due_date.isoformat()}"
    return f"Action \u201c{action.title}\u201d: not done yet"


def _findings(facts: Facts) -> _Measured:
    majors = _majors(facts)
    minors = [f for f in facts.open_findings if not f.major]
    penalty = MAJOR_PENALTY * len(majors) + MINOR_PENALTY * len(minors)
    shortfalls = tuple(
        _Shortfall(
            MAJOR_PENALTY if f.major else MINOR_PENALTY,
            f"{'Major' if f.major else 'Minor'} nonconformity {f.reference} is open",
            "finding",
            "Finding",
            f.id,
            caps=f.major,
        )
        for f in facts.open_findings
    )
    note = f"{len(majors)} major and {len(minors)} minor nonconformities open."
    return _Measured(max(0.0, 1 - penalty), note, shortfalls)


def _steps(facts: Facts) -> _Measured:
    judged = [s for s in facts.steps if s.number <= JUDGED_STEPS]
    if not judged:
        return _Measured(None, "The program has no steps.")
    shortfalls = tuple(
        _Shortfall(
            (1 - STEP_VALUE[s.status]) / len(judged),
            f"Step {s.number} {s.name}: exit criteria not met yet",
            "step",
            "ProgramStep",
            s.id,
        )
        for s in judged
        if STEP_VALUE[s.status] < 1
    )
    completed = sum(1 for s in judged if s.status == "completed")
    return _Measured(
        _mean(STEP_VALUE[s.status] for s in judged),
        f"{completed} of {len(judged)} steps before the certification audit completed.",
        shortfalls,
    )


def _audits(facts: Facts) -> _Measured:
    """Applicable requirements an internal audit of the program looked at lately: a
    certification body expects the whole scope audited before stage 2."""
    applicable = _applicable(facts)
    if not applicable:
        return _Measured(None, "No applicable requirement to audit.")
    shortfalls = tuple(
        _Shortfall(
            1 / len(applicable),
            f"Clause {r.number}: no internal audit yet",
            "requirement",
            "Requirement",
            r.clause_id,
        )
        for r in applicable
        if not r.audited
    )
    audited = len(applicable) - len(shortfalls)
    return _Measured(
        audited / len(applicable),
        f"{audited} of {len(applicable)} applicable requirements audited in the last year.",
        shortfalls,
    )


_MEASURES = {
    Component.CONFORMITY: _conformity,
    Component.EVIDENCE: _evidence,
    Component.DOCUMENTS: _documents,
    Component.TRAINING: _training,
    Component.PLAN: _plan,
    Component.FINDINGS: _findings,
    Component.STEPS: _steps,
    Component.AUDITS: _audits,
}


def clause_group(number: str) -> str:
    """The top-level clause a requirement belongs to: "7" for 7.1.5.2, "A.5" for A.5.1."""
    parts = number.split(".")
    return ".".join(parts[:2]) if parts[0].isalpha() and len(parts) > 1 else parts[0]


def _groups(facts: Facts) -> tuple[GroupScore, ...]:
    by_group: dict[str, list[float]] = {}
    for requirement in _applicable(facts):
        group = by_group.setdefault(clause_group(requirement.number), [])
        group.append(CONFORMITY_VALUE[requirement.status])
    return tuple(
        GroupScore(clause, round(100 * sum(values) / len(values), 1))
        for clause, values in sorted(by_group.items(), key=lambda item: _clause_order(item[0]))
    )


def _clause_order(clause: str) -> tuple[int, str, int]:
    head, _, tail = clause.partition(".")
    if head.isdigit():
        return (0, "", int(head))
    return (1, head, int(tail) if tail.isdigit() else 0)


def _blockers(
    measured: Mapping[Component, _Measured], shares: Mapping[Component, float]
) -> tuple[Blocker, ...]:
    """Every shortfall, worth the points it costs; those that cap the level come first."""
    found = [
        Blocker(
            s.message,
            s.kind,
            s.object_type,
            s.object_id,
            round(100 * shares[component] * s.lost, 2),
            s.caps,
        )
        for component, m in measured.items()
        for s in m.shortfalls
    ]
    return tuple(sorted(found, key=lambda b: (not b.caps, -b.points, b.message)))
