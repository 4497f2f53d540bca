"""The authorization-code grant (RFC 6749 §4.1): connected in a browser, renewed with a refresh token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from byoc.model import Connection
from byoc.oauth.client import App, TokenEndpointClient
from byoc.oauth.protocol import SEALED_METADATA, TokenSet
from byoc.oauth.responses import USER_TOKEN_KEYS

# Sealed values a refresh answer may leave out: the record keeps the ones it has.
_KEPT_ACROSS_REFRESH = ("refresh_token", "id_token", SEALED_METADATA, *USER_TOKEN_KEYS)


class AuthorizationCode:
    name = "authorization_code"
    interactive = True

    def renewable(self, connection: Connection) -> bool:
        return connection.has_refresh_token

    def renew(
        self,
        client: TokenEndpointClient,
        app: App,
        tokens: Mapping[str, Any],
        connection: Connection,
        now: float,
    ) -> TokenSet:
        fresh = client.refresh(
            app, refresh_token=str(tokens.get("refresh_token", "")), metadata=connection.metadata, now=now
        )
        user_refresh = tokens.get("user_refresh_token")
        if isinstance(user_refresh, str) and user_refresh and fresh.user is None:
            fresh = client.refresh_user(
                app, fresh, refresh_token=user_refresh, metadata=connection.metadata, now=now
            )
        return fresh

    def kept_tokens(self, old: Mapping[str, Any], fresh: TokenSet) -> dict[str, Any]:
        kept = {k: v for k, v in old.items() if k in _KEPT_ACROSS_REFRESH}
        kept.update(fresh.sealed_value())  # no new refresh token in the answer: the old one stays
        return kept

    def revoke(self, client: TokenEndpointClient, app: App, tokens: Mapping[str, Any]) -> dict[str, str]:
        return client.revoke(app, tokens)
