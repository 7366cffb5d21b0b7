"""Every mapped table, imported in one place so metadata is complete for migrations."""

from backend.assessments.models import Assessment, AssessmentChange
from backend.auth.models import Invitation, LoginFailure, RefreshToken
from backend.catalog.models import Clause, Standard
from backend.db.base import Base
from backend.planning.models import Action, ActionRequirement, Milestone, Objective
from backend.programs.models import Program, ProgramStep
from tenants.models import AuditorGrant, ConsultancyEngagement, Membership, Organization, User

__all__ = [
    "Action",
    "ActionRequirement",
    "Assessment",
    "AssessmentChange",
    "AuditorGrant",
    "Base",
    "Clause",
    "ConsultancyEngagement",
    "Invitation",
    "LoginFailure",
    "Membership",
    "Milestone",
    "Objective",
    "Organization",
    "Program",
    "ProgramStep",
    "RefreshToken",
    "Standard",
    "User",
]
