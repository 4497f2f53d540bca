"""Revoking the tokens a stored record holds, at the provider (best effort, RFC 7009).

Used whenever stored tokens are dropped: disconnect, dropping tokens, and a save with
another client id or settings. Tokens that were never stored (a lost write) are
revoked by the use case that holds them, through the same grant.
"""

from __future__ import annotations

from byoc.aws.crypto import Cipher
from byoc.model import Connection
from byoc.oauth.client import App, TokenEndpointClient
from byoc.oauth.grants.base import grant_for
from byoc.oauth.registry import Provider
from byoc.observability import logger


def revoke_stored(
    cipher: Cipher, client: TokenEndpointClient, provider: Provider, connection: Connection
) -> bool:
    """Revoke the tokens sealed in ``connection``; True when the provider accepted."""
    if not provider.is_oauth or not connection.tokens or not connection.secrets:
        return False
    try:
        key, secrets = cipher.open_secrets(connection)
        tokens = cipher.open_tokens(connection, key)
    except Exception as exc:
        logger.warning(
            "revocation skipped", extra={"provider": provider.id, "error_type": type(exc).__name__}
        )
        return False
    return grant_for(provider).revoke(client, App.of(provider, connection, secrets), tokens)
