"""Every mapped table, imported in one place so metadata is complete for migrations."""

from backend.assessments.models import Assessment, AssessmentChange
from backend.auth.models import Invitation, LoginThrottle, RefreshToken
from backend.catalog.models import Clause, Standard
from backend.db.base import Base
from backend.documents.models import ControlledDocument, DocumentRequirement, DocumentVersion
from backend.evidence.models import EvidenceDownload, EvidenceItem, EvidenceLink, EvidenceVersion
from backend.findings.models import (
    CorrectiveAction,
    EffectivenessReview,
    Finding,
    FindingEvidence,
    FindingRequirement,
    ReviewEvidence,
)
from backend.planning.models import Action, ActionRequirement, Milestone, Objective
from backend.programs.models import Program, ProgramStep
from backend.training.models import (
    Attendance,
    CompetenceRequirement,
    TrainingSession,
    TrainingSessionClause,
)
from tenants.models import AuditorGrant, ConsultancyEngagement, Membership, Organization, User

__all__ = [
    "Action",
    "ActionRequirement",
    "Assessment",
    "AssessmentChange",
    "Attendance",
    "AuditorGrant",
    "Base",
    "Clause",
    "CompetenceRequirement",
    "ConsultancyEngagement",
    "ControlledDocument",
    "CorrectiveAction",
    "DocumentRequirement",
    "DocumentVersion",
    "EffectivenessReview",
    "EvidenceDownload",
    "EvidenceItem",
    "EvidenceLink",
    "EvidenceVersion",
    "Finding",
    "FindingEvidence",
    "FindingRequirement",
    "Invitation",
    "LoginThrottle",
    "Membership",
    "Milestone",
    "Objective",
    "Organization",
    "Program",
    "ProgramStep",
    "RefreshToken",
    "ReviewEvidence",
    "Standard",
    "TrainingSession",
    "TrainingSessionClause",
    "User",
]
