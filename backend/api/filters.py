"""List arguments every area's cross-tenant lists share.

A consultant or an auditor reads many organizations at once; the screens they use show one
client at a time, so each list that spans tenants narrows to one organization the same way.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry import relay

from backend.api.mutations import node_uuid

OrganizationFilter = Annotated[
    relay.GlobalID | None,
    strawberry.argument(
        description="Only what belongs to this organization (one of those you may read)."
    ),
]


def organization_id(organization: relay.GlobalID | None) -> uuid.UUID | None:
    """The organization a list is narrowed to; one you may not read simply yields nothing."""
    return None if organization is None else node_uuid(organization, "Organization", "organization")
