"""The OAuth flow over HTTP against a real OpenID provider (oidc-provider), through the local server.

One ``httpx.Client`` plays the browser: it calls our API (with the local identity
headers), keeps any cookie ``/oauth/start`` sets, walks the provider's login and
consent pages, and requests our callback without following it further. Every test
runs in both modes: browser binding off (the deployed default: the callback parks the
code and the frontend completes with ``POST /oauth/complete``) and on (the callback
exchanges when the binding cookie matches). Each test acts for its own organization,
so tests share the servers but no data.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.oidc_peer import OidcClientCredentials, login_and_consent
from tests.e2e.stack import PROVIDER, Stack, outcome

pytestmark = pytest.mark.e2e

RETURN_TO = "/settings/integrations"


@pytest.fixture(scope="module", params=[False, True], ids=["completion", "cookie-binding"])
def browser_binding(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@dataclass
class Browser:
    """A user's browser acting for one org: the API with identity headers, cookies kept."""

    stack: Stack
    http: httpx.Client
    org: str
    user: str = "e2e-user"

    @property
    def identity(self) -> dict[str, str]:
        return {"X-Org-Id": self.org, "X-User-Id": self.user, "X-Org-Role": "admin"}

    def save(self, client: OidcClientCredentials, *, secret: str | None = None, method: str | None = None):
        credentials = {
            "client_id": client.client_id,
            "client_secret": secret if secret is not None else client.client_secret,
            "issuer": self.stack.peer.issuer,
            "client_auth_method": method or client.auth_method,
        }
        return self.http.post(
            f"{self.stack.url}/integrations",
            json={"provider": PROVIDER, "credentials": credentials, "scopes": ["profile", "offline_access"]},
            headers=self.identity,
        )

    def start(self) -> str:
        answer = self.http.get(
            f"{self.stack.url}/oauth/start",
            params={"provider": PROVIDER, "return_to": RETURN_TO},
            headers={**self.identity, "Accept": "application/json"},
        )
        assert answer.status_code == 200, answer.text
        assert bool(answer.headers.get_list("set-cookie")) == self.stack.binding
        return answer.json()["authorize_url"]

    def authorize(self, *, deny: bool = False) -> httpx.URL:
        """Start, then log in and consent (or deny) at the provider; the callback URL, not yet requested."""
        return login_and_consent(self.http, self.start(), deny=deny)

    def callback(self, url: httpx.URL | str) -> httpx.Response:
        return self.http.get(str(url), follow_redirects=False)

    def finish(self, url: httpx.URL | str) -> dict[str, str]:
        """Request the callback and, when the flow waits for its user, complete it as the page does."""
        answer = self.callback(url)
        pending = "status=pending_completion" in answer.headers.get("location", "")
        assert pending != self.stack.binding or "status=error" in answer.headers["location"], answer.headers
        result = outcome(self.http, self.stack.url, answer, self.identity)
        assert result.pop("return_to") == RETURN_TO
        return result

    def complete(self, handle: str) -> httpx.Response:
        return self.http.post(
            f"{self.stack.url}/oauth/complete", json={"completion": handle}, headers=self.identity
        )

    def integration(self) -> dict[str, Any] | None:
        answer = self.http.get(f"{self.stack.url}/integrations", headers=self.identity)
        assert answer.status_code == 200, answer.text
        return next((item for item in answer.json()["integrations"] if item["provider"] == PROVIDER), None)


ACTIVE = {"status": "active"}


def failed(error: str) -> dict[str, str]:
    return {"status": "error", "error": error}


@pytest.fixture
def browser(stack: Stack) -> Iterator[Browser]:
    with httpx.Client(timeout=15) as http:
        yield Browser(stack=stack, http=http, org=f"e2e-{secrets.token_hex(6)}")


@pytest.fixture
def victim(stack: Stack) -> Iterator[Browser]:
    """Another person's browser, signed in to another org."""
    with httpx.Client(timeout=15) as http:
        yield Browser(stack=stack, http=http, org=f"e2e-victim-{secrets.token_hex(6)}", user="victim")


def connect(browser: Browser, client: OidcClientCredentials) -> dict[str, str]:
    assert browser.save(client).status_code == 200
    return browser.finish(browser.authorize())


@pytest.mark.parametrize("which", ["basic_client", "post_client"])
def test_an_org_connects_its_own_app_with_each_client_auth_method(
    stack: Stack, browser: Browser, which: str
) -> None:
    # Given an org that saved the provider's client, registered for one auth method
    client: OidcClientCredentials = getattr(stack.peer, which)
    saved = browser.save(client)
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "pending_setup"
    stack.peer.reset_stats()

    # When the user logs in and consents, and the provider sends the browser to our callback
    result = browser.finish(browser.authorize())

    # Then the code is exchanged once, and the page learns the integration is connected
    assert result == ACTIVE
    assert stack.peer.stats()["authorization_code"] == 1
    integration = browser.integration()
    assert integration["connected"] is True
    assert integration["status"] == "active"
    # ... having asked for the org's scopes (openid always), which the provider granted
    assert integration["scopes"] == ["openid", "profile", "offline_access"]
    assert set(integration["granted_scopes"]) == {"openid", "profile", "offline_access"}
    assert integration["reauthorization_needed"] is False


def test_the_auth_method_chosen_in_the_form_is_the_one_sent_to_the_provider(
    stack: Stack, browser: Browser
) -> None:
    # Given the client_secret_basic client saved with client_secret_post chosen
    assert browser.save(stack.peer.basic_client, method="client_secret_post").status_code == 200

    # When the flow completes at the provider
    result = browser.finish(browser.authorize())

    # Then the provider refuses the token request, which it would not if the method were ignored
    assert result == failed("invalid_client")


def test_a_wrong_client_secret_ends_in_error_invalid_client(stack: Stack, browser: Browser) -> None:
    # Given credentials with the wrong client secret
    assert browser.save(stack.peer.basic_client, secret="not-the-secret").status_code == 200

    # When the user logs in and consents
    result = browser.finish(browser.authorize())

    # Then the page is told why, and the integration is in error with that reason
    assert result == failed("invalid_client")
    integration = browser.integration()
    assert (integration["status"], integration["status_reason"]) == ("error", "invalid_client")
    assert integration["connected"] is False


def test_a_replayed_callback_is_rejected_as_invalid_state(stack: Stack, browser: Browser) -> None:
    # Given a completed connection
    assert browser.save(stack.peer.post_client).status_code == 200
    callback_url = browser.authorize()
    assert browser.finish(callback_url) == ACTIVE
    stack.peer.reset_stats()

    # When the same callback URL is requested again
    replay = browser.callback(callback_url)

    # Then it is refused without touching the provider, and the connection stays active
    assert replay.status_code == 400
    assert replay.json()["error"]["code"] == "invalid_state"
    assert stack.peer.stats()["authorization_code"] == 0
    assert browser.integration()["status"] == "active"


def test_a_user_who_denies_consent_ends_in_error_access_denied(stack: Stack, browser: Browser) -> None:
    # Given saved credentials
    assert browser.save(stack.peer.basic_client).status_code == 200

    # When the user cancels at the provider instead of consenting
    callback_url = browser.authorize(deny=True)
    result = browser.finish(callback_url)

    # Then the page is told access was denied (at the callback: there is no code to complete),
    # and the integration records it
    assert callback_url.params["error"] == "access_denied"
    assert result == failed("access_denied")
    integration = browser.integration()
    assert (integration["status"], integration["status_reason"]) == ("error", "access_denied")


def test_saving_another_client_returns_an_active_connection_to_pending_setup(
    stack: Stack, browser: Browser
) -> None:
    # Given an active connection with the basic client
    assert connect(browser, stack.peer.basic_client) == ACTIVE

    # When the org saves the other client's credentials
    saved = browser.save(stack.peer.post_client)

    # Then it must sign in again: pending_setup, not connected
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "pending_setup"
    integration = browser.integration()
    assert (integration["status"], integration["connected"]) == ("pending_setup", False)


def test_the_issuers_iss_parameter_on_the_callback_is_accepted(stack: Stack, browser: Browser) -> None:
    # Given saved credentials
    assert browser.save(stack.peer.basic_client).status_code == 200

    # When the provider's callback carries its issuer (RFC 9207)
    callback_url = browser.authorize()
    result = browser.finish(callback_url)

    # Then the issuer matches the configured one and the connection completes
    assert callback_url.params["iss"] == stack.peer.issuer
    assert result == ACTIVE


def test_a_callback_naming_another_issuer_is_refused_as_issuer_mismatch(
    stack: Stack, browser: Browser
) -> None:
    # Given a real callback whose iss is replaced by another issuer (a mix-up attack)
    assert browser.save(stack.peer.basic_client).status_code == 200
    callback_url = browser.authorize()
    forged = callback_url.copy_set_param("iss", "https://attacker.example")
    stack.peer.reset_stats()

    # When the browser arrives with it
    result = browser.finish(forged)

    # Then no code is exchanged with the configured provider (nor parked for completion)
    assert result == failed("issuer_mismatch")
    assert stack.peer.stats()["authorization_code"] == 0
    assert browser.integration()["connected"] is False


def test_a_victim_who_consents_to_someone_elses_flow_connects_nothing(
    stack: Stack, browser: Browser, victim: Browser
) -> None:
    # Given an attacker, admin of their own org, who starts a flow and sends the authorize URL on
    assert browser.save(stack.peer.basic_client).status_code == 200
    authorize_url = browser.start()
    stack.peer.reset_stats()

    # When the victim logs in and consents in their own browser, which comes back to our callback
    answer = victim.callback(login_and_consent(victim.http, authorize_url))
    location = httpx.URL(answer.headers["location"])

    if stack.binding:
        # Then (cookie binding) the callback refuses a browser without the starter's cookie
        assert location.params["error"] == "browser_binding_failed"
    else:
        # Then (completion) the code waits for the user who started; the victim's page, signed in
        # as the victim, cannot complete it, and neither can a colleague in the attacker's org
        assert location.params["status"] == "pending_completion"
        handle = location.params["completion"]
        refused = victim.complete(handle)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "flow_not_yours")
        colleague = Browser(stack=stack, http=victim.http, org=browser.org, user="colleague")
        assert colleague.complete(handle).status_code == 403

    # ... and nothing is exchanged or stored
    assert stack.peer.stats()["authorization_code"] == 0
    assert browser.integration()["connected"] is False
    assert victim.integration() is None

    if not stack.binding:
        # ... while the handle stays usable by the user who started it, once
        assert browser.complete(handle).json() == {"integration": PROVIDER, **ACTIVE}
        again = browser.complete(handle)
        assert (again.status_code, again.json()["error"]["code"]) == (400, "invalid_completion")


def test_the_access_log_holds_no_code_or_state(stack: Stack, browser: Browser) -> None:
    # Given a completed flow
    assert browser.save(stack.peer.basic_client).status_code == 200
    callback_url = browser.authorize()
    answer = browser.callback(callback_url)
    handle = httpx.URL(answer.headers["location"]).params.get("completion")
    assert outcome(browser.http, stack.url, answer, browser.identity)["status"] == "active"

    # When the local server's access log is read
    log = stack.access_log.getvalue()

    # Then it shows the callback's path but neither the code nor the state, the completion
    # handle or the client secret
    assert f"GET /oauth/callback/{PROVIDER} 302" in log
    assert ("POST /oauth/complete 200" in log) != stack.binding
    for secret in (
        callback_url.params["code"],
        callback_url.params["state"],
        handle,
        stack.peer.basic_client.client_secret,
    ):
        assert secret is None or secret not in log
