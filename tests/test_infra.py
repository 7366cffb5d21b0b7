"""Static checks of what CI cannot run: there is no Docker engine here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    """A dev dependency's binary, installed beside this interpreter."""
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        pytest.fail(f"{name} is missing: it is a dev dependency, run `make install`")
    return str(path)


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [_tool("hadolint"), str(ROOT / "infra" / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_script_passes_shellcheck() -> None:
    result = subprocess.run(
        [_tool("shellcheck"), str(ROOT / ".ci" / "run")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_multi_stage_and_runs_unprivileged() -> None:
    lines = (ROOT / "infra" / "Dockerfile").read_text().splitlines()
    assert sum(line.startswith("FROM ") for line in lines) >= 2
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users, "the runtime stage must switch user"
    assert users[-1].split(":")[0] not in {"0", "root"}
    assert any(line.startswith("HEALTHCHECK") for line in lines)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "infra" / "compose.yaml").read_text())
    return document


def test_compose_runs_the_full_stack(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "redis", "minio", "migrate", "api"} <= set(services)
    api = services["api"]
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_settings_are_real_settings_and_production_safe(compose: dict[str, Any]) -> None:
    environment: dict[str, str] = compose["services"]["api"]["environment"]
    known = {name.upper() for name in Settings.model_fields}
    app_settings = {name for name in environment if name in known}
    assert {"CERTREADY_ENV", "DATABASE_URL", "AUTH_SIGNING_KEYS"} <= app_settings
    assert environment["CERTREADY_ENV"] == "production"
    # Secrets the app refuses to default must be demanded from the operator, not invented.
    for secret in ("DATABASE_APP_PASSWORD", "AUTH_SIGNING_KEYS"):
        assert ":?" in environment[secret], f"{secret} must be required (${{VAR:?message}})"


def _planned(workdir: Path, target: str) -> list[str]:
    """The commands `make TARGET` would run in `workdir` (a dry run: nothing is installed)."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target, "UV=uv"],  # noqa: S607
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def _syncs(commands: list[str]) -> list[str]:
    return [command for command in commands if command.startswith("uv sync")]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The Makefile and the files its install stamps depend on, in a fresh directory."""
    for name in ("Makefile", "pyproject.toml", "uv.lock"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    return tmp_path


def test_make_run_installs_only_what_serving_needs(checkout: Path) -> None:
    """No linters, type checkers or test servers in an environment that only serves; and no
    removal of them either, so `make test` after `make run` has nothing to reinstall."""
    [sync] = _syncs(_planned(checkout, "run"))
    assert "--no-dev" in sync.split()
    assert "--inexact" in sync.split()
    for target in ("test", "lint"):
        [sync] = _syncs(_planned(checkout, target))
        assert "--no-dev" not in sync.split(), target


def test_installed_environments_are_not_synced_again(checkout: Path) -> None:
    for target in ("run", "test"):
        for command in _planned(checkout, target):
            if command.startswith("touch "):
                stamp = checkout / command.split()[1]
                stamp.parent.mkdir(parents=True, exist_ok=True)
                stamp.touch()
    assert _syncs(_planned(checkout, "run")) == []
    assert _syncs(_planned(checkout, "test")) == []
    later = (checkout / "uv.lock").stat().st_mtime + 10
    os.utime(checkout / "uv.lock", (later, later))  # the lock changed: both sync again
    assert len(_syncs(_planned(checkout, "run"))) == 1
    assert len(_syncs(_planned(checkout, "test"))) == 1
