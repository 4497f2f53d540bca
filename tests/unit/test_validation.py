import pytest

from byoc.api.validation import parse_save_body
from byoc.errors import InvalidRequest, ValidationFailed
from byoc.oauth.fields import validate_credentials
from byoc.oauth.registry import get_registry


def test_body_with_unknown_top_level_field_is_invalid_request():
    with pytest.raises(InvalidRequest):
        parse_save_body({"provider": "github", "credentials": {}, "org_id": "someone-else"})


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "x",
        {"provider": 1, "credentials": {}},
        {"provider": "github"},
        {"provider": "github", "credentials": {"a": 1}},
    ],
)
def test_wrong_shapes_are_invalid_request(body):
    with pytest.raises(InvalidRequest):
        parse_save_body(body)


def test_error_message_never_echoes_the_values():
    with pytest.raises(InvalidRequest) as caught:
        parse_save_body({"provider": "github", "credentials": {"client_secret": 12345678}})
    assert "12345678" not in caught.value.message


def test_missing_and_unknown_fields_are_named():
    provider = get_registry().get("zendesk")
    with pytest.raises(ValidationFailed) as caught:
        validate_credentials(provider, {"client_id": "a", "bogus": "b"})
    assert set(caught.value.fields) == {"client_secret", "subdomain", "bogus"}


@pytest.mark.parametrize("subdomain", ["evil.com#", "a.b", "-acme", "ACME", "a" * 64, "acme\u200b", ""])
def test_subdomain_must_be_one_dns_label(subdomain):
    provider = get_registry().get("zendesk")
    with pytest.raises(ValidationFailed) as caught:
        validate_credentials(provider, {"client_id": "a", "client_secret": "b", "subdomain": subdomain})
    assert "subdomain" in caught.value.fields


def test_secret_value_is_not_in_the_error():
    provider = get_registry().get("zendesk")
    with pytest.raises(ValidationFailed) as caught:
        validate_credentials(provider, {"client_id": "a", "client_secret": "x" * 5000, "subdomain": "acme"})
    assert "xxxx" not in str(caught.value.details)


def test_values_are_trimmed_and_select_default_applies():
    provider = get_registry().get("generic_oidc")
    cleaned = validate_credentials(
        provider, {"client_id": " id ", "client_secret": "s", "issuer": "https://login.example.com"}
    )
    assert cleaned["client_id"] == "id"
    assert cleaned["client_auth_method"] == "client_secret_basic"


def test_lone_surrogate_is_a_validation_error_not_a_crash():
    provider = get_registry().get("zendesk")
    with pytest.raises(ValidationFailed):
        validate_credentials(provider, {"client_id": "a\ud800", "client_secret": "b", "subdomain": "acme"})
