"""Sibling fields resolve concurrently on one session, also right after a commit."""

from __future__ import annotations

from tests.api.helpers import messages, post
from tests.support import Client, World, login

ADD_MEMBER = """
mutation Add($org: ID!) {
  addMember(input: {organizationId: $org, email: "b_owner@example.test", role: VIEWER}) {
    membership { role user { email } organization { name members { totalCount } } }
    errors { code }
  }
}
"""


async def test_payload_fields_load_concurrently_after_the_commit(
    client: Client, world: World
) -> None:
    token = await login(client, "a_owner")
    response = await post(
        client, ADD_MEMBER, {"org": world.org_gid("a")}, token=token, tenant=world.org_gid("a")
    )
    assert messages(response) == []
    membership = response.json()["data"]["addMember"]["membership"]
    assert membership["user"]["email"] == "b_owner@example.test"
    assert membership["organization"]["members"]["totalCount"] == 4
