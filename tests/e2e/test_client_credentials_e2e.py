"""Client credentials against a real authorization server (oidc-provider's client_credentials grant).

The org saves ``generic_client_credentials`` with the peer's token endpoint over HTTP, once with
the Basic client and once with the post client: saving mints the first token. Access tokens live
10 s, so the margin is 5 s; when the token is due, 16 threads (standing for as many Lambda
containers) read it through the layer's ``TokenService`` against the local server's moto, and the
provider's ``/__stats`` must count one client_credentials request for all of them. The peer's
introspection endpoint says whether each token is active.
"""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from byoc import container
from byoc.aws.store import Store
from byoc.settings import get_settings
from devserver.server import LocalServer
from tests.e2e.oidc_peer import OidcClientCredentials, OidcPeer, node_available
from tests.e2e.stack import FOREIGN_SETTINGS, NODE_HINT, require
from tests.support.tokens import concurrent_reads

pytestmark = pytest.mark.e2e

PROVIDER = "generic_client_credentials"
ACCESS_TOKEN_TTL = 10
READERS = 16


@pytest.fixture(scope="module")
def peer() -> Iterator[tuple[LocalServer, OidcPeer]]:
    require(node_available(), NODE_HINT)
    with pytest.MonkeyPatch.context() as env:
        for name in FOREIGN_SETTINGS:
            env.delenv(name, raising=False)
        server = LocalServer(0, access_log=io.StringIO(), env_overrides={"ADMIN_CLAIM": "org_role=admin"})
        server.start()
        try:
            with OidcPeer(
                [f"{server.url}/oauth/callback/generic_oidc"], access_token_ttl=ACCESS_TOKEN_TTL
            ) as p:
                yield server, p
        finally:
            server.stop()


def identity(org_id: str) -> dict[str, str]:
    return {"X-Org-Id": org_id, "X-User-Id": "e2e-admin", "X-Org-Role": "admin"}


def save(server: LocalServer, peer: OidcPeer, client: OidcClientCredentials, org_id: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/integrations",
        json={
            "provider": PROVIDER,
            "credentials": {
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "token_endpoint": peer.token_endpoint,
                "client_auth_method": client.auth_method,
            },
        },
        headers=identity(org_id),
        timeout=15,
    )


def introspect(peer: OidcPeer, client: OidcClientCredentials, token: str) -> dict[str, Any]:
    answer = httpx.post(
        peer.introspection_endpoint,
        data={"token": token, "client_id": client.client_id, "client_secret": client.client_secret}
        if client.auth_method == "client_secret_post"
        else {"token": token},
        auth=(client.client_id, client.client_secret)
        if client.auth_method == "client_secret_basic"
        else None,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("which", ["basic", "post"])
def test_saving_connects_and_sixteen_readers_of_a_due_token_cause_one_token_request(
    peer: tuple[LocalServer, OidcPeer], which: str
) -> None:
    server, provider = peer
    client = provider.basic_client if which == "basic" else provider.post_client
    org_id = f"e2e-{secrets.token_hex(6)}"
    provider.reset_stats()
    # When the org saves the app, a token is minted at once and the connection is active
    saved = save(server, provider, client, org_id)
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "active" and saved.json()["grant"] == "client_credentials"
    assert provider.stats().get("client_credentials") == 1
    tokens = container.token_service()
    first = tokens.get_token(org_id, PROVIDER)["access_token"]
    assert introspect(provider, client, first)["active"] is True
    # Given the token within its margin
    connection = Store(get_settings().table_name).get_connection(org_id, PROVIDER)
    assert connection is not None and not connection.has_refresh_token
    due_at = tokens.refresh_at(connection)
    assert due_at is not None
    time.sleep(max(0.0, due_at - time.time() + 0.5))
    provider.reset_stats()
    results = concurrent_reads(container.token_service, org_id, PROVIDER, READERS, timeout=60)
    # Then one token request for all sixteen, and each holds the same new, active token
    assert provider.stats().get("client_credentials") == 1
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == 1 and results[0] != first
    assert introspect(provider, client, results[0])["active"] is True


def test_a_wrong_secret_is_a_422_naming_it_and_nothing_is_stored(peer: tuple[LocalServer, OidcPeer]) -> None:
    server, provider = peer
    org_id = f"e2e-{secrets.token_hex(6)}"
    wrong = OidcClientCredentials(provider.basic_client.client_id, "not-the-secret")
    answer = save(server, provider, wrong, org_id)
    assert answer.status_code == 422, answer.text
    assert "client_secret" in answer.json()["error"]["details"]["fields"]
    assert "not-the-secret" not in answer.text
    listed = httpx.get(f"{server.url}/integrations", headers=identity(org_id), timeout=15).json()
    assert all(item["provider"] != PROVIDER for item in listed["integrations"])
