"""Re-importing the gap analysis sheet: an edited export applies in one transaction with the
assessments' history; one bad row applies nothing and is reported by row and column; who may
import; files that are not the sheet."""

from __future__ import annotations

import base64
import io
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.planning.helpers import Plan
from tests.reports.helpers import ERRORS, export, fetch, workbook
from tests.support import Client, gql, login

IMPORT = f"""
mutation($input: ImportGapAnalysisInput!) {{
  importGapAnalysis(input: $input) {{
    rows program {{ id }} {ERRORS} problems {{ row column message }}
  }}
}}
"""
STATE = """
SELECT c.number, a.status, a.gap_description, a.priority,
       (SELECT count(*) FROM assessment_changes h WHERE h.assessment_id = a.id) AS changes
FROM assessments a JOIN clauses c ON c.id = a.clause_id
WHERE a.program_id = :program AND c.assessable ORDER BY c.position
"""


async def _sheet(client: Client, plan: Plan, token: str) -> tuple[Any, Worksheet]:
    made = await export(
        client, "GAP_ANALYSIS", plan.program_gid("a"), token=token, tenant=plan.org_gid("a")
    )
    book = workbook(await fetch(client, made["report"]["downloadUrl"]))
    return book, book["Gap analysis"]


def _encoded(book: Any) -> str:
    buffer = io.BytesIO()
    book.save(buffer)
    return base64.b64encode(buffer.getvalue()).decode()


async def _import(
    client: Client, plan: Plan, workbook_text: str, *, token: str, org: str = "a"
) -> dict[str, Any]:
    variables = {"input": {"programId": plan.program_gid("a"), "workbook": workbook_text}}
    body = await gql(client, IMPORT, variables, token=token, tenant=plan.org_gid(org))
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["importGapAnalysis"]
    return payload


async def _state(owner_engine: AsyncEngine, plan: Plan) -> list[tuple[Any, ...]]:
    async with owner_engine.connect() as connection:
        rows = await connection.execute(text(STATE), {"program": plan.programs["a"]})
        return [tuple(row) for row in rows]


async def test_an_edited_sheet_assesses_every_row_and_keeps_the_history(
    *, client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    token = await login(client, "a_owner")
    book, sheet = await _sheet(client, plan, token)
    # Rows 2..6 are 7.5.1, 7.5.2, 8.5.1, 9.2, 10.2; columns C status, E gap, F priority.
    sheet["C5"], sheet["E5"], sheet["F5"] = "Nonconformant", "No audit programme yet.", "high"
    sheet["C3"], sheet["E3"] = "partial", "Records are kept on paper only."
    sheet["G6"] = "We design nothing."  # 10.2 stays not applicable, justification now given
    before = await _state(owner_engine, plan)
    payload = await _import(client, plan, _encoded(book), token=token)
    assert (payload["errors"], payload["rows"]) == ([], 5)
    after = {row[0]: row[1:] for row in await _state(owner_engine, plan)}
    assert after["9.2"] == ("nonconformant", "No audit programme yet.", "high", 1)
    assert after["7.5.2"][:2] == ("partial", "Records are kept on paper only.")
    assert after["7.5.2"][3] == 1
    assert after["10.2"][3] == 1
    unchanged = {row[0]: row[1:] for row in before}
    assert after["7.5.1"] == unchanged["7.5.1"]  # an unchanged row writes no history
    assert after["8.5.1"] == unchanged["8.5.1"]


async def test_one_bad_row_applies_nothing_and_every_problem_names_its_row_and_column(
    *, client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    token = await login(client, "a_owner")
    book, sheet = await _sheet(client, plan, token)
    sheet["C5"], sheet["E5"] = "nonconformant", "A real gap."  # valid on its own
    sheet["C2"] = "great"  # not a status
    sheet["C3"], sheet["E3"] = "partial", ""  # a gap needs its description
    sheet["A4"] = "99.9"  # not a requirement of the program
    sheet["F6"] = "urgent"  # not a priority
    before = await _state(owner_engine, plan)
    payload = await _import(client, plan, _encoded(book), token=token)
    assert payload["rows"] is None
    found = {(p["row"], p["column"]) for p in payload["problems"]}
    assert found == {(2, "Status"), (3, "Gap"), (4, "Requirement"), (6, "Priority")}
    assert all(p["message"] for p in payload["problems"])
    assert {e["code"] for e in payload["errors"]} == {"INVALID"}
    assert await _state(owner_engine, plan) == before


async def test_viewers_auditors_and_other_tenants_cannot_import(
    *, client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    book, sheet = await _sheet(client, plan, await login(client, "a_owner"))
    sheet["C5"], sheet["E5"] = "nonconformant", "A real gap."
    encoded = _encoded(book)
    before = await _state(owner_engine, plan)
    for reader in ("a_viewer", "auditor"):
        payload = await _import(client, plan, encoded, token=await login(client, reader))
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], reader
    stranger = await _import(client, plan, encoded, token=await login(client, "b_owner"), org="b")
    assert [e["code"] for e in stranger["errors"]] == ["NOT_FOUND"]
    assert await _state(owner_engine, plan) == before


async def test_a_file_that_is_not_the_sheet_is_a_clear_error(*, client: Client, plan: Plan) -> None:
    token = await login(client, "a_owner")
    book, _ = await _sheet(client, plan, token)
    book["Gap analysis"].title = "Something else"
    cases = {
        "not base64!": ["workbook"],
        base64.b64encode(b"plain text").decode(): ["file"],
        _encoded(book): ["file"],
    }
    for encoded, field in cases.items():
        payload = await _import(client, plan, encoded, token=token)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", field)]
        assert payload["problems"] == []
