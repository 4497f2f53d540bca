"""A role grants exactly the AWS actions its function's paths make: none missing, none unused.

Every path of the list, save, start and disconnect functions is run against moto (the
common one, and those that queue a revocation or publish an event), the byoc clients'
calls are recorded, and their union must equal what ``template.yaml`` grants. An action
granted but never made is a permission an attacker who took the function over would
have for nothing. (The callback, token, idle-refresh and revocation roles are held to
their lists in ``tests/unit/test_template.py``: some of their paths, a write lost to a
concurrent one, are not reachable from one request here.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from byoc.aws.crypto import DATA_KEY_CACHE
from tests.helpers import aws_calls
from tests.integration.test_disconnect import GITLAB, delete
from tests.integration.test_revocation_queue import provider_down
from tests.support.api import location_query
from tests.unit.test_template import actions

OTHER_APP = {**GITLAB, "client_id": "gl-client-OTHER-APP"}


def connected(api: Any, provider_mock: Any, org: str) -> None:
    assert api.save("gitlab", GITLAB, org)["statusCode"] == 200
    assert location_query(api.connect("gitlab", org))["status"] == ["active"]


def revocation_down(api: Any, provider_mock: Any, org: str) -> None:
    connected(api, provider_mock, org)
    provider_down(provider_mock)


def saved(api: Any, provider_mock: Any, org: str) -> None:
    assert api.save("gitlab", GITLAB, org)["statusCode"] == 200


def nothing(api: Any, provider_mock: Any, org: str) -> None:
    return None


Setup = Callable[[Any, Any, str], None]
Request = Callable[[Any, str], dict[str, Any]]
# For each function, its paths: how the org's data is set up (not counted), then the request.
PATHS: dict[str, list[tuple[Setup, Request]]] = {
    "SaveCredentialsFunction": [
        (nothing, lambda api, org: api.save("gitlab", GITLAB, org)),
        (revocation_down, lambda api, org: api.save("gitlab", OTHER_APP, org)),  # old tokens queued
    ],
    "DisconnectFunction": [
        (revocation_down, lambda api, org: delete(api, "gitlab", org=org)),  # tokens queued
        (connected, lambda api, org: delete(api, "gitlab", tokens_only=True, org=org)),
    ],
    "ListIntegrationsFunction": [(connected, lambda api, org: api.list(org))],
    "OAuthStartFunction": [(saved, lambda api, org: api.start("gitlab", org))],
}


@pytest.mark.parametrize("function", sorted(PATHS))
def test_a_function_is_granted_exactly_the_actions_its_paths_make(
    function: str, api: Any, provider_mock: Any
) -> None:
    made: set[str] = set()
    for number, (setup, send) in enumerate(PATHS[function]):
        org = f"org-path-{number}"
        provider_mock.responder = None
        setup(api, provider_mock, org)
        DATA_KEY_CACHE.clear()  # a cold container: a warm one may skip a Decrypt
        with aws_calls() as calls:
            response = send(api, org)
        assert 200 <= response["statusCode"] < 400, response.get("body")
        made |= set(calls)
    assert made == actions(function)
