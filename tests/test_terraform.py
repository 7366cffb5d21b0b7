"""Static checks of terraform/, which CI cannot plan or apply: no AWS account, and no Terraform
binary unless one is on PATH. What can be known without them is checked here: the HCL parses,
every variable is used and documented, every module call resolves and passes what the module
requires, the task definitions name real settings, and checkov finds nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hcl2.api import load as load_hcl

from backend import cli
from backend.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TERRAFORM = ROOT / "terraform"
README = TERRAFORM / "README.md"
ENVIRONMENTS = sorted(path for path in (TERRAFORM / "environments").iterdir() if path.is_dir())
# Arguments of a module block that are not the module's variables.
META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}
JSON = ("-o", "json")
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(?P<check>[A-Z0-9_]+)(?::(?P<reason>.*))?")


def _directories() -> list[Path]:
    """Every folder holding Terraform files: the modules and the environments."""
    return sorted({path.parent for path in TERRAFORM.rglob("*.tf")})


@cache
def _parsed(directory: Path) -> list[dict[str, Any]]:
    documents = []
    for path in sorted(directory.glob("*.tf")):
        with path.open() as file:
            documents.append(load_hcl(file))
    return documents


def _blocks(directory: Path, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, body) of each `kind` block (variable, module, locals ...) in the folder."""
    for document in _parsed(directory):
        for block in document.get(kind, []):
            yield from block.items()


def _value(attribute: Any) -> Any:
    """The parser wraps each attribute's value in a one-element list."""
    return attribute[0] if isinstance(attribute, list) and len(attribute) == 1 else attribute


def _variables(directory: Path) -> dict[str, dict[str, Any]]:
    return dict(_blocks(directory, "variable"))


def _locals(directory: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for document in _parsed(directory):
        for block in document.get("locals", []):
            merged |= {key: _value(value) for key, value in block.items()}
    return merged


def _text(directory: Path) -> str:
    return "\n".join(path.read_text() for path in sorted(directory.glob("*.tf")))


def _label(directory: Path) -> str:
    return str(directory.relative_to(TERRAFORM))


@pytest.mark.parametrize("directory", _directories(), ids=_label)
def test_hcl_parses(directory: Path) -> None:
    for path in sorted(directory.glob("*.tf")):
        with path.open() as file:
            assert isinstance(load_hcl(file), dict), path


@pytest.mark.parametrize("directory", _directories(), ids=_label)
def test_every_variable_is_described_and_used(directory: Path) -> None:
    text = _text(directory)
    for name, body in _variables(directory).items():
        assert _value(body.get("description", "")).strip(), f"{name} has no description"
        assert re.search(rf"\bvar\.{name}\b", text), f"{_label(directory)}: {name} is never used"


def _readme_sections() -> dict[str, str]:
    """README text under each `### \\`folder\\`` heading, by folder."""
    sections: dict[str, str] = {}
    current: list[str] | None = None
    for line in README.read_text().splitlines():
        if line.startswith("### "):
            # One heading may name several folders whose variables are the same.
            current = [folder.strip("/") for folder in re.findall(r"`([^`]+)`", line)]
            sections |= dict.fromkeys(current, "")
        elif line.startswith("#"):
            current = None
        elif current is not None:
            for folder in current:
                sections[folder] += line + "\n"
    return sections


@pytest.mark.parametrize("directory", _directories(), ids=_label)
def test_every_variable_is_documented_in_the_readme(directory: Path) -> None:
    section = _readme_sections().get(_label(directory))
    assert section is not None, f"README.md has no section ### `{_label(directory)}`"
    for name in _variables(directory):
        assert f"| `{name}` |" in section, f"README.md, {_label(directory)}: {name} is missing"


def _module_calls() -> Iterator[tuple[Path, str, dict[str, Any]]]:
    for directory in _directories():
        for name, body in _blocks(directory, "module"):
            yield directory, name, body


def _call_id(call: tuple[Path, str, dict[str, Any]]) -> str:
    return f"{_label(call[0])}:{call[1]}"


@pytest.mark.parametrize("call", list(_module_calls()), ids=_call_id)
def test_module_source_resolves_and_gets_its_required_variables(
    call: tuple[Path, str, dict[str, Any]],
) -> None:
    caller, name, body = call
    source = _value(body["source"])
    assert source.startswith(("./", "../")), f"{name}: only local modules ({source})"
    target = (caller / source).resolve()
    assert any(target.glob("*.tf")), f"{name}: {source} does not resolve"
    declared = _variables(target)
    required = {variable for variable, spec in declared.items() if "default" not in spec}
    passed = {key for key in body if not key.startswith("__")} - META_ARGUMENTS
    assert required <= passed, f"{name} lacks {sorted(required - passed)}"
    assert passed <= set(declared), f"{name} passes undeclared {sorted(passed - set(declared))}"


def test_every_module_is_called() -> None:
    called = {(caller / _value(body["source"])).resolve() for caller, _, body in _module_calls()}
    modules = {path.resolve() for path in (TERRAFORM / "modules").iterdir() if path.is_dir()}
    assert modules <= called, sorted(str(path) for path in modules - called)


def test_environments_use_a_locked_remote_state() -> None:
    for environment in ENVIRONMENTS:
        [backends] = [body["backend"] for body in _terraform_blocks(environment)]
        [(kind, settings)] = backends[0].items()
        assert kind == "s3", environment.name
        assert _value(settings["encrypt"]) is True
        assert _value(settings["use_lockfile"]) is True
        assert environment.name in _value(settings["key"]), "each environment has its own state"


def _terraform_blocks(directory: Path) -> list[dict[str, Any]]:
    return [body for document in _parsed(directory) for body in document.get("terraform", [])]


# --- what the task definitions hand the app ---------------------------------------------

STACK = TERRAFORM / "modules" / "certready"


def _known_settings() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def test_tasks_set_only_real_settings() -> None:
    """Every upper-case name the stack assigns or lists is one of the app's settings."""
    text = (STACK / "main.tf").read_text()
    named = set(re.findall(r"\b([A-Z][A-Z0-9_]{2,})\s*=", text))
    named |= set(re.findall(r'"([A-Z][A-Z0-9_]{2,})"', text))
    assert named, "no environment variables found"
    assert named <= _known_settings(), sorted(named - _known_settings())


def test_each_process_gets_the_secrets_production_requires() -> None:
    secrets = _locals(STACK)["secrets_by_service"]
    assert set(secrets) == {"api", "worker", "scheduler", "migrate"}
    database = {"DATABASE_URL", "DATABASE_APP_PASSWORD"}
    assert database | {"AUTH_SIGNING_KEYS", "BROKER_URL"} <= set(secrets["api"])
    for service in ("worker", "scheduler"):
        assert database | {"BROKER_URL"} <= set(secrets[service])
        assert "AUTH_SIGNING_KEYS" not in secrets[service], "only the API signs tokens"
    assert set(secrets["migrate"]) == database


def test_every_secret_a_task_reads_exists() -> None:
    secrets_module = TERRAFORM / "modules" / "secrets"
    generated = set(_locals(secrets_module)["values"])
    made = generated | {"AUTH_SIGNING_KEYS"}
    read = {name for names in _locals(STACK)["secrets_by_service"].values() for name in names}
    assert read == made
    # Nothing secret travels as a plain environment variable.
    plain = set(re.findall(r"\b([A-Z][A-Z0-9_]{2,})\s*=", _text(STACK)))
    assert not plain & made, sorted(plain & made)


def test_processes_run_real_commands_of_one_image() -> None:
    commands = _locals(TERRAFORM / "modules" / "compute")["commands"]
    assert set(commands) == {"api", "worker", "scheduler", "migrate"}
    for argv in commands.values():
        assert argv[0] == "certready"
        # argparse exits 0 after the help of a known command, 2 for an unknown one.
        with pytest.raises(SystemExit) as exited:
            cli.main([*argv[1:], "--help"])
        assert exited.value.code == 0, argv
    # One task definition resource for all four, so one image.
    compute = _text(TERRAFORM / "modules" / "compute")
    assert compute.count('resource "aws_ecs_task_definition"') == 1
    assert re.findall(r"\bimage\s*=\s*(\S+)", compute) == ["var.image"]


def test_compose_and_aws_run_the_same_processes() -> None:
    """What runs locally is what runs in production: the same four commands."""
    compose = yaml.safe_load((ROOT / "infra" / "compose.yaml").read_text())["services"]
    local = {tuple(service["command"]) for service in compose.values() if "build" in service}
    aws = {tuple(argv) for argv in _locals(TERRAFORM / "modules" / "compute")["commands"].values()}
    assert local == aws


def test_the_api_alone_touches_evidence_and_only_under_its_prefix() -> None:
    iam = TERRAFORM / "modules" / "iam"
    assert _locals(iam)["evidence_objects"] == "${var.evidence_bucket_arn}/${var.evidence_prefix}*"
    policies = {
        name: body
        for kind, resources in _blocks(iam, "resource")
        if kind == "aws_iam_role_policy"
        for name, body in resources.items()
    }
    attached = {name: _value(body["role"]) for name, body in policies.items()}
    task_policies = {name: role for name, role in attached.items() if "aws_iam_role.task" in role}
    assert task_policies == {"api": '${aws_iam_role.task["api"].id}'}
    # Objects only (no bucket-level action, no listing, no bypass of retention).
    actions = set(re.findall(r'"(s3:[A-Za-z*]+)"', _text(iam)))
    assert actions == {"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:PutObjectRetention"}


# --- the runbook --------------------------------------------------------------------------

OPERATIONS = ROOT / "docs" / "operations.md"


def test_the_runbook_explains_every_alarm() -> None:
    alarms = set(_locals(TERRAFORM / "modules" / "observability")["alarms"])
    resources = _text(TERRAFORM / "modules" / "observability")
    alarms |= set(re.findall(r'alarm_name\s*=\s*"\$\{var\.name\}-([a-z0-9-]+)"', resources))
    assert "api-latency-p95" in alarms
    rows = set(re.findall(r"^\| `<name>-([a-z0-9-]+)` \|", OPERATIONS.read_text(), re.MULTILINE))
    assert rows == alarms


def test_the_runbook_names_real_commands() -> None:
    """Every `certready COMMAND [ACTION]` in backquotes is one the CLI knows."""
    commands = set(re.findall(r"`certready ([a-z-]+(?: [a-z]+)?)", OPERATIONS.read_text()))
    assert {"keys generate", "jobs failed", "jobs retry", "migrate"} <= commands
    for command in commands:
        with pytest.raises(SystemExit) as exited:
            cli.main([*command.split(), "--help"])
        assert exited.value.code == 0, command


# --- checkov and validate ---------------------------------------------------------------


@pytest.fixture(scope="module")
def checkov() -> dict[str, Any]:
    """One checkov run over every module as the environments call them (about 10 s)."""
    binary = Path(sys.executable).with_name("checkov")
    if not binary.exists():
        pytest.fail("checkov is missing: it is a dev dependency, run `make install`")
    result = subprocess.run(
        # --skip-download: no calls to the vendor's platform (CI has no internet).
        [str(binary), "-d", str(TERRAFORM), "--framework", "terraform", "--skip-download", *JSON],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode in {0, 1}, result.stderr[-2000:]
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report  # type: ignore[no-any-return]


def test_checkov_finds_nothing(checkov: dict[str, Any]) -> None:
    summary = checkov["summary"]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for check in checkov["results"]["failed_checks"]
    ]
    assert summary["failed"] == 0, "\n".join(failed)
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 200, "checkov saw too little: did it find the modules?"


def test_every_checkov_skip_says_why(checkov: dict[str, Any]) -> None:
    for check in checkov["results"]["skipped_checks"]:
        reason = check.get("check_result", {}).get("suppress_comment", "")
        assert len(reason) >= 30, f"{check['check_id']} on {check['resource']}: {reason!r}"
    for path in TERRAFORM.rglob("*.tf"):
        for line in path.read_text().splitlines():
            if "checkov:" in line:
                match = SKIP_COMMENT.search(line)
                assert match, f"{path}: {line}"
                assert len((match["reason"] or "").strip()) >= 30, f"{path}: {line}"


def _terraform_binary() -> str | None:
    return shutil.which("tofu") or shutil.which("terraform")


NO_BINARY = pytest.mark.skipif(
    _terraform_binary() is None,
    reason="no tofu or terraform on PATH, and none installs from PyPI, npm or Debian: PyPI's "
    "terraform-binary ships 0.11 (older than this HCL), the other wrappers download the binary "
    "from its vendor at run time, which CI cannot reach",
)


def _environment(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """The binary, and its environment: a developer's TF_ settings (a provider mirror or
    cache) count; nothing else of this process's does."""
    binary = _terraform_binary()
    assert binary is not None
    env = {key: value for key, value in os.environ.items() if key.startswith("TF_")}
    env |= {"TF_DATA_DIR": str(tmp_path), "PATH": str(Path(binary).parent), "TF_IN_AUTOMATION": "1"}
    return binary, env


@NO_BINARY
def test_terraform_is_formatted(tmp_path: Path) -> None:
    binary, env = _environment(tmp_path)
    result = _run(binary, ["fmt", "-check", "-recursive", "-diff", "-no-color"], TERRAFORM, env)
    assert result.returncode == 0, result.stdout + result.stderr


@NO_BINARY
@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=lambda path: path.name)
def test_terraform_validates(environment: Path, tmp_path: Path) -> None:
    binary, env = _environment(tmp_path)
    init = _run(binary, ["init", "-backend=false", "-input=false", "-no-color"], environment, env)
    if init.returncode != 0 and "could not connect to registry" in init.stdout + init.stderr:
        pytest.skip("the providers cannot be downloaded here (no route to their registry)")
    assert init.returncode == 0, init.stdout + init.stderr
    validate = _run(binary, ["validate", "-no-color"], environment, env)
    assert validate.returncode == 0, validate.stdout + validate.stderr


def _run(
    binary: str, argv: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, *argv], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
