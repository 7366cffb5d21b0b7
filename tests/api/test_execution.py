"""The short way for plain leaf fields answers exactly as graphql-core's usual way: the same
data, and the same errors at the same paths when a value does not fit its type."""

from __future__ import annotations

import enum
from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from backend.api.execution import Execution, plain_leaves


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    title: str
    note: str | None
    count: int
    colour: Colour

    @strawberry.field
    def shout(self) -> str:
        return self.title.upper()

    @strawberry.field
    def repeated(self, times: int) -> str:
        return self.title * times


class Loose:
    """What a resolver might hand over by mistake: attributes of the wrong kind, or none."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


ITEMS: list[Any] = [
    Item(title="plain", note=None, count=3, colour=Colour.BLUE),
    Loose(title="no note", note=None, count=2, colour=Colour.RED),
    Loose(title=None, note="null title", count=1, colour=Colour.RED),
    Loose(title="bad count", note=None, count="many", colour=Colour.RED),
    Loose(title="bad colour", note=None, count=1, colour="green"),
    Loose(note="no title at all", count=1, colour=Colour.RED),
]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return ITEMS


def _schema(execution: type[StrawberryGraphQLCoreExecutionContext]) -> strawberry.Schema:
    return strawberry.Schema(query=Query, execution_context_class=execution)


QUERY = "{ items { title note count colour shout repeated(times: 2) } __typename }"


async def test_answers_and_errors_are_the_usual_ones() -> None:
    usual = await _schema(StrawberryGraphQLCoreExecutionContext).execute(QUERY)
    short = await _schema(Execution).execute(QUERY)
    assert short.data == usual.data
    assert usual.errors is not None
    assert short.errors is not None
    assert [(e.message, e.path) for e in short.errors] == [
        (e.message, e.path) for e in usual.errors
    ]
    assert short.data is not None
    assert short.data["items"][0] == {
        "title": "plain",
        "note": None,
        "count": 3,
        "colour": "BLUE",
        "shout": "PLAIN",
        "repeated": "plainplain",
    }
    assert len(short.errors) == 4  # null title, bad count, bad colour, missing title


@pytest.mark.parametrize(
    ("field", "plain"),
    [
        ("title", True),
        ("note", True),
        ("count", True),
        ("colour", True),
        ("shout", False),  # a resolver of its own
        ("repeated", False),  # arguments
    ],
)
def test_only_attributes_read_as_they_are_take_the_short_way(field: str, plain: bool) -> None:
    schema = _schema(Execution)._schema
    item = schema.get_type("Item")
    assert isinstance(item, GraphQLObjectType)
    assert (field in plain_leaves(schema)[item]) is plain
    assert schema.query_type not in plain_leaves(schema)  # its one field is a list of objects
