"""Production refuses unsafe settings, listing every reason; development makes its own key."""

from __future__ import annotations

import json
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from backend.auth.keys import DEV_KID_PREFIX, generate_key
from backend.runtime import ApiRuntime, ConfigurationError
from backend.settings import DEV_APP_DB_PASSWORD, DEV_EVIDENCE_SECRET, Environment, Settings

OWNER_URL = "postgresql://certready_owner:owner-secret@db.internal:5432/certready"
STRONG_APP_PASSWORD = "x9Fq2LmT7vRw4Zk8Bn1Yc6Hs3Jd5Pg0Ua"
APP_URL = "postgresql://certready_app:{password}@db.internal:5432/certready"

BuildSettings = Callable[..., Settings]


@pytest.fixture
def make_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> BuildSettings:
    """Settings from explicit values only: no `.env`, no environment variable of ours."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)

    def build(**values: Any) -> Settings:
        values.setdefault("data_dir", tmp_path / "data")
        return Settings(_env_file=None, **values)

    return build


def _production(**overrides: Any) -> dict[str, Any]:
    """A production configuration that may start; each test spoils it in one way."""
    values: dict[str, Any] = {
        "certready_env": Environment.PRODUCTION,
        "database_url": OWNER_URL,
        "database_app_password": SecretStr(STRONG_APP_PASSWORD),
        "evidence_signing_secret": SecretStr("Vq3t8Zr0bLx5Wm2Nc7Ka1Hd4Gy6Ps9Ej"),
        "auth_signing_keys": SecretStr(json.dumps({"keys": [generate_key()]})),
        "cors_allow_origins": ["https://app.example"],
    }
    values.update(overrides)
    return values


def _refusal(settings: Settings) -> str:
    with pytest.raises(ConfigurationError) as caught:
        ApiRuntime.build(settings)
    message = str(caught.value)
    assert message.startswith("Refusing to start:")
    return message


@pytest.fixture
async def built() -> AsyncIterator[list[ApiRuntime]]:
    """Runtimes a test builds, closed afterwards (building connects to nothing)."""
    runtimes: list[ApiRuntime] = []
    yield runtimes
    for runtime in runtimes:
        await runtime.close()


async def test_production_with_proper_settings_builds(
    make_settings: BuildSettings, built: list[ApiRuntime]
) -> None:
    settings = make_settings(**_production())
    assert settings.production_problems() == []
    runtime = ApiRuntime.build(settings)
    built.append(runtime)
    assert not runtime.keys.has_development_key()
    assert runtime.settings.app_url.username == settings.database_app_role
    assert runtime.settings.app_url.drivername == "postgresql+asyncpg"


async def test_production_without_signing_keys_is_refused(make_settings: BuildSettings) -> None:
    message = _refusal(make_settings(**_production(auth_signing_keys=None)))
    assert "AUTH_SIGNING_KEYS is required in production" in message


async def test_production_with_a_development_key_is_refused(
    make_settings: BuildSettings,
) -> None:
    keys = SecretStr(json.dumps({"keys": [generate_key(), generate_key(DEV_KID_PREFIX)]}))
    message = _refusal(make_settings(**_production(auth_signing_keys=keys)))
    assert "development key" in message


async def test_production_with_unreadable_signing_keys_is_refused(
    make_settings: BuildSettings,
) -> None:
    message = _refusal(make_settings(**_production(auth_signing_keys=SecretStr("{oops"))))
    assert "AUTH_SIGNING_KEYS is not valid JSON" in message


async def test_production_with_the_default_app_password_is_refused(
    make_settings: BuildSettings,
) -> None:
    values = _production()
    del values["database_app_password"]
    message = _refusal(make_settings(**values))
    assert "DATABASE_APP_PASSWORD still has its development default" in message
    assert message.count("\n  - ") == 1


WEAK_SECRETS: dict[str, tuple[str, str]] = {
    "short": ("abc", "must have at least 32 characters"),
    "repeated block": ("abcd" * 8, "is too predictable"),
    "few characters": ("ab" * 15 + "ba", "is too predictable"),
    "another development value": (DEV_APP_DB_PASSWORD, "is a published development value"),
}


@pytest.mark.parametrize("case", list(WEAK_SECRETS))
async def test_production_refuses_a_weak_evidence_secret(
    make_settings: BuildSettings, case: str
) -> None:
    secret, reason = WEAK_SECRETS[case]
    message = _refusal(make_settings(**_production(evidence_signing_secret=SecretStr(secret))))
    assert f"EVIDENCE_SIGNING_SECRET {reason}" in message
    assert "openssl rand" in message
    assert message.count("\n  - ") == 1


@pytest.mark.parametrize("case", list(WEAK_SECRETS))
async def test_production_refuses_a_weak_app_password(
    make_settings: BuildSettings, case: str
) -> None:
    secret, reason = WEAK_SECRETS[case]
    if secret == DEV_APP_DB_PASSWORD:
        secret = DEV_EVIDENCE_SECRET  # the app password's own default has its own message
    message = _refusal(make_settings(**_production(database_app_password=SecretStr(secret))))
    assert f"DATABASE_APP_PASSWORD {reason}" in message


@pytest.mark.parametrize("password", [DEV_APP_DB_PASSWORD, "short-password"])
async def test_production_refuses_an_app_database_url_with_a_weak_password(
    make_settings: BuildSettings, password: str
) -> None:
    values = _production(app_database_url=APP_URL.format(password=password))
    del values["database_app_password"]  # unused once the URL is given
    message = _refusal(make_settings(**values))
    assert "The password in APP_DATABASE_URL" in message
    assert message.count("\n  - ") == 1


async def test_production_refuses_a_development_password_in_database_url(
    make_settings: BuildSettings,
) -> None:
    owner_url = OWNER_URL.replace("owner-secret", DEV_APP_DB_PASSWORD)
    message = _refusal(make_settings(**_production(database_url=owner_url)))
    assert "The password in DATABASE_URL is a published development value" in message


async def test_production_accepts_strong_or_unused_secrets(
    make_settings: BuildSettings,
) -> None:
    strong_url = _production(app_database_url=APP_URL.format(password=STRONG_APP_PASSWORD))
    # A role that authenticates without a password (certificate, IAM) and evidence in S3,
    # where the local store's signing secret is never used.
    passwordless = _production(
        app_database_url="postgresql://certready_app@db.internal:5432/certready",
        s3_bucket="evidence",
        evidence_signing_secret=SecretStr(DEV_EVIDENCE_SECRET),
    )
    for values in (strong_url, passwordless):
        del values["database_app_password"]
        assert make_settings(**values).production_problems() == []


async def test_production_without_database_url_is_refused(make_settings: BuildSettings) -> None:
    message = _refusal(make_settings(**_production(database_url=None)))
    assert "DATABASE_URL is required in production" in message


async def test_production_with_cors_wildcard_is_refused(make_settings: BuildSettings) -> None:
    message = _refusal(make_settings(**_production(cors_allow_origins=["https://a.example", "*"])))
    assert "CORS_ALLOW_ORIGINS may not be '*'" in message


async def test_production_with_insecure_cookie_is_refused(make_settings: BuildSettings) -> None:
    message = _refusal(make_settings(**_production(refresh_cookie_secure=False)))
    assert "REFRESH_COOKIE_SECURE must be true" in message


async def test_production_names_every_problem_at_once(make_settings: BuildSettings) -> None:
    settings = make_settings(
        certready_env=Environment.PRODUCTION,
        cors_allow_origins=["*"],
        refresh_cookie_secure=False,
    )
    message = _refusal(settings)
    expected = [
        "DATABASE_URL is required",
        "DATABASE_APP_PASSWORD still has its development default",
        "AUTH_SIGNING_KEYS is required",
        "CORS_ALLOW_ORIGINS may not be '*'",
        "EVIDENCE_SIGNING_SECRET still has its development default",
        "REFRESH_COOKIE_SECURE must be true",
    ]
    for problem in expected:
        assert problem in message, problem
    assert message.count("\n  - ") == len(expected)


async def test_production_lists_key_problems_with_the_others(
    make_settings: BuildSettings,
) -> None:
    keys = SecretStr(json.dumps({"keys": [generate_key(DEV_KID_PREFIX)]}))
    message = _refusal(
        make_settings(**_production(auth_signing_keys=keys, cors_allow_origins=["*"]))
    )
    assert "development key" in message
    assert "CORS_ALLOW_ORIGINS" in message
    assert message.count("\n  - ") == 2


async def test_production_reads_its_settings_from_the_environment(
    make_settings: BuildSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CERTREADY_ENV", "production")
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "https://a.example, *")
    message = _refusal(make_settings())
    assert "CORS_ALLOW_ORIGINS may not be '*'" in message
    assert "AUTH_SIGNING_KEYS is required" in message


async def test_development_generates_a_private_key_file_and_reuses_it(
    make_settings: BuildSettings, built: list[ApiRuntime], tmp_path: Path
) -> None:
    data_dir = tmp_path / "fresh" / "data"
    settings = make_settings(
        certready_env=Environment.DEVELOPMENT, database_url=OWNER_URL, data_dir=data_dir
    )
    first = ApiRuntime.build(settings)
    built.append(first)
    key_file = data_dir / "signing-keys.json"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.keys.kids[0].startswith(DEV_KID_PREFIX)
    assert first.keys.has_development_key()
    assert json.loads(key_file.read_text())["keys"][0]["d"]

    second = ApiRuntime.build(settings)
    built.append(second)
    assert second.keys.kids == first.keys.kids
    assert second.keys.public_jwks() == first.keys.public_jwks()


async def test_development_uses_configured_keys_and_writes_no_file(
    make_settings: BuildSettings, built: list[ApiRuntime], tmp_path: Path
) -> None:
    key = generate_key()
    settings = make_settings(
        certready_env=Environment.DEVELOPMENT,
        database_url=OWNER_URL,
        auth_signing_keys=SecretStr(json.dumps(key)),
    )
    runtime = ApiRuntime.build(settings)
    built.append(runtime)
    assert runtime.keys.kids == [key["kid"]]
    assert not (settings.data_dir / "signing-keys.json").exists()
