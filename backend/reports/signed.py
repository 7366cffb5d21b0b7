"""The two reports someone signs, laid out with the readiness report's masthead and tables:
the internal audit report (signed by the lead auditor) and the management review minutes
(signed by the chair). Both end with a sign-off block saying who signed and when, or that
the record is not signed yet: a draft handed over must not pass for the signed record."""

from __future__ import annotations

from datetime import date, datetime

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Flowable

from backend.reports.audit import AuditFacts, RaisedFinding
from backend.reports.pdf import BODY, Masthead, document, heading, table, text
from backend.reports.review import ReviewFacts

NONE = "none"
STRONG = ParagraphStyle("strong", parent=BODY, fontName="Helvetica-Bold")


def audit_pdf(masthead: Masthead, facts: AuditFacts) -> tuple[bytes, int]:
    story = [
        *_audit_scope(facts),
        *_audit_team(facts),
        *_checklist(facts),
        *_findings(facts),
        heading("Conclusion"),
        text(facts.conclusion or "No conclusion has been recorded.", BODY),
        *_sign_off("lead auditor", facts.signed_by, facts.signed_at, facts.status),
    ]
    return document(masthead, f"Internal audit report: {facts.reference}", story)


def review_pdf(masthead: Masthead, facts: ReviewFacts) -> tuple[bytes, int]:
    held = facts.held_on.isoformat() if facts.held_on else "not held yet"
    story = [
        text(f"{facts.title}. Held: {held}. Chair: {facts.chair or NONE}.", BODY),
        text(
            f"Management system: {', '.join(facts.standards) or NONE}. Period reviewed:"
            f" {facts.period[0].isoformat()} to {facts.period[1].isoformat()}.",
            BODY,
        ),
        heading(f"Attendees ({len(facts.attendees)})"),
        text(", ".join(facts.attendees) or "No attendee has been recorded.", BODY),
        *_inputs(facts),
        *_outputs(facts),
        *_sign_off("chair", facts.signed_by, facts.signed_at, facts.status),
    ]
    return document(masthead, f"Management review minutes: {facts.title}", story)


def _listed(values: list[str]) -> str:
    return ", ".join(values) or NONE


def _dates(start: date | None, end: date | None) -> str:
    if start is None:
        return "not started"
    return f"{start.isoformat()} to {end.isoformat() if end else 'ongoing'}"


def _audit_scope(facts: AuditFacts) -> list[Flowable]:
    planned = _dates(*facts.planned)
    return [
        text(f"{facts.title}. Programme: {facts.programme}. Status: {facts.status}.", BODY),
        heading("Scope"),
        text(f"Standards: {_listed(facts.standards)}.", BODY),
        text(f"Processes: {_listed(facts.processes)}. Sites: {_listed(facts.sites)}.", BODY),
        text(f"Planned {planned}; held {_dates(*facts.held)}.", BODY),
        text(f"Objectives: {facts.objectives or NONE}", BODY),
        heading("Criteria"),
        text(facts.criteria or "No criteria have been recorded.", BODY),
    ]


def _audit_team(facts: AuditFacts) -> list[Flowable]:
    return [
        heading("Audit team"),
        text(f"Lead auditor: {facts.lead_auditor or NONE}.", BODY),
        text(f"Team: {_listed(facts.team)}. Auditees: {_listed(facts.auditees)}.", BODY),
    ]


def _checklist(facts: AuditFacts) -> list[Flowable]:
    counts = "; ".join(f"{result}: {count}" for result, count in facts.results)
    summary = f"{len(facts.checklist)} requirements checked ({counts or NONE})."
    rows = [
        [line.standard, line.requirement, line.question, line.result, line.notes]
        for line in facts.checklist
    ]
    header = ("Standard", "Requirement", "Question", "Result", "Notes")
    widths = (2.4 * cm, 2.2 * cm, 5.4 * cm, 2.6 * cm, 4.4 * cm)
    return [heading("Checklist results"), text(summary, BODY), table(header, rows, widths)]


def _findings(facts: AuditFacts) -> list[Flowable]:
    story: list[Flowable] = [heading(f"Findings ({len(facts.findings)})")]
    if not facts.findings:
        return [*story, text("No finding was raised.", BODY)]
    for finding in facts.findings:
        story.extend(_finding(finding))
    return story


def _finding(finding: RaisedFinding) -> list[Flowable]:
    said = [
        f"{finding.reference}: {finding.type} against {finding.requirement}, {finding.status}.",
        f"Statement: {finding.statement}",
        f"Objective evidence: {finding.evidence or NONE}",
        f"Correction: {finding.correction or NONE}",
        f"Root cause: {finding.root_cause or NONE}",
    ]
    if finding.effectiveness:
        said.append(f"Effectiveness: {finding.effectiveness}")
    story: list[Flowable] = [text(said[0], STRONG), *(text(line, BODY) for line in said[1:])]
    if finding.actions:
        rows = [
            [str(a.round), a.title, a.owner, str(a.due or ""), a.status] for a in finding.actions
        ]
        header = ("Round", "Corrective action", "Owner", "Due", "Status")
        widths = (1.4 * cm, 7.6 * cm, 3.2 * cm, 2.4 * cm, 2.4 * cm)
        story.append(table(header, rows, widths))
    return story


def _inputs(facts: ReviewFacts) -> list[Flowable]:
    """One row per input: what it is (and the standard asking for it), its figures as
    assembled, what was said about it."""
    rows = [
        [
            item.kind.capitalize() + (f" ({item.standard})" if item.standard else ""),
            "; ".join(f"{figure.label}: {figure.value}" for figure in item.figures),
            item.notes,
        ]
        for item in facts.inputs
    ]
    if not rows:
        return [heading("Inputs"), text("No input has been assembled.", BODY)]
    header = ("Input", "Figures", "Discussed")
    return [heading("Inputs"), table(header, rows, (4 * cm, 6.5 * cm, 6.5 * cm))]


def _outputs(facts: ReviewFacts) -> list[Flowable]:
    story: list[Flowable] = [heading(f"Decisions and actions ({len(facts.outputs)})")]
    if not facts.outputs:
        return [*story, text("No decision or action has been recorded.", BODY)]
    rows = [[o.kind, o.title, o.owner, str(o.due or ""), o.status] for o in facts.outputs]
    header = ("Kind", "Decision or action", "Owner", "Due", "Status")
    widths = (2.4 * cm, 7.4 * cm, 3 * cm, 2.2 * cm, 2 * cm)
    return [*story, table(header, rows, widths)]


def _sign_off(role: str, by: str, at: datetime | None, status: str) -> list[Flowable]:
    if at is None:
        said = f"Not signed: the record is {status} and may still change."
    else:
        said = f"Signed by {by or 'a former member'}, {role}, on {at.date().isoformat()}."
    return [heading("Sign-off"), text(said, BODY)]
