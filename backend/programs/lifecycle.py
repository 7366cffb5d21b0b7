"""Where a certification program may go next from where it stands.

The main line follows a certificate's life: prepare, pass the certification audit, hold the
certificate through two surveillance audits, recertify and start the next three-year cycle.
Any active program may be suspended or withdrawn (a client may give up at any point); a
suspended one resumes where it stopped or is withdrawn. A certificate (or a program on its
way to renewal) may expire. Withdrawn and expired programs are final: the standard is free
for a new program.
"""

from __future__ import annotations

from backend.programs.models import Program, ProgramStatus

ACTIVE = (
    ProgramStatus.PREPARING,
    ProgramStatus.CERTIFICATION_AUDIT,
    ProgramStatus.CERTIFIED,
    ProgramStatus.SURVEILLANCE_1,
    ProgramStatus.SURVEILLANCE_2,
    ProgramStatus.RECERTIFICATION,
)
FINAL = (ProgramStatus.WITHDRAWN, ProgramStatus.EXPIRED)

_NEXT_IN_CYCLE = {
    ProgramStatus.PREPARING: ProgramStatus.CERTIFICATION_AUDIT,
    ProgramStatus.CERTIFICATION_AUDIT: ProgramStatus.CERTIFIED,
    ProgramStatus.CERTIFIED: ProgramStatus.SURVEILLANCE_1,
    ProgramStatus.SURVEILLANCE_1: ProgramStatus.SURVEILLANCE_2,
    ProgramStatus.SURVEILLANCE_2: ProgramStatus.RECERTIFICATION,
    ProgramStatus.RECERTIFICATION: ProgramStatus.CERTIFIED,
}
# States in which a certificate exists or is being renewed, so it can lapse.
_MAY_EXPIRE = (
    ProgramStatus.CERTIFIED,
    ProgramStatus.SURVEILLANCE_1,
    ProgramStatus.SURVEILLANCE_2,
    ProgramStatus.RECERTIFICATION,
)


def allowed_transitions(
    status: ProgramStatus, suspended_from: ProgramStatus | None = None
) -> tuple[ProgramStatus, ...]:
    """The states a program in `status` may move to, in the order a person would consider them.

    A suspended program resumes only the state it was suspended from (`suspended_from`).
    """
    if status in _NEXT_IN_CYCLE:
        expiry = (ProgramStatus.EXPIRED,) if status in _MAY_EXPIRE else ()
        return (_NEXT_IN_CYCLE[status], ProgramStatus.SUSPENDED, ProgramStatus.WITHDRAWN, *expiry)
    if status is ProgramStatus.SUSPENDED:
        resume = (suspended_from,) if suspended_from is not None else ()
        return (*resume, ProgramStatus.WITHDRAWN)
    return ()


def follow(program: Program, target: ProgramStatus) -> bool:
    """Move `program` to `target` when the lifecycle leads there: in one allowed step, or
    along the main line (a stage 2 decision takes a preparing program through the
    certification audit to certified). Areas whose facts drive the status (certification)
    call it; a target the lifecycle does not lead to leaves the program as it is (False).
    """
    status = ProgramStatus(program.status)
    if status is target:
        return True
    suspended_from = ProgramStatus(program.suspended_from) if program.suspended_from else None
    if target not in allowed_transitions(status, suspended_from) and target not in _ahead(status):
        return False
    program.suspended_from = program.status if target is ProgramStatus.SUSPENDED else None
    program.status = target.value
    return True


def _ahead(status: ProgramStatus) -> tuple[ProgramStatus, ...]:
    """The main-line states after `status`, up to the next certified state."""
    ahead: list[ProgramStatus] = []
    while status in _NEXT_IN_CYCLE and ProgramStatus.CERTIFIED not in ahead:
        status = _NEXT_IN_CYCLE[status]
        ahead.append(status)
    return tuple(ahead)
