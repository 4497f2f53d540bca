"""Each endpoint makes exactly the AWS calls of its budget (docs/performance.md, warm container).

Counted with a botocore ``before-call`` hook on the byoc clients while one handler
runs against moto. These are counts, not timings: they are the same on any
machine, so they are asserted exactly; ``make bench`` prints them beside the budget.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest

from byoc.aws import crypto
from tests.helpers import FakeLambdaContext, aws_calls, http_event, load_function

GITLAB = {"client_id": "gl-client-123456", "client_secret": "gl-secret-VERY-SECRET"}


def connected(api: Any) -> None:
    assert api.save("gitlab", GITLAB)["statusCode"] == 200
    assert api.connect("gitlab")["statusCode"] == 302


def callback_event(api: Any) -> dict[str, Any]:
    _, query = api.authorize("gitlab")
    return http_event(
        "GET",
        "/oauth/callback/gitlab",
        route="GET /oauth/callback/{provider}",
        query=urlencode({"code": "the-code", "state": query["state"][0]}),
        path_params={"provider": "gitlab"},
    )


def test_listing_integrations_is_one_query(api):
    # Given an org with connections to several providers
    connected(api)
    api.save("sendgrid", {"api_key": "SG.budget-key-0123456789"})
    # When it lists its integrations
    with aws_calls() as calls:
        assert api.list()["statusCode"] == 200
    # Then that is one Query and nothing else
    assert Counter(calls) == {"dynamodb:Query": 1}


def test_saving_new_credentials_is_one_read_one_write_one_data_key_and_one_event(api):
    # When an org saves credentials for a provider it has never configured
    with aws_calls() as calls:
        assert api.save("gitlab", GITLAB)["statusCode"] == 200
    # Then one read, one write, one GenerateDataKey, and one event for the new status
    assert Counter(calls) == {
        "dynamodb:GetItem": 1,
        "dynamodb:PutItem": 1,
        "kms:GenerateDataKey": 1,
        "events:PutEvents": 1,
    }


def test_saving_a_new_secret_for_a_connected_app_publishes_no_event(api):
    # Given a connected integration
    connected(api)
    # When the org saves a rotated secret for the same app (the status stays active)
    with aws_calls() as calls:
        assert api.save("gitlab", {**GITLAB, "client_secret": "gl-secret-ROTATED"})["statusCode"] == 200
    # Then one read, one write and one GenerateDataKey: no event, since the status did not change
    assert Counter(calls) == {"dynamodb:GetItem": 1, "dynamodb:PutItem": 1, "kms:GenerateDataKey": 1}


def test_starting_a_flow_is_one_read_and_one_write_without_kms(api):
    # Given saved credentials
    api.save("gitlab", GITLAB)
    # When an admin starts the OAuth flow
    with aws_calls() as calls:
        assert api.start("gitlab")["statusCode"] == 200
    # Then the record is read and the state written; the client id is not a secret, so no KMS call
    assert Counter(calls) == {"dynamodb:GetItem": 1, "dynamodb:PutItem": 1}


def test_an_unbound_callback_parks_the_code_with_a_delete_a_read_a_decrypt_and_a_write(api):
    # Given a started flow (browser binding off: the default), in a container with no data key cached
    api.save("gitlab", GITLAB)
    event = callback_event(api)
    crypto.DATA_KEY_CACHE.clear()
    # When the provider sends the browser back with a code
    with aws_calls() as calls:
        response = load_function("oauth_callback").lambda_handler(event, FakeLambdaContext())
    # Then the state is consumed, the record read, its data key decrypted to seal the code, and the
    # parked code written; no exchange, no event yet
    assert response["statusCode"] == 302
    assert Counter(calls) == {
        "dynamodb:DeleteItem": 1,
        "dynamodb:GetItem": 1,
        "kms:Decrypt": 1,
        "dynamodb:PutItem": 1,
    }


def _parked(api: Any) -> str:
    from urllib.parse import parse_qs, urlsplit

    response = load_function("oauth_callback").lambda_handler(callback_event(api), FakeLambdaContext())
    return parse_qs(urlsplit(response["headers"]["Location"]).query)["completion"][0]


@pytest.mark.parametrize("already_active", [False, True], ids=["connects", "already-active"])
def test_completing_a_flow_is_two_reads_a_delete_a_decrypt_a_write_and_an_event_on_a_change(
    api, already_active
):
    # Given a parked code (of a new connection, or a reconnect), completed in another container
    if already_active:
        connected(api)
    else:
        api.save("gitlab", GITLAB)
    completion = _parked(api)
    crypto.DATA_KEY_CACHE.clear()
    # When its user completes it
    with aws_calls() as calls:
        assert api.complete(completion, api.claims("org-1"))["statusCode"] == 200
    # Then the parked code is read and consumed, the record read, one Decrypt (the code, the secret and
    # the new tokens share the record's data key), the tokens written, one event if the status changed
    expected = {"dynamodb:GetItem": 2, "dynamodb:DeleteItem": 1, "kms:Decrypt": 1, "dynamodb:PutItem": 1}
    if not already_active:
        expected["events:PutEvents"] = 1
    assert Counter(calls) == expected


def test_a_warm_token_read_is_one_read_and_no_kms_call(api):
    # Given a connected integration whose token this container has read once (its data key cached)
    connected(api)
    get_token = load_function("get_token").lambda_handler
    event = {"org_id": "org-1", "provider": "gitlab"}
    assert "access_token" in get_token(event, FakeLambdaContext())
    # When a service reads the token again
    with aws_calls() as calls:
        answer = get_token(event, FakeLambdaContext())
    # Then that is one GetItem and no KMS call
    assert answer["access_token"] == "at-123"
    assert Counter(calls) == {"dynamodb:GetItem": 1}


ZOOM_CC = {"client_id": "zm-client-1234", "client_secret": "zm-secret-VERY-SECRET", "account_id": "AbCd1234"}


def test_saving_a_client_credentials_app_costs_what_any_new_save_costs(api, provider_mock):
    # When an org saves a client-credentials app (the first token is minted before the write)
    with aws_calls() as calls:
        assert api.save("zoom-cc", ZOOM_CC)["statusCode"] == 200
    # Then the AWS calls of a new save: the token is sealed under the same new data key
    assert Counter(calls) == {
        "dynamodb:GetItem": 1,
        "dynamodb:PutItem": 1,
        "kms:GenerateDataKey": 1,
        "events:PutEvents": 1,
    }
    assert len(provider_mock.requests) == 1  # the one token request


@pytest.mark.parametrize("cold", [False, True])
def test_minting_a_due_token_is_a_read_the_lease_a_write_and_an_event(api, provider_mock, cold):
    import time

    from tests.support.tokens import service

    assert api.save("zoom-cc", ZOOM_CC)["statusCode"] == 200
    tokens = service()
    tokens.get_token("org-1", "zoom-cc")  # this container has opened the record once
    if cold:
        crypto.DATA_KEY_CACHE.clear()
    due = service(at=time.time() + 3600 - 60)
    with aws_calls() as calls:
        due.get_token("org-1", "zoom-cc")
    # Then one GetItem, the lease and the conditioned write, one event; a Decrypt only when cold
    expected = {"dynamodb:GetItem": 1, "dynamodb:UpdateItem": 2, "events:PutEvents": 1}
    assert Counter(calls) == ({**expected, "kms:Decrypt": 1} if cold else expected)
    assert len(provider_mock.requests) == 2
