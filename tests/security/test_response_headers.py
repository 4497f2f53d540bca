"""Security guide item 8: JSON answers are never cached; redirects are never cached and send no referrer."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from tests.helpers import http_event, load_function
from tests.security.conftest import ZENDESK


def _disconnect(api, org: str = "org-1") -> dict:
    event = http_event(
        "DELETE",
        "/integrations/zendesk",
        route="DELETE /integrations/{provider}",
        path_params={"provider": "zendesk"},
        claims=api.claims(org),
    )
    return load_function("disconnect").lambda_handler(event, api.context)


def _unauthorized_list(api) -> dict:
    return api.list_fn.lambda_handler(http_event("GET", "/integrations", claims={}), api.context)


def _too_large(api) -> dict:
    event = http_event("POST", "/integrations", raw_body="x" * 20000, claims=api.claims("org-1"))
    return api.save_fn.lambda_handler(event, api.context)


JSON_ANSWERS: dict[str, Callable] = {
    "list": lambda api: api.list(),
    "list_unauthorized": _unauthorized_list,
    "save": lambda api: api.save("zendesk", ZENDESK),
    "save_invalid": lambda api: api.save("zendesk", {"subdomain": "a.b"}),
    "save_unknown_provider": lambda api: api.save("nope", {}),
    "save_too_large": _too_large,
    "start_json": lambda api: api.start("zendesk"),
    "start_not_configured": lambda api: api.start("github"),
    "start_bad_return_to": lambda api: api.start("zendesk", return_to="//evil.com"),
    "callback_invalid_state": lambda api: api.callback("zendesk", "state=" + "A" * 43),
    "callback_unknown_provider": lambda api: api.callback("nope", "state=x"),
    "disconnect_missing": lambda api: _disconnect(api, org="org-2"),
}


@pytest.mark.parametrize("answer", sorted(JSON_ANSWERS))
def test_json_answers_are_not_stored_by_caches(api, provider_mock, answer):
    api.save("zendesk", ZENDESK)
    response = JSON_ANSWERS[answer](api)
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["Cache-Control"] == "no-store"


def test_an_empty_answer_is_not_stored_by_caches(api, provider_mock):
    api.save("zendesk", ZENDESK)
    response = _disconnect(api)
    assert response["statusCode"] == 204
    assert response["headers"]["Cache-Control"] == "no-store"


def _start_redirect(api) -> dict:
    return api.start("zendesk", accept_json=False)


def _callback_redirect(api, error: bool) -> dict:
    _, query = api.authorize("zendesk")
    params = {"error": "access_denied"} if error else {"code": "c"}
    return api.callback("zendesk", urlencode({**params, "state": query["state"][0]}))


@pytest.mark.parametrize(
    "answer",
    [_start_redirect, lambda api: _callback_redirect(api, False), lambda api: _callback_redirect(api, True)],
    ids=["start", "callback_success", "callback_error"],
)
def test_redirects_are_not_stored_and_send_no_referrer(api, provider_mock, answer):
    api.save("zendesk", ZENDESK)
    response = answer(api)
    assert response["statusCode"] == 302
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["headers"]["Referrer-Policy"] == "no-referrer"
