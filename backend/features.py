"""The feature registry: every area of the product, registered once.

The GraphQL schema takes its Query and Mutation types from here, the migration environment
its tables, exit criteria evaluation its criteria (and, with jobs, the worker its actors and
schedules). A new area adds one `Feature` line and touches no other list.

Importing this module seals the exit criteria: from then on a step is judged by exactly
the criteria of the features named here, in this order. Code that evaluates criteria
without the registry loaded is refused (backend/programs/criteria.py), so no process can
count a step as met because it never imported the features that judge it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import tenants.models
from backend.activity import api as activity
from backend.activity import jobs as activity_jobs
from backend.activity import models as activity_models
from backend.activity import recorder as _recorder  # noqa: F401 - installs the session hooks
from backend.api.tenants import TenantMutation, TenantQuery
from backend.assessments import api as assessments
from backend.assessments import criteria as gap_analysis
from backend.assessments import models as assessment_models
from backend.audits import api as audits
from backend.audits import criteria as audit_criteria
from backend.audits import models as audit_models
from backend.auth import api as auth
from backend.auth import models as auth_models
from backend.catalog import api as catalog
from backend.catalog import models as catalog_models
from backend.certification import api as certification
from backend.certification import criteria as certification_criteria
from backend.certification import lapse as certification_lapse
from backend.certification import models as certification_models
from backend.certification import schedule as certification_schedule
from backend.documents import api as documents
from backend.documents import criteria as documentation
from backend.documents import models as document_models
from backend.evidence import api as evidence
from backend.evidence import criteria as records
from backend.evidence import models as evidence_models
from backend.findings import api as findings
from backend.findings import criteria as finding_criteria
from backend.findings import models as finding_models
from backend.jobs import api as jobs_api
from backend.jobs import models as job_models
from backend.jobs import triggers
from backend.jobs.definitions import Job, Periodic
from backend.jobs.triggers import Trigger
from backend.notifications import api as notifications
from backend.notifications import jobs as notification_jobs
from backend.notifications import models as notification_models
from backend.packages import api as packages
from backend.packages import models as package_models
from backend.planning import api as planning
from backend.planning import criteria as planning_criteria
from backend.planning import models as planning_models
from backend.portfolio import api as portfolio
from backend.portfolio import models as portfolio_models
from backend.programs import api as programs
from backend.programs import criteria
from backend.programs import models as program_models
from backend.readiness import api as readiness
from backend.readiness import jobs as readiness_jobs
from backend.readiness import models as readiness_models
from backend.registers import api as registers
from backend.registers import criteria as register_criteria
from backend.registers import jobs as register_jobs
from backend.registers import models as register_models
from backend.reports import api as reports
from backend.reports import jobs as report_jobs
from backend.reports import models as report_models
from backend.reviews import api as reviews
from backend.reviews import criteria as review_criteria
from backend.reviews import models as review_models
from backend.training import api as training
from backend.training import criteria as training_criteria
from backend.training import models as training_models


@dataclass(frozen=True)
class Feature:
    """One area: its tables, its part of the GraphQL schema, the exit criteria it owns."""

    name: str
    models: ModuleType
    query: type | None = None
    mutation: type | None = None
    criteria: ModuleType | None = None
    jobs: tuple[Job, ...] = ()
    periodic: tuple[Periodic, ...] = ()
    triggers: tuple[Trigger, ...] = ()


FEATURES: tuple[Feature, ...] = (
    Feature("tenants", tenants.models, TenantQuery, TenantMutation),
    Feature("auth", auth_models, auth.AuthQuery, auth.AuthMutation),
    Feature("jobs", job_models, jobs_api.JobQuery, jobs_api.JobMutation),
    Feature(
        "activity log",
        activity_models,
        activity.ActivityQuery,
        jobs=(activity_jobs.VERIFY,),
        periodic=(activity_jobs.NIGHTLY,),
    ),
    Feature("catalog", catalog_models, catalog.CatalogQuery),
    Feature("programs", program_models, programs.ProgramQuery, programs.ProgramMutation),
    Feature(
        "gap analysis",
        assessment_models,
        assessments.AssessmentQuery,
        assessments.AssessmentMutation,
        gap_analysis,
    ),
    Feature(
        "planning",
        planning_models,
        planning.PlanningQuery,
        planning.PlanningMutation,
        planning_criteria,
    ),
    Feature(
        "training",
        training_models,
        training.TrainingQuery,
        training.TrainingMutation,
        training_criteria,
    ),
    Feature(
        "documents",
        document_models,
        documents.DocumentQuery,
        documents.DocumentMutation,
        documentation,
    ),
    Feature(
        "evidence", evidence_models, evidence.EvidenceQuery, evidence.EvidenceMutation, records
    ),
    Feature(
        "findings",
        finding_models,
        findings.FindingQuery,
        findings.FindingMutation,
        finding_criteria,
    ),
    Feature("audits", audit_models, audits.AuditQuery, audits.AuditMutation, audit_criteria),
    Feature(
        "readiness",
        readiness_models,
        readiness.ReadinessQuery,
        readiness.ReadinessMutation,
        jobs=(readiness_jobs.RECOMPUTE,),
        periodic=(readiness_jobs.NIGHTLY,),
        triggers=(readiness_jobs.ON_FACTS,),
    ),
    Feature(
        "management review",
        review_models,
        reviews.ReviewQuery,
        reviews.ReviewMutation,
        review_criteria,
    ),
    Feature(
        "notifications",
        notification_models,
        notifications.NotificationQuery,
        notifications.NotificationMutation,
        jobs=(notification_jobs.REMIND, notification_jobs.MAIL),
        periodic=(notification_jobs.DAILY,),
    ),
    Feature(
        "certification",
        certification_models,
        certification.CertificationQuery,
        certification.CertificationMutation,
        certification_criteria,
        jobs=(certification_schedule.SCHEDULE, certification_lapse.LAPSE),
        periodic=(certification_schedule.NIGHTLY, certification_lapse.NIGHTLY),
        triggers=(certification_schedule.ON_CYCLE,),
    ),
    Feature(
        "registers",
        register_models,
        registers.RegisterQuery,
        registers.RegisterMutation,
        register_criteria,
        jobs=(register_jobs.REMIND,),
        periodic=(register_jobs.DAILY,),
    ),
    Feature("portfolio", portfolio_models, portfolio.PortfolioQuery, portfolio.PortfolioMutation),
    Feature("evidence packages", package_models, packages.PackageQuery, packages.PackageMutation),
    Feature(
        "reports",
        report_models,
        reports.ReportQuery,
        reports.ReportMutation,
        jobs=(report_jobs.RENDER,),
    ),
)


def query_types() -> tuple[type, ...]:
    return tuple(feature.query for feature in FEATURES if feature.query is not None)


def mutation_types() -> tuple[type, ...]:
    return tuple(feature.mutation for feature in FEATURES if feature.mutation is not None)


def jobs() -> tuple[Job, ...]:
    return tuple(job for feature in FEATURES for job in feature.jobs)


def periodic() -> tuple[Periodic, ...]:
    return tuple(item for feature in FEATURES for item in feature.periodic)


criteria.seal([feature.criteria.__name__ for feature in FEATURES if feature.criteria])
triggers.install(trigger for feature in FEATURES for trigger in feature.triggers)
