"""<byoc-connect> (clients/web) in a page, in Chromium, against the local server and a real OpenID provider.

The page (PAGE below) is a third party's frontend in miniature: it themes the element with
CSS custom properties and ``::part``, gives it a ``getToken`` and, for the local server
only, the ``X-Org-*`` headers (``getHeaders``), and records the element's events in
sessionStorage so that they survive the trip to the provider and back.

Same origin: Playwright cannot intercept the callback's redirect hop (and its interception
would answer CORS preflights itself, see tests/e2e/chromium.py), so this module runs the local server with its
static folder (``/``) set to a temporary copy of the page and of the component: page,
API and callback share one origin, as they do behind one domain in production. The
devserver itself is unchanged; only the folder it serves differs.

The user connects ``generic_oidc`` through the real login and consent, lands back on the
page, which completes the parked flow (``POST /oauth/complete``), says "connected" and
fires ``byoc:connected``; then disconnects. axe-core (clients/web's pinned devDependency)
finds no serious or critical violation in the list, the open form, or the final page.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.chromium import ARTIFACTS, Chromium
from tests.e2e.stack import Stack, require, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WEB = Path(__file__).resolve().parents[2] / "clients" / "web"
COMPONENT = WEB / "src" / "byoc-connect.js"
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
PROVIDER_NAME = "OpenID Connect (any provider)"
IDENTITY = {"X-Org-Id": "connect-org", "X-User-Id": "connect-user", "X-Org-Role": "admin"}
TOKEN = "test-token"
ACCENT = "rgb(91, 42, 134)"  # the page's --byoc-color-accent

PAGE_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Settings · Integrations</title>
  <link rel="icon" href="data:,">
  <style>
    body { font-family: sans-serif; margin: 2rem; }
    byoc-connect { --byoc-color-accent: #5b2a86; --byoc-radius: 4px; }
    byoc-connect::part(card) { border-style: dashed; }
  </style>
</head>
<body>
  <main>
    <h1>Integrations</h1>
    ELEMENT
  </main>
  <script type="module">
    const KEY = 'byoc-test-events';
    const seen = JSON.parse(sessionStorage.getItem(KEY) || '[]');
    for (const type of ['byoc:saved', 'byoc:connected', 'byoc:error', 'byoc:disconnected']) {
      document.addEventListener(type, (event) => {
        seen.push({ type, detail: event.detail, bubbles: event.bubbles, composed: event.composed,
                    target: event.target.localName });
        sessionStorage.setItem(KEY, JSON.stringify(seen));
      });
    }
    // Set before the element is defined: the element must pick these up when it upgrades.
    const element = document.querySelector('byoc-connect');
    element.getToken = async () => TOKEN_VALUE;
    element.getHeaders = async () => (IDENTITY_VALUE);
    EXTRA
    await import('./byoc-connect.js');
  </script>
</body>
</html>
"""


# The catalogue page: four providers, the default strings.
CATALOGUE = ('<byoc-connect api-base="" providers="generic_oidc,github,slack,zendesk"></byoc-connect>', "")
# One provider, German strings (set before the element is defined, like the other properties).
SINGLE = (
    '<byoc-connect api-base="" provider="generic_oidc"></byoc-connect>',
    "element.strings = "
    + json.dumps(
        {
            "connectProvider": "{name} verbinden",
            "cancel": "Abbrechen",
            "connectFailed": "Verbindung mit {name} fehlgeschlagen: {reason}",
            "reasonCode": "(Grund: {code})",
            "reasons": {"access_denied": "Zugriff abgelehnt."},
        }
    )
    + ";",
)


def _page(element: str, extra: str) -> str:
    return (
        PAGE_TEMPLATE.replace("ELEMENT", element)
        .replace("EXTRA", extra)
        .replace("TOKEN_VALUE", json.dumps(TOKEN))
        .replace("IDENTITY_VALUE", json.dumps(IDENTITY))
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The local server serving the test pages and the component (copied, never linked) at /connect/."""
    require(
        AXE.is_file(),
        f"axe-core is needed at {AXE} for the accessibility check (cd clients/web && npm ci); "
        "scripts/run-tests runs it for you",
    )
    root = tmp_path_factory.mktemp("connect-page")
    folder = root / "connect"
    folder.mkdir()
    (folder / "index.html").write_text(_page(*CATALOGUE), encoding="utf-8")
    (folder / "single.html").write_text(_page(*SINGLE), encoding="utf-8")
    shutil.copyfile(COMPONENT, folder / "byoc-connect.js")
    with running_stack(binding=False, static_dir=root) as running:
        yield running


def _serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of the page as it is now (shadow DOM included)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .filter((v) => v.impact === 'serious' || v.impact === 'critical')
             .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                           nodes: v.nodes.map((n) => n.target.join(' >>> '))}))"""
    )
    return violations


def _events(page: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = page.evaluate(
        "() => JSON.parse(sessionStorage.getItem('byoc-test-events') || '[]')"
    )
    return events


def _active_element_id(page: Any) -> str | None:
    """The focused element inside the component's shadow root."""
    focused: str | None = page.evaluate(
        "() => document.querySelector('byoc-connect').shadowRoot.activeElement?.id || null"
    )
    return focused


def test_the_component_connects_openid_connect_and_reports_it(stack: Stack, chromium: Chromium) -> None:
    from playwright.sync_api import expect

    page = chromium.context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    requests: list[tuple[str, str, str | None]] = []
    page.on(
        "request",
        lambda request: requests.append(
            (request.method, urlsplit(request.url).path, request.headers.get("authorization"))
        ),
    )
    client = stack.peer.post_client
    try:
        # Given the page embedding the element, limited to four providers
        page.goto(f"{stack.url}/connect/")
        card = page.locator('li[data-provider="generic_oidc"]')
        expect(card.get_by_text("Not connected")).to_be_visible()
        expect(page.locator("li[data-provider]")).to_have_count(4)
        assert _serious_violations(page) == []
        # themed by the page: a custom property and a part
        connect = card.get_by_role("button", name=f"Connect {PROVIDER_NAME}")
        assert connect.evaluate("(button) => getComputedStyle(button).backgroundColor") == ACCENT
        assert card.evaluate("(card) => getComputedStyle(card).borderTopStyle") == "dashed"

        # When the user searches for it, opens its form, and fills the fields drawn from the catalogue
        page.get_by_role("searchbox", name="Find a service").fill("openid")
        expect(page.locator("li[data-provider]")).to_have_count(1)
        connect.click()
        dialog = page.get_by_role("dialog", name=f"Connect {PROVIDER_NAME}")
        expect(dialog).to_be_visible()
        assert _active_element_id(page) == "byoc-field-client_id"  # focus moved into the form
        expect(dialog.get_by_role("textbox", name="Redirect URI")).to_have_value(stack.callback_url)
        assert _serious_violations(page) == []
        dialog.get_by_role("button", name="Save and sign in").click()  # empty: checked before any call
        expect(dialog.get_by_text("Client ID is required.")).to_be_visible()
        assert _active_element_id(page) == "byoc-field-client_id"
        assert dialog.get_by_label("Client ID").get_attribute("aria-invalid") == "true"
        assert "byoc-field-client_id-error" in (
            dialog.get_by_label("Client ID").get_attribute("aria-describedby") or ""
        )
        dialog.get_by_label("Client ID").fill(client.client_id)
        dialog.get_by_label("Client Secret").fill(client.client_secret)
        dialog.get_by_label("Issuer URL").fill(stack.peer.issuer)
        dialog.get_by_label("Client authentication").select_option(client.auth_method)
        # ... picks a scope among the provider's known ones (openid is always asked)
        scopes = dialog.get_by_role("group", name="Scopes")
        expect(scopes.get_by_role("checkbox", name="openid")).to_be_checked()
        expect(scopes.get_by_role("checkbox", name="openid")).to_be_disabled()
        scopes.get_by_role("checkbox", name="profile").check()
        dialog.get_by_role("button", name="Save and sign in").click()

        # ... and logs in and consents at the provider's own pages
        page.wait_for_url(f"{stack.peer.issuer}/**")
        page.locator("input[name=login]").fill("alice")
        page.locator("input[name=password]").fill("any-password")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()

        # Then the browser lands back on the page, which completes the flow and says so
        page.wait_for_url(f"{stack.url}/connect/**")
        expect(page.get_by_role("status").filter(has_text=f"{PROVIDER_NAME} is connected.")).to_be_visible()
        page.get_by_role("searchbox", name="Find a service").fill("openid")
        expect(card.locator("[data-status]")).to_have_text("Connected")
        assert urlsplit(page.url).query == ""  # the result was read, then removed from the address
        events = _events(page)
        assert [event["type"] for event in events] == ["byoc:saved", "byoc:connected"]
        assert all(
            event["bubbles"] and event["composed"] and event["target"] == "byoc-connect" for event in events
        )
        assert events[0]["detail"]["provider"] == "generic_oidc"
        assert events[1]["detail"] == {"provider": "generic_oidc", "status": "active"}
        assert client.client_secret not in json.dumps(events)
        assert client.client_secret not in page.evaluate(
            "() => JSON.stringify(window.localStorage) + JSON.stringify(window.sessionStorage)"
        )
        # the scope picked was asked for and granted
        listed = page.evaluate(
            "async (headers) => (await (await fetch('/integrations', {headers})).json())", IDENTITY
        )
        oidc = next(item for item in listed["integrations"] if item["provider"] == "generic_oidc")
        assert oidc["scopes"] == ["openid", "profile"]
        assert set(oidc["granted_scopes"]) == {"openid", "profile"}
        # the bearer token went with the org's calls, not with the public catalogue
        assert ("GET", "/integrations", f"Bearer {TOKEN}") in requests
        assert all(auth is None for method, path, auth in requests if path == "/providers")
        assert [path for method, path, _ in requests if method == "POST"].count("/oauth/complete") == 1
        assert _serious_violations(page) == []

        # When the user disconnects it (the page answers the confirmation)
        page.evaluate(
            "() => { document.querySelector('byoc-connect').confirmDisconnect = async () => true; }"
        )
        card.get_by_role("button", name=f"Disconnect {PROVIDER_NAME}").click()

        # Then it is gone, the element says so and fires byoc:disconnected, and focus is back on Connect
        expect(
            page.get_by_role("status").filter(has_text=f"{PROVIDER_NAME} is disconnected.")
        ).to_be_visible()
        expect(card.get_by_text("Not connected")).to_be_visible()
        assert _events(page)[-1] == {
            "type": "byoc:disconnected",
            "detail": {"provider": "generic_oidc"},
            "bubbles": True,
            "composed": True,
            "target": "byoc-connect",
        }
        expect(card.get_by_role("button", name=f"Connect {PROVIDER_NAME}")).to_be_focused()
        assert [url for frame, url in chromium.blocked if frame.startswith(stack.url)] == []
        assert errors == []
        screenshot = "connect-component.png"
    except BaseException:
        screenshot = "connect-component-failure.png"
        raise
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / screenshot))
        page.close()


def test_one_provider_in_german_shows_the_callback_error_and_the_api_error(
    stack: Stack, chromium: Chromium
) -> None:
    from playwright.sync_api import expect

    page = chromium.context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    client = stack.peer.post_client
    try:
        # Given the one-provider element, opened as the callback of a declined sign-in would open it
        page.goto(
            f"{stack.url}/connect/single.html?tab=keys&integration=generic_oidc&status=error&error=access_denied"
        )

        # Then it says why, in its strings, fires byoc:error, and leaves only the page's own parameters
        said = f"Verbindung mit {PROVIDER_NAME} fehlgeschlagen: Zugriff abgelehnt. (Grund: access_denied)"
        expect(page.get_by_role("status").filter(has_text=said)).to_be_visible()
        assert urlsplit(page.url).query == "tab=keys"
        callback_error = _events(page)[-1]
        assert callback_error["type"] == "byoc:error"
        assert callback_error["detail"]["step"] == "callback"
        assert callback_error["detail"]["code"] == "access_denied"
        # ... and shows one button, no catalogue
        expect(page.get_by_role("searchbox")).to_have_count(0)
        connect = page.get_by_role("button", name=f"{PROVIDER_NAME} verbinden")
        expect(connect).to_have_text(f"{PROVIDER_NAME} verbinden")

        # When the form is opened and cancelled, focus goes back to the button
        connect.click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        assert _active_element_id(page) == "byoc-field-client_id"
        dialog.get_by_role("button", name="Abbrechen").click()
        expect(dialog).to_be_hidden()
        expect(connect).to_be_focused()

        # When it is saved with an issuer nobody answers at
        connect.click()
        dialog.get_by_label("Client ID").fill(client.client_id)
        dialog.get_by_label("Client Secret").fill(client.client_secret)
        dialog.get_by_label("Issuer URL").fill("http://127.0.0.1:9")
        dialog.get_by_role("button", name="Save and sign in").click()

        # Then the API's message is shown in the form (an alert, focused), and byoc:error carries it
        alert = dialog.get_by_role("alert")
        expect(alert).to_be_visible()
        expect(alert).to_be_focused()
        saved_error = _events(page)[-1]
        assert saved_error["type"] == "byoc:error"
        assert saved_error["detail"]["step"] == "save"
        assert saved_error["detail"]["status"] >= 400
        expect(alert).to_contain_text(saved_error["detail"]["message"])
        assert client.client_secret not in json.dumps(_events(page))
        assert _serious_violations(page) == []
        assert errors == []
    finally:
        page.close()
