"""How a program follows its certification cycle (`programs.lifecycle.follow`): forward along
the main line or one allowed step, never backwards or out of a final state."""

from __future__ import annotations

import pytest

from backend.programs.lifecycle import follow
from backend.programs.models import Program, ProgramStatus

S = ProgramStatus


def _program(status: ProgramStatus, suspended_from: ProgramStatus | None = None) -> Program:
    return Program(
        status=status.value, suspended_from=None if suspended_from is None else suspended_from.value
    )


@pytest.mark.parametrize(
    ("start", "target", "moved", "end"),
    [
        (S.PREPARING, S.CERTIFIED, True, S.CERTIFIED),  # through the certification audit
        (S.CERTIFIED, S.RECERTIFICATION, True, S.RECERTIFICATION),
        (S.SURVEILLANCE_2, S.SURVEILLANCE_1, False, S.SURVEILLANCE_2),  # never backwards
        (S.CERTIFIED, S.CERTIFICATION_AUDIT, False, S.CERTIFIED),
        (S.SURVEILLANCE_1, S.SURVEILLANCE_1, True, S.SURVEILLANCE_1),
        (S.WITHDRAWN, S.CERTIFIED, False, S.WITHDRAWN),  # final
        (S.SURVEILLANCE_1, S.WITHDRAWN, True, S.WITHDRAWN),
    ],
)
def test_a_program_moves_only_where_its_lifecycle_leads(
    start: ProgramStatus, target: ProgramStatus, moved: bool, end: ProgramStatus
) -> None:
    program = _program(start)
    assert follow(program, target) is moved
    assert program.status == end.value


def test_a_suspension_remembers_where_to_resume_and_only_that() -> None:
    program = _program(S.SURVEILLANCE_1)
    assert follow(program, S.SUSPENDED)
    assert (program.status, program.suspended_from) == ("suspended", "surveillance_1")
    assert not follow(program, S.CERTIFIED)
    assert follow(program, S.SURVEILLANCE_1)
    assert (program.status, program.suspended_from) == ("surveillance_1", None)
