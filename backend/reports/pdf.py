"""The readiness report as a PDF, laid out with reportlab.

reportlab is pure Python and embeds its standard fonts, so a report renders the same in
a container with no browser, no system libraries and no network. Every page carries the
organization's name, the report's date and id and its page number. Text written by people
(scope, findings) is escaped before layout: it is shown, never read as markup. Every
sentence here is our own; nothing is quoted from a standard.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from backend.reports import charts
from backend.reports.people import words
from backend.reports.readiness import ReadinessFacts
from backend.reports.workbook import Sheet

STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=STYLES["BodyText"])
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10)
CHART_WIDTH = 17 * cm
BLOCKERS = 15  # rows of the blockers table


def text(value: str, style: ParagraphStyle = SMALL) -> Paragraph:
    return Paragraph(escape(value), style)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> Table:
    cells = [[text(cell) for cell in header], *([text(cell) for cell in row] for row in rows)]
    table = Table(cells, colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dfe8f1")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _chart(png: bytes) -> Image:
    image = Image(io.BytesIO(png))
    ratio = image.imageHeight / image.imageWidth
    image.drawWidth, image.drawHeight = CHART_WIDTH, CHART_WIDTH * ratio
    return image


def heading(title: str) -> Paragraph:
    return Paragraph(escape(title), STYLES["Heading2"])


@dataclass(frozen=True)
class Masthead:
    """What every page of a report names: whose it is, of when, which report."""

    organization: str
    today: date
    report_id: uuid.UUID
    kind: str  # "Readiness report"


def document(
    masthead: Masthead,
    title: str,
    story: list[Flowable],
    page: tuple[float, float] = A4,
) -> tuple[bytes, int]:
    """The laid-out document's bytes and its page count."""
    buffer = io.BytesIO()
    pages: list[int] = []

    def on_page(canvas: Canvas, _document: SimpleDocTemplate) -> None:
        pages.append(canvas.getPageNumber())
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        top, bottom = page[1] - 1.2 * cm, 1 * cm
        canvas.drawString(2 * cm, top, f"{masthead.organization} · {masthead.today.isoformat()}")
        canvas.drawRightString(page[0] - 2 * cm, top, masthead.kind)
        canvas.drawString(2 * cm, bottom, f"Report {masthead.report_id}")
        canvas.drawRightString(page[0] - 2 * cm, bottom, f"Page {canvas.getPageNumber()}")
        canvas.restoreState()

    layout = SimpleDocTemplate(
        buffer, pagesize=page, title=title, author=masthead.organization, topMargin=2 * cm
    )
    layout.build(
        [Paragraph(escape(title), STYLES["Title"]), *story],
        onFirstPage=on_page,
        onLaterPages=on_page,
    )
    return buffer.getvalue(), max(pages)


def readiness_pdf(chapters: Sequence[ReadinessFacts], report_id: uuid.UUID) -> tuple[bytes, int]:
    """One program's report, or an integrated system's: a chapter per program, each with
    its own score, steps, findings, audits and cycle (programs are scored one by one)."""
    first = chapters[0]
    masthead = Masthead(first.organization, first.today, report_id, "Readiness report")
    if len(chapters) == 1:
        return document(masthead, f"Readiness report: {first.standard}", _story(first))
    standards = ", ".join(facts.edition for facts in chapters)
    story: list[Flowable] = [
        text(f"An integrated management system of {len(chapters)} programs: {standards}.", BODY)
    ]
    for facts in chapters:
        story += [Paragraph(escape(facts.standard), STYLES["Heading1"]), *_story(facts)]
    return document(masthead, "Readiness report: integrated management system", story)


def sheet_pdf(masthead: Masthead, title: str, sheet: Sheet) -> tuple[bytes, int]:
    """A spreadsheet export's rows as a table (the SoA beside its XLSX) on landscape pages,
    columns sized by the widths the workbook gives them."""
    page = landscape(A4)
    total = sum(column.width for column in sheet.columns)
    widths = [(page[0] - 4 * cm) * column.width / total for column in sheet.columns]
    rows = [["" if value is None else str(value) for value in row] for row in sheet.rows]
    header = [column.header for column in sheet.columns]
    return document(masthead, title, [table(header, rows, widths)], page)


def _story(facts: ReadinessFacts) -> list[Flowable]:
    return [
        text(f"{facts.organization}. Scope: {facts.scope}", BODY),
        *_score(facts),
        *_groups(facts),
        *_blockers(facts),
        *_steps(facts),
        *_findings(facts),
        *_audits(facts),
        *_cycle(facts),
    ]


def _score(facts: ReadinessFacts) -> list[Flowable]:
    latest = facts.latest
    if latest is None:
        return [heading("Score"), text("No readiness score has been stored yet.", BODY)]
    outlook = facts.forecast
    if outlook.likely:
        band = f"{outlook.optimistic} to {outlook.pessimistic or 'later'}"
        said = f"Stage 2 readiness is likely on {outlook.likely} (range {band})."
    else:
        said = f"No forecast date: {outlook.reason}"
    history = [(snapshot.at, snapshot.score) for snapshot in facts.history]
    return [
        heading("Score"),
        text(
            f"Score {latest.score:.1f} of 100, level {words(latest.level)}, as computed on"
            f" {latest.at.date().isoformat()} ({len(facts.history)} stored scores).",
            BODY,
        ),
        text(said, BODY),
        _chart(charts.burn_up(history, outlook)),
    ]


def _groups(facts: ReadinessFacts) -> list[Flowable]:
    scores = [(g["clause"], float(g["score"])) for g in facts.breakdown.get("groups", [])]
    if not scores:
        return []
    return [heading("By clause"), _chart(charts.groups(scores))]


def _blockers(facts: ReadinessFacts) -> list[Flowable]:
    blockers = facts.breakdown.get("blockers", [])[:BLOCKERS]
    if not blockers:
        return [heading("Blockers"), text("Nothing stands in the way.", BODY)]
    rows = [
        [str(rank), item["message"], f"{float(item['points']):.1f}", "yes" if item["caps"] else ""]
        for rank, item in enumerate(blockers, start=1)
    ]
    header = ("#", "What to do", "Points", "Caps the level")
    return [heading("Blockers"), table(header, rows, (1 * cm, 11 * cm, 2 * cm, 3 * cm))]


def _steps(facts: ReadinessFacts) -> list[Flowable]:
    """One row per exit criterion; a step is named on its first row only."""
    rows = []
    for step in facts.steps:
        named = [f"{step.number}. {step.title}", words(step.status)]
        for item in step.criteria:
            verdict = "met" if item.met else f"not met: {item.reason}"
            rows.append([*named, item.description, verdict])
            named = ["", ""]
        if not step.criteria:
            rows.append([*named, "no exit criteria", ""])
    header = ("Step", "Status", "Exit criterion", "Verdict")
    return [heading("The seven steps"), table(header, rows, (4 * cm, 2.2 * cm, 5.8 * cm, 5 * cm))]


def _findings(facts: ReadinessFacts) -> list[Flowable]:
    title = heading(f"Open findings ({facts.open_findings})")
    if not facts.findings:
        return [title, text("No open findings.", BODY)]
    rows = [
        [f.reference, words(f.type), words(f.status), f.statement, str(f.due or "")]
        for f in facts.findings
    ]
    header = ("Reference", "Type", "Status", "Statement", "Due")
    widths = (2.6 * cm, 3 * cm, 2.4 * cm, 6.8 * cm, 2.2 * cm)
    return [title, table(header, rows, widths)]


def _audits(facts: ReadinessFacts) -> list[Flowable]:
    title = heading("Upcoming audits")
    if not facts.audits:
        return [title, text("No audit of this program is planned.", BODY)]
    rows = [[a.reference, a.title, a.start.isoformat(), words(a.status)] for a in facts.audits]
    header = ("Reference", "Title", "Starts", "Status")
    return [title, table(header, rows, (3 * cm, 9 * cm, 2.5 * cm, 2.5 * cm)), Spacer(1, 12)]


def _cycle(facts: ReadinessFacts) -> list[Flowable]:
    """The certificate, the audits its cycle expects (with the rule behind each date) and
    the certification audits booked."""
    cycle = facts.cycle
    held = cycle.certificate
    story: list[Flowable] = [heading("Certification cycle")]
    if held is None:
        story.append(text("No certificate has been decided for this program yet.", BODY))
    else:
        story.append(
            text(
                f"Certificate {held.number}, {held.state}, cycle {held.cycle}: decided on"
                f" {held.decision_on.isoformat()}, expires on {held.expires_on.isoformat()}.",
                BODY,
            )
        )
    if held is not None and not cycle.expected:
        story.append(text("The audits this cycle expects are not scheduled yet.", BODY))
    if cycle.expected:
        rows = [
            [e.kind, e.opens_on.isoformat(), e.due_on.isoformat(), e.status, e.rule]
            for e in cycle.expected
        ]
        header = ("Expected audit", "Opens", "Due", "Status", "Rule")
        story.append(table(header, rows, (3.2 * cm, 2.2 * cm, 2.2 * cm, 2 * cm, 7.4 * cm)))
    booked = [f"{b.kind} from {b.start.isoformat()} to {b.end.isoformat()}" for b in cycle.booked]
    said = "Booked with the certification body: " + "; ".join(booked) + "."
    story.append(text(said if booked else "No certification audit is booked.", BODY))
    return story
