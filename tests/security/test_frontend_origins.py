"""More than one frontend: ``FRONTEND_URL`` lists origins; a flow ends on the one that started it.

The start request's ``Origin`` (or its ``Referer``'s origin), when listed, is kept in the
state item; the callback sends the browser back there, after checking it is still listed.
Any other page's origin is not kept: the flow ends on the first origin, as with one frontend.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from byoc.aws.items import state_from_item, state_item
from byoc.model import OAuthState
from tests.security.conftest import ZENDESK, state_items

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"


@pytest.fixture
def two_frontends(configure: Any) -> None:
    configure(FRONTEND_URL=f"{APP}, {ADMIN}/")


def _start(api: Any, aws_env: Any, headers: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """Start from a page (its request headers): (the state value, the state items written)."""
    api.save("zendesk", ZENDESK)
    _, query = api.authorize("zendesk", return_to="/settings", headers=headers)
    return query["state"][0], state_items(aws_env)


def _land(api: Any, state: str) -> str:
    """Where the callback sends the browser."""
    response = api.callback("zendesk", urlencode({"code": "c", "state": state}))
    assert response["statusCode"] == 302
    return str(response["headers"]["Location"])


@pytest.mark.usefixtures("two_frontends")
@pytest.mark.parametrize(
    "headers",
    [{"origin": ADMIN}, {"referer": f"{ADMIN}/settings/integrations?tab=apps"}, {"origin": ADMIN.upper()}],
    ids=["origin", "referer", "origin-upper-case"],
)
def test_a_flow_started_on_the_second_frontend_ends_there(api, aws_env, headers) -> None:
    state, items = _start(api, aws_env, headers)
    assert [item["frontend_origin"] for item in items] == [{"S": ADMIN}]
    assert _land(api, state).startswith(f"{ADMIN}/settings?")


@pytest.mark.usefixtures("two_frontends")
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"origin": "https://evil.example"},
        {"origin": "null", "referer": "https://evil.example/"},
        {"referer": "https://admin.example.com.evil.example/x"},
        {"origin": "https://admin.example.com:8443"},
        {"origin": "http://admin.example.com"},
        {"origin": f"{ADMIN}/path"},
    ],
    ids=[
        "none",
        "unlisted",
        "null-origin",
        "lookalike-referer",
        "other-port",
        "other-scheme",
        "not-an-origin",
    ],
)
def test_a_flow_started_elsewhere_ends_on_the_first_frontend(api, aws_env, headers) -> None:
    state, items = _start(api, aws_env, headers)
    assert ["frontend_origin" in item for item in items] == [False]
    assert _land(api, state).startswith(f"{APP}/settings?")


def test_an_origin_dropped_from_the_list_since_the_start_is_not_used(api, aws_env, configure) -> None:
    configure(FRONTEND_URL=f"{APP},{ADMIN}")
    state, _ = _start(api, aws_env, {"origin": ADMIN})
    configure(FRONTEND_URL=f"{APP}")  # redeployed without the second frontend before the callback
    assert _land(api, state).startswith(f"{APP}/settings?")


def test_with_one_frontend_its_origin_is_kept_and_used(api, aws_env) -> None:
    state, items = _start(api, aws_env, {"origin": APP})
    assert [item["frontend_origin"] for item in items] == [{"S": APP}]
    assert _land(api, state).startswith(f"{APP}/settings?")


def test_the_state_item_round_trips_the_origin_and_reads_without_it() -> None:
    state = OAuthState(
        state_hash="h",
        org_id="o",
        user_id="u",
        provider="github",
        redirect_uri="https://api.example.com/oauth/callback/github",
        token_url="https://github.com/login/oauth/access_token",
        credentials_id="c",
        return_to="/",
        expires_at=1,
        frontend_origin=ADMIN,
    )
    item = state_item(state)
    assert item["frontend_origin"] == {"S": ADMIN}
    assert state_from_item(item) == state
    older = {name: value for name, value in item.items() if name != "frontend_origin"}
    assert state_from_item(older).frontend_origin is None
