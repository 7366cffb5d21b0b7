"""GraphQL queries of the registers: one list per register with the same filters, the
Statement of Applicability against the treatments, and a register as CSV."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import relay

from backend.api.context import Info
from backend.api.filters import OrganizationFilter, organization_id
from backend.api.mutations import node_uuid
from backend.api.pagination import Connection, paginate
from backend.programs.api import program_of
from backend.registers import models, queries
from backend.registers.api.types import (
    TYPES,
    Aspect,
    ControlTreatment,
    Hazard,
    Improvement,
    ImprovementSource,
    ImprovementStatus,
    Incident,
    Obligation,
    Register,
    RegisterScales,
    Risk,
    SecurityRisk,
    SoaTreatment,
)
from backend.registers.models import EntryKind

ReviewDue = Annotated[
    bool | None,
    strawberry.argument(description="Only rows whose review date has come (or not)."),
]
Standard = Annotated[
    str | None,
    strawberry.argument(description='Only rows of programs of this standard: "27001", "ISO 9001".'),
]
MinLevel = Annotated[
    int | None,
    strawberry.argument(description="Only rows scored at least this (likelihood x impact)."),
]
Archived = Annotated[
    bool, strawberry.argument(description="The archived rows instead of the active ones.")
]


async def _page(
    info: Info,
    kind: EntryKind,
    filters: dict[str, Any],
    first: int | None,
    after: str | None,
) -> Connection[Any]:
    info.context.require_entitlements()
    owner = filters.pop("owner")
    program_id = filters.pop("program_id")
    where = queries.EntryFilter(
        kind=kind,
        organization=organization_id(filters.pop("organization")),
        owner_id=node_uuid(owner, "User", "owner") if owner else None,
        program_id=node_uuid(program_id, "Program", "programId") if program_id else None,
        **filters,
    )
    keys = (models.RegisterEntry.created_at, models.RegisterEntry.id)
    page = await paginate(info.context.db, queries.entries_statement(where), keys, first, after)
    return Connection[Any].from_page(page, TYPES[kind].from_model)


@strawberry.type
class RegisterQuery:
    @strawberry.field(description="Risks and opportunities, oldest first.")
    async def risks(
        self,
        info: Info,
        *,
        program_id: relay.GlobalID | None = None,
        owner: relay.GlobalID | None = None,
        review_due: ReviewDue = None,
        standard: Standard = None,
        min_level: MinLevel = None,
        archived: Archived = False,
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Risk]:
        filters = dict(locals())
        return await _page(info, EntryKind.RISK, _filters(filters), first, after)

    @strawberry.field(description="Information security risks, oldest first.")
    async def security_risks(
        self,
        info: Info,
        *,
        program_id: relay.GlobalID | None = None,
        owner: relay.GlobalID | None = None,
        review_due: ReviewDue = None,
        standard: Standard = None,
        min_level: MinLevel = None,
        archived: Archived = False,
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SecurityRisk]:
        filters = dict(locals())
        return await _page(info, EntryKind.SECURITY_RISK, _filters(filters), first, after)

    @strawberry.field(description="Environmental aspects, oldest first.")
    async def aspects(
        self,
        info: Info,
        *,
        program_id: relay.GlobalID | None = None,
        owner: relay.GlobalID | None = None,
        review_due: ReviewDue = None,
        standard: Standard = None,
        min_level: MinLevel = None,
        archived: Archived = False,
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Aspect]:
        filters = dict(locals())
        return await _page(info, EntryKind.ASPECT, _filters(filters), first, after)

    @strawberry.field(description="OH&S hazards, oldest first.")
    async def hazards(
        self,
        info: Info,
        *,
        program_id: relay.GlobalID | None = None,
        owner: relay.GlobalID | None = None,
        review_due: ReviewDue = None,
        standard: Standard = None,
        min_level: MinLevel = None,
        archived: Archived = False,
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Hazard]:
        filters = dict(locals())
        return await _page(info, EntryKind.HAZARD, _filters(filters), first, after)

    @strawberry.field(description="Compliance obligations (the legal register), oldest first.")
    async def obligations(
        self,
        info: Info,
        *,
        program_id: relay.GlobalID | None = None,
        owner: relay.GlobalID | None = None,
        review_due: ReviewDue = None,
        standard: Standard = None,
        archived: Archived = False,
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Obligation]:
        filters = dict(locals())
        return await _page(info, EntryKind.OBLIGATION, _filters(filters), first, after)

    @strawberry.field(description="Incidents, oldest first.")
    async def incidents(
        self,
        info: Info,
        *,
        program_id: relay.GlobalID | None = None,
        owner: relay.GlobalID | None = None,
        review_due: ReviewDue = None,
        standard: Standard = None,
        archived: Archived = False,
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Incident]:
        filters = dict(locals())
        return await _page(info, EntryKind.INCIDENT, _filters(filters), first, after)

    @strawberry.field(description="The improvement register, oldest first.")
    async def improvements(
        self,
        info: Info,
        *,
        improvement_status: Annotated[
            ImprovementStatus | None,  # type: ignore[valid-type]
            strawberry.argument(name="status"),
        ] = None,
        improvement_source: Annotated[
            ImprovementSource | None,  # type: ignore[valid-type]
            strawberry.argument(name="source"),
        ] = None,
        program_id: relay.GlobalID | None = None,
        owner: relay.GlobalID | None = None,
        review_due: ReviewDue = None,
        standard: Standard = None,
        archived: Archived = False,
        organization: OrganizationFilter = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Improvement]:
        filters = dict(locals())
        return await _page(info, EntryKind.IMPROVEMENT, _filters(filters), first, after)

    @strawberry.field(
        description="A program's annex controls against its security risks' treatments: why"
        " each control applies and where the SoA contradicts a treatment."
    )
    async def soa_treatment(self, info: Info, program_id: relay.GlobalID) -> SoaTreatment:
        program = await program_of(info, program_id)
        rows = await queries.soa_treatment(info.context.db, program)
        controls = [ControlTreatment.from_treatment(row) for row in rows]
        return SoaTreatment(consistent=not any(row.inconsistent for row in rows), controls=controls)

    @strawberry.field(
        description="An organization's scales and significance threshold (the defaults until"
        " it sets its own); null when it is not one you read."
    )
    async def register_scales(
        self, info: Info, organization: relay.GlobalID
    ) -> RegisterScales | None:
        info.context.require_entitlements()
        tenant_id = node_uuid(organization, "Organization", "organization")
        if tenant_id not in info.context.db.scope.read_tenants:
            return None
        scales = await info.context.loaders.of(queries.scales_of_tenants).load(tenant_id)
        return RegisterScales.from_scales(scales)

    @strawberry.field(
        description="A register of one program as CSV (RFC 4180, header row; cells a"
        " spreadsheet would run as formulas start with a quote). Active rows only."
    )
    async def register_csv(
        self,
        info: Info,
        register: Register,  # type: ignore[valid-type]
        program_id: relay.GlobalID,
    ) -> str:
        program = await program_of(info, program_id)
        where = queries.EntryFilter(kind=EntryKind(register), program_id=program.id)
        statement = queries.entries_statement(where).order_by(models.RegisterEntry.reference)
        rows = (await info.context.db.scalars(statement)).all()
        return queries.register_csv(EntryKind(register), rows)


def _filters(arguments: dict[str, Any]) -> dict[str, Any]:
    """A list's filter arguments (its resolver's locals without self, info and paging)."""
    dropped = {"self", "info", "first", "after"}
    return {name: value for name, value in arguments.items() if name not in dropped}
