"""Every mapped table, imported in one place so metadata is complete for migrations."""

from backend.auth.models import Invitation, LoginFailure, RefreshToken
from backend.db.base import Base
from tenants.models import AuditorGrant, ConsultancyEngagement, Membership, Organization, User

__all__ = [
    "AuditorGrant",
    "Base",
    "ConsultancyEngagement",
    "Invitation",
    "LoginFailure",
    "Membership",
    "Organization",
    "RefreshToken",
    "User",
]
