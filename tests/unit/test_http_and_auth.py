import pytest

from byoc.api.auth import principal_from
from byoc.api.http import Request, api_handler, json_response, redirect
from byoc.errors import Forbidden, InvalidRequest, PayloadTooLarge, Unauthorized
from byoc.model import require_admin
from byoc.settings import Settings
from tests.helpers import FakeLambdaContext, body_of, http_event


def settings(**overrides) -> Settings:
    env = {
        "TABLE_NAME": "t",
        "KMS_KEY_ID": "k",
        "FRONTEND_URL": "https://app.example.com",
        "ADMIN_CLAIM": "org_role=admin",
    }
    env.update(overrides)
    return Settings.from_env(env)


def test_org_and_user_come_from_the_jwt_claims():
    request = Request.from_event(http_event("GET", "/integrations", claims={"org_id": "org-1", "sub": "u-1"}))
    principal = principal_from(request, settings())
    assert (principal.org_id, principal.user_id, principal.is_admin) == ("org-1", "u-1", False)  # no role


def test_the_org_claim_name_is_a_setting():
    request = Request.from_event(http_event("GET", "/x", claims={"custom:tenant": "t-9", "sub": "u"}))
    assert principal_from(request, settings(ORG_CLAIM="custom:tenant")).org_id == "t-9"


def test_missing_org_claim_is_unauthorized_never_a_fallback():
    request = Request.from_event(
        http_event("GET", "/x", claims={"sub": "u-1"}, headers={"x-org-id": "org-2"})
    )
    with pytest.raises(Unauthorized):
        principal_from(request, settings())


def test_local_headers_stand_in_for_claims_only_in_local_mode():
    event = http_event("GET", "/x", headers={"x-org-id": "org-2", "x-user-id": "u-2"})
    assert principal_from(Request.from_event(event), settings(BYOC_LOCAL="true")).org_id == "org-2"
    with pytest.raises(Unauthorized):
        principal_from(Request.from_event(event), settings())


def test_admin_claim_decides_who_may_change_connections():
    member = Request.from_event(
        http_event("GET", "/x", claims={"org_id": "o", "sub": "u", "org_role": "member"})
    )
    admin = Request.from_event(
        http_event("GET", "/x", claims={"org_id": "o", "sub": "u", "org_role": "admin"})
    )
    multi = Request.from_event(
        http_event("GET", "/x", claims={"org_id": "o", "sub": "u", "org_role": "[member admin]"})
    )
    rule = settings(ADMIN_CLAIM="org_role=admin")
    with pytest.raises(Forbidden):
        require_admin(principal_from(member, rule))
    require_admin(principal_from(admin, rule))
    require_admin(principal_from(multi, rule))


def test_repeated_query_parameter_is_refused_not_joined():
    request = Request.from_event(http_event("GET", "/x", query="state=a&state=b"))
    with pytest.raises(InvalidRequest):
        request.single("state")


def test_oversized_body_is_payload_too_large():
    request = Request.from_event(http_event("POST", "/x", raw_body="x" * 20000))
    with pytest.raises(PayloadTooLarge):
        request.json_body(16 * 1024)


def test_malformed_json_is_invalid_request():
    request = Request.from_event(http_event("POST", "/x", raw_body="{nope"))
    with pytest.raises(InvalidRequest):
        request.json_body(1024)


def test_base64_body_is_decoded():
    request = Request.from_event(http_event("POST", "/x", body={"a": 1}, base64_body=True))
    assert request.json_body(1024) == {"a": 1}


def test_api_base_url_uses_public_url_else_domain_and_stage():
    request = Request.from_event(
        http_event("GET", "/x", domain="abc.execute-api.us-east-1.amazonaws.com", stage="prod")
    )
    assert request.api_base_url("") == "https://abc.execute-api.us-east-1.amazonaws.com/prod"
    assert request.api_base_url("https://api.example.com") == "https://api.example.com"
    default_stage = Request.from_event(http_event("GET", "/x", domain="d.example.com"))
    assert default_stage.api_base_url("") == "https://d.example.com"


def test_json_and_redirect_responses_are_not_cacheable():
    assert json_response(200, {})["headers"]["Cache-Control"] == "no-store"
    location = redirect("https://app.example.com/")
    assert location["headers"]["Cache-Control"] == "no-store"
    assert location["headers"]["Referrer-Policy"] == "no-referrer"


def test_unexpected_exception_becomes_a_500_without_its_message(capsys):
    @api_handler
    def broken(request):
        raise RuntimeError("secret-detail-123")

    response = broken(http_event("GET", "/x"), FakeLambdaContext())
    assert response["statusCode"] == 500
    assert body_of(response)["error"]["code"] == "internal_error"
    assert "secret-detail-123" not in response["body"]
    assert "secret-detail-123" not in capsys.readouterr().out


def test_missing_required_setting_fails_loudly():
    from byoc.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="TABLE_NAME"):
        Settings.from_env({"KMS_KEY_ID": "k", "FRONTEND_URL": "https://a.example.com"})
