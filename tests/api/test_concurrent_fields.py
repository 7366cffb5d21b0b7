"""Sibling fields resolve concurrently on one session, also right after a commit."""

from __future__ import annotations

from tests.api.helpers import messages, post
from tests.support import Client, World, login

CHANGE_ROLE = """
mutation Change($membership: ID!) {
  changeMemberRole(input: {membershipId: $membership, role: MANAGER}) {
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
        client,
        CHANGE_ROLE,
        {"membership": world.membership_gid("a_viewer", "a")},
        token=token,
        tenant=world.org_gid("a"),
    )
    assert messages(response) == []
    membership = response.json()["data"]["changeMemberRole"]["membership"]
    assert membership["user"]["email"] == "a_viewer@example.test"
    assert membership["organization"]["members"]["totalCount"] == 3
