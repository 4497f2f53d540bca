"""The reference page in a real browser: Chromium (Debian's) driven by Playwright.

Open the page served by the local server, connect ``generic_oidc`` by filling the
Connect form, log in and consent at the real OpenID provider, and land back on the
page showing "Connected". A screenshot of the final page is kept in test-artifacts/
(git-ignored). Requests to anything but 127.0.0.1 are blocked: the machine may have no
internet, and the page must need none.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.chromium import ARTIFACTS, Chromium
from tests.e2e.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module", params=[False, True], ids=["completion", "cookie-binding"])
def browser_binding(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def test_a_user_connects_openid_connect_in_the_browser_and_sees_connected(
    stack: Stack, chromium: Chromium
) -> None:
    from playwright.sync_api import expect

    page = chromium.context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    api_calls: list[str] = []
    page.on("request", lambda request: api_calls.append(f"{request.method} {urlsplit(request.url).path}"))
    client = stack.peer.post_client
    try:
        # Given the page, acting as the default local org admin
        page.goto(f"{stack.url}/")
        card = page.locator('li.card[data-provider="generic_oidc"]')
        expect(card.get_by_text("Not connected")).to_be_visible()

        # When the user opens Connect, fills the form drawn from the provider's fields and saves
        page.get_by_role("button", name="Connect OpenID Connect (any provider)").click()
        dialog = page.get_by_role("dialog", name="OpenID Connect (any provider)")
        expect(dialog).to_be_visible()
        redirect = dialog.get_by_role("textbox", name="Redirect URI")
        expect(redirect).to_have_value(stack.callback_url)
        # ... the whole address in view at 1280 px, nothing scrolled out of its box
        overflow = redirect.evaluate("e => [e.scrollWidth - e.clientWidth, e.scrollHeight - e.clientHeight]")
        assert overflow == [0, 0], overflow
        dialog.get_by_label("Client ID").fill(client.client_id)
        dialog.get_by_label("Client Secret").fill(client.client_secret)
        dialog.get_by_label("Issuer URL").fill(stack.peer.issuer)
        dialog.get_by_label("Client authentication").select_option(client.auth_method)
        # ... picks the scopes its app needs among the provider's known ones
        scopes = dialog.get_by_role("group", name="Scopes")
        expect(scopes.get_by_role("checkbox", name="openid")).to_be_disabled()  # always asked
        scopes.get_by_role("checkbox", name="profile").check()
        scopes.get_by_role("checkbox", name="offline_access").check()
        dialog.get_by_role("button", name="Save and sign in").click()

        # ... and logs in and consents at the provider's own pages
        page.wait_for_url(f"{stack.peer.issuer}/**")
        page.locator("input[name=login]").fill("alice")
        page.locator("input[name=password]").fill("any-password")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()

        # Then the browser lands back on the page, which says so and lists the integration as connected
        page.wait_for_url(f"{stack.url}/**")
        expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
        expect(card.locator(".badge")).to_have_text("Connected")
        # the scopes picked were the ones asked for, and the provider granted them
        listed = page.evaluate(
            "async () => (await (await fetch('/integrations', {headers: {'X-Org-Id': 'demo-org',"
            " 'X-User-Id': 'demo-user', 'X-Org-Role': 'admin'}})).json())"
        )
        oidc = next(item for item in listed["integrations"] if item["provider"] == "generic_oidc")
        assert oidc["scopes"] == ["openid", "profile", "offline_access"]
        assert set(oidc["granted_scopes"]) == {"openid", "profile", "offline_access"}
        assert urlsplit(page.url).query == ""  # the result was read, then removed from the address
        assert client.client_secret not in page.evaluate("() => JSON.stringify(window.localStorage)")
        assert [url for frame, url in chromium.blocked if frame.startswith(stack.url)] == []
        assert errors == []
        # the page completed the parked flow itself exactly when nothing binds it to the browser
        assert api_calls.count("POST /oauth/complete") == (0 if stack.binding else 1)
        screenshot = f"browser-connected-{'cookie' if stack.binding else 'completion'}.png"
    except BaseException:
        screenshot = f"browser-failure-{'cookie' if stack.binding else 'completion'}.png"
        raise
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / screenshot))
        page.close()
