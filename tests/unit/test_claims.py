"""Claims read exactly: from the verified token's payload when present, names and roles matched whole."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from byoc.api.auth import principal_from
from byoc.api.claims import claim, role_values, token_payload
from byoc.api.http import Request
from byoc.errors import Unauthorized
from byoc.settings import Settings
from tests.helpers import http_event

ENV = {"TABLE_NAME": "t", "KMS_KEY_ID": "k", "FRONTEND_URL": "https://app.example.com"}


def jwt(payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(payload)}.c2lnbmF0dXJl"


def principal(rendered: dict[str, Any], payload: dict[str, Any] | None = None, **env: str) -> Any:
    headers = {"authorization": f"Bearer {jwt(payload)}"} if payload is not None else {}
    request = Request.from_event(http_event("GET", "/integrations", claims=rendered, headers=headers))
    return principal_from(request, Settings.from_env({**ENV, "ADMIN_CLAIM": "org_role=admin", **env}))


@pytest.mark.parametrize(
    ("value", "roles"),
    [
        ("admin", ("admin",)),
        (["member", "admin"], ("member", "admin")),
        ('["admin"]', ("admin",)),
        ("[member admin]", ("member", "admin")),  # the HTTP API's rendering of an array
        ("[member,admin]", ("member,admin",)),  # commas are part of a value, never a separator
        ("Support admin", ("Support admin",)),
        ({"admin": True}, ()),
        (7, ()),
    ],
)
def test_role_claim_shapes(value, roles):
    assert role_values(value) == roles


def test_admin_needs_an_exact_element_match():
    assert principal({"org_id": "o", "sub": "u", "org_role": "admin"}).is_admin
    assert not principal({"org_id": "o", "sub": "u", "org_role": "Support admin"}).is_admin
    assert not principal({"org_id": "o", "sub": "u", "org_role": "[member,admin]"}).is_admin
    assert not principal({"org_id": "o", "sub": "u", "org_role": "administrator"}).is_admin


def test_the_verified_tokens_payload_keeps_types_a_role_with_a_space_stays_one_role():
    rendered = {"org_id": "o", "sub": "u", "org_role": "[Support admin]"}
    payload = {"org_id": "o", "sub": "u", "org_role": ["Support admin"]}
    assert not principal(rendered, payload).is_admin
    assert principal(rendered, {**payload, "org_role": ["Support admin", "admin"]}).is_admin


def test_a_nested_and_a_namespaced_claim_are_found():
    claims = {"https://example.com/org_id": "acme", "app_metadata": {"org": {"id": "nested"}}}
    assert claim(claims, "https://example.com/org_id") == "acme"
    assert claim(claims, "app_metadata.org.id") == "nested"
    assert claim(claims, "app_metadata.missing") is None
    rendered = {"sub": "u", "app_metadata": "map[org:map[id:nested]]"}
    payload = {"sub": "u", "app_metadata": {"org": {"id": "nested"}}}
    assert (
        principal(rendered, payload, ORG_CLAIM="app_metadata.org.id", ANY_MEMBER_ADMIN="true").org_id
        == "nested"
    )


def test_the_longest_top_level_name_wins():
    claims = {"a": {"b": {"c": "short"}}, "a.b": {"c": "long"}}
    assert claim(claims, "a.b.c") == "long"


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic dXNlcg==", "Bearer not-a-jwt", "Bearer a.!!!.c", "Bearer " + "a" * 20000],
)
def test_without_a_readable_bearer_token_the_rendered_claims_are_used(authorization):
    rendered = {"org_id": "o", "sub": "u"}
    assert token_payload(authorization, rendered) is None


def test_a_token_that_is_not_the_one_the_authorizer_verified_is_ignored():
    rendered = {"org_id": "victim", "sub": "u", "iat": "100"}
    forged = {"org_id": "attacker", "sub": "someone-else", "iat": 100}
    assert token_payload(f"Bearer {jwt(forged)}", rendered) is None
    assert principal(rendered, forged, ANY_MEMBER_ADMIN="true").org_id == "victim"
    assert token_payload(f"Bearer {jwt(forged)}", {}) is None  # no authorizer ran: never decoded


def test_no_org_in_the_payload_is_unauthorized():
    with pytest.raises(Unauthorized):
        principal({"sub": "u", "org_id": "o"}, {"sub": "u"})
