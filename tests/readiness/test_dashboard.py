"""The program dashboard: program, its seven steps with criteria, and every requirement with
its assessment and action count, in a bounded number of statements whatever the size."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import count_statements, messages, post
from tests.bench.scenarios import DASHBOARD
from tests.support import Client, World, login

START = """
mutation Start($code: String!, $edition: String!) {
  startProgram(input: {standardCode: $code, standardEdition: $edition,
                       scopeStatement: "Everything", targetDate: "2027-06-30"}) {
    program { id } errors { code message }
  }
}
"""


async def _dashboard_cost(
    client: Client, world: World, token: str, code: str, edition: str
) -> tuple[int, dict[str, Any]]:
    tenant = world.org_gid("a")
    started = await post(
        client, START, {"code": code, "edition": edition}, token=token, tenant=tenant
    )
    program_id = started.json()["data"]["startProgram"]["program"]["id"]
    await post(client, DASHBOARD, {"id": program_id}, token=token, tenant=tenant)  # warm caches
    with count_statements() as statements:
        response = await post(client, DASHBOARD, {"id": program_id}, token=token, tenant=tenant)
    assert messages(response) == []
    data: dict[str, Any] = response.json()["data"]
    return len(statements), data


async def test_dashboard_costs_the_same_for_a_small_and_a_large_program(
    client: Client, world: World
) -> None:
    token = await login(client, "a_owner")
    small, small_data = await _dashboard_cost(client, world, token, "ISO 14001", "2015")
    large, large_data = await _dashboard_cost(client, world, token, "ISO/IEC 27001", "2022")

    small_rows = small_data["assessments"]["edges"]
    large_rows = large_data["assessments"]["edges"]
    assert len(small_rows) == small_data["assessments"]["totalCount"] == 32
    assert len(large_rows) == large_data["assessments"]["totalCount"] == 123
    assert [step["number"] for step in large_data["program"]["steps"]] == [1, 2, 3, 4, 5, 6, 7]
    gap_analysis = large_data["program"]["steps"][0]
    assert gap_analysis["canComplete"] is False
    assert gap_analysis["criteria"][0]["met"] is False
    assert small == large, f"{small} statements for 32 requirements, {large} for 123"
