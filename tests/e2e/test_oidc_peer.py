"""Self-test of the oidc-provider based OpenID peer used by the e2e tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.oidc_peer import (
    OidcClientCredentials,
    OidcPeer,
    login_and_consent,
    make_pkce_pair,
    node_available,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not node_available(),
        reason="Node.js >= 20 (and npm, unless tests/e2e/oidc_server/node_modules exists) "
        "is required for the oidc-provider e2e peer",
    ),
]

# Never requested: login_and_consent stops at the redirect to it.
REDIRECT_URI = "http://127.0.0.1:9/cb"


@pytest.fixture(scope="module")
def peer() -> Iterator[OidcPeer]:
    with OidcPeer([REDIRECT_URI], access_token_ttl=120) as p:
        yield p


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


def token_request(
    http: httpx.Client,
    peer: OidcPeer,
    client: OidcClientCredentials,
    data: dict[str, str],
    *,
    method: str | None = None,
) -> httpx.Response:
    method = method or client.auth_method
    if method == "client_secret_basic":
        return http.post(peer.token_endpoint, data=data, auth=(client.client_id, client.client_secret))
    assert method == "client_secret_post"
    return http.post(
        peer.token_endpoint,
        data={**data, "client_id": client.client_id, "client_secret": client.client_secret},
    )


def authorize(
    peer: OidcPeer, browser: httpx.Client, client: OidcClientCredentials, login: str = "alice"
) -> tuple[str, str]:
    """Run login + consent; return (code, code_verifier)."""
    verifier, challenge = make_pkce_pair()
    state = secrets.token_urlsafe(12)
    url = peer.authorize_url(client, REDIRECT_URI, state=state, code_challenge=challenge, nonce="n-1")
    callback = login_and_consent(browser, url, login=login)
    assert (callback.scheme, callback.host, callback.port, callback.path) == (
        "http",
        "127.0.0.1",
        9,
        "/cb",
    )
    assert callback.params["state"] == state
    assert callback.params["iss"] == peer.issuer  # RFC 9207
    assert "error" not in callback.params, callback
    return callback.params["code"], verifier


def code_grant(code: str, verifier: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }


def test_discovery(peer: OidcPeer) -> None:
    md = peer.metadata
    assert md["issuer"] == peer.issuer
    assert peer.issuer.startswith("http://127.0.0.1:")
    assert md["code_challenge_methods_supported"] == ["S256"]
    assert {"openid", "profile", "email", "offline_access"} <= set(md["scopes_supported"])
    assert md["introspection_endpoint"] and md["revocation_endpoint"]


@pytest.mark.parametrize("which", ["basic_client", "post_client"])
def test_code_flow_refresh_rotation(
    peer: OidcPeer, browser: httpx.Client, http: httpx.Client, which: str
) -> None:
    client: OidcClientCredentials = getattr(peer, which)
    peer.reset_stats()
    code, verifier = authorize(peer, browser, client)

    resp = token_request(http, peer, client, code_grant(code, verifier))
    assert resp.status_code == 200, resp.text
    tokens = resp.json()
    assert tokens["token_type"].lower() == "bearer"
    assert tokens["access_token"] and tokens["id_token"] and tokens["refresh_token"]
    assert 0 < tokens["expires_in"] <= 120
    assert set(tokens["scope"].split()) == {"openid", "profile", "email", "offline_access"}

    userinfo = http.get(peer.userinfo_endpoint, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == "alice"
    assert userinfo.json()["email"] == "alice@example.test"

    # Refresh rotates the refresh token ...
    old_rt = tokens["refresh_token"]
    resp = token_request(http, peer, client, {"grant_type": "refresh_token", "refresh_token": old_rt})
    assert resp.status_code == 200, resp.text
    refreshed = resp.json()
    assert refreshed["access_token"] != tokens["access_token"]
    assert refreshed["refresh_token"] and refreshed["refresh_token"] != old_rt

    # ... and the old one is dead (replay also revokes the grant).
    resp = token_request(http, peer, client, {"grant_type": "refresh_token", "refresh_token": old_rt})
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"

    assert peer.stats() == {"authorization_code": 1, "refresh_token": 2}


@pytest.mark.parametrize(
    ("which", "wrong_method"),
    [("basic_client", "client_secret_post"), ("post_client", "client_secret_basic")],
)
def test_wrong_client_auth_method_is_rejected(
    peer: OidcPeer, browser: httpx.Client, http: httpx.Client, which: str, wrong_method: str
) -> None:
    client: OidcClientCredentials = getattr(peer, which)
    code, verifier = authorize(peer, browser, client)

    resp = token_request(http, peer, client, code_grant(code, verifier), method=wrong_method)
    assert resp.status_code == 401, resp.text
    assert resp.json()["error"] == "invalid_client"

    # The code was not consumed by the rejected attempt.
    resp = token_request(http, peer, client, code_grant(code, verifier))
    assert resp.status_code == 200, resp.text

    # Same rule on introspection and revocation.
    at = resp.json()["access_token"]
    wrong = {"token": at}
    if wrong_method == "client_secret_basic":
        r = http.post(peer.introspection_endpoint, data=wrong, auth=(client.client_id, client.client_secret))
    else:
        r = http.post(
            peer.introspection_endpoint,
            data={**wrong, "client_id": client.client_id, "client_secret": client.client_secret},
        )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_wrong_secret_and_pkce_are_enforced(
    peer: OidcPeer, browser: httpx.Client, http: httpx.Client
) -> None:
    client = peer.basic_client
    code, verifier = authorize(peer, browser, client)
    bad = OidcClientCredentials(client.client_id, "nope")
    resp = token_request(http, peer, bad, code_grant(code, verifier))
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"

    resp = token_request(http, peer, client, code_grant(code, "x" * 43))
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"

    # PKCE is mandatory even for confidential clients.
    url = peer.authorize_url(client, REDIRECT_URI, state="s", code_challenge="unused")
    url = url.replace("&code_challenge=unused&code_challenge_method=S256", "")
    callback = login_and_consent(browser, url)
    assert callback.params["error"] == "invalid_request"
    assert "PKCE" in callback.params["error_description"]


def test_no_refresh_token_without_prompt_consent(
    peer: OidcPeer, browser: httpx.Client, http: httpx.Client
) -> None:
    client = peer.post_client
    verifier, challenge = make_pkce_pair()
    url = peer.authorize_url(client, REDIRECT_URI, state="s", code_challenge=challenge, prompt="login")
    callback = login_and_consent(browser, url)
    resp = token_request(http, peer, client, code_grant(callback.params["code"], verifier))
    assert resp.status_code == 200, resp.text
    assert "refresh_token" not in resp.json()
    assert "offline_access" not in resp.json()["scope"].split()


def test_deny_gives_access_denied(peer: OidcPeer, browser: httpx.Client) -> None:
    _, challenge = make_pkce_pair()
    url = peer.authorize_url(peer.basic_client, REDIRECT_URI, state="st", code_challenge=challenge)
    callback = login_and_consent(browser, url, deny=True)
    assert callback.host == "127.0.0.1" and callback.port == 9
    assert callback.params["error"] == "access_denied"
    assert callback.params["state"] == "st"
    assert "code" not in callback.params


def test_stop_terminates_process() -> None:
    p = OidcPeer([REDIRECT_URI])
    with p:
        pid = p.pid
        assert p.running and pid
        assert p.stats() == {"authorization_code": 0, "refresh_token": 0}
    assert not p.running and p.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
