"""The program lifecycle: every allowed transition, and refusals that name the way forward."""

from __future__ import annotations

from typing import Any

import pytest

from backend.programs.lifecycle import ACTIVE, FINAL, allowed_transitions
from backend.programs.models import ProgramStatus as S
from tests.programs.conftest import Env
from tests.programs.helpers import codes, owner_rows, set_status, uuid_of

EXPECTED = {
    S.PREPARING: (S.CERTIFICATION_AUDIT, S.SUSPENDED, S.WITHDRAWN),
    S.CERTIFICATION_AUDIT: (S.CERTIFIED, S.SUSPENDED, S.WITHDRAWN),
    S.CERTIFIED: (S.SURVEILLANCE_1, S.SUSPENDED, S.WITHDRAWN, S.EXPIRED),
    S.SURVEILLANCE_1: (S.SURVEILLANCE_2, S.SUSPENDED, S.WITHDRAWN, S.EXPIRED),
    S.SURVEILLANCE_2: (S.RECERTIFICATION, S.SUSPENDED, S.WITHDRAWN, S.EXPIRED),
    S.RECERTIFICATION: (S.CERTIFIED, S.SUSPENDED, S.WITHDRAWN, S.EXPIRED),
    S.WITHDRAWN: (),
    S.EXPIRED: (),
}


@pytest.mark.parametrize("status", list(EXPECTED))
def test_allowed_transitions_of_every_unsuspended_state(status: S) -> None:
    assert allowed_transitions(status) == EXPECTED[status]


@pytest.mark.parametrize("origin", ACTIVE)
def test_a_suspended_program_resumes_only_where_it_stopped_or_is_withdrawn(origin: S) -> None:
    assert allowed_transitions(S.SUSPENDED, origin) == (origin, S.WITHDRAWN)


def test_the_final_states_are_withdrawn_and_expired() -> None:
    assert set(FINAL) == {S.WITHDRAWN, S.EXPIRED}
    assert set(ACTIVE) | set(FINAL) | {S.SUSPENDED} == set(S)


async def change(env: Env, program: dict[str, Any], status: str) -> dict[str, Any]:
    return await env.mutate("changeProgramStatus", {"id": program["id"], "status": status})


async def test_a_program_runs_the_whole_cycle_into_a_second_one_and_expires(
    env: Env, program: dict[str, Any]
) -> None:
    path = [
        "CERTIFICATION_AUDIT",
        "CERTIFIED",
        "SURVEILLANCE_1",
        "SURVEILLANCE_2",
        "RECERTIFICATION",
        "CERTIFIED",
        "EXPIRED",
    ]
    for status in path:
        payload = await change(env, program, status)
        assert payload["errors"] == [], (status, payload)
        assert payload["program"]["status"] == status
        expected = [s.name for s in allowed_transitions(S[status])]
        assert payload["program"]["allowedTransitions"] == expected
    assert payload["program"]["allowedTransitions"] == []


@pytest.mark.parametrize("origin", [s.name for s in ACTIVE])
async def test_suspension_returns_to_the_state_it_interrupted(
    env: Env, program: dict[str, Any], origin: str
) -> None:
    await set_status(env.owner, program["id"], origin.lower())
    suspended = await change(env, program, "SUSPENDED")
    assert suspended["program"]["allowedTransitions"] == [origin, "WITHDRAWN"]
    resumed = await change(env, program, origin)
    assert resumed["errors"] == []
    assert resumed["program"]["status"] == origin
    stored = await owner_rows(
        env.owner, "SELECT suspended_from FROM programs WHERE id = :id", id=uuid_of(program["id"])
    )
    assert stored == [(None,)]


async def test_a_suspended_program_cannot_jump_ahead(env: Env, program: dict[str, Any]) -> None:
    await change(env, program, "SUSPENDED")
    jumped = await change(env, program, "CERTIFIED")
    assert codes(jumped) == ["INVALID"]
    assert jumped["errors"][0]["message"] == (
        "A SUSPENDED program cannot become CERTIFIED; it may become: PREPARING, WITHDRAWN."
    )


REFUSED = [
    # (from, to, allowed next states in the message)
    ("preparing", "CERTIFIED", "CERTIFICATION_AUDIT, SUSPENDED, WITHDRAWN"),
    ("preparing", "EXPIRED", "CERTIFICATION_AUDIT, SUSPENDED, WITHDRAWN"),
    ("preparing", "PREPARING", "CERTIFICATION_AUDIT, SUSPENDED, WITHDRAWN"),
    ("certification_audit", "SURVEILLANCE_1", "CERTIFIED, SUSPENDED, WITHDRAWN"),
    ("certified", "RECERTIFICATION", "SURVEILLANCE_1, SUSPENDED, WITHDRAWN, EXPIRED"),
    ("surveillance_2", "CERTIFIED", "RECERTIFICATION, SUSPENDED, WITHDRAWN, EXPIRED"),
]


@pytest.mark.parametrize(("origin", "target", "allowed"), REFUSED)
async def test_refused_transitions_name_the_allowed_ones_and_change_nothing(
    env: Env, program: dict[str, Any], origin: str, target: str, allowed: str
) -> None:
    await set_status(env.owner, program["id"], origin)
    before = await env.snapshot()
    payload = await change(env, program, target)
    assert payload["program"] is None
    assert payload["errors"] == [
        {
            "field": ["status"],
            "code": "INVALID",
            "message": f"A {origin.upper()} program cannot become {target}; it may become:"
            f" {allowed}.",
        }
    ]
    assert await env.snapshot() == before


@pytest.mark.parametrize("final", ["withdrawn", "expired"])
async def test_final_states_refuse_every_change(
    env: Env, program: dict[str, Any], final: str
) -> None:
    await set_status(env.owner, program["id"], final)
    for target in [s.name for s in S]:
        payload = await change(env, program, target)
        assert codes(payload) == ["INVALID"]
        assert "is final" in payload["errors"][0]["message"]
