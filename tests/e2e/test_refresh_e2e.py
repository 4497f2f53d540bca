"""Refresh and disconnect against a real OpenID provider that rotates refresh tokens.

The local server (devserver, moto on 127.0.0.1) serves the public API; the provider
is oidc-provider with short-lived access tokens. The org connects generic_oidc over
HTTP like a browser would; then many threads of this process, standing for as many
Lambda containers, read the token through the layer's ``TokenService`` against the
local server's moto endpoint (the server points boto3 there through the process
environment). The provider's ``/__stats`` counts refresh requests; its introspection
endpoint says whether a token is active.

moto's DynamoDB is not atomic under threads: the concurrency test serializes moto's
backend, standing for DynamoDB's per-item atomicity (security.md, item 1). Our own
code is never locked.
"""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from byoc import container
from byoc.aws.crypto import TOKENS_ATTRIBUTE, encryption_context
from byoc.aws.store import Store
from byoc.settings import get_settings
from byoc.usecases.tokens import TokenService
from devserver.server import LocalServer
from tests.e2e.oidc_peer import OidcPeer, login_and_consent, node_available
from tests.e2e.stack import FOREIGN_SETTINGS, NODE_HINT, PROVIDER, outcome, require
from tests.support.tokens import concurrent_reads

pytestmark = pytest.mark.e2e

ACCESS_TOKEN_TTL = 10  # seconds: the refresh margin becomes half of it (5 s)
READERS = 16


@dataclass(frozen=True)
class ShortLivedStack:
    server: LocalServer
    peer: OidcPeer


@pytest.fixture(scope="module")
def stack() -> Iterator[ShortLivedStack]:
    require(node_available(), NODE_HINT)
    with pytest.MonkeyPatch.context() as env:
        for name in FOREIGN_SETTINGS:
            env.delenv(name, raising=False)
        server = LocalServer(0, access_log=io.StringIO(), env_overrides={"ADMIN_CLAIM": "org_role=admin"})
        server.start()
        try:
            peer = OidcPeer([f"{server.url}/oauth/callback/{PROVIDER}"], access_token_ttl=ACCESS_TOKEN_TTL)
            with peer:
                yield ShortLivedStack(server=server, peer=peer)
        finally:
            server.stop()


@dataclass
class Org:
    stack: ShortLivedStack
    http: httpx.Client
    org_id: str

    @property
    def identity(self) -> dict[str, str]:
        return {"X-Org-Id": self.org_id, "X-User-Id": "e2e-admin", "X-Org-Role": "admin"}

    def connect(self) -> None:
        """Save the peer's basic client, start, log in and consent, and come back to our callback."""
        peer = self.stack.peer
        saved = self.http.post(
            f"{self.stack.server.url}/integrations",
            json={
                "provider": PROVIDER,
                "credentials": {
                    "client_id": peer.basic_client.client_id,
                    "client_secret": peer.basic_client.client_secret,
                    "issuer": peer.issuer,
                    "client_auth_method": "client_secret_basic",
                    "scopes": "offline_access",
                },
            },
            headers=self.identity,
        )
        assert saved.status_code == 200, saved.text
        started = self.http.get(
            f"{self.stack.server.url}/oauth/start",
            params={"provider": PROVIDER},
            headers={**self.identity, "Accept": "application/json"},
        )
        assert started.status_code == 200, started.text
        authorize_url = started.json()["authorize_url"]
        # The generic_oidc entry asks for prompt=consent, without which the provider drops
        # offline_access and issues no refresh token (OpenID Connect Core §11).
        assert httpx.URL(authorize_url).params["prompt"] == "consent"
        callback = login_and_consent(self.http, authorize_url)
        answer = self.http.get(str(callback), follow_redirects=False)
        assert outcome(self.http, self.stack.server.url, answer, self.identity)["status"] == "active"

    def disconnect(self) -> httpx.Response:
        return self.http.delete(f"{self.stack.server.url}/integrations/{PROVIDER}", headers=self.identity)

    def integration(self) -> dict[str, Any] | None:
        answer = self.http.get(f"{self.stack.server.url}/integrations", headers=self.identity)
        assert answer.status_code == 200, answer.text
        return next((item for item in answer.json()["integrations"] if item["provider"] == PROVIDER), None)


@pytest.fixture
def org(stack: ShortLivedStack) -> Iterator[Org]:
    with httpx.Client(timeout=15) as http:
        yield Org(stack=stack, http=http, org_id=f"e2e-{secrets.token_hex(6)}")


def introspect(peer: OidcPeer, token: str) -> dict[str, Any]:
    client = peer.basic_client
    answer = httpx.post(
        peer.introspection_endpoint,
        data={"token": token},
        auth=(client.client_id, client.client_secret),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def token_service() -> TokenService:
    """The layer's service, as a function of this stack would make it (boto3 -> the server's moto)."""
    return container.token_service()


def wait_until_due(org_id: str) -> str:
    """Sleep until the stored token is within its refresh margin; return the stored access token."""
    connection = Store(get_settings().table_name).get_connection(org_id, PROVIDER)
    assert connection is not None and connection.has_refresh_token, "the provider issued no refresh token"
    assert connection.token_expires_at is not None
    # The service's own refresh time: the lifetime it derives (expiry minus when the token was
    # obtained) may be a second off the provider's TTL, and with it the margin (half of it).
    tokens = token_service()
    due_at = tokens.refresh_at(connection)
    assert due_at is not None and due_at < connection.token_expires_at
    time.sleep(max(0.0, due_at - time.time() + 0.5))
    assert connection.tokens is not None
    context = encryption_context(org_id, PROVIDER)
    return str(tokens.cipher.open(connection.tokens, context, TOKENS_ATTRIBUTE)["access_token"])


def test_many_concurrent_readers_of_an_expiring_token_make_one_refresh_and_all_get_a_valid_token(
    stack: ShortLivedStack, org: Org
) -> None:
    # Given a connection whose access token is about to expire
    org.connect()
    old_token = wait_until_due(org.org_id)
    stack.peer.reset_stats()
    # When many readers ask for it at once
    results = concurrent_reads(token_service, org.org_id, PROVIDER, READERS, timeout=60)

    # Then the provider saw exactly one refresh, and every reader holds the same new, active token
    assert stack.peer.stats()["refresh_token"] == 1
    assert all(isinstance(result, str) for result in results), results
    assert len(set(results)) == 1 and results[0] != old_token
    assert introspect(stack.peer, results[0])["active"] is True


def test_after_a_refresh_the_rotated_grant_still_works(stack: ShortLivedStack, org: Org) -> None:
    # Given a connection refreshed once (the provider rotated its refresh token)
    org.connect()
    wait_until_due(org.org_id)
    first = token_service().get_token(org.org_id, PROVIDER)["access_token"]
    stack.peer.reset_stats()

    # When its new token is due in turn
    wait_until_due(org.org_id)
    second = token_service().get_token(org.org_id, PROVIDER)["access_token"]

    # Then the stored (rotated) refresh token was accepted
    assert stack.peer.stats()["refresh_token"] == 1
    assert second != first
    assert introspect(stack.peer, second)["active"] is True


def test_after_disconnect_the_provider_reports_the_token_inactive(stack: ShortLivedStack, org: Org) -> None:
    # Given a connected org and its active access token
    org.connect()
    token = token_service().get_token(org.org_id, PROVIDER)["access_token"]
    assert introspect(stack.peer, token)["active"] is True

    # When the admin disconnects
    answer = org.disconnect()

    # Then the provider says the token is no longer active, and the provider lists as never configured
    assert answer.status_code == 204, answer.text
    assert introspect(stack.peer, token)["active"] is False
    assert org.integration() is None
