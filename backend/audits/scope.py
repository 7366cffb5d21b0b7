"""Which requirements a programme or an audit covers, named the way people name them.

A scope names, for each program, clause numbers of its standard: "7.5" takes every
assessable requirement under 7.5 (7.5.1, 7.5.2, 7.5.3.1, ...), "8.4.1" takes just that one,
and no numbers at all take every assessable requirement of the standard. Numbers that name
nothing are refused, so a typo never silently narrows an audit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select

from backend.catalog.models import Clause
from backend.core.access import Actor
from backend.core.errors import invalid
from backend.db.session import TenantSession
from backend.programs.models import Program
from backend.programs.service import writable_program

MAX_NUMBERS = 200  # clause numbers named for one program
MAX_PROGRAMS = 10  # programs of one scope: one per standard is the most a tenant runs


@dataclass(frozen=True)
class ScopePart:
    """Clause numbers of one program's standard; empty means every assessable requirement."""

    program_id: uuid.UUID
    numbers: Sequence[str] = ()


@dataclass(frozen=True)
class Requirement:
    program_id: uuid.UUID
    clause: Clause


async def resolve(
    db: TenantSession, actor: Actor, parts: Sequence[ScopePart], field: str
) -> list[Requirement]:
    """The assessable requirements `parts` name, program by program in document order; each
    program is one the actor may write to, named once."""
    if not 1 <= len(parts) <= MAX_PROGRAMS:
        raise invalid(f"Name 1 to {MAX_PROGRAMS} programs.", [field])
    programs = [part.program_id for part in parts]
    if len(set(programs)) != len(programs):
        raise invalid("Name each program once.", [field])
    found: list[Requirement] = []
    for index, part in enumerate(parts):
        program = await writable_program(db, actor, part.program_id)
        clauses = await _clauses(db, program, part.numbers, [field, str(index), "requirements"])
        found.extend(Requirement(program.id, clause) for clause in clauses)
    return found


async def _clauses(
    db: TenantSession, program: Program, numbers: Sequence[str], field: list[str]
) -> list[Clause]:
    if len(numbers) > MAX_NUMBERS:
        raise invalid(f"Name at most {MAX_NUMBERS} clause numbers per program.", field)
    wanted = list(dict.fromkeys(number.strip() for number in numbers))
    statement = select(Clause).where(
        Clause.standard_id == program.standard_id, Clause.assessable.is_(True)
    )
    if wanted:
        statement = statement.where(
            or_(*(_under(number) for number in wanted)),
        )
    clauses = list(await db.scalars(statement.order_by(Clause.position)))
    unknown = [n for n in wanted if not any(_covers(n, clause.number) for clause in clauses)]
    if unknown:
        raise invalid(f"Not clauses of this program's standard: {', '.join(unknown)}.", field)
    if not clauses:
        raise invalid("This program's standard has no assessable requirement.", field)
    return clauses


def _under(number: str) -> ColumnElement[bool]:
    return or_(Clause.number == number, Clause.number.startswith(f"{number}."))


def _covers(number: str, clause_number: str) -> bool:
    return clause_number == number or clause_number.startswith(f"{number}.")


def question(clause: Clause) -> str:
    """The checklist's question for a requirement, asked in our own words from its title
    alone, so no text of the standard is ever reproduced."""
    title = clause.title.strip().rstrip(".")
    subject = title[:1].lower() + title[1:] if title[1:2].islower() or len(title) == 1 else title
    return f"How does the organization show that {subject} is in place?"
