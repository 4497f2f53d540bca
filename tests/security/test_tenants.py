"""Security guide item 9: the org comes from the authorizer's claims only, and each org sees and
changes only its own records."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.helpers import body_of, http_event, load_function
from tests.security.conftest import ZENDESK, connection_items

OTHER = {"client_id": "other-org-client", "client_secret": "other-org-secret", "subdomain": "other"}


def _save_event(body: dict, claims: dict, headers: dict | None = None) -> dict:
    return http_event("POST", "/integrations", body=body, claims=claims, headers=headers)


def test_a_body_naming_another_org_is_refused_and_nothing_is_written(api, aws_env):
    body = {"provider": "zendesk", "credentials": ZENDESK, "org_id": "org-2"}
    response = api.save_fn.lambda_handler(_save_event(body, api.claims("org-1")), api.context)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_request"
    assert connection_items(aws_env) == []


@pytest.mark.parametrize("extra", [{"org": "org-2"}, {"tenant_id": "org-2"}, {"user_id": "u-9"}])
def test_a_body_with_any_unknown_top_level_field_is_refused(api, aws_env, extra):
    body = {"provider": "zendesk", "credentials": ZENDESK, **extra}
    response = api.save_fn.lambda_handler(_save_event(body, api.claims("org-1")), api.context)
    assert response["statusCode"] == 400
    assert connection_items(aws_env) == []


def test_the_org_header_is_ignored_by_a_deployed_stack(api, aws_env):
    body = {"provider": "zendesk", "credentials": ZENDESK}
    event = _save_event(body, api.claims("org-1"), headers={"X-Org-Id": "org-2"})
    assert api.save_fn.lambda_handler(event, api.context)["statusCode"] == 200
    assert len(connection_items(aws_env, "org-1")) == 1
    assert connection_items(aws_env, "org-2") == []


def test_a_request_without_an_org_claim_is_unauthorized_and_writes_nothing(api, aws_env):
    body = {"provider": "zendesk", "credentials": ZENDESK}
    event = _save_event(body, {"sub": "user-1"}, headers={"X-Org-Id": "org-1"})
    response = api.save_fn.lambda_handler(event, api.context)
    assert response["statusCode"] == 401
    assert connection_items(aws_env) == []


def test_an_org_does_not_see_another_orgs_connection(api):
    api.save("zendesk", ZENDESK, org="org-1")
    assert api.integration("zendesk", org="org-2") is None


def test_an_org_cannot_start_a_flow_with_another_orgs_credentials(api):
    api.save("zendesk", ZENDESK, org="org-1")
    event = http_event(
        "GET",
        "/oauth/start",
        query=urlencode({"provider": "zendesk", "org_id": "org-1"}),
        headers={"accept": "application/json"},
        claims=api.claims("org-2"),
    )
    response = api.start_fn.lambda_handler(event, api.context)
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "integration_not_configured"


def test_saving_for_one_org_leaves_another_orgs_record_unchanged(api, aws_env):
    api.save("zendesk", ZENDESK, org="org-1")
    before = connection_items(aws_env, "org-1")
    api.save("zendesk", OTHER, org="org-2")
    assert connection_items(aws_env, "org-1") == before
    assert connection_items(aws_env, "org-2")[0]["client_id"]["S"] == "other-org-client"


def test_an_org_cannot_disconnect_another_orgs_connection(api, aws_env):
    api.save("zendesk", ZENDESK, org="org-1")
    event = http_event(
        "DELETE",
        "/integrations/zendesk",
        route="DELETE /integrations/{provider}",
        path_params={"provider": "zendesk"},
        claims=api.claims("org-2"),
    )
    response = load_function("disconnect").lambda_handler(event, api.context)
    assert response["statusCode"] == 404
    assert len(connection_items(aws_env, "org-1")) == 1


def test_tokens_from_one_orgs_flow_land_in_that_orgs_record_only(api, aws_env, provider_mock):
    api.save("zendesk", ZENDESK, org="org-1")
    api.save("zendesk", OTHER, org="org-2")
    api.connect("zendesk", org="org-1")
    assert api.integration("zendesk", org="org-1")["status"] == "active"
    assert api.integration("zendesk", org="org-2")["status"] == "pending_setup"
    assert "tokens" not in connection_items(aws_env, "org-2")[0]
