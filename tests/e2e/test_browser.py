"""The reference page (examples/dashboard: "Acting as" + <byoc-connect>) in a real browser.

Debian's Chromium driven by Playwright opens the page the local server serves at ``/`` (the
component module comes from clients/web/src, at ``/byoc-connect.js``), against the real
OpenID provider, in both modes: browser binding off (the page completes the parked flow with
``POST /oauth/complete``) and on (the cookie binds the flow, nothing to complete).

Each test acts for its own org, chosen with the page's "Acting as" switch (the local
server's X-Org-* headers, handed to the component as ``getHeaders``), so tests share the
servers but no data, and starts without cookies, so the provider asks for the login again.
Scenarios: connect (form, scopes, login, consent, "connected"), a wrong client secret (the
provider refuses the exchange), consent denied at the provider, disconnect, the whole
connection with the keyboard only, the identity switch (its checks, and its role reaching
the API), and axe-core (clients/web's pinned devDependency) finding
no serious or critical violation in the list, the open form and the final page. Screenshots
are kept in test-artifacts/ (git-ignored). Requests to anything but 127.0.0.1 are blocked: the
machine may have no internet, and the page must need none.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.chromium import ARTIFACTS, Chromium
from tests.e2e.oidc_peer import login_and_consent
from tests.e2e.stack import PROVIDER, Stack, outcome, require

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

AXE = Path(__file__).resolve().parents[2] / "clients" / "web" / "node_modules" / "axe-core" / "axe.min.js"
NAME = "OpenID Connect (any provider)"
# The focused element, through the component's shadow root.
DEEP_FOCUS = """() => {
  let e = document.activeElement;
  while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
  if (!e) return null;
  return {id: e.id, tag: e.localName, label: e.getAttribute('aria-label') || e.textContent.trim(),
          inDialog: Boolean(e.closest('dialog'))};
}"""


@pytest.fixture(scope="module", params=[False, True], ids=["completion", "cookie-binding"])
def browser_binding(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@dataclass
class RefPage:
    """The reference page in a fresh tab, acting for its own org."""

    stack: Stack
    chromium: Chromium
    page: Any  # playwright.sync_api.Page
    org: str
    errors: list[str] = field(default_factory=list)
    api_calls: list[str] = field(default_factory=list)

    @property
    def identity(self) -> dict[str, str]:
        return {"X-Org-Id": self.org, "X-User-Id": "ref-user", "X-Org-Role": "admin"}

    @property
    def card(self) -> Any:
        return self.page.locator(f'li[data-provider="{PROVIDER}"]')

    @property
    def dialog(self) -> Any:
        return self.page.get_by_role("dialog", name=f"Connect {NAME}")

    def status(self, text: str) -> Any:
        """The component's status region saying ``text``."""
        return self.page.locator("byoc-connect").get_by_role("status").filter(has_text=text)

    @property
    def log_status(self) -> Any:
        return self.page.locator("#log-status")

    def focus(self) -> dict[str, Any]:
        focused: dict[str, Any] = self.page.evaluate(DEEP_FOCUS)
        return focused

    def wait_for_focus(self, key: str, value: str, timeout: float = 5.0) -> dict[str, Any]:
        """The focus once its ``key`` ("id" or "label") is ``value`` (focus may move a moment later)."""
        deadline = time.monotonic() + timeout
        while (focus := self.focus()) is None or focus.get(key) != value:
            if time.monotonic() > deadline:
                raise AssertionError(f"focus is on {focus}, not on the element whose {key} is {value!r}")
            time.sleep(0.05)
        return focus

    def switch_identity(self) -> None:
        from playwright.sync_api import expect

        form = self.page.get_by_role("form", name="Acting as")
        form.get_by_label("Org").fill(self.org)
        form.get_by_label("User").fill(self.identity["X-User-Id"])
        form.get_by_label("Role").fill("admin")
        form.get_by_role("button", name="Switch").click()
        expect(self.log_status).to_have_text(f"Acting as ref-user in {self.org} (role: admin).")

    def fill_form(self, *, secret: str | None = None) -> None:
        client = self.stack.peer.post_client
        self.dialog.get_by_label("Client ID").fill(client.client_id)
        self.dialog.get_by_label("Client Secret").fill(secret if secret is not None else client.client_secret)
        self.dialog.get_by_label("Issuer URL").fill(self.stack.peer.issuer)
        self.dialog.get_by_label("Client authentication").select_option(client.auth_method)

    def sign_in_at_provider(self, *, deny: bool = False) -> None:
        """Log in at the provider's own page, then consent (or press its Cancel), and land back here."""
        self.page.wait_for_url(f"{self.stack.peer.issuer}/**")
        self.page.locator("input[name=login]").fill("alice")
        self.page.locator("input[name=password]").fill("any-password")
        self.page.get_by_role("button", name="Sign-in").click()
        if deny:
            self.page.get_by_role("link", name="[ Cancel ]").click()
        else:
            self.page.get_by_role("button", name="Continue").click()
        self.page.wait_for_url(f"{self.stack.url}/**")

    def integration(self) -> dict[str, Any] | None:
        listed = self.page.evaluate(
            "async (headers) => (await (await fetch('/integrations', {headers})).json())", self.identity
        )
        return next((item for item in listed["integrations"] if item["provider"] == PROVIDER), None)

    def completions(self) -> int:
        return self.api_calls.count("POST /oauth/complete")

    def check_clean(self) -> None:
        """No script error, nothing fetched beyond 127.0.0.1 by our page, no secret in storage."""
        assert self.errors == []
        assert [url for frame, url in self.chromium.blocked if frame.startswith(self.stack.url)] == []
        stored = self.page.evaluate("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
        assert self.stack.peer.post_client.client_secret not in stored
        assert urlsplit(self.page.url).query == ""  # the callback's result was read, then removed


@pytest.fixture
def ref(stack: Stack, chromium: Chromium, request: pytest.FixtureRequest) -> Iterator[RefPage]:
    from playwright.sync_api import expect

    chromium.context.clear_cookies()  # the provider's session too: it asks for the login again
    page = chromium.context.new_page()
    ref = RefPage(stack, chromium, page, org=f"ref-{secrets.token_hex(6)}")
    page.on("pageerror", lambda error: ref.errors.append(str(error)))
    page.on("request", lambda r: ref.api_calls.append(f"{r.method} {urlsplit(r.url).path}"))
    page.goto(f"{stack.url}/")
    ref.switch_identity()
    # the component has read the list again for that org (and drawn nothing older since)
    expect(page.locator("byoc-connect [part=body]")).to_have_attribute("aria-busy", "false")
    expect(ref.card.get_by_text("Not connected")).to_be_visible()
    failures = request.session.testsfailed
    try:
        yield ref
    finally:
        failed = request.session.testsfailed > failures  # the test's own report comes before teardown
        mode = "cookie" if stack.binding else "completion"
        name = request.node.originalname.removeprefix("test_")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"browser-{name}-{mode}{'-failure' if failed else ''}.png"))
        page.close()


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of the page as it is now (shadow DOM included)."""
    require(
        AXE.is_file(),
        f"axe-core is needed at {AXE} for the accessibility check (cd clients/web && npm ci); "
        "scripts/run-tests runs it for you",
    )
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol: the page's CSP (script-src 'self') refuses a <script>.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .filter((v) => v.impact === 'serious' || v.impact === 'critical')
             .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                           nodes: v.nodes.map((n) => n.target.join(' >>> '))}))"""
    )
    return violations


def test_a_user_connects_openid_connect_and_sees_connected(ref: RefPage) -> None:
    from playwright.sync_api import expect

    page, stack = ref.page, ref.stack
    # Given the list, with nothing serious for axe
    assert serious_violations(page) == []

    # When the user opens Connect on the provider's card
    ref.card.get_by_role("button", name=f"Connect {NAME}").click()
    expect(ref.dialog).to_be_visible()
    # ... the redirect URI to register is shown whole at 1280 px: nothing scrolled out of its box or the form
    redirect = ref.dialog.get_by_role("textbox", name="Redirect URI")
    expect(redirect).to_have_value(stack.callback_url)
    overflow = redirect.evaluate("e => [e.scrollWidth - e.clientWidth, e.scrollHeight - e.clientHeight]")
    assert overflow == [0, 0], overflow
    box, form = redirect.bounding_box(), ref.dialog.bounding_box()
    assert box is not None and form is not None
    assert form["x"] <= box["x"] and box["x"] + box["width"] <= form["x"] + form["width"] <= 1280
    assert serious_violations(page) == []
    # ... fills the form, picks the scopes its app needs among the provider's known ones, and saves
    ref.fill_form()
    scopes = ref.dialog.get_by_role("group", name="Scopes")
    expect(scopes.get_by_role("checkbox", name="openid")).to_be_disabled()  # always asked
    scopes.get_by_role("checkbox", name="profile").check()
    scopes.get_by_role("checkbox", name="offline_access").check()
    ref.dialog.get_by_role("button", name="Save and sign in").click()
    # ... and logs in and consents at the provider's own pages
    ref.sign_in_at_provider()

    # Then the page says so, lists it as connected, and its log shows the component's events
    expect(ref.status(f"{NAME} is connected.")).to_be_visible()
    expect(ref.card.locator("[data-status]")).to_have_text("Connected")
    expect(ref.log_status).to_have_text(f"{PROVIDER}: connected.")
    expect(page.locator("#log-list li").first).to_contain_text("byoc:connected")
    # the scopes picked were the ones asked for, and the provider granted them
    oidc = ref.integration()
    assert oidc is not None and oidc["status"] == "active"
    assert oidc["scopes"] == ["openid", "profile", "offline_access"]
    assert set(oidc["granted_scopes"]) == {"openid", "profile", "offline_access"}
    # the page completed the parked flow itself exactly when nothing binds it to the browser
    assert ref.completions() == (0 if stack.binding else 1)
    ref.check_clean()
    assert serious_violations(page) == []


def test_a_wrong_client_secret_is_refused_by_the_provider_and_shown(ref: RefPage) -> None:
    from playwright.sync_api import expect

    # Given the form saved with a secret the provider does not know
    ref.card.get_by_role("button", name=f"Connect {NAME}").click()
    ref.fill_form(secret="not-the-secret")
    ref.dialog.get_by_role("button", name="Save and sign in").click()

    # When the user logs in and consents, and the provider refuses the code exchange
    ref.sign_in_at_provider()

    # Then the page says why, the card is in error, and the log's status says error
    said = f"Could not connect {NAME}: the provider rejected the client ID or secret."
    expect(ref.status(said)).to_be_visible()
    expect(ref.card.locator("[data-status]")).to_have_text("Error")
    expect(ref.log_status).to_contain_text("invalid_client")
    assert ref.log_status.get_attribute("data-tone") == "bad"
    oidc = ref.integration()
    assert oidc is not None and (oidc["status"], oidc["status_reason"]) == ("error", "invalid_client")
    ref.check_clean()


def test_consent_denied_at_the_provider_is_shown(ref: RefPage) -> None:
    from playwright.sync_api import expect

    # Given the form saved with the right credentials
    ref.card.get_by_role("button", name=f"Connect {NAME}").click()
    ref.fill_form()
    ref.dialog.get_by_role("button", name="Save and sign in").click()

    # When the user logs in, then presses Cancel on the provider's consent page
    ref.sign_in_at_provider(deny=True)

    # Then the page says access was declined, and the card is in error
    expect(ref.status(f"Could not connect {NAME}: access was declined at the provider.")).to_be_visible()
    expect(ref.card.locator("[data-status]")).to_have_text("Error")
    expect(ref.log_status).to_contain_text("access_denied")
    oidc = ref.integration()
    assert oidc is not None and (oidc["status"], oidc["status_reason"]) == ("error", "access_denied")
    ref.check_clean()


def _connect_over_http(ref: RefPage) -> None:
    """Connect the page's org without the page: save, start, log in and consent, callback (and complete)."""
    client, stack = ref.stack.peer.post_client, ref.stack
    with httpx.Client(timeout=15) as http:
        credentials = {
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "issuer": stack.peer.issuer,
            "client_auth_method": client.auth_method,
        }
        saved = http.post(
            f"{stack.url}/integrations",
            json={"provider": PROVIDER, "credentials": credentials},
            headers=ref.identity,
        )
        assert saved.status_code == 200, saved.text
        started = http.get(
            f"{stack.url}/oauth/start",
            params={"provider": PROVIDER, "return_to": "/"},
            headers={**ref.identity, "Accept": "application/json"},
        )
        assert started.status_code == 200, started.text
        callback = http.get(str(login_and_consent(http, started.json()["authorize_url"])))
        assert outcome(http, stack.url, callback, ref.identity)["status"] == "active"


def test_a_user_disconnects(ref: RefPage) -> None:
    from playwright.sync_api import expect

    # Given the org connected (without the page), and the page read again
    _connect_over_http(ref)
    ref.page.reload()
    expect(ref.card.locator("[data-status]")).to_have_text("Connected")

    # When the user disconnects it and confirms the browser's question
    ref.page.once("dialog", lambda question: question.accept())
    ref.card.get_by_role("button", name=f"Disconnect {NAME}").click()

    # Then it is gone, the page says so, and focus is back on its Connect button
    expect(ref.status(f"{NAME} is disconnected.")).to_be_visible()
    expect(ref.card.get_by_text("Not connected")).to_be_visible()
    expect(ref.log_status).to_have_text(f"{PROVIDER}: disconnected.")
    expect(ref.card.get_by_role("button", name=f"Connect {NAME}")).to_be_focused()
    oidc = ref.integration()
    assert oidc is None or oidc["status"] is None, oidc  # never saved, as far as the API knows
    ref.check_clean()


def _tab_to(ref: RefPage, wanted: Any, *, limit: int = 40, key: str = "Tab") -> dict[str, Any]:
    """Press Tab (or ``key``) until ``wanted(focus)`` holds; the focus then."""
    for _ in range(limit):
        ref.page.keyboard.press(key)
        focus = ref.focus()
        if focus and wanted(focus):
            return focus
    raise AssertionError(f"{key} never reached the element; focus ended on {ref.focus()}")


def test_a_user_connects_with_the_keyboard_only(ref: RefPage) -> None:
    from playwright.sync_api import expect

    page, stack, client = ref.page, ref.stack, ref.stack.peer.post_client
    keys = page.keyboard
    page.locator("body").focus()
    # Given the catalogue narrowed to the provider, by typing in the component's search box
    _tab_to(ref, lambda f: f["id"] == "byoc-search")
    keys.type("openid")
    expect(page.locator("li[data-provider]")).to_have_count(1)

    # When the user tabs to its Connect button and presses Enter, focus moves into the form
    connect = _tab_to(ref, lambda f: f["label"] == f"Connect {NAME}")
    assert not connect["inDialog"]
    keys.press("Enter")
    expect(ref.dialog).to_be_visible()
    assert ref.wait_for_focus("id", "byoc-field-client_id")["inDialog"]
    # ... Escape closes it and focus is back on the button; Space opens it again
    keys.press("Escape")
    expect(ref.dialog).to_be_hidden()
    ref.wait_for_focus("label", f"Connect {NAME}")
    keys.press("Space")
    expect(ref.dialog).to_be_visible()
    ref.wait_for_focus("id", "byoc-field-client_id")

    # ... fills the fields in order with Tab (Shift+Tab goes back), picks the method with the arrows
    keys.type(client.client_id)
    keys.press("Tab")
    assert ref.focus()["id"] == "byoc-field-client_secret"
    keys.type(client.client_secret)
    keys.press("Tab")  # the secret's Show button
    keys.press("Shift+Tab")
    assert ref.focus()["id"] == "byoc-field-client_secret"
    _tab_to(ref, lambda f: f["id"] == "byoc-field-issuer", limit=3)
    keys.type(stack.peer.issuer)
    _tab_to(ref, lambda f: f["id"] == "byoc-field-client_auth_method", limit=3)
    method = ref.dialog.get_by_label("Client authentication")
    for _ in range(3):
        if method.input_value() == client.auth_method:
            break
        keys.press("ArrowDown")
    expect(method).to_have_value(client.auth_method)
    # ... ticks a scope with Space
    profile = ref.dialog.get_by_role("group", name="Scopes").get_by_role("checkbox", name="profile")
    _tab_to(ref, lambda f: f["tag"] == "input" and f["id"] == profile.get_attribute("id"), limit=10)
    keys.press("Space")
    expect(profile).to_be_checked()
    # ... and submits with Enter on "Save and sign in"
    _tab_to(ref, lambda f: f["label"] == "Save and sign in", limit=10)
    keys.press("Enter")

    # ... then logs in and consents at the provider with the keyboard too
    page.wait_for_url(f"{stack.peer.issuer}/**")
    expect(page.locator("input[name=login]")).to_be_focused()  # autofocus
    keys.type("alice")
    keys.press("Tab")
    keys.type("any-password")
    keys.press("Enter")
    expect(page.get_by_role("button", name="Continue")).to_be_focused()
    keys.press("Enter")
    page.wait_for_url(f"{stack.url}/**")

    # Then the page says connected, with the scope picked
    expect(ref.status(f"{NAME} is connected.")).to_be_visible()
    oidc = ref.integration()
    assert oidc is not None and oidc["status"] == "active" and oidc["scopes"] == ["openid", "profile"]
    assert ref.completions() == (0 if stack.binding else 1)
    ref.check_clean()


def test_the_identity_switch_checks_its_values_and_its_role_is_sent(ref: RefPage) -> None:
    from playwright.sync_api import expect

    page = ref.page
    form = page.get_by_role("form", name="Acting as")
    org = form.get_by_label("Org")
    # When the org is not an id, the switch says why and puts focus on it
    org.fill("not an org!")
    form.get_by_role("button", name="Switch").click()
    expect(form.get_by_role("alert")).to_contain_text("Org must be 1–128 letters")
    expect(org).to_have_attribute("aria-invalid", "true")
    expect(org).to_be_focused()

    # When the user acts as a plain member of the org, the component sends that role: saving is refused
    org.fill(ref.org)
    form.get_by_label("Role").fill("member")
    form.get_by_role("button", name="Switch").click()
    expect(ref.log_status).to_have_text(f"Acting as ref-user in {ref.org} (role: member).")
    expect(form.get_by_role("alert")).to_be_hidden()
    ref.card.get_by_role("button", name=f"Connect {NAME}").click()
    ref.fill_form()
    ref.dialog.get_by_role("button", name="Save and sign in").click()
    expect(ref.dialog.get_by_role("alert")).to_be_visible()
    expect(ref.log_status).to_contain_text("error at save (forbidden)")  # the API's 403
    assert ref.log_status.get_attribute("data-tone") == "bad"
    expect(page.locator("#log-list li").first).to_contain_text("byoc:error")
    oidc = ref.integration()
    assert oidc is None or oidc["status"] is None, oidc  # nothing was saved
    assert ref.page.evaluate("() => localStorage.getItem('byoc-dashboard:acting-as')") == (
        f'{{"org":"{ref.org}","user":"ref-user","role":"member"}}'
    )
    ref.check_clean()
