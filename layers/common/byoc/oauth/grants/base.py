"""What every grant does for a stored connection, behind one small protocol.

A grant is how a connection gets its tokens, renews them and gives them back. The
authorization code (``authorization_code``) is the first: a person connects in a
browser, and the refresh token renews. The coming grants fit the same four questions:

* client credentials (RFC 6749 §4.4, ``client_credentials``, auth type ``oauth2_cc``) and
  JWT bearer (RFC 7523): not interactive, ``renewable`` always, ``renew`` mints a new token
  with the saved secret or key;
* GitHub App installations: interactive once (the install), ``renew`` mints an
  installation token with the app's JWT;
* OAuth 1.0a (RFC 5849): interactive, never ``renewable`` (tokens do not expire), and
  the proxy signs each call instead of sending a bearer token.

The token service holds the lease and the retries; a grant only builds and sends one
request through ``byoc.oauth.client.TokenEndpointClient``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from byoc.model import Connection
from byoc.oauth.client import App, TokenEndpointClient
from byoc.oauth.grants.authorization_code import AuthorizationCode
from byoc.oauth.grants.client_credentials import ClientCredentials
from byoc.oauth.protocol import TokenSet
from byoc.oauth.registry import Provider


class Grant(Protocol):
    name: str
    # A person connects in a browser (start and callback), rather than saving being enough.
    interactive: bool

    def renewable(self, connection: Connection) -> bool:
        """Whether a token of this connection can be renewed without the person."""
        ...

    def renew(
        self,
        client: TokenEndpointClient,
        app: App,
        tokens: Mapping[str, Any],
        connection: Connection,
        now: float,
    ) -> TokenSet:
        """One request for a fresh token (refresh or mint); raises ProviderError or OutboundError."""
        ...

    def kept_tokens(self, old: Mapping[str, Any], fresh: TokenSet) -> dict[str, Any]:
        """What the record seals after a renewal (a refresh keeps the refresh token it was not sent again)."""
        ...

    def revoke(self, client: TokenEndpointClient, app: App, tokens: Mapping[str, Any]) -> dict[str, str]:
        """Give the tokens back at the provider where it can; returns those worth retrying later."""
        ...


_GRANTS: dict[str, Grant] = {"oauth2": AuthorizationCode(), "oauth2_cc": ClientCredentials()}


def grant_for(provider: Provider) -> Grant:
    """The grant an entry's connections use (``auth_type`` in the registry)."""
    try:
        return _GRANTS[provider.auth_type]
    except KeyError:
        raise ValueError(f"{provider.id} has no grant") from None
