"""The in-process API: the real lambda_handlers called with HTTP API events, providers mocked by httpx.

The ``api`` and ``provider_mock`` fixtures are registered for every test in ``tests/conftest.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import httpx
import pytest

from byoc import container
from byoc.outbound import OutboundClient
from tests.helpers import FakeLambdaContext, body_of, http_event, load_function


@dataclass
class ProviderMock:
    """A recording httpx.MockTransport standing in for every provider endpoint."""

    responder: Callable[[httpx.Request], httpx.Response] | None = None
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.responder is None:
            return httpx.Response(
                200,
                json={
                    "access_token": "at-123",
                    "refresh_token": "rt-456",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                },
            )
        return self.responder(request)

    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST"]


def install_provider_mock(monkeypatch: pytest.MonkeyPatch) -> ProviderMock:
    """A recording mock for every provider call, standing in for the container's outbound client."""
    mock = ProviderMock()
    client = OutboundClient(transport=httpx.MockTransport(mock))
    monkeypatch.setattr(container, "outbound", lambda: client)
    return mock


class Api:
    """The deployed API's routes, called in process."""

    def __init__(self) -> None:
        self.context = FakeLambdaContext()
        # Who started each flow (by state), so an unbound flow is completed as its frontend would.
        self.started_by: dict[str, dict[str, Any]] = {}
        self.list_fn = load_function("list_integrations")
        self.providers_fn = load_function("list_providers")
        self.save_fn = load_function("save_credentials")
        self.start_fn = load_function("oauth_start")
        self.callback_fn = load_function("oauth_callback")

    @staticmethod
    def claims(org: str, user: str = "user-1", **extra: str) -> dict[str, Any]:
        """An org admin's claims (the tests' AdminClaim is org_role=admin) unless ``extra`` says otherwise."""
        return {"org_id": org, "sub": user, "org_role": "admin", **extra}

    def list(self, org: str = "org-1", **kw: Any) -> dict[str, Any]:
        event = http_event("GET", "/integrations", claims=self.claims(org), **kw)
        return self.list_fn.lambda_handler(event, self.context)

    def integration(self, provider: str, org: str = "org-1") -> dict[str, Any] | None:
        """The org's connection to ``provider`` as ``GET /integrations`` lists it; None when not saved."""
        entries = body_of(self.list(org))["integrations"]
        return next((e for e in entries if e["provider"] == provider), None)

    def providers(self, **kw: Any) -> dict[str, Any]:
        """``GET /providers`` (no JWT); ``kw`` as for ``http_event`` (headers)."""
        return self.providers_fn.lambda_handler(http_event("GET", "/providers", **kw), self.context)

    def entry(self, provider: str) -> dict[str, Any]:
        """The provider's catalogue entry."""
        return next(e for e in body_of(self.providers())["providers"] if e["id"] == provider)

    def save(
        self,
        provider: str,
        credentials: dict[str, str],
        org: str = "org-1",
        claims: dict[str, Any] | None = None,
        **choices: Any,
    ) -> dict[str, Any]:
        """``choices``: the body's other keys (``scopes``, ``user_scopes``)."""
        event = http_event(
            "POST",
            "/integrations",
            body={"provider": provider, "credentials": credentials, **choices},
            claims=claims or self.claims(org),
        )
        return self.save_fn.lambda_handler(event, self.context)

    def start(
        self,
        provider: str,
        org: str = "org-1",
        return_to: str | None = None,
        accept_json: bool = True,
        claims: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        params = {"provider": provider}
        if return_to is not None:
            params["return_to"] = return_to
        headers = {**({"accept": "application/json"} if accept_json else {}), **(headers or {})}
        claims = claims or self.claims(org)
        event = http_event("GET", "/oauth/start", query=urlencode(params), headers=headers, claims=claims)
        response = self.start_fn.lambda_handler(event, self.context)
        url = (
            body_of(response).get("authorize_url") if response["statusCode"] == 200 and accept_json else None
        )
        url = url or response.get("headers", {}).get("Location")
        if url:
            for state in parse_qs(urlsplit(url).query).get("state", []):
                self.started_by[state] = claims
        return response

    def authorize(self, provider: str, org: str = "org-1", **kw: Any) -> tuple[str, dict[str, list[str]]]:
        response = self.start(provider, org, **kw)
        assert response["statusCode"] == 200, response["body"]
        url = body_of(response)["authorize_url"]
        return url, parse_qs(urlsplit(url).query)

    def callback(
        self, provider: str, query: str, cookies: list[str] | None = None, *, complete: bool = True
    ) -> dict[str, Any]:
        """The callback; a code parked for its user is then completed by the user who started the
        flow, as the frontend does, and the redirect's outcome shows the completion's answer."""
        event = http_event(
            "GET",
            f"/oauth/callback/{provider}",
            route="GET /oauth/callback/{provider}",
            query=query,
            path_params={"provider": provider},
            cookies=cookies,
        )
        response = self.callback_fn.lambda_handler(event, self.context)
        outcome = location_query(response) if response["statusCode"] == 302 else {}
        if not complete or outcome.get("status") != ["pending_completion"]:
            return response
        state = parse_qs(query).get("state", [""])[0]
        answer = body_of(
            self.complete(outcome["completion"][0], self.started_by.get(state) or self.claims("org-1"))
        )
        return with_outcome(response, answer)

    def complete(self, completion: str, claims: dict[str, Any]) -> dict[str, Any]:
        event = http_event(
            "POST",
            "/oauth/complete",
            route="POST /oauth/complete",
            body={"completion": completion},
            claims=claims,
        )
        return self.callback_fn.lambda_handler(event, self.context)

    def connect(self, provider: str, org: str = "org-1") -> dict[str, Any]:
        """Start and finish a flow with the provider mock answering; returns the callback response."""
        _, query = self.authorize(provider, org)
        return self.callback(provider, urlencode({"code": "the-code", "state": query["state"][0]}))


def with_outcome(response: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The callback's redirect as the frontend shows it once completed: status (and error) of the answer."""
    parts = urlsplit(response["headers"]["Location"])
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("status", "completion", "error")]
    query.append(("status", answer.get("status", "error")))
    if "error" in answer:
        error = answer["error"]
        query.append(("error", error if isinstance(error, str) else error.get("code", "")))
    location = parts._replace(query=urlencode(query)).geturl()
    return {**response, "headers": {**response["headers"], "Location": location}}


def location_query(response: dict[str, Any]) -> dict[str, list[str]]:
    return parse_qs(urlsplit(response["headers"]["Location"]).query)


def form_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def json_of(request: httpx.Request) -> Any:
    return json.loads(request.content)
