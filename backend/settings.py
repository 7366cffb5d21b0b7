"""Configuration, read once from environment variables (and an optional `.env` file).

Every setting has a zero-setup default so `make run` works on a bare machine; production
mode refuses those defaults where they would be unsafe (see `Settings.production_problems`).
"""

from __future__ import annotations

import enum
import ipaddress
import math
from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

DEV_APP_DB_PASSWORD = "certready-app-dev"  # noqa: S105 - a known development default, refused in production
DEV_EVIDENCE_SECRET = "certready-evidence-dev"  # noqa: S105 - signs local-store URLs in development
# Published in this repository, so never a secret wherever they turn up in production.
DEVELOPMENT_SECRETS = frozenset({DEV_APP_DB_PASSWORD, DEV_EVIDENCE_SECRET})
# What production asks of a secret: long, and not a repetition of a few characters.
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 90
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
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

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
    login_backoff_seconds: int = Field(default=30, ge=1)

    graphql_introspection: bool | None = None
    graphql_max_depth: int = Field(default=10, ge=2)
    graphql_max_tokens: int = Field(default=2_000, ge=50)
    graphql_max_aliases: int = Field(default=15, ge=1)
    graphql_max_cost: int = Field(default=25_000, ge=1)
    graphql_time_budget_seconds: float = Field(default=10.0, gt=0)
    graphql_max_response_bytes: int = Field(default=5_000_000, ge=1_000)

    public_base_url: str | None = None  # default: where `certready serve` listens (`public_url`)

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

    broker_url: str | None = None  # amqp://... or redis://...; wins over REDIS_URL
    redis_url: str | None = None
    job_visibility_seconds: int = Field(default=600, ge=1)
    job_poll_seconds: float = Field(default=5.0, gt=0)
    job_worker_threads: int = Field(default=4, ge=1)
    job_shutdown_seconds: float = Field(default=20.0, gt=0)
    worker_health_port: int | None = Field(default=None, ge=0, le=65_535)

    smtp_url: SecretStr | None = None  # smtp://user:pass@host:port, smtps:// for TLS
    smtp_from: str = "certready <reminders@certready.invalid>"

    log_level: str = "INFO"
    otel_exporter_otlp_endpoint: str | None = None  # traces by OTLP/HTTP; unset: tracing off
    otel_service_name: str = "certready"
    metrics_token: SecretStr | None = None  # bearer token of /metrics; required in production
    log_format: LogFormat | None = None

    demo_password: SecretStr = SecretStr("demo-password-1")

    @field_validator(
        "cors_allow_origins", "evidence_allowed_types", "trusted_proxies", mode="before"
    )
    @classmethod
    def _split_lists(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        """Addresses or networks only: uvicorn would take a typo for a host name and trust it."""
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
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
    def public_url(self) -> str:
        """How clients reach this server: PUBLIC_BASE_URL, else the address and port it listens
        on, so a server moved to another PORT still signs URLs that reach it. A wildcard address
        (listen on every interface) is not one a client can dial: it reads as loopback."""
        if self.public_base_url is not None:
            return self.public_base_url.rstrip("/")
        host = "127.0.0.1" if self.host in {"0.0.0.0", "::"} else self.host  # noqa: S104
        if ":" in host:
            host = f"[{host}]"  # an IPv6 address in a URL
        return f"http://{host}:{self.port}"

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
        problems.extend(self._secret_problems())
        if self.auth_signing_keys is None:
            problems.append(
                "AUTH_SIGNING_KEYS is required in production (run `certready keys generate`)."
            )
        if "*" in self.cors_allow_origins:
            problems.append("CORS_ALLOW_ORIGINS may not be '*' in production.")
        if not self.refresh_cookie_secure:
            problems.append("REFRESH_COOKIE_SECURE must be true in production.")
        return problems

    def _secret_problems(self) -> list[str]:
        """Every secret in use must be strong; a development value is refused wherever it is."""
        problems = []
        if self.app_database_url is None:
            problems += _default_or_weak(
                "DATABASE_APP_PASSWORD", self.database_app_password, DEV_APP_DB_PASSWORD
            )
        elif (app_password := make_url(self.app_database_url).password) is not None:
            # Without a password in the URL the role authenticates otherwise (certificate, IAM).
            problems += _weakness("The password in APP_DATABASE_URL", str(app_password))
        owner_password = make_url(self.database_url).password if self.database_url else None
        if owner_password is not None and str(owner_password) in DEVELOPMENT_SECRETS:
            problems.append("The password in DATABASE_URL is a published development value.")
        if self.s3_bucket is None:
            problems += _default_or_weak(
                "EVIDENCE_SIGNING_SECRET",
                self.evidence_signing_secret,
                DEV_EVIDENCE_SECRET,
                " (set S3_BUCKET to keep evidence in S3, or a secret for the local store)",
            )
        return problems


def _default_or_weak(name: str, secret: SecretStr, default: str, hint: str = "") -> list[str]:
    value = secret.get_secret_value()
    if value == default:
        return [f"{name} still has its development default{hint}."]
    return _weakness(name, value)


def _weakness(name: str, secret: str) -> list[str]:
    """Why `secret` cannot guard production (empty when it can)."""
    if secret in DEVELOPMENT_SECRETS:
        reason = "is a published development value"
    elif len(secret) < MIN_SECRET_LENGTH:
        reason = f"must have at least {MIN_SECRET_LENGTH} characters"
    # A block typed again and again is as easy to guess as the block.
    elif secret in (secret + secret)[1:-1] or estimated_bits(secret) < MIN_SECRET_BITS:
        reason = "is too predictable (repeated or few distinct characters)"
    else:
        return []
    return [f"{name} {reason}; use a random value, e.g. `openssl rand -base64 32`."]


def estimated_bits(secret: str) -> float:
    """Length times the Shannon entropy of its characters: low for repeats and short alphabets.

    A rough upper bound on what guessing costs (dictionary words still score well), enough to
    refuse `aaaa...` or `abcd` typed eight times; 32 random hex digits score about 115.
    """
    counts = Counter(secret)
    return -sum(n * math.log2(n / len(secret)) for n in counts.values())


def _asyncpg(url: URL) -> URL:
    """Accept plain `postgresql://` URLs and always talk asyncpg."""
    return url.set(drivername="postgresql+asyncpg")
