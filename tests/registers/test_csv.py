"""A register as CSV: one program's active rows, coded values in words, formulas defused;
readers (auditors too) may export it, other tenants may not."""

from __future__ import annotations

import csv
import io

from tests.planning.helpers import Plan
from tests.registers.helpers import ok, read
from tests.support import Client, gql, login

CSV = "query($p: ID!) { registerCsv(register: RISK, programId: $p) }"


async def test_a_register_exports_as_csv_with_formulas_defused(client: Client, plan: Plan) -> None:
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    for title, nature in (('=HYPERLINK("http://x")', "RISK"), ("New export market", "OPPORTUNITY")):
        await ok(
            client,
            "createRisk",
            "CreateRiskInput",
            "risk { id }",
            {
                "programId": plan.program_gid("a"),
                "title": title,
                "nature": nature,
                "context": "-1+1",
                "likelihood": 2,
                "impact": 3,
            },
            token=owner,
            tenant=tenant,
        )
    for user in ("a_owner", "auditor"):
        token = await login(client, user)
        text = (await read(client, CSV, p=plan.program_gid("a"), token=token, tenant=tenant))[
            "registerCsv"
        ]
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert rows == [
            [
                "Reference",
                "Title",
                "Description",
                "Nature",
                "Context",
                "Likelihood",
                "Impact",
                "Review on",
            ],
            ["R-001", '\'=HYPERLINK("http://x")', "", "risk", "'-1+1", "2", "3", ""],
            ["R-002", "New export market", "", "opportunity", "'-1+1", "2", "3", ""],
        ]
        assert text.endswith("\r\n")
    stranger = await login(client, "b_owner")
    body = await gql(
        client, CSV, {"p": plan.program_gid("a")}, token=stranger, tenant=plan.org_gid("b")
    )
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Program not found."
