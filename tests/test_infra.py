"""Static checks of what CI cannot run: there is no Docker engine here."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend.jobs.health import HealthServer
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


# --- the whole stack: worker, scheduler, brokers, telemetry -------------------------------

JOB_PROCESSES = {"worker": "worker", "scheduler": "scheduler"}
ONE_SHOTS = {"migrate"}


def test_every_process_comes_from_the_one_image(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api = services["api"]
    for name, command in {"api": "serve", "migrate": "migrate", **JOB_PROCESSES}.items():
        service = services[name]
        assert (service["image"], service["build"]) == (api["image"], api["build"]), name
        assert service["command"] == ["certready", command]


def test_job_processes_wait_for_the_schema_and_the_broker(compose: dict[str, Any]) -> None:
    for name in JOB_PROCESSES:
        depends = compose["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
        assert compose["services"][name]["environment"]["CERTREADY_ENV"] == "production"


def test_every_long_running_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        check = service.get("healthcheck", {})
        if name in ONE_SHOTS:
            # Its exit status is the signal; the image's HTTP check would probe no server.
            assert check == {"disable": True}, name
            continue
        test = check.get("test")
        assert test, f"{name} has no health check"
        assert test[0] in {"CMD", "CMD-SHELL"}, name


def test_job_health_check_runs_and_fails_when_a_dependency_is_away(
    compose: dict[str, Any],
) -> None:
    """The scheduler's check is real Python: run it against a port that answers and one that
    does not."""
    script = compose["services"]["scheduler"]["healthcheck"]["test"][-1]
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        ok = {"DATABASE_URL": f"postgresql://u:p@127.0.0.1:{port}/db", "PATH": os.environ["PATH"]}
        assert _run_check(script, ok).returncode == 0
    away = ok | {"BROKER_URL": f"redis://127.0.0.1:{port}/0"}  # the server is closed now
    assert _run_check(script, away).returncode != 0


def test_the_worker_health_check_asks_its_probe_server(
    compose: dict[str, Any], settings: Settings
) -> None:
    """The worker's check asks /health/ready of the probe server `certready worker` starts on
    WORKER_HEALTH_PORT: ready while it answers, failing once it is gone."""
    worker = compose["services"]["worker"]
    assert int(worker["environment"]["WORKER_HEALTH_PORT"]) > 0
    script = worker["healthcheck"]["test"][-1]
    probe = HealthServer(settings, 0)  # no broker configured: ready
    probe.start()
    env = {"WORKER_HEALTH_PORT": str(probe.port), "PATH": os.environ["PATH"]}
    try:
        assert _run_check(script, env).returncode == 0
    finally:
        probe.stop()
    assert _run_check(script, env).returncode != 0


def _run_check(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )


def test_rabbitmq_is_an_optional_profile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["rabbitmq"]["profiles"] == ["rabbitmq"]
    for name, service in services.items():
        depends = service.get("depends_on", {})
        if isinstance(depends, dict) and "rabbitmq" in depends:
            assert depends["rabbitmq"]["required"] is False, name
    environment = services["api"]["environment"]
    # BROKER_URL wins over REDIS_URL when set; empty counts as unset (env_ignore_empty).
    assert environment["BROKER_URL"] == "${BROKER_URL:-}"
    assert Settings.model_config.get("env_ignore_empty") is True


def test_dependencies_name_real_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name


def _mounted(service: dict[str, Any], target: str) -> Path:
    """The file of infra/ that `service` mounts at `target`."""
    volumes: list[str] = service["volumes"]
    for volume in volumes:
        source, mount, *_ = volume.split(":")
        if mount == target:
            return ROOT / "infra" / source
    raise AssertionError(f"nothing is mounted at {target}")


def test_the_collector_pipelines_are_complete(compose: dict[str, Any]) -> None:
    collector = compose["services"]["otel-collector"]
    [config_flag] = collector["command"]
    config = yaml.safe_load(_mounted(collector, config_flag.split("=", 1)[1]).read_text())
    for pipeline in config["service"]["pipelines"].values():
        for kind in ("receivers", "processors", "exporters"):
            assert set(pipeline.get(kind, [])) <= set(config[kind]), kind
    assert set(config["service"]["extensions"]) == {"health_check"}  # what /healthcheck asks
    # The app exports to the collector's OTLP/HTTP receiver.
    endpoint = compose["services"]["api"]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
    http_port = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].rsplit(":", 1)[1]
    assert endpoint == f"http://otel-collector:{http_port}"


# The collector serves its own metrics here unless its configuration says otherwise.
COLLECTOR_TELEMETRY_PORT = 8888
SECRETS = Path("/run/secrets")


def _prometheus_config(compose: dict[str, Any]) -> dict[str, Any]:
    prometheus = compose["services"]["prometheus"]
    config_path = next(arg for arg in prometheus["command"] if arg.startswith("--config.file="))
    config: dict[str, Any] = yaml.safe_load(
        _mounted(prometheus, config_path.split("=", 1)[1]).read_text()
    )
    return config


def _endpoint_ports(config: Any) -> set[int]:
    """The ports of every `endpoint: host:port` in a collector configuration."""
    if isinstance(config, dict):
        found = {int(config["endpoint"].rsplit(":", 1)[1])} if "endpoint" in config else set()
        return found.union(*(_endpoint_ports(value) for value in config.values()))
    return set()


def _listening(compose: dict[str, Any]) -> dict[str, set[int]]:
    """The ports each scrapable service listens on, read from the files that decide them."""
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text()
    [image_port] = re.findall(r"^\s*PORT=(\d+)", dockerfile, re.MULTILINE)
    collector = yaml.safe_load((ROOT / "infra" / "otel-collector.yaml").read_text())
    worker = compose["services"]["worker"]["environment"]
    return {
        "api": {int(compose["services"]["api"]["environment"].get("PORT", image_port))},
        "worker": {int(worker["WORKER_HEALTH_PORT"])},
        "otel-collector": {*_endpoint_ports(collector), COLLECTOR_TELEMETRY_PORT},
    }


def test_prometheus_targets_name_real_services_and_ports(compose: dict[str, Any]) -> None:
    config = _prometheus_config(compose)
    listening = _listening(compose)
    targets = {
        target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    collector = yaml.safe_load((ROOT / "infra" / "otel-collector.yaml").read_text())
    exporter_port = collector["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1]
    assert f"otel-collector:{exporter_port}" in targets
    assert {"api", "worker"} <= {target.rsplit(":", 1)[0] for target in targets}
    for target in targets - {"127.0.0.1:9090"}:  # Prometheus itself
        host, port = target.rsplit(":", 1)
        assert host in compose["services"], target
        assert int(port) in listening[host], target


def test_the_app_is_scraped_with_the_metrics_token(compose: dict[str, Any]) -> None:
    """Production serves /metrics only with METRICS_TOKEN: the api and worker jobs send the
    same value, handed to Prometheus as a compose secret from the operator's environment."""
    services = compose["services"]
    environment = services["api"]["environment"]
    assert environment["METRICS_TOKEN"] == "${METRICS_TOKEN:?set METRICS_TOKEN}"
    assert services["worker"]["environment"]["METRICS_TOKEN"] == environment["METRICS_TOKEN"]
    mounted = {SECRETS / name for name in services["prometheus"]["secrets"]}
    app_jobs = [
        job
        for job in _prometheus_config(compose)["scrape_configs"]
        if {target.rsplit(":", 1)[0] for s in job["static_configs"] for target in s["targets"]}
        & {"api", "worker"}
    ]
    assert len(app_jobs) == 2
    for job in app_jobs:
        assert job["metrics_path"] == "/metrics"
        authorization = job["authorization"]
        assert authorization["type"] == "Bearer"
        credentials = Path(authorization["credentials_file"])
        assert credentials in mounted, job["job_name"]
        assert compose["secrets"][credentials.name] == {"environment": "METRICS_TOKEN"}
