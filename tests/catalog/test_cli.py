"""`certready catalog load`, run as an operator would, against the migrated test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from backend.catalog.loader import read_catalog
from backend.settings import Settings


def test_catalog_load_reports_every_standard(migrated: Settings) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "APP_DATABASE", "AUTH_", "CERTREADY_"))
    }
    env |= {"DATABASE_URL": str(migrated.database_url), "CERTREADY_ENV": "test"}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("certready")), "catalog", "load"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    expected = [
        f"{data.label}: {data.clause_count} clauses, {data.assessable_count} assessable,"
        f" {data.control_count} annex controls (unchanged)"
        for data in read_catalog()
    ]
    assert done.stdout.splitlines() == expected
    assert "ISO 9001:2015: 91 clauses, 65 assessable, 0 annex controls (unchanged)" in expected
