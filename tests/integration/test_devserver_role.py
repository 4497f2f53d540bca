"""The local role: the local server enforces the admin rule as a deployment with ``AdminClaim`` does.

``ADMIN_CLAIM`` (``claim=value``) is read locally as deployed; the ``X-Org-Role`` header stands
in for the role claim. Unset, the local default is ``org_role=admin`` (``X-Org-Role: admin``);
``BYOC_LOCAL_ANY_MEMBER_ADMIN=true`` (or ``ANY_MEMBER_ADMIN=true``) lets every member in.
The banner of ``python -m devserver`` says which rule is in effect.
"""

from __future__ import annotations

import io

import httpx
import pytest

from devserver.__main__ import _banner
from devserver.environment import admin_rule
from devserver.server import LocalServer

GITHUB = {"provider": "github", "credentials": {"client_id": "cid-role", "client_secret": "s"}}
RULES = ("ADMIN_CLAIM", "ANY_MEMBER_ADMIN", "BYOC_LOCAL_ANY_MEMBER_ADMIN")


def _save_as(client: httpx.Client, role: str | None) -> int:
    headers = {"X-Org-Id": "org-role", "X-User-Id": "dev"}
    if role is not None:
        headers["X-Org-Role"] = role
    return client.post("/integrations", json=GITHUB, headers=headers).status_code


@pytest.fixture
def clean_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in RULES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("clean_rules")
@pytest.mark.parametrize(
    ("overrides", "statuses", "banner"),
    [
        (
            {},
            {None: 403, "member": 403, "admin": 200},
            "X-Org-Role: admin (it stands in for the org_role claim",
        ),
        (
            {"ADMIN_CLAIM": "https://example.com/roles=owner"},
            {None: 403, "admin": 403, "owner": 200, "[member owner]": 200},
            "X-Org-Role: owner (it stands in for the https://example.com/roles claim; ADMIN_CLAIM)",
        ),
        ({"BYOC_LOCAL_ANY_MEMBER_ADMIN": "true"}, {None: 200, "member": 200}, "BYOC_LOCAL_ANY_MEMBER_ADMIN"),
        ({"ANY_MEMBER_ADMIN": "true"}, {None: 200}, "every org member is an admin (ANY_MEMBER_ADMIN=true)"),
    ],
    ids=["default", "admin-claim", "local-any-member", "any-member"],
)
def test_the_local_server_enforces_the_admin_rule(overrides, statuses, banner) -> None:
    with (
        LocalServer(0, access_log=io.StringIO(), env_overrides=overrides) as server,
        httpx.Client(base_url=server.url, timeout=15, trust_env=False) as client,
    ):
        assert {role: _save_as(client, role) for role in statuses} == statuses
        # reading needs no role
        assert client.get("/integrations", headers={"X-Org-Id": "org-role"}).status_code == 200
        assert banner in _banner(server)


def test_the_rule_as_the_banner_words_it() -> None:
    assert admin_rule({}).startswith(
        "admins send X-Org-Role: admin (it stands in for the org_role claim; the local default"
    )
    assert admin_rule({"ADMIN_CLAIM": " app_metadata.role=admin "}).startswith(
        "admins send X-Org-Role: admin (it stands in for the app_metadata.role claim; ADMIN_CLAIM)"
    )
    assert admin_rule({"ADMIN_CLAIM": "r=a", "ANY_MEMBER_ADMIN": "true"}).startswith("every org member")
    # BYOC_LOCAL_ANY_MEMBER_ADMIN only applies when no rule is named, as in byoc.settings
    assert admin_rule({"ADMIN_CLAIM": "r=a", "BYOC_LOCAL_ANY_MEMBER_ADMIN": "true"}).startswith("admins send")
