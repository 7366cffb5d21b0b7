"""Exit criteria of the planning step that the registers judge, one per standard.

ISO 9001: risks and opportunities are listed and each is assessed (likelihood and impact).
ISO 14001: aspects are listed and each scored, so the significant ones are determined, and
compliance obligations are listed. ISO 45001: hazards are listed and each assessed.
ISO/IEC 27001: security risks are listed, each assessed and treated, and the Statement of
Applicability excludes no control a treatment selects. Archived rows do not count. A program
of another standard meets the criterion ("not asked of ...").

The four criteria share one statement for any number of programs (`shared_facts`): the
programs with their standard's code, and counts of their register rows filtered in it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, select
from sqlalchemy.orm import aliased

from backend.assessments.models import Assessment, Conformity
from backend.catalog.models import Standard
from backend.db.session import TenantSession
from backend.programs.criteria import (
    Programs,
    Verdict,
    Verdicts,
    among_asked,
    asked,
    criterion,
    shared_facts,
)
from backend.programs.models import Program, StepKey
from backend.registers.models import EntryKind, RegisterEntry, RiskControl
from backend.registers.rules import standard_number

Obligation = aliased(RegisterEntry)
Selecting = aliased(RegisterEntry)


@dataclass(frozen=True)
class Counts:
    listed: int
    unmet: int
    other: int = 0  # a second count some criteria need (obligations, inconsistent controls)


@dataclass(frozen=True)
class Tally:
    """What one standard's criterion counts: the active rows of `kind`, those `unmet`, and
    `other` (a correlated count) when the criterion needs a second figure."""

    kind: EntryKind
    unmet: ColumnElement[bool]
    other: ColumnElement[int] | None = None


RegisterCounts = dict[str, tuple[str, dict[str, Counts]]]
"""Per program id (as text): its standard's code and each standard number's counts."""


@functools.cache
def _tallies() -> dict[str, Tally]:
    """Each standard's tally, by the standard's number; built once."""
    unscored = RegisterEntry.likelihood.is_(None) | RegisterEntry.impact.is_(None)
    obligations = (
        select(func.count(Obligation.id))
        .where(
            Obligation.program_id == Program.id,
            Obligation.kind == EntryKind.OBLIGATION.value,
            Obligation.archived_at.is_(None),
        )
        .scalar_subquery()
    )
    excluded = (
        select(func.count(func.distinct(RiskControl.clause_id)))
        .join(Selecting, Selecting.id == RiskControl.entry_id)
        .where(
            Selecting.program_id == Program.id,
            Selecting.archived_at.is_(None),
            exists().where(
                Assessment.program_id == Program.id,
                Assessment.clause_id == RiskControl.clause_id,
                Assessment.status == Conformity.NOT_APPLICABLE.value,
            ),
        )
        .scalar_subquery()
    )
    return {
        "9001": Tally(EntryKind.RISK, unscored),
        "14001": Tally(EntryKind.ASPECT, unscored, obligations),
        "45001": Tally(EntryKind.HAZARD, unscored),
        "27001": Tally(
            EntryKind.SECURITY_RISK, unscored | RegisterEntry.treatment.is_(None), excluded
        ),
    }


@functools.cache
def _counting() -> Select[Any]:
    """One statement for the four criteria: per asked program, its standard's code and three
    counts per tally. A program is judged on its own standard's only, but reading them all
    together costs one round trip where a statement per criterion cost four."""
    columns: list[ColumnElement[Any]] = []
    for tally in _tallies().values():
        active = and_(RegisterEntry.kind == tally.kind.value, RegisterEntry.archived_at.is_(None))
        columns += [
            func.count(RegisterEntry.id).filter(active),
            func.count(RegisterEntry.id).filter(active & tally.unmet),
            tally.other if tally.other is not None else literal(0),
        ]
    return (
        select(Program.id, Standard.code, *columns)
        .join(Standard, Standard.id == Program.standard_id)
        .outerjoin(RegisterEntry, RegisterEntry.program_id == Program.id)
        .where(among_asked(Program.id))
        .group_by(Program.id, Standard.code)
    )


@shared_facts
async def _counts(db: TenantSession, programs: Programs) -> RegisterCounts:
    rows = await db.execute(_counting(), asked(programs))
    found: RegisterCounts = {}
    for program_id, code, *figures in rows:
        counts = {
            number: Counts(int(figures[at]), int(figures[at + 1]), int(figures[at + 2] or 0))
            for number, at in zip(_tallies(), range(0, len(figures), 3), strict=True)
        }
        found[str(program_id)] = (code, counts)
    return found


async def _judged(
    db: TenantSession, programs: Programs, number: str, judge: Callable[[Counts], Verdict]
) -> Verdicts:
    found = await _counts(db, programs)
    verdicts = {}
    for program in programs:
        code, counts = found.get(str(program.id), ("", {}))
        if standard_number(code) != number:
            verdicts[program.id] = Verdict(True, f"Not asked of {code or 'this'} programs.")
        else:
            verdicts[program.id] = judge(counts.get(number, Counts(0, 0)))
    return verdicts


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _assessed(counts: Counts, nouns: tuple[str, str], register: str) -> Verdict:
    if counts.listed == 0:
        return Verdict(False, f"The {register} lists no {nouns[1]} yet.")
    if counts.unmet:
        unmet = _plural(counts.unmet, nouns[0], nouns[1])
        return Verdict(False, f"{unmet} not yet assessed (likelihood and impact).")
    return Verdict(True, f"{_plural(counts.listed, nouns[0], nouns[1])} listed and assessed.")


RISK_NOUNS = ("risk or opportunity", "risks or opportunities")


@criterion(
    StepKey.PLANNING,
    "risks-and-opportunities-assessed",
    "ISO 9001: risks and opportunities are listed and each is assessed.",
)
async def risks_assessed(db: TenantSession, programs: Programs) -> Verdicts:
    return await _judged(db, programs, "9001", lambda c: _assessed(c, RISK_NOUNS, "risk register"))


@criterion(
    StepKey.PLANNING,
    "significant-aspects-and-obligations",
    "ISO 14001: environmental aspects are scored, so the significant ones are determined, and"
    " compliance obligations are listed.",
)
async def aspects_determined(db: TenantSession, programs: Programs) -> Verdicts:
    return await _judged(db, programs, "14001", _aspects_verdict)


def _aspects_verdict(counts: Counts) -> Verdict:
    aspects = _assessed(counts, ("aspect", "aspects"), "aspects register")
    if not aspects.met:
        return aspects
    if counts.other == 0:
        return Verdict(False, "The legal register lists no compliance obligation yet.")
    obligations = _plural(counts.other, "compliance obligation", "compliance obligations")
    return Verdict(True, f"{aspects.reason[:-1]}; {obligations} listed.")


@criterion(
    StepKey.PLANNING,
    "hazards-assessed",
    "ISO 45001: hazards are listed and each is assessed.",
)
async def hazards_assessed(db: TenantSession, programs: Programs) -> Verdicts:
    return await _judged(
        db, programs, "45001", lambda c: _assessed(c, ("hazard", "hazards"), "hazard register")
    )


@criterion(
    StepKey.PLANNING,
    "risks-treated-soa-consistent",
    "ISO/IEC 27001: security risks are assessed and every one treated, and the Statement of"
    " Applicability excludes no control a treatment selects.",
)
async def risks_treated(db: TenantSession, programs: Programs) -> Verdicts:
    return await _judged(db, programs, "27001", _treated_verdict)


def _treated_verdict(counts: Counts) -> Verdict:
    if counts.listed == 0:
        return Verdict(False, "The risk assessment lists no security risk yet.")
    if counts.unmet:
        subject = _plural(counts.unmet, "security risk is", "security risks are")
        return Verdict(False, f"{subject} not yet assessed and treated.")
    if counts.other:
        controls = _plural(counts.other, "control", "controls")
        return Verdict(
            False,
            f"The Statement of Applicability excludes {controls} that a treatment selects.",
        )
    return Verdict(
        True,
        f"{_plural(counts.listed, 'security risk', 'security risks')} assessed and treated; the"
        " Statement of Applicability agrees.",
    )
