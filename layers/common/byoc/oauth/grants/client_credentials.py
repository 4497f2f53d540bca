"""The client-credentials grant (RFC 6749 §4.4): saving the app connects it, and tokens are minted.

No person and no refresh token: the org's client id and secret are the grant. The token
service mints a new access token when the cached one is within the margin, under the same
lease as a refresh (N concurrent readers cause one token request), and a refused mint
(``invalid_client``, ``unauthorized_client``) sets the connection to ``error`` as a refused
refresh does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from byoc.model import Connection
from byoc.oauth.client import App, TokenEndpointClient
from byoc.oauth.protocol import SEALED_METADATA, TokenSet


class ClientCredentials:
    name = "client_credentials"
    interactive = False

    def renewable(self, connection: Connection) -> bool:
        return True  # the app's credentials mint a token whenever one is due

    def renew(
        self,
        client: TokenEndpointClient,
        app: App,
        tokens: Mapping[str, Any],
        connection: Connection,
        now: float,
    ) -> TokenSet:
        return client.client_credentials(app, now=now)

    def kept_tokens(self, old: Mapping[str, Any], fresh: TokenSet) -> dict[str, Any]:
        kept = {k: v for k, v in old.items() if k == SEALED_METADATA}
        kept.update(fresh.sealed_value())  # a minted token replaces the old one whole
        return kept

    def revoke(self, client: TokenEndpointClient, app: App, tokens: Mapping[str, Any]) -> dict[str, str]:
        return client.revoke(app, tokens)
