"""Helpers of the readiness tests: programs started through the API."""

from __future__ import annotations

from tests.support import Client, World, gql

START = """
mutation Start($code: String!, $edition: String!) {
  startProgram(input: {standardCode: $code, standardEdition: $edition,
                       scopeStatement: "Everything", targetDate: "2027-06-30"}) {
    program { id } errors { code message }
  }
}
"""
STANDARDS = [("ISO 9001", "2015"), ("ISO 14001", "2015"), ("ISO/IEC 27001", "2022")]


async def start(client: Client, world: World, token: str, code: str, edition: str) -> str:
    """Start a program in A as `token` and return its global id."""
    body = await gql(
        client, START, {"code": code, "edition": edition}, token=token, tenant=world.org_gid("a")
    )
    program_id: str = body["data"]["startProgram"]["program"]["id"]
    return program_id
