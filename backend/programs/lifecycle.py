"""Where a certification program may go next from where it stands.

The main line follows a certificate's life: prepare, pass the certification audit, hold the
certificate through two surveillance audits, recertify and start the next three-year cycle.
Any active program may be suspended or withdrawn (a client may give up at any point); a
suspended one resumes where it stopped or is withdrawn. A certificate (or a program on its
way to renewal) may expire. Withdrawn and expired programs are final: the standard is free
for a new program.
"""

from __future__ import annotations

from backend.programs.models import ProgramStatus

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
