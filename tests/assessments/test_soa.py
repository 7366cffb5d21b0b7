"""The Statement of Applicability: rows read from the controls' assessments, and its CSV.

A control nobody has assessed yet reads "not yet assessed", never "applicable"."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from backend.assessments import service, soa
from backend.assessments.models import Conformity, Implementation
from backend.core.errors import ErrorCode, ServiceError
from backend.programs.judgements import Judgement
from tests.assessments.helpers import SECURITY_CONTROLS, Scene


async def judge_controls(scene: Scene, program: uuid.UUID) -> None:
    controls = scene.catalog.security.clauses
    judgements = [
        Judgement(
            controls["A.5.1"],
            Conformity.CONFORMANT,
            justification="Required by our customers' contracts.",
            implementation=Implementation.IMPLEMENTED,
        ),
        Judgement(
            controls["A.6.1"],
            Conformity.NOT_APPLICABLE,
            justification='=HYPERLINK("http://evil.example"), says the contractor',
        ),
        Judgement(
            controls["A.8.1"],
            Conformity.PARTIAL,
            gap_description="Laptops are not encrypted.",
            justification='-1, or "laptops", line one\nline two',
            implementation=Implementation.PARTIALLY_IMPLEMENTED,
        ),
    ]
    async with scene.acting("a_owner") as (db, actor):
        await service.assess_requirements(db, actor, program, judgements)


@pytest.fixture
async def security(scene: Scene) -> uuid.UUID:
    program = await scene.start_program(scene.catalog.security)
    await judge_controls(scene, program)
    return program


async def statement_for(scene: Scene, user: str, program: uuid.UUID) -> soa.Statement:
    async with scene.acting(user) as (db, _):
        return await soa.statement_of_applicability(db, program)


async def test_one_row_per_annex_control_in_catalog_order(
    scene: Scene, security: uuid.UUID
) -> None:
    statement = await statement_for(scene, "a_viewer", security)
    assert statement.standard == scene.catalog.security.name
    assert statement.filename.startswith("statement-of-applicability-test-isms-")
    assert statement.filename.endswith("-2022.csv")
    applicable, excluded, unassessed = (
        soa.Applicability.APPLICABLE,
        soa.Applicability.NOT_APPLICABLE,
        soa.Applicability.NOT_ASSESSED,
    )
    assert [
        (row.control, row.theme, row.applicability, row.implementation, row.status)
        for row in statement.rows
    ] == [
        ("A.5.1", "organizational", applicable, Implementation.IMPLEMENTED, Conformity.CONFORMANT),
        ("A.5.2", "organizational", unassessed, None, Conformity.NOT_ASSESSED),
        ("A.5.35", "organizational", unassessed, None, Conformity.NOT_ASSESSED),
        ("A.6.1", "people", excluded, None, Conformity.NOT_APPLICABLE),
        (
            "A.8.1",
            "technological",
            applicable,
            Implementation.PARTIALLY_IMPLEMENTED,
            Conformity.PARTIAL,
        ),
    ]
    assert [row.applicable for row in statement.rows] == [True, None, None, False, True]
    assert statement.rows[0].title == "Policies for information security"
    assert statement.rows[0].justification == "Required by our customers' contracts."


async def test_csv_is_rfc_4180_with_a_header_and_defused_formulas(
    scene: Scene, security: uuid.UUID
) -> None:
    text = (await statement_for(scene, "a_owner", security)).csv()
    assert text.startswith(
        "Control,Title,Theme,Applicability,Justification,Assessment status,"
        "Implementation status\r\n"
    )
    assert text.endswith("\r\n")
    # A quoted field keeps its comma, its doubled quotes and its line break.
    assert '"\'-1, or ""laptops"", line one\nline two"' in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1] == [
        "A.5.1",
        "Policies for information security",
        "organizational",
        "applicable",
        "Required by our customers' contracts.",
        "conformant",
        "implemented",
    ]
    assert rows[4] == [
        "A.6.1",
        "Screening",
        "people",
        "not applicable",
        '\'=HYPERLINK("http://evil.example"), says the contractor',
        "not applicable",
        "",
    ]
    assert rows[5][4] == '\'-1, or "laptops", line one\nline two'
    assert rows[5][5:] == ["partial", "partially implemented"]
    assert len(rows) == 6  # the header and five controls


async def test_unassessed_controls_are_marked_and_not_applicable_by_default(
    scene: Scene,
) -> None:
    program = await scene.start_program(scene.catalog.security)
    text = (await statement_for(scene, "a_owner", program)).csv()
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    assert [row[0] for row in rows] == [number for number, *_ in SECURITY_CONTROLS]
    assert {(row[3], row[4], row[5], row[6]) for row in rows} == {
        ("not yet assessed", "", "not assessed", "")
    }


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_defused(start: str) -> None:
    row = soa.Row(
        control="A.5.1",
        title=f"{start}SUM(A1:A9)",
        theme=None,
        justification="Plain text stays as it is.",
        implementation=None,
        status=Conformity.CONFORMANT,
    )
    [_, cells] = list(csv.reader(io.StringIO(soa.to_csv([row]), newline="")))
    assert cells[1] == f"'{start}SUM(A1:A9)"
    assert cells[4] == "Plain text stays as it is."


@pytest.mark.parametrize(
    ("status", "applicability"),
    [
        (Conformity.NOT_ASSESSED, "not yet assessed"),
        (Conformity.NOT_APPLICABLE, "not applicable"),
        (Conformity.CONFORMANT, "applicable"),
        (Conformity.PARTIAL, "applicable"),
        (Conformity.NONCONFORMANT, "applicable"),
    ],
)
def test_applicability_follows_the_assessment_status(
    status: Conformity, applicability: str
) -> None:
    row = soa.Row("A.5.1", "Policies", None, "", None, status)
    [_, cells] = list(csv.reader(io.StringIO(soa.to_csv([row]), newline="")))
    assert (cells[3], cells[5]) == (applicability, status.value.replace("_", " "))


async def test_the_auditor_may_read_the_statement(scene: Scene, security: uuid.UUID) -> None:
    owner_view = await statement_for(scene, "a_owner", security)
    assert await statement_for(scene, "auditor", security) == owner_view


async def test_a_program_without_annex_controls_has_no_statement(scene: Scene) -> None:
    quality = await scene.start_program(scene.catalog.quality)
    with pytest.raises(ServiceError) as refused:
        await statement_for(scene, "a_owner", quality)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, ["programId"])
    assert scene.catalog.quality.name in refused.value.message


async def test_another_tenants_program_answers_like_a_random_id(
    scene: Scene, security: uuid.UUID
) -> None:
    answers = []
    for program in (security, uuid.uuid4()):
        async with scene.acting("b_owner", "b") as (db, _):
            with pytest.raises(ServiceError) as refused:
                await soa.statement_of_applicability(db, program)
        answers.append((refused.value.code, refused.value.message, refused.value.field))
    assert answers[0] == answers[1] == (ErrorCode.NOT_FOUND, "Program not found.", ["programId"])
