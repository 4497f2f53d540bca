"""Security guide items 6 and 16: bad input is a clear 4xx, never a 5xx, never a partial write,
and a malformed callback never skips a check or reaches a provider."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from byoc.oauth.registry import get_registry
from tests.helpers import body_of, http_event
from tests.security.conftest import FRONTEND, ZENDESK, connection_items

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CALLBACK_NAMES = ["state", "code", "error", "error_description", "iss", "error_uri", "accounts-server", "x"]
PROVIDERS = [p.id for p in get_registry()]


def _save_raw(api, raw_body: str, org: str = "org-1", content_type: str = "application/json") -> dict:
    event = http_event(
        "POST",
        "/integrations",
        raw_body=raw_body,
        claims=api.claims(org),
        headers={"content-type": content_type},
    )
    return api.save_fn.lambda_handler(event, api.context)


def test_a_body_over_the_limit_is_413_and_nothing_is_written(api, aws_env):
    body = json.dumps({"provider": "zendesk", "credentials": {**ZENDESK, "client_secret": "s" * 17000}})
    response = _save_raw(api, body)
    assert response["statusCode"] == 413
    assert body_of(response)["error"]["code"] == "payload_too_large"
    assert connection_items(aws_env) == []


def test_the_body_limit_is_a_setting(api, aws_env, configure):
    configure(MAX_BODY_BYTES="64")
    response = api.save("zendesk", ZENDESK)
    assert response["statusCode"] == 413
    assert connection_items(aws_env) == []


@pytest.mark.parametrize(
    "raw_body",
    ["[" * 5000 + "]" * 5000, '{"a":' * 2500 + "1" + "}" * 2500],
    ids=["deep_array", "deep_object"],
)
def test_deeply_nested_json_is_a_400_not_a_crash(api, aws_env, raw_body):
    response = _save_raw(api, raw_body)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    ("raw_body", "content_type"),
    [
        ('{"provider": "zendesk"', "application/json"),
        ("provider=zendesk", "application/x-www-form-urlencoded"),
        ("\udcff", "application/json"),
        ('{"provider": "zendesk", "credentials": {"subdomain": "' + "9" * 5000 + '"}}', "application/json"),
        ('{"provider": "zendesk", "credentials": {"subdomain": ' + "9" * 5000 + "}}", "application/json"),
        ('{"provider": "zendesk", "credentials": {"subdomain": "\\ud800"}}', "application/json"),
        ("null", "application/json"),
        ('"just a string"', "application/json"),
        ('{"provider": "zendesk", "credentials": []}', "application/json"),
        ('{"provider": ["zendesk"], "credentials": {}}', "application/json"),
        ('{"provider": "zendesk", "credentials": {"subdomain": NaN}}', "application/json"),
    ],
)
def test_malformed_save_bodies_are_4xx_and_write_nothing(api, aws_env, raw_body, content_type):
    response = _save_raw(api, raw_body, content_type=content_type)
    assert 400 <= response["statusCode"] < 500, response["body"]
    assert connection_items(aws_env) == []


_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
_credentials = st.dictionaries(
    st.sampled_from(["client_id", "client_secret", "subdomain", "issuer", "api_key", "region"])
    | st.text(max_size=8),
    st.text(max_size=30) | _json_values,
    max_size=5,
)
_save_bodies = (
    st.fixed_dictionaries(
        {},
        optional={
            "provider": st.sampled_from(PROVIDERS) | st.text(max_size=12) | _json_values,
            "credentials": _credentials | _json_values,
            "org_id": st.just("org-2"),
            "extra": _json_values,
        },
    )
    | _json_values
)


@FUZZ
@example(body={"provider": "zendesk", "credentials": ZENDESK})
@given(body=_save_bodies)
def test_generated_save_bodies_never_get_a_5xx_and_a_refused_one_writes_nothing(api, aws_env, body):
    org = "org-fuzz"
    response = _save_raw(api, json.dumps(body), org=org)
    assert response["statusCode"] < 500, response["body"]
    if response["statusCode"] >= 400:
        assert connection_items(aws_env, org) == []
    for item in connection_items(aws_env, org):  # the next example starts from an empty org
        aws_env.dynamodb.delete_item(TableName=aws_env.table_name, Key={"pk": item["pk"], "sk": item["sk"]})


_query_values = st.text(max_size=30) | st.sampled_from(["", "A" * 43, "%00", "%ff", "a=b", "\u2028"])
_queries = st.lists(
    st.tuples(st.sampled_from(CALLBACK_NAMES) | st.text(max_size=6), _query_values), max_size=6
)


def _as_query(pairs: list[tuple[str, str]], raw: str) -> str:
    return (urlencode(pairs) + "&" + raw).strip("&")


@FUZZ
@given(
    pairs=_queries,
    raw=st.text(alphabet="abcdefstateo=&%;+#?/", max_size=25),
    provider=st.sampled_from(["zendesk", "github", "freshdesk", "nope"]),
)
def test_generated_callback_queries_get_a_4xx_and_reach_no_provider(api, provider_mock, pairs, raw, provider):
    response = api.callback(provider, _as_query(pairs, raw))
    assert 400 <= response["statusCode"] < 500, response["body"]
    assert provider_mock.requests == []


@FUZZ
@given(pairs=_queries, keep_state=st.booleans())
def test_generated_callback_queries_with_a_valid_state_end_on_the_frontend_or_get_a_4xx(
    api, provider_mock, pairs, keep_state
):
    if not hasattr(api, "_fuzz_saved"):
        api.save("zendesk", ZENDESK)
        api._fuzz_saved = True
    _, query = api.authorize("zendesk")
    state = [("state", query["state"][0])] if keep_state else []
    response = api.callback("zendesk", urlencode(state + [(k, v) for k, v in pairs if k != "state"]))
    status = response["statusCode"]
    assert status == 302 or 400 <= status < 500, response["body"]
    if status == 302:
        assert response["headers"]["Location"].startswith(FRONTEND + "/")
    if not (keep_state and any(name == "code" for name, _ in pairs)):
        assert provider_mock.requests == []
    provider_mock.requests.clear()
