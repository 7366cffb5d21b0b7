"""Step 7 judged on a program's facts: stage 1, stage 2, majors, minors, the decision.

No I/O: `queries.stage_facts` reads the facts of any number of programs, these functions
judge one program each, and both the exit criteria and the certification decision (which is
refused while the first four are unmet) use them, so a refusal and a criterion say the same.
"""

from __future__ import annotations

from collections.abc import Callable

from backend.certification import rules
from backend.certification.models import AuditOutcome, Certificate
from backend.certification.queries import FindingFact, StageFacts
from backend.findings.models import FindingStatus, FindingType
from backend.programs.criteria import Verdict, listed

RESOLVED = (FindingStatus.VERIFIED.value, FindingStatus.CLOSED.value)
# A minor nonconformity's plan is accepted once its corrective action is recorded.
PLANNED = (
    FindingStatus.ACTION_PLANNED.value,
    FindingStatus.IMPLEMENTED.value,
    *RESOLVED,
)
NAMED = 5


def _names(findings: list[FindingFact]) -> str:
    return listed(len(findings), [finding.reference for finding in findings[:NAMED]])


def stage_1_held(facts: StageFacts) -> Verdict:
    audit = facts.stage_1
    if audit is None:
        return Verdict(False, "No stage 1 audit held yet: plan it with the certification body.")
    held = f"Stage 1 held on {audit.actual_end}"
    if audit.outcome == AuditOutcome.NOT_READY.value:
        return Verdict(False, f"{held} found the system not ready: hold stage 1 again.")
    open_ = [f for f in facts.of(audit) if f.status not in RESOLVED]
    if open_:
        return Verdict(
            False,
            f"{held}: {len(open_)} area(s) of concern still to resolve before stage 2:"
            f" {_names(open_)}.",
        )
    return Verdict(True, f"{held}; every area of concern resolved.")


def _majors(facts: StageFacts) -> list[FindingFact]:
    return [f for f in facts.of(facts.stage_2) if f.type == FindingType.MAJOR_NONCONFORMITY.value]


def _late(facts: StageFacts, deadline: rules.Due) -> list[FindingFact]:
    return [f for f in _majors(facts) if f.verified_on is None or f.verified_on > deadline.day]


def stage_2_held(facts: StageFacts) -> Verdict:
    audit = facts.stage_2
    if audit is None or audit.actual_end is None:
        return Verdict(False, "No stage 2 audit held yet: it follows a stage 1 found ready.")
    repeat = rules.stage2_repeat(audit.actual_end, facts.body)
    late = _late(facts, repeat)
    if late and facts.today is not None and facts.today > repeat.day:
        return Verdict(False, f"Stage 2 must be held again: {_names(late)} open; {repeat.rule}.")
    return Verdict(True, f"Stage 2 held from {audit.actual_start} to {audit.actual_end}.")


def majors_verified(facts: StageFacts) -> Verdict:
    audit = facts.stage_2
    if audit is None or audit.actual_end is None:
        return Verdict(False, "No stage 2 audit held yet.")
    if not _majors(facts):
        return Verdict(True, "Stage 2 raised no major nonconformity.")
    deadline = rules.major_deadline(audit.actual_end, facts.body)
    late = _late(facts, deadline)
    if late:
        return Verdict(False, f"Not verified in time: {_names(late)} ({deadline.rule}).")
    return Verdict(True, f"Every major nonconformity verified closed ({deadline.rule}).")


def minors_planned(facts: StageFacts) -> Verdict:
    if facts.stage_2 is None:
        return Verdict(False, "No stage 2 audit held yet.")
    minors = [f for f in facts.of(facts.stage_2) if f.type == FindingType.MINOR_NONCONFORMITY.value]
    unplanned = [f for f in minors if f.status not in PLANNED]
    if unplanned:
        return Verdict(
            False,
            f"No accepted action plan yet for {_names(unplanned)}: record the corrective"
            " action the body accepted.",
        )
    return Verdict(True, f"{len(minors)} minor nonconformity(ies), each with an accepted plan.")


def decision_recorded(certificate: Certificate | None) -> Verdict:
    if certificate is None:
        return Verdict(False, "No certification decision recorded yet.")
    return Verdict(
        True,
        f"Certified on {certificate.decision_on}: certificate {certificate.number} expires on"
        f" {certificate.expires_on}.",
    )


BEFORE_DECISION: tuple[Callable[[StageFacts], Verdict], ...] = (
    stage_1_held,
    stage_2_held,
    majors_verified,
    minors_planned,
)
