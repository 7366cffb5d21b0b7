"""An organization's scales: scores must fit them, the threshold decides significance, a
scale never shrinks below a score given; only those who manage the organization set them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.planning.helpers import Plan
from tests.registers.helpers import call, codes, iso_program, ok, read, register_rows
from tests.support import Client, login

SET = (
    "setRegisterScales",
    "SetRegisterScalesInput",
    "scales { likelihoodLevels impactLevels significanceThreshold }",
)
SCALES = (
    "query($o: ID!) { registerScales(organization: $o) { likelihoodLevels significanceThreshold } }"
)
ASPECT = ("createAspect", "CreateAspectInput", "aspect { id significant }")


async def test_scales_bound_scores_and_the_threshold_decides_significance(
    client: Client, plan: Plan, owner_engine: AsyncEngine
) -> None:
    await iso_program(owner_engine, plan, "14001")
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    defaults = await read(client, SCALES, o=tenant, token=owner, tenant=tenant)
    assert defaults["registerScales"] == {"likelihoodLevels": 5, "significanceThreshold": 8}
    aspect = {
        "programId": plan.program_gid("a_14001"),
        "title": "Dust",
        "activity": "Sanding",
        "condition": "NORMAL",
        "likelihood": 2,
        "impact": 3,
    }
    made = await ok(client, *ASPECT, aspect, token=owner, tenant=tenant)
    assert made["aspect"]["significant"] is False

    new = {"likelihoodLevels": 3, "impactLevels": 4, "significanceThreshold": 6}
    assert (await ok(client, *SET, new, token=owner, tenant=tenant))["scales"] == new
    again = await ok(client, *ASPECT, aspect, token=owner, tenant=tenant)
    assert again["aspect"]["significant"] is True
    too_high = await call(client, *ASPECT, aspect | {"likelihood": 4}, token=owner, tenant=tenant)
    assert too_high["errors"][0]["field"] == ["likelihood"]

    before = await register_rows(owner_engine)
    for input, field in (
        (new | {"likelihoodLevels": 1}, "likelihoodLevels"),
        (new | {"impactLevels": 11}, "impactLevels"),
        (new | {"significanceThreshold": 13}, "significanceThreshold"),
        (new | {"impactLevels": 2}, "likelihoodLevels"),  # impact 3 was given
    ):
        refused = await call(client, *SET, input, token=owner, tenant=tenant)
        assert refused["errors"][0]["field"] == [field], (input, refused)
    shrink = await call(client, *SET, new | {"impactLevels": 2}, token=owner, tenant=tenant)
    assert (
        shrink["errors"][0]["message"]
        == "Scored above the new scale: ASP-001, ASP-002. Rescore them first."
    )
    for user in ("a_viewer", "auditor"):
        token = await login(client, user)
        assert codes(await call(client, *SET, new, token=token, tenant=tenant)) == ["FORBIDDEN"]
    assert await register_rows(owner_engine) == before

    stranger, b_tenant = await login(client, "b_owner"), plan.org_gid("b")
    hidden = await read(client, SCALES, o=tenant, token=stranger, tenant=b_tenant)
    assert hidden["registerScales"] is None
