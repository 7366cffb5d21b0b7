"""The seven implementation steps: what each is for and the checklist that guides it.

The wording is ours. Exit criteria (whether a step may be completed) live in
`programs.criteria`, registered by the features that own the data they judge.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.programs.models import StepKey


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    text: str


@dataclass(frozen=True)
class StepDefinition:
    number: int
    key: StepKey
    title: str
    objective: str
    checklist: tuple[ChecklistItem, ...]


def _items(*pairs: tuple[str, str]) -> tuple[ChecklistItem, ...]:
    return tuple(ChecklistItem(key, text) for key, text in pairs)


STEPS: tuple[StepDefinition, ...] = (
    StepDefinition(
        1,
        StepKey.GAP_ANALYSIS,
        "Gap analysis",
        "Understand how the organization works today and where it falls short of each"
        " requirement of the standard.",
        _items(
            ("document-procedures", "Write down the processes and procedures already in use"),
            ("identify-gaps", "Compare each requirement with current practice and record gaps"),
            ("prioritize", "Rank the gaps so the most important are closed first"),
        ),
    ),
    StepDefinition(
        2,
        StepKey.PLANNING,
        "Planning",
        "Turn the gap findings into a plan that closes them, with people, time and money.",
        _items(
            ("set-objectives", "Agree measurable objectives for the management system"),
            ("allocate-resources", "Name owners and secure the budget and time they need"),
            ("set-timelines", "Put due dates and milestones on the program timeline"),
        ),
    ),
    StepDefinition(
        3,
        StepKey.TRAINING,
        "Training",
        "Give everyone in scope the knowledge and skills their part of the system needs.",
        _items(
            ("workshops", "Run awareness workshops for everyone in scope"),
            ("seminars", "Run seminars for the people who own processes"),
            ("on-the-job", "Coach people on the job as the new processes start"),
        ),
    ),
    StepDefinition(
        4,
        StepKey.DOCUMENTATION,
        "Documentation",
        "Create and keep under control the documented information the system relies on.",
        _items(
            ("policies", "Write and approve the policies"),
            ("procedures", "Write and approve the procedures"),
            ("work-instructions", "Write the work instructions people follow"),
            ("records", "Decide which records are kept, where and for how long"),
        ),
    ),
    StepDefinition(
        5,
        StepKey.IMPLEMENTATION,
        "Implementation",
        "Run the organization the way the documented system says, and adjust where it does"
        " not work.",
        _items(
            ("follow-procedures", "Work to the approved procedures"),
            ("regular-reviews", "Review how the processes perform at regular intervals"),
            ("adjustments", "Adjust processes and documents where reviews show a need"),
        ),
    ),
    StepDefinition(
        6,
        StepKey.INTERNAL_AUDIT,
        "Internal audit",
        "Check, before the certification body does, that the system works and meets the standard.",
        _items(
            ("conduct-audits", "Audit every process in scope against the standard"),
            ("record-nonconformities", "Record each nonconformity the audits find"),
            ("corrective-actions", "Correct each nonconformity and remove its cause"),
        ),
    ),
    StepDefinition(
        7,
        StepKey.CERTIFICATION_AUDIT,
        "Certification audit",
        "Pass the formal audit of an accredited certification body.",
        _items(
            ("choose-body", "Choose an accredited certification body and book the audit"),
            ("stage-1", "Pass the stage 1 (documentation and readiness) review"),
            ("stage-2", "Pass the stage 2 audit of the system in operation"),
        ),
    ),
)

BY_KEY = {step.key: step for step in STEPS}
