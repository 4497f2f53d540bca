"""Token revocation at the provider (RFC 7009), best effort and bounded in time.

Used whenever tokens are dropped: disconnect, reconnect, a save with a different
client id, and tokens that arrive for credentials that changed meanwhile. A
provider without a revocation endpoint, or one that fails, never blocks the
user's action: the tokens are deleted on our side regardless, and the failure is
logged without the token.
"""

from __future__ import annotations

from typing import Any

from byoc import oauth
from byoc.crypto import Cipher, encryption_context
from byoc.observability import logger
from byoc.outbound import OutboundClient
from byoc.registry import Provider
from byoc.store import Connection


class Revoker:
    def __init__(self, *, cipher: Cipher, outbound: OutboundClient, allow_local_http: bool):
        self.cipher = cipher
        self.outbound = outbound
        self.allow_local_http = allow_local_http

    def revoke_connection(self, provider: Provider, connection: Connection) -> bool:
        """Revoke the tokens stored in ``connection``; True when the provider accepted."""
        if not provider.is_oauth or not connection.tokens or not connection.secrets:
            return False
        try:
            context = encryption_context(connection.org_id, connection.provider)
            tokens = self.cipher.open(connection.tokens, context, "tokens")
            secrets = self.cipher.open(connection.secrets, context, "secrets")
        except Exception as exc:
            logger.warning(
                "revocation skipped", extra={"provider": provider.id, "error_type": type(exc).__name__}
            )
            return False
        return self.revoke(
            provider, connection.config, connection.client_id or "", secrets.get("client_secret", ""), tokens
        )

    def revoke(
        self,
        provider: Provider,
        config: dict[str, str],
        client_id: str,
        client_secret: str,
        tokens: dict[str, Any],
    ) -> bool:
        try:
            endpoints = oauth.resolve_endpoints(provider, config, allow_local_http=self.allow_local_http)
        except Exception as exc:
            logger.warning(
                "revocation skipped", extra={"provider": provider.id, "error_type": type(exc).__name__}
            )
            return False
        if not endpoints.revocation_url:
            return False
        accepted = False
        # Revoking the refresh token ends the grant at most providers; the access token goes too.
        for hint in ("refresh_token", "access_token"):
            token = tokens.get(hint)
            if isinstance(token, str) and token:
                accepted = (
                    self._post(
                        provider, endpoints.revocation_url, config, client_id, client_secret, token, hint
                    )
                    or accepted
                )
        return accepted

    def _post(
        self,
        provider: Provider,
        url: str,
        config: dict[str, str],
        client_id: str,
        client_secret: str,
        token: str,
        hint: str,
    ) -> bool:
        request = oauth.build_token_request(
            provider,
            url=url,
            client_id=client_id,
            client_secret=client_secret,
            client_auth=oauth.client_auth_method(provider, config),
            params={"token": token, "token_type_hint": hint},
        )
        try:
            response = oauth.post_token_request(self.outbound, provider, request)
        except Exception as exc:
            logger.warning(
                "revocation failed", extra={"provider": provider.id, "error_type": type(exc).__name__}
            )
            return False
        if response.status_code != 200:
            logger.warning(
                "revocation refused", extra={"provider": provider.id, "status_code": response.status_code}
            )
            return False
        return True
