"""Records written by the previous release (tests/data/previous_release_records.json, made by its
own ``connection_item``/``state_item``) still read and work: no migration is needed.

The fixture's sealed values are placeholders (a moto key exists only in its test); they are sealed
here with the same format and context, which this release did not change.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from byoc import container, settings
from byoc.aws.items import connection_key
from byoc.model import Connection
from byoc.usecases.flow import state_hash
from tests.helpers import FakeLambdaContext, load_function
from tests.support.api import location_query
from tests.support.tokens import TokenEndpoint

FIXTURE = json.loads((Path(__file__).parent.parent / "data" / "previous_release_records.json").read_text())
STATE = "s" * 43


def item_of(raw: dict[str, Any], sealed: dict[str, bytes]) -> dict[str, Any]:
    def restore(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"__bytes__"}:
            return sealed[value["__bytes__"]]
        if isinstance(value, dict):
            return {k: restore(v) for k, v in value.items()}
        return value

    return restore(raw)


@pytest.fixture
def previous(api: Any, aws_env: Any, provider_mock: Any) -> TokenEndpoint:
    """The fixture's connection and state in the table, with really sealed secrets and tokens."""
    cipher = container.cipher()
    key, secrets = cipher.seal_secrets("org-prev", "gitlab", {"client_secret": "gl-secret-VERY-SECRET"})
    shell = Connection(org_id="org-prev", provider="gitlab", status="active", credentials_id="x")
    tokens = cipher.seal_tokens(shell, key, {"access_token": "at-prev", "refresh_token": "rt-prev"})
    item = item_of(FIXTURE["connection"], {"SEALED-SECRETS": secrets, "SEALED-TOKENS": tokens})
    aws_env.dynamodb.put_item(TableName=aws_env.table_name, Item=item)
    state = item_of(FIXTURE["state"], {})
    state["pk"] = {"S": f"STATE#{state_hash(STATE)}"}
    state["expires_at"] = state["ttl"] = {"N": str(int(time.time()) + 600)}
    aws_env.dynamodb.put_item(TableName=aws_env.table_name, Item=state)
    api.started_by[STATE] = api.claims("org-prev", user="user-1")  # the fixture state's user
    endpoint = TokenEndpoint()
    provider_mock.responder = endpoint
    return endpoint


def test_the_previous_releases_connection_lists_and_hands_out_a_refreshed_token(api, previous, aws_env):
    entry = api.integration("gitlab", org="org-prev")
    assert (entry["status"], entry["connected"]) == ("active", True)
    answer = load_function("get_token").lambda_handler(
        {"org_id": "org-prev", "provider": "gitlab"}, FakeLambdaContext()
    )
    # Its token expired in the fixture: refreshed with its refresh token and its client secret
    assert answer["access_token"] == "at-1"
    assert previous.refreshes[0]["refresh_token"] == "rt-prev"
    assert previous.refreshes[0]["client_secret"] == "gl-secret-VERY-SECRET"
    # And rewritten into this release's refresh queue, out of the old index
    item = aws_env.dynamodb.get_item(TableName=aws_env.table_name, Key=connection_key("org-prev", "gitlab"))[
        "Item"
    ]
    assert "idle_pk" not in item and item["refresh_pk"] == {"S": "oauth"}


def test_a_flow_started_by_the_previous_release_completes(api, previous):
    # The state has no app_fingerprint: the callback compares credentials_id as before
    response = api.callback("gitlab", urlencode({"code": "the-code", "state": STATE}))
    assert location_query(response)["status"] == ["active"]


def test_a_previous_releases_state_lands_on_the_first_frontend_origin_of_a_list(api, previous, monkeypatch):
    # Its state names no frontend origin (the attribute is new): the first of today's list is used
    monkeypatch.setenv("FRONTEND_URL", "https://app.example.com,https://admin.example.com")
    settings.get_settings.cache_clear()
    response = api.callback("gitlab", urlencode({"code": "the-code", "state": STATE}))
    assert response["headers"]["Location"].startswith("https://app.example.com/settings?")
    assert location_query(response)["status"] == ["active"]


def test_a_flow_started_by_the_previous_release_still_notices_other_credentials(api, previous):
    api.save("gitlab", {"client_id": "gl-other-app-999", "client_secret": "other-secret"}, org="org-prev")
    response = api.callback("gitlab", urlencode({"code": "the-code", "state": STATE}))
    assert location_query(response)["error"] == ["credentials_changed"]


def test_a_previous_releases_slack_metadata_reads_under_todays_names(api, aws_env, provider_mock):
    # Given a Slack record as the previous release wrote it: metadata under the token answer's
    # dotted paths, the webhook URL (a credential) among them in clear
    cipher = container.cipher()
    key, secrets = cipher.seal_secrets("org-prev", "slack", {"client_secret": "slack-secret-VERY-SECRET"})
    shell = Connection(org_id="org-prev", provider="slack", status="active", credentials_id="x")
    tokens = cipher.seal_tokens(shell, key, {"access_token": "xoxb-prev"})
    item = item_of(FIXTURE["connection"], {"SEALED-SECRETS": secrets, "SEALED-TOKENS": tokens})
    old = {
        "team.id": "T1",
        "incoming_webhook.url": "https://hooks.slack.com/x",
        "incoming_webhook.channel": "#g",
    }
    item.update(
        provider={"S": "slack"},
        sk={"S": "CONN#slack"},
        has_refresh_token={"BOOL": False},
        metadata={"M": {k: {"S": v} for k, v in old.items()}},
    )
    del item["token_expires_at"], item["idle_pk"]
    aws_env.dynamodb.put_item(TableName=aws_env.table_name, Item=item)

    # Then the view shows today's names, without the credential; the token function has them all
    view = api.integration("slack", org="org-prev")
    assert view["metadata"] == {"team_id": "T1", "incoming_webhook_channel": "#g"}
    token = container.token_service().get_token("org-prev", "slack")
    assert token["metadata"] == {
        "team_id": "T1",
        "incoming_webhook_url": "https://hooks.slack.com/x",
        "incoming_webhook_channel": "#g",
    }
