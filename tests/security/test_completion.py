"""Fixation-proof completion: an unbound callback never exchanges; only the user who started may complete.

The attack: an attacker, admin of their own org, starts a flow and sends the authorize URL to a
victim; the victim consents. Without binding, the callback cannot tell the victim's browser
from the attacker's, so it parks the code, and only the attacker could complete it, with their
own JWT, which the victim's browser does not hold: the victim's frontend completing it as the
victim is refused, and nothing is stored.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx

from tests.helpers import body_of, http_event
from tests.security.conftest import ZENDESK, connection_items
from tests.support.api import location_query

ATTACKER = {"org_id": "org-attacker", "sub": "mallory", "org_role": "admin"}
VICTIM = {"org_id": "org-victim", "sub": "alice", "org_role": "admin"}
COLLEAGUE = {"org_id": "org-attacker", "sub": "bob", "org_role": "admin"}


def _parked(api, provider_mock, claims=ATTACKER) -> str:
    api.save("zendesk", ZENDESK, claims=claims)
    _, query = api.authorize("zendesk", claims=claims)
    response = api.callback(
        "zendesk", urlencode({"code": "victim-code", "state": query["state"][0]}), complete=False
    )
    outcome = location_query(response)
    assert outcome["status"] == ["pending_completion"] and outcome["integration"] == ["zendesk"]
    assert provider_mock.token_requests() == []  # the callback itself never exchanges an unbound code
    return outcome["completion"][0]


def test_the_callback_parks_the_code_sealed_and_never_in_the_url_or_in_clear(api, provider_mock, aws_env):
    completion = _parked(api, provider_mock)
    items = aws_env.dynamodb.scan(TableName=aws_env.table_name)["Items"]
    [parked] = [i for i in items if i["pk"]["S"].startswith("COMPLETION#")]
    assert completion not in json.dumps(parked, default=str)  # stored under its hash
    assert b"victim-code" not in bytes(parked["sealed_code"]["B"])
    assert "victim-code" not in json.dumps(parked, default=str)


def test_a_victim_completing_someone_elses_flow_is_refused_and_nothing_is_stored(api, provider_mock, aws_env):
    completion = _parked(api, provider_mock)
    for other in (VICTIM, COLLEAGUE):  # another org, or a colleague in the same org
        response = api.complete(completion, other)
        assert response["statusCode"] == 403
        assert body_of(response)["error"]["code"] == "flow_not_yours"
    assert provider_mock.token_requests() == []
    [record] = connection_items(aws_env, "org-attacker")
    assert "tokens" not in record and record["status"]["S"] == "pending_setup"
    # The handle was not consumed: its owner may still complete it
    answer = api.complete(completion, ATTACKER)
    assert answer["statusCode"] == 200
    assert body_of(answer) == {"integration": "zendesk", "status": "active"}
    assert len(provider_mock.token_requests()) == 1


def test_a_completion_is_single_use(api, provider_mock):
    completion = _parked(api, provider_mock)
    assert api.complete(completion, ATTACKER)["statusCode"] == 200
    again = api.complete(completion, ATTACKER)
    assert again["statusCode"] == 400 and body_of(again)["error"]["code"] == "invalid_completion"
    assert len(provider_mock.token_requests()) == 1


def test_an_expired_completion_is_refused(api, provider_mock, aws_env):
    completion = _parked(api, provider_mock)
    [item] = [
        i
        for i in aws_env.dynamodb.scan(TableName=aws_env.table_name)["Items"]
        if i["pk"]["S"].startswith("COMPLETION#")
    ]
    aws_env.dynamodb.update_item(
        TableName=aws_env.table_name,
        Key={"pk": item["pk"], "sk": item["sk"]},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    response = api.complete(completion, ATTACKER)
    assert response["statusCode"] == 400 and body_of(response)["error"]["code"] == "invalid_completion"


def test_a_provider_error_at_completion_is_a_200_with_the_error(api, provider_mock):
    completion = _parked(api, provider_mock)
    provider_mock.responder = lambda request: httpx.Response(400, json={"error": "invalid_grant"})
    answer = api.complete(completion, ATTACKER)
    assert answer["statusCode"] == 200
    assert body_of(answer) == {"integration": "zendesk", "status": "error", "error": "invalid_grant"}


def test_malformed_completion_bodies_are_400(api):
    for body in ({}, {"completion": 7}, {"completion": "x", "other": 1}):
        event = http_event(
            "POST", "/oauth/complete", route="POST /oauth/complete", body=body, claims=ATTACKER
        )
        assert api.callback_fn.lambda_handler(event, api.context)["statusCode"] == 400
    assert body_of(api.complete("not-a-handle", ATTACKER))["error"]["code"] == "invalid_completion"


def test_a_cookie_bound_flow_exchanges_at_the_callback(api, provider_mock, configure):
    configure(BROWSER_BINDING="true")
    api.save("zendesk", ZENDESK, claims=ATTACKER)
    started = api.start("zendesk", claims=ATTACKER)
    cookie = started["cookies"][0].split(";")[0]
    state = location_query({"headers": {"Location": body_of(started)["authorize_url"]}})["state"][0]
    response = api.callback(
        "zendesk", urlencode({"code": "c", "state": state}), cookies=[cookie], complete=False
    )
    assert location_query(response)["status"] == ["active"]
    assert len(provider_mock.token_requests()) == 1
