"""What the reports list costs: the same statements for one report as for many, with every
field asked (program, who asked, the signed download URL)."""

from __future__ import annotations

from litestar import Litestar

from tests.api.helpers import count_statements
from tests.planning.helpers import Plan
from tests.reports.helpers import REPORTS, export, read
from tests.support import Client, login


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
