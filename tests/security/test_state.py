"""Security guide item 1: the OAuth state is random, stored hashed, single use, short-lived and bound."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from tests.helpers import body_of
from tests.security.conftest import ZENDESK, connection_items, state_items


def _start(api) -> str:
    api.save("zendesk", ZENDESK)
    _, query = api.authorize("zendesk")
    return query["state"][0]


def _callback_query(state: str) -> str:
    return urlencode({"code": "the-code", "state": state})


def test_the_state_carries_256_random_bits(api):
    state = _start(api)
    assert len(base64.urlsafe_b64decode(state + "=" * (-len(state) % 4))) == 32


def test_every_flow_gets_a_different_state(api):
    api.save("zendesk", ZENDESK)
    states = {api.authorize("zendesk")[1]["state"][0] for _ in range(5)}
    assert len(states) == 5


def test_the_table_holds_only_the_hash_of_the_state(api, aws_env):
    state = _start(api)
    [item] = state_items(aws_env)
    assert item["pk"]["S"] == "STATE#" + hashlib.sha256(state.encode()).hexdigest()
    assert state not in str(item)


def test_the_state_item_binds_org_user_and_provider_and_expires_within_ten_minutes(api, aws_env):
    api.save("zendesk", ZENDESK, org="org-7")
    before = int(time.time())
    api.authorize("zendesk", org="org-7", claims=api.claims("org-7", user="user-42"))
    [item] = state_items(aws_env)
    assert (item["org_id"]["S"], item["user_id"]["S"], item["provider"]["S"]) == (
        "org-7",
        "user-42",
        "zendesk",
    )
    assert before < int(item["expires_at"]["N"]) <= int(time.time()) + 600


def test_a_replayed_callback_is_refused_and_makes_no_second_exchange(api, provider_mock):
    query = _callback_query(_start(api))
    assert api.callback("zendesk", query)["statusCode"] == 302
    replay = api.callback("zendesk", query)
    assert replay["statusCode"] == 400
    assert body_of(replay)["error"]["code"] == "invalid_state"
    assert len(provider_mock.token_requests()) == 1


def test_an_expired_state_still_in_the_table_is_refused_without_an_exchange(api, aws_env, provider_mock):
    # Given a state whose expiry has passed, but which DynamoDB's TTL has not deleted yet
    state = _start(api)
    [item] = state_items(aws_env)
    aws_env.dynamodb.update_item(
        TableName=aws_env.table_name,
        Key={"pk": item["pk"], "sk": item["sk"]},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )
    # When the provider sends the browser back with it
    response = api.callback("zendesk", _callback_query(state))
    # Then it is refused, nothing is exchanged and the connection is untouched
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_state"
    assert provider_mock.requests == []
    assert api.integration("zendesk")["status"] == "pending_setup"


def test_a_made_up_state_is_refused_without_an_exchange(api, provider_mock):
    _start(api)
    response = api.callback("zendesk", _callback_query("A" * 43))
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_state"
    assert provider_mock.requests == []


@pytest.mark.usefixtures("atomic_dynamodb", "frequent_thread_switches")
def test_twenty_concurrent_callbacks_with_one_state_make_exactly_one_exchange(api, provider_mock):
    # Given one started flow
    query = _callback_query(_start(api))
    # When twenty callbacks with its state arrive at once
    barrier = threading.Barrier(20)

    def arrive(_: int) -> dict:
        barrier.wait()
        return api.callback("zendesk", query)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(arrive, range(20)))
    # Then one finishes the flow, nineteen are told the state is invalid, and one code exchange happened
    statuses = sorted(response["statusCode"] for response in responses)
    assert statuses == [302] + [400] * 19
    assert {body_of(r)["error"]["code"] for r in responses if r["statusCode"] == 400} == {"invalid_state"}
    assert len(provider_mock.token_requests()) == 1
    assert api.integration("zendesk")["status"] == "active"


def test_a_failed_exchange_leaves_no_state_behind(api, aws_env):
    state = _start(api)
    api.callback("zendesk", urlencode({"error": "access_denied", "state": state}))
    assert state_items(aws_env) == []
    assert len(connection_items(aws_env)) == 1
