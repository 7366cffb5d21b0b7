"""`certready tenant <slug> programs`: admin reads in one organization, as no user."""

from __future__ import annotations

import uuid
from typing import Any

from backend.settings import Settings
from tests.programs.conftest import Env
from tests.support import World, certready, global_id


async def test_lists_the_programs_of_the_named_tenant_only(
    env: Env, world: World, migrated: Settings, program: dict[str, Any]
) -> None:
    listed = certready(migrated, "tenant", world.orgs["a"].slug, "programs")
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.splitlines()
    assert global_id("Program", uuid.UUID(line.split()[0])) == program["id"]
    assert "0/7 steps completed" in line

    other = certready(migrated, "tenant", world.orgs["b"].slug, "programs")
    assert other.returncode == 0, other.stderr
    assert other.stdout == ""


async def test_an_unknown_slug_is_a_clear_failure(migrated: Settings) -> None:
    ran = certready(migrated, "tenant", "no-such-organization", "programs")
    assert ran.returncode == 1
    assert "no organization has the slug 'no-such-organization'" in ran.stderr
