"""Connecting a client-credentials app at save: the first token is the proof the credentials work.

``POST /integrations`` for an ``oauth2_cc`` entry mints a token before anything is stored: the
provider refusing the app (``invalid_client``, ``unauthorized_client``, ``invalid_scope``) is a
422 naming the field, a provider that cannot answer a 424 ``provider_unavailable``; either way
no record is written, so nothing is ever stored as ``active`` on credentials that do not work.
Later tokens are minted by the token service (``byoc.oauth.grants.client_credentials``).
"""

from __future__ import annotations

from byoc.aws.crypto import Cipher, DataKey
from byoc.errors import (
    OutboundConnectError,
    OutboundError,
    OutboundTimeout,
    ProviderError,
    ProviderStepFailed,
    UnsafeUrl,
    ValidationFailed,
)
from byoc.model import Connection, TokenGrant
from byoc.oauth.client import App, TokenEndpointClient
from byoc.oauth.registry import Provider, template_fields

# What a refusal says about which field is wrong (RFC 6749 §5.2 error codes).
_REFUSED_FIELD = {
    "invalid_client": ("client_secret", "the provider refused this client id and secret (invalid_client)"),
    "unauthorized_client": (
        "client_id",
        "this app may not use the client-credentials grant at the provider (unauthorized_client)",
    ),
    "invalid_scope": ("scopes", "the provider refused these scopes (invalid_scope)"),
}


def connected_by_minting(
    client: TokenEndpointClient,
    cipher: Cipher,
    provider: Provider,
    connection: Connection,
    key: DataKey,
    client_secret: str,
    now: int,
) -> Connection:
    """``connection`` holding its first minted token, ``active``; raises ValidationFailed or
    ProviderStepFailed (nothing is stored by the caller then)."""
    app = App.of(provider, connection, {"client_secret": client_secret})
    try:
        fresh = client.client_credentials(app, now=now)
    except ProviderError as exc:
        if exc.transient:
            raise ProviderStepFailed("token", exc.reason) from None
        name, problem = _REFUSED_FIELD.get(
            exc.reason, ("client_id", f"the provider refused the token request ({exc.reason})")
        )
        raise ValidationFailed({name: problem}) from None
    except UnsafeUrl:
        names = sorted(template_fields(provider.oauth.token_url if provider.oauth else "")) or ["client_id"]
        raise ValidationFailed(dict.fromkeys(names, "gives an address that is not allowed")) from None
    except (OutboundTimeout, OutboundConnectError) as exc:
        raise ProviderStepFailed("token", exc.code) from None
    except OutboundError as exc:  # no usable answer (too large, not JSON): the provider's, for now
        raise ProviderStepFailed("token", exc.code) from None
    grant = TokenGrant(fresh.renew_by, fresh.refresh_token is not None, fresh.scope, fresh.metadata)
    sealed = cipher.seal_tokens(connection, key, fresh.sealed_value())
    return connection.with_tokens(sealed, grant, now).activated()
