"""Configuration, read once from environment variables (and an optional `.env` file).

Every setting has a zero-setup default so `make run` works on a bare machine; production
mode refuses those defaults where they would be unsafe (see `Settings.production_problems`).
"""

from __future__ import annotations

import enum
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

DEV_APP_DB_PASSWORD = "certready-app-dev"  # noqa: S105 - a known development default, refused in production
DEV_EVIDENCE_SECRET = "certready-evidence-dev"  # noqa: S105 - signs local-store URLs in development
DEFAULT_EVIDENCE_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(enum.StrEnum):
    CONSOLE = "console"
    JSON = "json"


class Settings(BaseSettings):
    """All runtime settings; the README's configuration table documents each one."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    certready_env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    database_url: str | None = None
    app_database_url: str | None = None
    database_app_role: str = Field(default="certready_app", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    database_app_password: SecretStr = SecretStr(DEV_APP_DB_PASSWORD)
    database_pool_size: int = Field(default=10, ge=1)

    cors_allow_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    auth_issuer: str = "certready"
    auth_audience: str = "certready-api"
    auth_signing_keys: SecretStr | None = None
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=300)
    invitation_ttl_seconds: int = Field(default=7 * 86_400, ge=300)
    refresh_cookie_name: str = "certready_refresh"
    refresh_cookie_secure: bool = True
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)

    graphql_introspection: bool | None = None
    graphql_max_depth: int = Field(default=10, ge=2)
    graphql_max_tokens: int = Field(default=2_000, ge=50)
    graphql_max_aliases: int = Field(default=15, ge=1)

    public_base_url: str = "http://127.0.0.1:8000"

    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_region: str | None = None
    s3_endpoint_url: str | None = None
    s3_kms_key_id: str | None = None
    s3_object_lock_days: int | None = Field(default=None, ge=1)
    evidence_dir: Path | None = None
    evidence_signing_secret: SecretStr = SecretStr(DEV_EVIDENCE_SECRET)
    evidence_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    evidence_allowed_types: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_EVIDENCE_TYPES)
    )
    evidence_url_ttl_seconds: int = Field(default=900, ge=30, le=7 * 86_400)

    log_level: str = "INFO"
    log_format: LogFormat | None = None

    demo_password: SecretStr = SecretStr("demo-password-1")

    @field_validator("cors_allow_origins", "evidence_allowed_types", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def is_production(self) -> bool:
        return self.certready_env is Environment.PRODUCTION

    @property
    def introspection_enabled(self) -> bool:
        if self.graphql_introspection is None:
            return not self.is_production
        return self.graphql_introspection

    @property
    def effective_log_format(self) -> LogFormat:
        if self.log_format is None:
            return LogFormat.JSON if self.is_production else LogFormat.CONSOLE
        return self.log_format

    @property
    def evidence_directory(self) -> Path:
        """Where the local evidence store keeps files when S3 is not configured."""
        return self.evidence_dir or self.data_dir / "evidence"

    @property
    def embedded_database(self) -> bool:
        """No DATABASE_URL means: run our own PostgreSQL under the data directory."""
        return self.database_url is None

    @cached_property
    def app_url(self) -> URL:
        """Where the application connects: the owner's server and database, as the app role."""
        if self.app_database_url:
            return _asyncpg(make_url(self.app_database_url))
        if self.database_url is None:
            raise RuntimeError("the database URL is not known yet: start the embedded server first")
        owner = make_url(self.database_url)
        return _asyncpg(
            owner.set(
                username=self.database_app_role,
                password=self.database_app_password.get_secret_value(),
            )
        )

    @property
    def owner_url(self) -> URL:
        """Where migrations connect: the role that owns the schema."""
        if self.database_url is None:
            raise RuntimeError("the database URL is not known yet: start the embedded server first")
        return _asyncpg(make_url(self.database_url))

    def production_problems(self) -> list[str]:
        """Why production mode must not start with this configuration (empty when it may)."""
        if not self.is_production:
            return []
        problems = []
        if self.database_url is None:
            problems.append("DATABASE_URL is required in production (no embedded PostgreSQL).")
        if self.app_database_url is None and (
            self.database_app_password.get_secret_value() == DEV_APP_DB_PASSWORD
        ):
            problems.append("DATABASE_APP_PASSWORD still has its development default.")
        if self.auth_signing_keys is None:
            problems.append(
                "AUTH_SIGNING_KEYS is required in production (run `certready keys generate`)."
            )
        if "*" in self.cors_allow_origins:
            problems.append("CORS_ALLOW_ORIGINS may not be '*' in production.")
        if self.s3_bucket is None and (
            self.evidence_signing_secret.get_secret_value() == DEV_EVIDENCE_SECRET
        ):
            problems.append(
                "EVIDENCE_SIGNING_SECRET still has its development default (set S3_BUCKET"
                " to keep evidence in S3, or a secret for the local store)."
            )
        if not self.refresh_cookie_secure:
            problems.append("REFRESH_COOKIE_SECURE must be true in production.")
        return problems


def _asyncpg(url: URL) -> URL:
    """Accept plain `postgresql://` URLs and always talk asyncpg."""
    return url.set(drivername="postgresql+asyncpg")
