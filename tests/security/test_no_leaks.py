"""Security guide item 8: nothing secret leaks.

The whole flow and its error paths run with distinctive secret values; every log line (the
Powertools JSON and any other logger's records), every printed line (metrics), every response
(status, headers, cookies, body) and every error message that reaches the handler boundary or
leaves the outbound client is captured, and none of them holds the client secret, the code,
the state, the PKCE verifier or a token. The client id appears only masked (the authorize URL,
which carries it and the state to the provider by design, is the one exception).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from byoc.api import http as byoc_http
from byoc.aws.store import Store
from byoc.errors import ByocError
from byoc.outbound import OutboundClient
from tests.helpers import body_of, http_event, load_function
from tests.support.api import form_of, location_query, with_outcome

CLIENT_ID = "leakcheck-client-id-7f3a9c"
CLIENT_SECRET = "LEAK-client-secret-5b21e0"
CODE = "LEAK-auth-code-93d1aa"
ACCESS_TOKEN = "LEAK-access-token-c0ffee"
REFRESH_TOKEN = "LEAK-refresh-token-beef42"
ID_TOKEN = "LEAK-id-token-1d70ce"
GOOGLE = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
TOKEN_URL = "https://oauth2.googleapis.com/token"
ECHO = f"{CLIENT_SECRET} {CODE} {ACCESS_TOKEN} {REFRESH_TOKEN}"


@dataclass
class Outputs:
    """What left the service: responses, and messages of errors raised inside it."""

    responses: list[dict[str, Any]] = field(default_factory=list)
    authorize_answers: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    needles: set[str] = field(
        default_factory=lambda: {CLIENT_SECRET, CODE, ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN}
    )

    def leaks(self, logs: str) -> dict[str, list[str]]:
        sources = {
            "logs": logs,
            "responses": json.dumps(self.responses, ensure_ascii=False),
            "errors": "\n".join(self.errors),
        }
        found = {name: [n for n in self.needles if n in text] for name, text in sources.items()}
        found["client id in clear"] = [name for name, text in sources.items() if CLIENT_ID in text]
        # The start answer carries the state and client id to the provider; nothing else secret.
        start_text = json.dumps(self.authorize_answers)
        found["start answers"] = [n for n in self.needles if n in start_text and n not in self.state_values]
        return {name: hits for name, hits in found.items() if hits}

    state_values: set[str] = field(default_factory=set)


@pytest.fixture
def outputs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Outputs]:
    captured = Outputs()
    real_error_response = byoc_http.error_response

    def error_response(error):
        captured.errors.append(f"{error} | {error.message} | {error.details!r} | {error!r}")
        return real_error_response(error)

    monkeypatch.setattr(byoc_http, "error_response", error_response)
    real_request = OutboundClient.request

    def request(self, *args: Any, **kwargs: Any):
        try:
            return real_request(self, *args, **kwargs)
        except ByocError as exc:  # what our client raises; a test responder's own error is not ours
            captured.errors.append(f"{exc} | {exc!r} | {exc.args!r}")
            raise

    monkeypatch.setattr(OutboundClient, "request", request)
    yield captured


class Run:
    """Calls through the API and keeps every answer."""

    def __init__(self, api, outputs: Outputs, provider_mock):
        self.api = api
        self.outputs = outputs
        self.mock = provider_mock

    def keep(self, response: dict[str, Any]) -> dict[str, Any]:
        self.outputs.responses.append(response)
        return response

    def save(self, provider: str, credentials: dict[str, str]) -> dict[str, Any]:
        return self.keep(self.api.save(provider, credentials))

    def raw_save(self, raw_body: str) -> dict[str, Any]:
        event = http_event("POST", "/integrations", raw_body=raw_body, claims=self.api.claims("org-1"))
        return self.keep(self.api.save_fn.lambda_handler(event, self.api.context))

    def start(self) -> str:
        response = self.api.start("google")
        self.outputs.authorize_answers.append(response)
        state = parse_qs(urlsplit(body_of(response)["authorize_url"]).query)["state"][0]
        self.outputs.state_values.add(state)
        self.outputs.needles.add(state)
        return state

    def callback(self, **params: str) -> dict[str, Any]:
        """The callback, then (an unbound flow) its completion by the starting user; both outputs kept."""
        response = self.keep(self.api.callback("google", urlencode(params), complete=False))
        outcome = location_query(response) if response["statusCode"] == 302 else {}
        self.completion = None
        if outcome.get("status") == ["pending_completion"]:
            self.completion = self.keep(self.api.complete(outcome["completion"][0], self.api.claims("org-1")))
        for request in self.mock.token_requests():
            verifier = form_of(request).get("code_verifier")
            if verifier:
                self.outputs.needles.add(verifier)
        if self.completion is not None and self.completion["statusCode"] == 200:
            return with_outcome(response, body_of(self.completion))  # as the frontend shows it
        return response

    def list(self) -> dict[str, Any]:
        return self.keep(self.api.list())

    def disconnect(self) -> dict[str, Any]:
        event = http_event(
            "DELETE",
            "/integrations/google",
            route="DELETE /integrations/{provider}",
            path_params={"provider": "google"},
            claims=self.api.claims("org-1"),
        )
        return self.keep(load_function("disconnect").lambda_handler(event, self.api.context))


@pytest.fixture
def run(api, outputs, provider_mock) -> Run:
    return Run(api, outputs, provider_mock)


def _tokens(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "access_token": ACCESS_TOKEN,
            "refresh_token": REFRESH_TOKEN,
            "id_token": ID_TOKEN,
            "token_type": "Bearer",
            "expires_in": 3600,
        },
    )


def _echoing_error(status: int, error: str = "invalid_client"):
    return lambda request: httpx.Response(status, json={"error": error, "error_description": ECHO})


def _assert_nothing_leaked(outputs: Outputs, logs, capsys) -> None:
    printed = capsys.readouterr()
    leaks = outputs.leaks(logs.text() + printed.out + printed.err)
    assert leaks == {}
    assert outputs.responses, "the scenario produced no responses"


def test_the_successful_flow_leaks_nothing(run, outputs, logs, capsys):
    run.mock.responder = _tokens
    assert run.save("google", GOOGLE)["statusCode"] == 200
    state = run.start()
    assert run.callback(code=CODE, state=state)["statusCode"] == 302
    listed = body_of(run.list())["integrations"]
    assert next(e for e in listed if e["provider"] == "google")["client_id_masked"] == "leak…3a9c"
    _assert_nothing_leaked(outputs, logs, capsys)


def test_a_replayed_and_a_made_up_callback_leak_nothing(run, outputs, logs, capsys):
    run.mock.responder = _tokens
    run.save("google", GOOGLE)
    state = run.start()
    run.callback(code=CODE, state=state)
    assert run.callback(code=CODE, state=state)["statusCode"] == 400
    assert run.callback(code=CODE, state="LEAK-made-up-state-" + "x" * 30)["statusCode"] == 400
    outputs.needles.add("LEAK-made-up-state-")
    _assert_nothing_leaked(outputs, logs, capsys)


@pytest.mark.parametrize(
    "responder",
    [
        _echoing_error(401),
        _echoing_error(400, "invalid_grant"),
        _echoing_error(500, "server_error"),
        lambda request: httpx.Response(200, text=f"not json {ECHO}"),
        lambda request: httpx.Response(200, json={"token_type": "Bearer", "note": ECHO}),
    ],
    ids=["bad_secret", "bad_code", "provider_500", "unreadable_answer", "no_access_token"],
)
def test_a_failed_exchange_leaks_nothing(run, outputs, logs, capsys, responder):
    run.mock.responder = responder
    run.save("google", GOOGLE)
    response = run.callback(code=CODE, state=run.start())
    assert response["statusCode"] == 302
    assert "status=error" in response["headers"]["Location"]
    _assert_nothing_leaked(outputs, logs, capsys)


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout(f"timed out sending {ECHO}"), httpx.ConnectError(f"refused {ECHO}")],
    ids=["timeout", "unreachable"],
)
def test_a_transport_failure_leaks_nothing(run, outputs, logs, capsys, failure):
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    run.mock.responder = fail
    run.save("google", GOOGLE)
    assert run.callback(code=CODE, state=run.start())["statusCode"] == 302
    _assert_nothing_leaked(outputs, logs, capsys)


def test_an_unexpected_error_inside_the_exchange_leaks_nothing(run, outputs, logs, capsys):
    def crash(request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"a bug that prints {ECHO}")

    run.mock.responder = crash
    run.save("google", GOOGLE)
    run.callback(code=CODE, state=run.start())
    assert run.completion is not None and run.completion["statusCode"] == 500  # the exchange runs there
    _assert_nothing_leaked(outputs, logs, capsys)


def test_a_failing_token_write_leaks_nothing(run, outputs, logs, capsys, monkeypatch):
    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"write failed for {ECHO}")

    run.mock.responder = _tokens
    run.save("google", GOOGLE)
    state = run.start()
    monkeypatch.setattr(Store, "replace_connection", fail)
    response = run.callback(code=CODE, state=state)
    assert "error=storage_failed" in response["headers"]["Location"]
    _assert_nothing_leaked(outputs, logs, capsys)


def test_denied_consent_leaks_nothing(run, outputs, logs, capsys):
    run.save("google", GOOGLE)
    response = run.callback(error="access_denied", error_description=ECHO, state=run.start())
    assert "error=access_denied" in response["headers"]["Location"]
    _assert_nothing_leaked(outputs, logs, capsys)


@pytest.mark.parametrize(
    "raw_body",
    [
        json.dumps({"provider": "zendesk", "credentials": {**GOOGLE, "subdomain": CLIENT_SECRET}}),
        json.dumps({"provider": "zendesk", "credentials": {"client_id": CLIENT_SECRET}}),
        json.dumps({"provider": "google", "credentials": {**GOOGLE, "client_secret": 42}, "x": CODE}),
        json.dumps({"provider": "google", "credentials": {**GOOGLE, "extra": CLIENT_SECRET}}),
        json.dumps({"provider": CLIENT_SECRET, "credentials": GOOGLE}),
        json.dumps({"provider": "google", "credentials": GOOGLE})[:-5],
        json.dumps(
            {"provider": "google", "credentials": {**GOOGLE, "client_secret": "\x00" + CLIENT_SECRET}}
        ),
    ],
    ids=[
        "secret_in_subdomain",
        "secret_as_client_id",
        "wrong_type",
        "unknown_field",
        "secret_as_provider",
        "truncated_json",
        "control_character",
    ],
)
def test_a_rejected_save_leaks_nothing(run, outputs, logs, capsys, raw_body):
    response = run.raw_save(raw_body)
    assert 400 <= response["statusCode"] < 500
    _assert_nothing_leaked(outputs, logs, capsys)


def test_a_disconnect_whose_revocation_fails_leaks_nothing(run, outputs, logs, capsys):
    run.mock.responder = _tokens
    run.save("google", GOOGLE)
    run.callback(code=CODE, state=run.start())
    run.mock.responder = _echoing_error(400, "unsupported_token_type")
    assert run.disconnect()["statusCode"] == 204
    assert any(str(r.url) == "https://oauth2.googleapis.com/revoke" for r in run.mock.requests)
    _assert_nothing_leaked(outputs, logs, capsys)


ZOOM_CC = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "account_id": "AbCd1234"}


@pytest.mark.parametrize(
    "failure",
    [_echoing_error(401), _echoing_error(400, "unauthorized_client"), _echoing_error(503, "server_error")],
)
def test_client_credentials_saves_and_mints_leak_nothing(run, outputs, logs, capsys, failure):
    import time

    from byoc.errors import ReconnectRequired
    from tests.support.tokens import service

    # a save that mints, a read that mints again, events and the token answer's path
    run.mock.responder = _tokens
    assert run.save("zoom-cc", ZOOM_CC)["statusCode"] == 200
    due = time.time() + 3600 - 60
    assert service(at=due).get_token("org-1", "zoom-cc")["access_token"] == ACCESS_TOKEN
    # a save the provider refuses (its error echoes the secret and tokens back), and a refused mint
    run.mock.responder = failure
    assert run.save("zoom-cc", {**ZOOM_CC, "client_secret": CLIENT_SECRET + "-2"})["statusCode"] in (422, 424)
    try:
        service(at=due + 3600).get_token("org-1", "zoom-cc")
    except (ReconnectRequired, ByocError) as exc:
        outputs.errors.append(f"{exc} | {exc.message} | {exc.details!r} | {exc!r}")
    listed = body_of(run.list())["integrations"]
    assert next(e for e in listed if e["provider"] == "zoom-cc")["client_id_masked"] == "leak…3a9c"
    _assert_nothing_leaked(outputs, logs, capsys)
