"""The committed API contract: graphql/schema.graphql and the operations SPAs are built from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import graphql as graphql_core
import pytest
from graphql import OperationDefinitionNode, parse, validate
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from backend.api.schema import schema
from tests.support import PASSWORD, Client, World, gql

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "graphql"
SCHEMA_FILE = CONTRACT / "schema.graphql"
OPERATIONS = sorted((CONTRACT / "operations").glob("*.graphql"))


def _document(name: str) -> str:
    return (CONTRACT / "operations" / f"{name}.graphql").read_text()


def test_schema_file_is_current() -> None:
    assert SCHEMA_FILE.is_file(), f"{SCHEMA_FILE} is missing: run `make schema` and commit it"
    expected = schema.as_str() + "\n"
    assert SCHEMA_FILE.read_text() == expected, (
        "graphql/schema.graphql is stale: run `make schema`, review the diff and commit it "
        "(name any breaking change in the commit message)"
    )


def test_contract_directory_is_not_a_python_package() -> None:
    assert not (CONTRACT / "__init__.py").exists()
    assert list(CONTRACT.rglob("__init__.py")) == []


def test_graphql_imports_graphql_core_not_the_contract_directory() -> None:
    assert graphql_core.__file__ is not None
    assert Path(graphql_core.__file__).resolve().parent != CONTRACT.resolve()
    assert hasattr(graphql_core, "validate")


def test_the_spa_operations_are_present() -> None:
    assert {path.stem for path in OPERATIONS} >= {"Login", "Me", "Organizations"}


@pytest.mark.parametrize("path", OPERATIONS, ids=[path.stem for path in OPERATIONS])
def test_operation_validates_against_the_schema(path: Path) -> None:
    document = parse(path.read_text())
    errors = validate(schema._schema, document)
    assert errors == [], [error.message for error in errors]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert [op.name.value if op.name else None for op in operations] == [path.stem], (
        "one named operation per file, named like the file"
    )


async def test_operations_run_against_the_server(client: Client, world: World) -> None:
    login = await gql(
        client, _document("Login"), {"email": "consultant@example.test", "password": PASSWORD}
    )
    payload = login["data"]["login"]
    assert payload["errors"] == []
    token = payload["accessToken"]

    me = (await gql(client, _document("Me"), token=token))["data"]["me"]
    assert me["user"]["email"] == "consultant@example.test"
    assert {o["organization"]["slug"] for o in me["organizations"]} == {"consultancy-org", "a-org"}

    page = (await gql(client, _document("Organizations"), {"kind": "CLIENT"}, token=token))["data"]
    assert page["organizations"]["totalCount"] == 1
    assert page["organizations"]["edges"][0]["node"]["viewerRole"] == "CONSULTANT"


def _mutation_fields() -> list[StrawberryField]:
    definition = schema.get_type_by_name("Mutation")
    assert isinstance(definition, StrawberryObjectDefinition)
    return list(definition.fields)


@pytest.mark.parametrize("field", _mutation_fields(), ids=lambda field: field.python_name)
def test_every_payload_can_answer_with_errors_alone(field: StrawberryField) -> None:
    """A failed mutation answers with its payload holding only errors (backend/api/mutations)."""
    payload: Any = field.type
    assert isinstance(payload, type)
    answer = payload(errors=[])
    assert answer.errors == []
