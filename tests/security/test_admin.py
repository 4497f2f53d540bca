"""Authorization inside an org: saving, deleting and starting need an admin; listing needs membership.

The admin rule is the stack parameter ``AdminClaim`` (``ADMIN_CLAIM``, ``claim=value``), required
unless ``AnyMemberIsAdmin`` (``ANY_MEMBER_ADMIN``) says every member may do everything. Locally
the ``X-Org-Role`` header stands in for the claim.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import body_of, http_event, load_function
from tests.security.conftest import ZENDESK, connection_items, state_items

MEMBER = {"org_id": "org-1", "sub": "user-1", "org_role": "member"}
ADMIN = {"org_id": "org-1", "sub": "user-2", "org_role": "admin"}


@pytest.fixture
def admin_rule(configure) -> None:
    configure(ADMIN_CLAIM="org_role=admin")


def _delete(api, path: str, claims: dict[str, Any], headers: dict[str, str] | None = None) -> dict:
    event = http_event(
        "DELETE",
        path,
        route="DELETE /integrations/{provider}" + ("/tokens" if path.endswith("/tokens") else ""),
        path_params={"provider": "zendesk"},
        claims=claims,
        headers=headers,
    )
    return load_function("disconnect").lambda_handler(event, api.context)


def _forbidden(response: dict) -> bool:
    return response["statusCode"] == 403 and body_of(response)["error"]["code"] == "forbidden"


@pytest.mark.usefixtures("admin_rule")
def test_a_member_cannot_save_credentials_and_nothing_is_written(api, aws_env):
    response = api.save("zendesk", ZENDESK, claims=MEMBER)
    assert _forbidden(response)
    assert connection_items(aws_env) == []


@pytest.mark.usefixtures("admin_rule")
def test_an_admin_can_save_credentials(api):
    assert api.save("zendesk", ZENDESK, claims=ADMIN)["statusCode"] == 200


@pytest.mark.usefixtures("admin_rule")
def test_a_member_cannot_start_a_flow_and_no_state_is_written(api, aws_env):
    api.save("zendesk", ZENDESK, claims=ADMIN)
    response = api.start("zendesk", claims=MEMBER)
    assert _forbidden(response)
    assert state_items(aws_env) == []


@pytest.mark.usefixtures("admin_rule")
def test_an_admin_can_start_a_flow(api):
    api.save("zendesk", ZENDESK, claims=ADMIN)
    assert api.start("zendesk", claims=ADMIN)["statusCode"] == 200


@pytest.mark.usefixtures("admin_rule")
@pytest.mark.parametrize("path", ["/integrations/zendesk", "/integrations/zendesk/tokens"])
def test_a_member_cannot_disconnect_and_the_record_stays(api, aws_env, path):
    api.save("zendesk", ZENDESK, claims=ADMIN)
    assert _forbidden(_delete(api, path, MEMBER))
    assert len(connection_items(aws_env)) == 1


@pytest.mark.usefixtures("admin_rule")
def test_an_admin_can_disconnect(api, aws_env):
    api.save("zendesk", ZENDESK, claims=ADMIN)
    assert _delete(api, "/integrations/zendesk", ADMIN)["statusCode"] == 204
    assert connection_items(aws_env) == []


@pytest.mark.usefixtures("admin_rule")
def test_a_member_can_list_the_orgs_integrations(api):
    api.save("zendesk", ZENDESK, claims=ADMIN)
    event = http_event("GET", "/integrations", claims=MEMBER)
    response = api.list_fn.lambda_handler(event, api.context)
    assert response["statusCode"] == 200
    zendesk = next(e for e in body_of(response)["integrations"] if e["provider"] == "zendesk")
    assert zendesk["status"] == "pending_setup"


@pytest.mark.usefixtures("admin_rule")
def test_a_caller_without_the_role_claim_is_not_an_admin(api, aws_env):
    response = api.save("zendesk", ZENDESK, claims={"org_id": "org-1", "sub": "user-1"})
    assert _forbidden(response)
    assert connection_items(aws_env) == []


def test_every_member_may_save_only_when_the_deployment_says_so(api, configure):
    configure(ADMIN_CLAIM="", ANY_MEMBER_ADMIN="true")
    assert api.save("zendesk", ZENDESK, claims=MEMBER)["statusCode"] == 200


def test_a_deployment_naming_no_admin_rule_is_misconfigured_not_open(api, configure, aws_env):
    configure(ADMIN_CLAIM="", ANY_MEMBER_ADMIN="false")
    response = api.save("zendesk", ZENDESK, claims=MEMBER)
    assert response["statusCode"] == 500
    assert body_of(response)["error"]["code"] == "misconfigured"
    assert connection_items(aws_env) == []


def test_locally_the_admin_rule_defaults_to_the_role_switch(api, configure, aws_env):
    configure(ADMIN_CLAIM="", BYOC_LOCAL="true")
    body = {"provider": "zendesk", "credentials": ZENDESK}
    member = http_event(
        "POST", "/integrations", body=body, headers={"X-Org-Id": "org-1", "X-Org-Role": "member"}
    )
    assert _forbidden(api.save_fn.lambda_handler(member, api.context))
    configure(BYOC_LOCAL_ANY_MEMBER_ADMIN="true")
    assert api.save_fn.lambda_handler(member, api.context)["statusCode"] == 200


@pytest.mark.usefixtures("admin_rule")
def test_locally_the_x_org_role_header_stands_in_for_the_claim(api, configure, aws_env):
    configure(BYOC_LOCAL="true")
    body = {"provider": "zendesk", "credentials": ZENDESK}
    as_member = http_event("POST", "/integrations", body=body, headers={"X-Org-Id": "org-1"})
    as_admin = http_event(
        "POST", "/integrations", body=body, headers={"X-Org-Id": "org-1", "X-Org-Role": "admin"}
    )
    assert _forbidden(api.save_fn.lambda_handler(as_member, api.context))
    assert api.save_fn.lambda_handler(as_admin, api.context)["statusCode"] == 200


@pytest.mark.usefixtures("admin_rule")
def test_a_deployed_stack_ignores_the_x_org_role_header(api, aws_env):
    body = {"provider": "zendesk", "credentials": ZENDESK}
    event = http_event("POST", "/integrations", body=body, claims=MEMBER, headers={"X-Org-Role": "admin"})
    assert _forbidden(api.save_fn.lambda_handler(event, api.context))
    assert connection_items(aws_env) == []
