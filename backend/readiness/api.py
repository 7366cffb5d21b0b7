"""GraphQL readiness: a program's score now, its history, and a portfolio overview."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay

from backend.api.context import Info, actor_of
from backend.api.cost import at_most
from backend.api.errors import UserError
from backend.api.mutations import mutation, node_uuid
from backend.core.errors import invalid
from backend.programs.api import Program, program_of
from backend.readiness import models, service
from backend.readiness.score import Blocker as BlockerValue
from backend.readiness.score import Component as ComponentValue
from backend.readiness.score import Level as LevelValue
from backend.readiness.score import Readiness as ReadinessValue

ReadinessLevel = strawberry.enum(
    LevelValue, name="ReadinessLevel", description="How far a program is from certification."
)
ReadinessComponent = strawberry.enum(
    ComponentValue, name="ReadinessComponent", description="What the score is made of."
)
MAX_GROUPS = 16  # top-level clauses of a standard (ISO/IEC 27001: 7 + 4 annex themes)
MAX_BLOCKERS = 100


@strawberry.type(description="One part of the score.")
class ComponentScore:
    component: ReadinessComponent  # type: ignore[valid-type]
    score: float | None = strawberry.field(description="0 to 100; null when not measured.")
    weight: float = strawberry.field(
        description="Share of the total (0 to 1), after unmeasured components handed theirs on."
    )
    note: str


@strawberry.type(description="Conformity of the applicable requirements under one clause.")
class ClauseGroupScore:
    clause: str = strawberry.field(description='The top-level clause: "7", "A.5".')
    score: float


@strawberry.type(description="Something a person can do to raise the score, worth `points`.")
class ReadinessBlocker:
    message: str
    kind: str
    object_id: relay.GlobalID = strawberry.field(description="The object to act on.")
    points: float
    caps: bool = strawberry.field(description="It alone keeps the level below stage 2.")

    @classmethod
    def from_value(cls, blocker: BlockerValue) -> ReadinessBlocker:
        return cls(
            message=blocker.message,
            kind=blocker.kind,
            object_id=relay.GlobalID(blocker.object_type, str(blocker.object_id)),
            points=blocker.points,
            caps=blocker.caps,
        )


@strawberry.type(description="When the program should reach ready for stage 2, at its pace.")
class ReadinessForecast:
    optimistic: date | None
    likely: date | None
    pessimistic: date | None
    reason: str | None = strawberry.field(description="Why a date is missing, if one is.")


def _components(result: ReadinessValue) -> list[ComponentScore]:
    return [
        ComponentScore(
            component=item.component, score=item.score, weight=round(item.weight, 4), note=item.note
        )
        for item in result.components
    ]


@strawberry.type(description="A program's readiness, computed from its facts as they are now.")
class Readiness:
    program: Program
    score: float = strawberry.field(description="0 to 100.")
    level: ReadinessLevel  # type: ignore[valid-type]
    breakdown: list[ComponentScore] = strawberry.field(metadata=at_most(len(ComponentValue)))
    groups: list[ClauseGroupScore] = strawberry.field(metadata=at_most(MAX_GROUPS))
    forecast: ReadinessForecast
    computed_at: datetime
    found: strawberry.Private[tuple[BlockerValue, ...]]

    @classmethod
    def from_value(cls, assessed: service.Assessed) -> Readiness:
        result = assessed.readiness
        return cls(
            program=Program.from_model(assessed.program),
            score=result.score,
            level=result.level,
            breakdown=_components(result),
            groups=[ClauseGroupScore(clause=g.clause, score=g.score) for g in result.groups],
            forecast=ReadinessForecast(
                optimistic=assessed.forecast.optimistic,
                likely=assessed.forecast.likely,
                pessimistic=assessed.forecast.pessimistic,
                reason=assessed.forecast.reason,
            ),
            computed_at=assessed.computed_at,
            found=result.blockers,
        )

    @strawberry.field(
        description="What to act on, most points first (those capping the level before all)."
    )
    def blockers(self, first: int = 20) -> list[ReadinessBlocker]:
        if not 0 <= first <= MAX_BLOCKERS:
            raise invalid(f"first must be from 0 to {MAX_BLOCKERS}.", ["first"])
        return [ReadinessBlocker.from_value(item) for item in self.found[:first]]


@strawberry.type(description="A program's score as it was computed at one moment.")
class ReadinessSnapshot:
    score: float
    level: ReadinessLevel  # type: ignore[valid-type]
    computed_at: datetime
    breakdown: list[ComponentScore] = strawberry.field(metadata=at_most(len(ComponentValue)))
    groups: list[ClauseGroupScore] = strawberry.field(metadata=at_most(MAX_GROUPS))

    @classmethod
    def from_model(cls, snapshot: models.ReadinessSnapshot) -> ReadinessSnapshot:
        stored: dict[str, Any] = snapshot.breakdown
        return cls(
            score=snapshot.score,
            level=LevelValue(snapshot.level),
            computed_at=snapshot.computed_at,
            breakdown=[
                ComponentScore(
                    component=ComponentValue(item["component"]),
                    score=item["score"],
                    weight=round(item["weight"], 4),
                    note=item["note"],
                )
                for item in stored["components"]
            ],
            groups=[
                ClauseGroupScore(clause=g["clause"], score=g["score"]) for g in stored["groups"]
            ],
        )


@strawberry.type
class ReadinessQuery:
    @strawberry.field(description="A program's readiness now, with blockers and a forecast.")
    async def readiness(self, info: Info, program_id: relay.GlobalID) -> Readiness:
        program = await program_of(info, program_id)
        [assessed] = await service.assess(info.context.db, [program.id])
        return Readiness.from_value(assessed)

    @strawberry.field(
        description="A program's stored snapshots between two days (UTC), oldest first.",
        metadata=at_most(service.MAX_HISTORY),
    )
    async def readiness_history(
        self,
        info: Info,
        program_id: relay.GlobalID,
        since: Annotated[date, strawberry.argument(name="from")],
        until: Annotated[date, strawberry.argument(name="to")],
    ) -> list[ReadinessSnapshot]:
        program = await program_of(info, program_id)
        rows = await service.history(info.context.db, program.id, since, until)
        return [ReadinessSnapshot.from_model(row) for row in rows]

    @strawberry.field(
        description="Readiness of every active program you may read, oldest program first."
    )
    async def readiness_overview(self, info: Info, first: int = 50) -> list[Readiness]:
        info.context.require_entitlements()
        return [
            Readiness.from_value(item) for item in await service.overview(info.context.db, first)
        ]


# --- mutations -----------------------------------------------------------------------------


@strawberry.input(description="The relative weight of one component.")
class ComponentWeightInput:
    component: ReadinessComponent  # type: ignore[valid-type]
    weight: float = strawberry.field(description="From 0 to 1000; only proportions count.")


@strawberry.input
class SetReadinessWeightsInput:
    program_id: relay.GlobalID = strawberry.field(
        description="A program of the standard whose weights the organization sets."
    )
    weights: list[ComponentWeightInput] = strawberry.field(
        description="Components left out keep the standard's default; an empty list returns"
        " every component to it."
    )


@strawberry.type
class ReadinessPayload:
    readiness: Readiness | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReadinessMutation:
    @mutation(description="Set the organization's readiness weights for the standard of a program.")
    async def set_readiness_weights(
        self, info: Info, input: SetReadinessWeightsInput
    ) -> ReadinessPayload:
        named = {ComponentValue(item.component).value: item.weight for item in input.weights}
        if len(named) < len(input.weights):
            raise invalid("Name each component at most once.", ["weights"])
        program = await service.set_weights(
            info.context.db,
            actor_of(info),
            node_uuid(input.program_id, "Program", "programId"),
            named,
        )
        [assessed] = await service.assess(info.context.db, [program.id])
        return ReadinessPayload(readiness=Readiness.from_value(assessed))
