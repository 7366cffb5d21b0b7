"""The first path every client walks: log in, ask who it is, list what it may see."""

from __future__ import annotations

from tests.support import Client, World, gql, login

ME = """
query { me { user { email } organizations { organization { slug } role canWrite } } }
"""


async def test_login_then_me_lists_entitled_organizations(client: Client, world: World) -> None:
    token = await login(client, "consultant")
    body = await gql(client, ME, token=token)
    me = body["data"]["me"]
    assert me["user"]["email"] == "consultant@example.test"
    roles = {o["organization"]["slug"]: (o["role"], o["canWrite"]) for o in me["organizations"]}
    assert roles == {"consultancy-org": ("OWNER", True), "a-org": ("CONSULTANT", True)}


async def test_me_is_null_without_a_token(client: Client) -> None:
    body = await gql(client, ME)
    assert body == {"data": {"me": None}}
