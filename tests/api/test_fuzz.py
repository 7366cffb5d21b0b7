"""Operations generated from the exported schema, sent over HTTP by a stranger and by members.

hypothesis-graphql writes queries and mutations from graphql/schema.graphql: most pass
validation, some carry one schema violation, some have only text the control-character guard
lets through (so they reach the resolvers). Whatever they ask, the answer is never a 500,
never a masked fault ("Unexpected error.") and writes no error to the logs.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema
from sqlalchemy import event
from sqlalchemy.pool import Pool

from backend.api.control_characters import FORBIDDEN
from tests.api.helpers import headers, post
from tests.support import MEMBERS, ORGS, Client, World, global_id, login

SDL = (Path(__file__).resolve().parents[2] / "graphql" / "schema.graphql").read_text()
EXAMPLES = 300
START_PROGRAM = """
mutation {
  startProgram(input: {scopeStatement: "Everything", targetDate: "2030-01-01",
                       standardCode: "ISO 9001", standardEdition: "2015"}) {
    program { id steps { id } }
  }
}
"""
ASSESSMENTS = "query($id: ID!) { assessments(programId: $id, first: 5) { edges { node { id } } } }"
STEPS = 7
ASSESSED = 5

# The seeded world's objects, named in generated operations by placeholder and swapped for
# their real global ids before sending: operations then reach real rows, not only misses.
PLACEHOLDERS = [
    *(f"world-organization-{org}" for org in ORGS),
    *(f"world-user-{user}" for user in MEMBERS),
    *(f"world-membership-{user}" for user in MEMBERS),
    "world-program",
    *(f"world-step-{i}" for i in range(STEPS)),
    *(f"world-assessment-{i}" for i in range(ASSESSED)),
]
NODE_TYPES = sorted(
    name
    for name, kind in graphql.build_schema(SDL).type_map.items()
    if isinstance(kind, graphql.GraphQLObjectType) and "Node" in {i.name for i in kind.interfaces}
)


def _string(value: str) -> graphql.StringValueNode:
    return graphql.StringValueNode(value=value)


def _scalars() -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Ids of the world, ids of every node type that name nothing, and made-up strings; dates
    and times that parse, and some that do not."""
    ids = (
        st.sampled_from(PLACEHOLDERS)
        | st.builds(global_id, st.sampled_from(NODE_TYPES), st.uuids())
        | st.text()
    )
    days = st.dates(min_value=date(1900, 1, 1)).map(date.isoformat)
    moments = st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat)
    return {
        "ID": ids.map(_string),
        "Date": (days | st.text(max_size=12)).map(_string),
        "DateTime": (moments | st.text(max_size=12)).map(_string),
    }


class _Printable(graphql.Visitor):
    """Blanks what the guard refuses in string literals, so the operation gets past it."""

    def enter_string_value(self, node: graphql.StringValueNode, *_: object) -> object:
        return replace(node, value=FORBIDDEN.sub(" ", node.value))


def _printable(document: graphql.DocumentNode) -> str:
    return graphql.print_ast(graphql.visit(document, _Printable()))


OPERATIONS = st.one_of(
    from_schema(SDL, custom_scalars=_scalars()),
    from_schema(SDL, custom_scalars=_scalars(), print_ast=_printable),
    from_schema(SDL, custom_scalars=_scalars(), mode=Mode.NEGATIVE),
)


CALLERS = ["the owner of A", "an auditor of A", "a stranger"]


@dataclass
class Fuzzed:
    """The world as the fuzzer sees it: who calls, the ids it may name, what it sent."""

    callers: dict[str, dict[str, str]] = field(repr=False)
    ids: dict[str, str] = field(repr=False)
    sent: Counter[str] = field(default_factory=Counter)
    lost_connections: int = 0

    def lose_connection(self, *_: object) -> None:
        self.lost_connections += 1

    def real(self, operation: str) -> str:
        for placeholder, global_id_ in self.ids.items():
            operation = operation.replace(f'"{placeholder}"', f'"{global_id_}"')
        return operation


async def _world_ids(client: Client, world: World, owner: str) -> dict[str, str]:
    """Global ids of the seeded world, and of a program started in A with its steps."""
    tenant = world.org_gid("a")
    started = (await post(client, START_PROGRAM, token=owner, tenant=tenant)).json()
    program = started["data"]["startProgram"]["program"]
    found = (await post(client, ASSESSMENTS, {"id": program["id"]}, token=owner)).json()
    assessments = [edge["node"]["id"] for edge in found["data"]["assessments"]["edges"]]
    ids = {f"world-organization-{org}": world.org_gid(org) for org in ORGS}
    ids |= {f"world-user-{user}": global_id("User", world.users[user].id) for user in MEMBERS}
    ids |= {f"world-membership-{u}": world.membership_gid(u, o) for u, (o, _) in MEMBERS.items()}
    ids["world-program"] = program["id"]
    ids |= {f"world-step-{i}": step["id"] for i, step in enumerate(program["steps"])}
    ids |= {f"world-assessment-{i}": id_ for i, id_ in enumerate(assessments)}
    return ids


@pytest.fixture
async def fuzzed(
    client: Client, world: World, request: pytest.FixtureRequest
) -> AsyncIterator[Fuzzed]:
    owner = await login(client, "a_owner")
    auditor = await login(client, "auditor")
    tenant = world.org_gid("a")
    callers = dict(
        zip(CALLERS, [headers(owner, tenant), headers(auditor, tenant), {}], strict=True)
    )
    fuzzed = Fuzzed(callers, await _world_ids(client, world, owner))
    started = time.perf_counter()
    event.listen(Pool, "invalidate", fuzzed.lose_connection)
    try:
        yield fuzzed
    finally:
        event.remove(Pool, "invalidate", fuzzed.lose_connection)
    seconds = time.perf_counter() - started
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(fuzzed.sent.items()))
    # Shown whether the test passes or not: pytest would otherwise keep it with the output.
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(
            f"\nfuzz: {fuzzed.sent.total()} operations in {seconds:.1f}s ({summary});"
            f" {fuzzed.lost_connections} connections lost"
        )


def _faults(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operation=OPERATIONS, caller=st.sampled_from(CALLERS))
async def test_no_generated_operation_is_answered_with_a_fault(
    client: Client,
    fuzzed: Fuzzed,
    caplog: pytest.LogCaptureFixture,
    operation: str,
    caller: str,
) -> None:
    caplog.clear()
    operation = fuzzed.real(operation)
    kind = "mutations" if operation.startswith("mutation") else "queries"
    fuzzed.sent[f"{kind} by {caller}"] += 1
    lost_before = fuzzed.lost_connections
    response = await client.post(
        "/graphql", json={"query": operation}, headers=fuzzed.callers[caller]
    )
    # A healthy request hands its connection back to the pool; none is ever thrown away.
    assert fuzzed.lost_connections == lost_before, operation
    assert response.status_code != 500, (operation, response.text)
    errors = [error["message"] for error in response.json().get("errors") or []]
    assert "Unexpected error." not in errors, (operation, errors)
    assert _faults(caplog) == [], operation
