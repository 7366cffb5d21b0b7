"""The gap analysis exit criterion: every requirement assessed, judged in one statement."""

from __future__ import annotations

import uuid

from backend.assessments.criteria import every_requirement_assessed
from backend.assessments.models import Conformity
from backend.assessments.service import assess_requirements
from backend.programs.criteria import Verdict, criteria_of
from backend.programs.judgements import Judgement
from backend.programs.models import Program, StepKey
from tests.api.helpers import count_statements
from tests.assessments.helpers import Scene
from tests.support import judge


async def judge_all_but(scene: Scene, program_id: uuid.UUID, left: list[str]) -> None:
    """Assess every requirement of the environmental program except `left`."""
    standard = scene.catalog.environment
    judgements = [
        Judgement(standard.clauses[number], Conformity.CONFORMANT)
        for number in standard.assessable
        if number not in left
    ]
    if judgements:
        async with scene.acting("a_owner") as (db, actor):
            await assess_requirements(db, actor, program_id, judgements)


async def verdict_of(scene: Scene, program_id: uuid.UUID) -> tuple[bool, str, int]:
    """The verdict as tenant A's viewer would get it, and how many statements it cost."""
    async with scene.acting("a_viewer") as (db, _):
        program = await db.get(Program, program_id)
        assert program is not None
        with count_statements(scene.runtime.engine) as statements:
            verdict = await judge(every_requirement_assessed, db, program)
    return verdict.met, verdict.reason, len(statements)


def test_the_criterion_is_registered_for_the_gap_analysis_step() -> None:
    keys = [item.key for item in criteria_of(StepKey.GAP_ANALYSIS)]
    assert "all-assessed" in keys


async def test_unmet_while_requirements_remain_and_names_the_first_five(scene: Scene) -> None:
    program = await scene.start_program(scene.catalog.quality)
    met, reason, statements = await verdict_of(scene, program)
    total = len(scene.catalog.quality.assessable)
    assert not met
    assert reason == (
        f"{total} requirements are not assessed yet: 4.1, 4.2, 8.5.1, 8.5.2, 8.6"
        f" and {total - 5} more."
    )
    assert statements == 1


async def test_one_remaining_requirement_is_named(scene: Scene) -> None:
    program = await scene.start_program(scene.catalog.environment)
    await judge_all_but(scene, program, ["6.1.2"])
    assert await verdict_of(scene, program) == (
        False,
        "1 requirement is not assessed yet: 6.1.2.",
        1,
    )


async def test_met_once_everything_is_assessed_not_applicable_included(scene: Scene) -> None:
    program = await scene.start_program(scene.catalog.environment)
    await judge_all_but(scene, program, ["6.1.2"])
    async with scene.acting("a_owner") as (db, actor):
        await assess_requirements(
            db,
            actor,
            program,
            [
                Judgement(
                    scene.catalog.environment.clauses["6.1.2"],
                    Conformity.NOT_APPLICABLE,
                    justification="An office with no environmental aspects of note.",
                )
            ],
        )
    assert await verdict_of(scene, program) == (True, "Every requirement has been assessed.", 1)


async def test_one_statement_judges_each_program_of_a_list_apart(scene: Scene) -> None:
    nearly = await scene.start_program(scene.catalog.environment)
    await judge_all_but(scene, nearly, ["6.1.2"])
    untouched = await scene.start_program(scene.catalog.quality)
    async with scene.acting("a_viewer") as (db, _):
        programs = [await db.get(Program, nearly), await db.get(Program, untouched)]
        with count_statements(scene.runtime.engine) as statements:
            verdicts = await every_requirement_assessed(db, [p for p in programs if p])
    assert verdicts[nearly] == Verdict(False, "1 requirement is not assessed yet: 6.1.2.")
    total = len(scene.catalog.quality.assessable)
    assert verdicts[untouched] == Verdict(
        False,
        f"{total} requirements are not assessed yet: 4.1, 4.2, 8.5.1, 8.5.2, 8.6"
        f" and {total - 5} more.",
    )
    assert len(statements) == 1
