"""What the reports list costs: the same statements for one report as for many, with every
field asked (program, audit, review, who asked, the signed download URL)."""

from __future__ import annotations

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.demo import ACME, ACME_OWNER, seed_demo
from backend.runtime import Runtime
from tests.api.helpers import count_statements
from tests.planning.helpers import Plan
from tests.reports.helpers import GENERATE, REPORTS, export, read
from tests.support import LOGIN, Client, global_id, gql, login

SUBJECTS = """
query {
  audits(first: 1, status: CLOSED) { edges { node { id } } }
  managementReviews(first: 1) { edges { node { id } } }
  programs(first: 1) { edges { node { id } } }
}
"""


async def test_the_reports_list_costs_the_same_for_one_report_as_for_six(
    *, client: Client, plan: Plan, app: Litestar
) -> None:
    token, tenant = await login(client, "a_owner"), plan.org_gid("a")

    async def cost() -> tuple[int, int]:
        await read(client, REPORTS, token, tenant)  # warm up
        with count_statements(app.state.runtime.engine) as sent:
            data = await read(client, REPORTS, token, tenant)
        return len(sent), data["reports"]["totalCount"]

    await export(client, "GAP_ANALYSIS", plan.program_gid("a"), token=token, tenant=tenant)
    small = await cost()
    for kind in ("ACTION_PLAN", "FINDINGS", "REGISTERS", "GAP_ANALYSIS"):
        await export(client, kind, plan.program_gid("a"), token=token, tenant=tenant)
    await export(client, "GAP_ANALYSIS", plan.program_gid("a_q"), token=token, tenant=tenant)
    large = await cost()
    assert (small[1], large[1]) == (1, 6)
    assert small[0] == large[0], (small, large)
    print("statements of the reports list (1 / 6 reports):", small[0], large[0])


async def test_reports_of_audits_and_reviews_cost_the_same_for_three_as_for_eight(
    *, client: Client, runtime: Runtime, app: Litestar, owner_engine: AsyncEngine
) -> None:
    """The demo's two reports (readiness, internal audit) and a review's minutes, then five
    more of every subject (the audit, the review, the program, exports); each report's
    audit and review asked."""
    await seed_demo(runtime)
    password = runtime.settings.demo_password.get_secret_value()
    login_body = await gql(client, LOGIN, {"email": ACME_OWNER, "password": password})
    token, tenant = login_body["data"]["login"]["accessToken"], global_id("Organization", ACME.id)

    async def cost() -> tuple[int, int]:
        await read(client, REPORTS, token, tenant)  # warm up
        with count_statements(app.state.runtime.engine) as sent:
            data = await read(client, REPORTS, token, tenant)
        return len(sent), data["reports"]["totalCount"]

    async def generate(**subject: str) -> None:
        body = await gql(client, GENERATE, {"input": subject}, token=token, tenant=tenant)
        assert body["data"]["generateReport"]["errors"] == [], body

    subjects = await read(client, SUBJECTS, token, tenant)
    audit = subjects["audits"]["edges"][0]["node"]["id"]
    review = subjects["managementReviews"]["edges"][0]["node"]["id"]
    await generate(kind="MANAGEMENT_REVIEW", reviewId=review)
    small = await cost()
    await generate(kind="INTERNAL_AUDIT", auditId=audit)
    await generate(kind="MANAGEMENT_REVIEW", reviewId=review)
    await generate(kind="READINESS", programId=subjects["programs"]["edges"][0]["node"]["id"])
    program = subjects["programs"]["edges"][0]["node"]["id"]
    for kind in ("GAP_ANALYSIS", "FINDINGS"):
        await export(client, kind, program, token=token, tenant=tenant)
    large = await cost()
    assert (small[1], large[1]) == (3, 8)
    assert small[0] == large[0], (small, large)
    print("statements of the reports list with audits and reviews (3 / 8 reports):", small[0])
