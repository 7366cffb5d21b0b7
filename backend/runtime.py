"""The long-lived parts one process builds from its settings and shares across requests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from backend.auth.keys import KeyConfigurationError, SigningKeys, development_keys, parse_keys
from backend.auth.service import AuthPolicy
from backend.auth.throttle import ThrottleRules
from backend.auth.tokens import TokenIssuer
from backend.core.telemetry import configure_tracing, instrument_engine
from backend.db.engine import make_engine, make_sessionmaker
from backend.db.session import TenantSession
from backend.evidence.store import EvidenceStore
from backend.evidence.stores import make_evidence_store
from backend.settings import Settings
from tenants.scope import system_scope

SETTINGS_KEY = "settings"
"""Where a session opened by `acting_in` keeps the process's settings, for jobs that need
them (the SMTP server of reminder e-mails): a handler receives only its session."""


def settings_of(db: TenantSession) -> Settings:
    settings: Settings = db.info[SETTINGS_KEY]
    return settings


class ConfigurationError(Exception):
    """The process must not start with these settings; the message lists every reason."""


@dataclass
class Runtime:
    """What any process needs: the database and the evidence store. It holds no signing keys,
    so a job worker or an admin command runs with nothing it could mint tokens with."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[TenantSession]
    evidence: EvidenceStore

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        """Also where a process turns tracing on (once), before its engine exists."""
        configure_tracing(settings.otel_exporter_otlp_endpoint, settings.otel_service_name)
        engine = make_engine(settings.app_url, pool_size=settings.database_pool_size)
        instrument_engine(engine)
        return cls(settings, engine, make_sessionmaker(engine), make_evidence_store(settings))

    @asynccontextmanager
    async def acting_in(self, tenant_id: uuid.UUID) -> AsyncIterator[TenantSession]:
        """A session for work done for no user in exactly one tenant, under the same
        row-level security as a request: it reads and writes that tenant and nothing else."""
        async with self.sessions() as db:
            await db.set_scope(system_scope(tenant_id))
            db.info[SETTINGS_KEY] = self.settings
            yield db

    async def close(self) -> None:
        await self.engine.dispose()


@dataclass
class ApiRuntime(Runtime):
    """The API server's runtime: the signing keys and the rules that issue and check tokens."""

    keys: SigningKeys
    auth: AuthPolicy

    @classmethod
    def build(cls, settings: Settings) -> ApiRuntime:
        keys = load_signing_keys(settings)
        base = Runtime.build(settings)
        return cls(
            base.settings, base.engine, base.sessions, base.evidence, keys, _auth(settings, keys)
        )


def _auth(settings: Settings, keys: SigningKeys) -> AuthPolicy:
    issuer = TokenIssuer(
        keys, settings.auth_issuer, settings.auth_audience, settings.access_token_ttl_seconds
    )
    return AuthPolicy(
        issuer=issuer,
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
        throttle=ThrottleRules(
            max_failures=settings.login_max_failures,
            window=timedelta(seconds=settings.login_failure_window_seconds),
            backoff=timedelta(seconds=settings.login_backoff_seconds),
        ),
        invitation_ttl=timedelta(seconds=settings.invitation_ttl_seconds),
    )


def load_signing_keys(settings: Settings) -> SigningKeys:
    problems = settings.production_problems()
    keys: SigningKeys | None = None
    try:
        if settings.auth_signing_keys is not None:
            keys = parse_keys(settings.auth_signing_keys.get_secret_value())
        elif not settings.is_production:
            keys = development_keys(settings.data_dir)
    except KeyConfigurationError as error:
        problems.append(str(error))
    if keys is not None and settings.is_production and keys.has_development_key():
        problems.append("AUTH_SIGNING_KEYS holds a development key (kid starting with 'dev-').")
    if problems or keys is None:
        raise ConfigurationError("Refusing to start:\n  - " + "\n  - ".join(problems))
    return keys
