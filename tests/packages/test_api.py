"""The packages API over HTTP: a package assembled, frozen and downloaded by its auditor as
one streamed ZIP that `certready package verify` accepts (and a tampered one it refuses),
who sees which package and when, who may change one, and what the list costs."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry import relay

from backend.core.access import Actor
from backend.core.signing import Signer
from backend.db.session import TenantSession
from backend.runtime import Runtime
from backend.settings import Settings
from tests.api.helpers import count_statements
from tests.packages.helpers import linked_evidence, package_rows
from tests.planning.helpers import Plan
from tests.support import Client, World, certready, global_id, gql, login

ERRORS = "errors { field code message }"
PACKAGE = """
id title status includes frozenAt releasedAt manifestSha256 itemCount totalBytes
programs { id } grant { id } certificationAudit { id }
items { path kind recordType sizeBytes sha256 }
"""
PACKAGES = f"""
query($organization: ID) {{
  evidencePackages(organization: $organization) {{ totalCount edges {{ node {{ {PACKAGE} }} }} }}
}}
"""
PACKAGE_BY_ID = f"query($id: ID!) {{ evidencePackage(id: $id) {{ {PACKAGE} }} }}"
PAYLOADS = {
    "createEvidencePackage": ("CreateEvidencePackageInput", f"package {{ {PACKAGE} }}"),
    "updateEvidencePackage": ("UpdateEvidencePackageInput", "package { title includes }"),
    "freezePackage": ("EvidencePackageIdInput", f"package {{ {PACKAGE} }}"),
    "releasePackage": ("EvidencePackageIdInput", "package { status releasedAt }"),
    "packageDownloadUrl": ("EvidencePackageIdInput", "url expiresAt"),
}


async def mutate(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str
) -> dict[str, Any]:
    kind, fields = PAYLOADS[name]
    document = f"mutation($input: {kind}!) {{ {name}(input: $input) {{ {fields} {ERRORS} }} }}"
    body = await gql(client, document, {"input": input}, token=token, tenant=tenant)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][name]
    return payload


async def done(
    client: Client, name: str, input: dict[str, Any], *, token: str, tenant: str
) -> dict[str, Any]:
    payload = await mutate(client, name, input, token=token, tenant=tenant)
    assert payload["errors"] == [], payload
    return payload


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def listed(
    client: Client, token: str, tenant: str | None = None, **variables: str
) -> list[str]:
    body = await gql(client, PACKAGES, variables, token=token, tenant=tenant)
    assert "errors" not in body, body
    return [edge["node"]["title"] for edge in body["data"]["evidencePackages"]["edges"]]


async def frozen_package(
    client: Client, plan: Plan, token: str, title: str, grant: str | None
) -> dict[str, Any]:
    created = await done(
        client,
        "createEvidencePackage",
        {"title": title, "programIds": [plan.program_gid("a")], "grantId": grant},
        token=token,
        tenant=plan.org_gid("a"),
    )
    frozen = await done(
        client,
        "freezePackage",
        {"id": created["package"]["id"]},
        token=token,
        tenant=plan.org_gid("a"),
    )
    package: dict[str, Any] = frozen["package"]
    return package


async def fetch_zip(client: Client, url: str, target: Path) -> Path:
    response = await client.get(urlsplit(url).path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    await asyncio.to_thread(target.write_bytes, response.content)
    return target


DOCS = Path(__file__).resolve().parents[2] / "docs" / "packages.md"


def documented_check(path: Path) -> tuple[int, str]:
    """Run the plain-Python check of docs/packages.md on `path`, as an auditor would."""
    snippet = DOCS.read_text().split("```python\n", 1)[1].split("```", 1)[0]
    ran = subprocess.run(
        [sys.executable, "-c", snippet, str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return ran.returncode, ran.stdout.strip()


async def test_the_auditor_downloads_a_zip_that_verifies_offline_and_a_tampered_one_fails(
    *,
    client: Client,
    plan: Plan,
    world: World,
    session: TenantSession,
    owner_a: Actor,
    runtime: Runtime,
    migrated: Settings,
    owner_engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    assert world.grant is not None
    for number, size in (("7.5.1", 3 * 1024 * 1024 + 7), ("8.5.1", 10)):
        await linked_evidence(
            session, runtime, owner_a, plan, number=number, data=b"%PDF" + b"x" * size
        )
    owner = await login(client, "a_owner")
    package = await frozen_package(
        client, plan, owner, "Stage 2", global_id("AuditorGrant", world.grant.id)
    )
    assert package["status"] == "FROZEN"
    assert package["itemCount"] == len(package["items"]) == 5  # program, 2 items, 2 files

    auditor = await login(client, "auditor")
    signed = await done(
        client, "packageDownloadUrl", {"id": package["id"]}, token=auditor, tenant=plan.org_gid("a")
    )
    path = await fetch_zip(client, signed["url"], tmp_path / "package.zip")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names[:2] == ["manifest.json", "manifest.sha256"]
        assert archive.read("manifest.sha256").decode().strip() == package["manifestSha256"]
    assert sorted(names[2:]) == sorted(item["path"] for item in package["items"])

    verified = certready(migrated, "package", "verify", str(path))
    assert verified.returncode == 0, verified.stderr
    assert "manifest and 5 entries verified" in verified.stdout
    assert documented_check(path) == (0, "OK")

    async with owner_engine.connect() as connection:
        downloads = await connection.execute(
            text("SELECT user_id FROM evidence_package_downloads WHERE package_id = :p"),
            {"p": relay.from_base64(package["id"])[1]},
        )
        assert [row[0] for row in downloads] == [plan.users["auditor"]]
        logged = await connection.execute(
            text("SELECT count(*) FROM activity_log WHERE object_type = 'PackageDownload'")
        )
        assert logged.scalar_one() >= 1

    # One byte of a file changed: the first mismatch is named.
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"xxxxxxxx")] ^= 1
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(raw)
    refused = certready(migrated, "package", "verify", str(tampered))
    assert refused.returncode == 1
    assert "MISMATCH files/evidence/" in refused.stderr
    assert documented_check(tampered)[0] == 1

    # The manifest rewritten in place (same length): its own hash no longer holds.
    raw = bytearray(path.read_bytes())
    at = raw.index(b'"title":"Stage 2"')
    raw[at : at + 17] = b'"title":"Stage 3"'
    rewritten = tmp_path / "rewritten.zip"
    rewritten.write_bytes(raw)
    refused = certready(migrated, "package", "verify", str(rewritten))
    assert refused.returncode == 1
    assert "manifest.json" in refused.stderr

    assert (await client.get(urlsplit(signed["url"]).path + "x")).status_code == 403
    signer = Signer(migrated.evidence_signing_secret.get_secret_value())
    claims = {"package": relay.from_base64(package["id"])[1], "tenant": str(plan.orgs["a"])}
    expired = signer.sign("package", -1, **claims, user=str(plan.users["auditor"]))
    assert (await client.get(f"/packages/{expired}")).status_code == 403

    async with owner_engine.connect() as connection:  # the freeze is on the record too
        frozen = await connection.execute(
            text(
                "SELECT count(*) FROM activity_log WHERE object_type = 'EvidencePackage'"
                " AND changes::text LIKE '%frozen%'"
            )
        )
        assert frozen.scalar_one() >= 1


async def test_auditors_see_only_frozen_packages_of_their_grant_within_its_window(
    client: Client, plan: Plan, world: World, owner_engine: AsyncEngine
) -> None:
    assert world.grant is not None
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    grant = global_id("AuditorGrant", world.grant.id)
    given = await frozen_package(client, plan, owner, "Given", grant)
    await frozen_package(client, plan, owner, "Kept in house", None)
    await done(
        client,
        "createEvidencePackage",
        {"title": "Draft", "programIds": [plan.program_gid("a")], "grantId": grant},
        token=owner,
        tenant=tenant,
    )
    assert sorted(await listed(client, owner)) == ["Draft", "Given", "Kept in house"]
    assert len(await listed(client, owner, organization=plan.org_gid("a"))) == 3
    assert await listed(client, owner, organization=plan.org_gid("b")) == []
    consultant = await login(client, "consultant")
    assert sorted(await listed(client, consultant)) == ["Draft", "Given", "Kept in house"]

    auditor = await login(client, "auditor")
    assert await listed(client, auditor) == ["Given"]
    body = await gql(client, PACKAGE_BY_ID, {"id": given["id"]}, token=auditor)
    assert body["data"]["evidencePackage"]["grant"] == {"id": grant}

    async with owner_engine.begin() as connection:  # the grant's window closes
        await connection.execute(
            text(
                "UPDATE auditor_grants SET valid_until = now() - interval '1 minute',"
                " valid_from = now() - interval '2 days' WHERE id = :id"
            ),
            {"id": world.grant.id},
        )
    assert await listed(client, auditor) == []
    body = await gql(client, PACKAGE_BY_ID, {"id": given["id"]}, token=auditor)
    assert body["data"]["evidencePackage"] is None


async def test_viewers_and_auditors_change_nothing_and_other_tenants_see_nothing(
    client: Client, plan: Plan, world: World, owner_engine: AsyncEngine
) -> None:
    assert world.grant is not None
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    package = await frozen_package(
        client, plan, owner, "Given", global_id("AuditorGrant", world.grant.id)
    )
    before = await package_rows(owner_engine)
    create = {"title": "Mine", "programIds": [plan.program_gid("a")]}
    for user in ("a_viewer", "auditor"):
        token = await login(client, user)
        for name, input in (
            ("createEvidencePackage", create),
            ("updateEvidencePackage", {"id": package["id"], "title": "Mine"}),
            ("freezePackage", {"id": package["id"]}),
            ("releasePackage", {"id": package["id"]}),
        ):
            refused = await mutate(client, name, input, token=token, tenant=tenant)
            assert codes(refused) == ["FORBIDDEN"], (user, name, refused)
    assert await package_rows(owner_engine) == before

    stranger, b_tenant = await login(client, "b_owner"), plan.org_gid("b")
    assert await listed(client, stranger) == []
    body = await gql(client, PACKAGE_BY_ID, {"id": package["id"]}, token=stranger)
    assert body["data"]["evidencePackage"] is None
    for name in ("releasePackage", "packageDownloadUrl"):
        hidden = await mutate(client, name, {"id": package["id"]}, token=stranger, tenant=b_tenant)
        assert codes(hidden) == ["NOT_FOUND"], name
    refused = await mutate(
        client,
        "createEvidencePackage",
        {"title": "Theirs", "programIds": [plan.program_gid("a")]},
        token=stranger,
        tenant=b_tenant,
    )
    assert codes(refused) == ["NOT_FOUND"]
    assert await package_rows(owner_engine) == before


async def test_the_package_list_costs_the_same_for_one_package_and_for_five(
    client: Client, plan: Plan, world: World, app: Litestar
) -> None:
    assert world.grant is not None
    owner, tenant = await login(client, "a_owner"), plan.org_gid("a")
    grant = global_id("AuditorGrant", world.grant.id)

    async def cost() -> tuple[int, int]:
        await listed(client, owner, tenant)  # warm up
        with count_statements(app.state.runtime.engine) as sent:
            titles = await listed(client, owner, tenant)
        return len(sent), len(titles)

    await frozen_package(client, plan, owner, "Package 0", grant)
    one = await cost()
    for number in range(1, 5):
        await frozen_package(client, plan, owner, f"Package {number}", grant)
    five = await cost()
    assert (one[1], five[1]) == (1, 5)
    assert 0 < one[0] == five[0]
    print(f"statements to list evidence packages: {one[0]} for 1, {five[0]} for 5")
