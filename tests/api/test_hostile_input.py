"""Hostile shapes get clear answers: bodies and documents nested too deep, odd operation names,
crafted cursors. Never a 500, never a masked fault, never an error in the logs."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import messages, one_error, post, post_raw
from tests.support import Client, World, global_id, login

CURSOR = "The `after` cursor is not valid for this list."
NESTED_TOO_DEEPLY = "Syntax Error: Document is nested too deeply. Parsing aborted."


def _faults(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


# --- nesting -------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["variables", "extensions", "top"])
async def test_a_body_nested_too_deeply_for_the_json_decoder_is_400(
    client: Client, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    deep = b"[" * 2000 + b"]" * 2000
    body = {
        "variables": b'{"query": "{ __typename }", "variables": {"a": ' + deep + b"}}",
        "extensions": b'{"query": "{ __typename }", "extensions": {"a": ' + deep + b"}}",
        "top": deep,
    }[where]
    response = await post_raw(client, body)
    assert response.status_code == 400
    assert response.text == "The request body is nested too deeply."
    assert _faults(caplog) == []


async def test_deep_variable_values_are_a_clear_error(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """Deep, but not too deep for the decoder: graphql-core refuses them while coercing."""
    query = "query($tags: [String!]) { organizations(first: 1) { totalCount } }"
    nested: Any = "x"
    for _ in range(500):
        nested = [nested]
    body = json.dumps({"query": query.replace("$tags", "$t"), "variables": {"t": nested}})
    message = one_error(await post_raw(client, body.encode()))
    assert message == "Variable '$t' is never used."

    query = "query($slug: String!) { organization(slug: $slug) { name } }"
    message = one_error(await post(client, query, {"slug": nested}))
    assert message.startswith("Variable '$slug' has invalid value: String cannot represent")
    assert _faults(caplog) == []


@pytest.mark.parametrize(
    "document",
    [
        "{ me " + "{ user " * 2000 + "{ id" + " }" * 2002,
        "{ organizations(first: " + "[" * 2000 + "1" + "]" * 2000 + ") { totalCount } }",
        '{ organization(slug: "a") ' + "{ ... on Organization " * 1000 + "{ name" + " }" * 1002,
    ],
    ids=["selections", "list literal", "inline fragments"],
)
async def test_a_document_nested_too_deeply_is_a_syntax_error(
    client: Client, caplog: pytest.LogCaptureFixture, document: str
) -> None:
    response = await post(client, document)
    assert one_error(response) == NESTED_TOO_DEEPLY
    assert response.json()["data"] is None
    assert _faults(caplog) == []

    spec = await client.post(
        "/graphql",
        json={"query": document},
        headers={"accept": "application/graphql-response+json"},
    )
    assert spec.status_code == 400


@pytest.mark.parametrize("name", ["", 42, ["A"], "not-a-name", "A\x00", "A\ud800"])
async def test_an_operation_name_that_is_no_graphql_name_is_400(
    client: Client, name: object
) -> None:
    body = json.dumps({"query": "query A { __typename }", "operationName": name})
    response = await post_raw(client, body.encode())
    assert response.status_code == 400
    assert response.text == "`operationName` must be a GraphQL name."


async def test_an_operation_name_that_is_a_name_still_picks_the_operation(client: Client) -> None:
    query = "query A { a: __typename } query B { b: __typename }"
    response = await client.post("/graphql", json={"query": query, "operationName": "B"})
    assert response.json() == {"data": {"b": "Query"}}


# --- cursors -------------------------------------------------------------------------------

# Every kind of key a list is ordered by: text, uuid, timestamp, integer; and a nested list.
TEXT_KEYED = "organizations (name, id)"
LISTS = {
    TEXT_KEYED: "organizations(after: $after) { totalCount }",
    "programs (created_at, id)": "programs(after: $after) { totalCount }",
    "assessments (position, id)": "assessments(programId: $program, after: $after) { totalCount }",
    "members of an organization": (
        'organization(slug: "a-org") { members(after: $after) { totalCount } }'
    ),
}


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _json_cursor(value: object) -> str:
    return _cursor(json.dumps(value).encode())


CRAFTED = [
    _json_cursor([1, 2]),
    _json_cursor([None, None]),
    _json_cursor([{}, []]),
    _json_cursor([True, str(uuid.uuid4())]),
    _json_cursor({"name": "Alpha", "id": str(uuid.uuid4())}),
    _json_cursor(["Alpha\x00", str(uuid.uuid4())]),
    _json_cursor(["Alpha\ud800", str(uuid.uuid4())]),
    _cursor(b"[" * 5000 + b"]" * 5000),
    _cursor(b"not json at all"),
    _cursor(b"\xff\xfe\x00garbage"),
    "!!! not base64 !!!",
    "",
]
# Fine as a name, but beyond what an integer or timestamp column holds (or without a zone).
BEYOND_THE_COLUMN = [
    _json_cursor([value, str(uuid.uuid4())])
    for value in [
        "9" * 40,
        "2147483648",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2026-01-01T00:00:00",
    ]
]


async def _cursor_errors(client: Client, token: str, list_name: str, cursor: str) -> list[str]:
    selection = LISTS[list_name]
    variables = {"after": cursor}
    declared = "$after: String"
    if "$program" in selection:
        variables["program"] = global_id("Program", uuid.uuid4())
        declared += ", $program: ID!"
    response = await post(client, f"query({declared}) {{ {selection} }}", variables, token=token)
    return messages(response)


@pytest.fixture
async def token(client: Client, world: World) -> str:
    return await login(client, "a_owner")


async def test_crafted_cursors_are_a_clear_error_on_every_kind_of_list(
    client: Client, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    for list_name in LISTS:
        for cursor in CRAFTED if list_name == TEXT_KEYED else CRAFTED + BEYOND_THE_COLUMN:
            errors = await _cursor_errors(client, token, list_name, cursor)
            assert errors == [CURSOR], (list_name, cursor)
    assert _faults(caplog) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
CURSORS = (
    JSON.map(_json_cursor)
    | st.lists(st.text() | st.integers(), min_size=2, max_size=2).map(_json_cursor)
    | st.binary().map(_cursor)
    | st.text(st.characters(codec="ascii", exclude_categories=["Cc"]))
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cursor=CURSORS, list_name=st.sampled_from(sorted(LISTS)))
async def test_any_cursor_a_client_makes_up_is_answered_clearly(
    client: Client, token: str, caplog: pytest.LogCaptureFixture, cursor: str, list_name: str
) -> None:
    caplog.clear()
    errors = await _cursor_errors(client, token, list_name, cursor)
    # A made-up cursor may by chance be valid (["", "<a uuid>"]); it is never a fault.
    assert errors in ([], [CURSOR]), (list_name, cursor, errors)
    assert _faults(caplog) == []


async def test_an_operation_name_that_names_no_operation_is_400(client: Client) -> None:
    body = {"query": "query A { __typename }", "operationName": "B"}
    response = await client.post("/graphql", json=body)
    assert (response.status_code, response.text) == (400, 'Unknown operation named "B".')


async def test_a_json_body_with_a_charset_is_served(client: Client) -> None:
    content = b'{"query": "{ __typename }"}'
    headers = {"Content-Type": "application/json; charset=utf-8"}
    response = await client.post("/graphql", content=content, headers=headers)
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_several_operations_without_a_name_are_refused_not_guessed(client: Client) -> None:
    query = "query A { a: __typename } query B { b: __typename }"
    response = await client.post(
        "/graphql", json={"query": query}, headers={"Accept": "application/graphql-response+json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"message": "Must provide operation name if query contains multiple operations."}
        ]
    }
