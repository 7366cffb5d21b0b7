"""`certready tenant <slug> programs`: admin reads in one organization, as no user."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from backend.settings import Settings
from tests.programs.conftest import Env
from tests.support import World, global_id


def _certready(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATABASE_")}
    env |= {
        "DATABASE_URL": settings.owner_url.render_as_string(hide_password=False),
        "DATABASE_APP_PASSWORD": settings.database_app_password.get_secret_value(),
        "CERTREADY_ENV": "test",
        "DATA_DIR": str(settings.data_dir),
        "LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("certready")), *args]
    return subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=120
    )


async def test_lists_the_programs_of_the_named_tenant_only(
    env: Env, world: World, migrated: Settings, program: dict[str, Any]
) -> None:
    listed = _certready(migrated, "tenant", world.orgs["a"].slug, "programs")
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.splitlines()
    assert global_id("Program", uuid.UUID(line.split()[0])) == program["id"]
    assert "0/7 steps completed" in line

    other = _certready(migrated, "tenant", world.orgs["b"].slug, "programs")
    assert other.returncode == 0, other.stderr
    assert other.stdout == ""


async def test_an_unknown_slug_is_a_clear_failure(migrated: Settings) -> None:
    ran = _certready(migrated, "tenant", "no-such-organization", "programs")
    assert ran.returncode == 1
    assert "no organization has the slug 'no-such-organization'" in ran.stderr
