"""What the API shows of a provider and an org's connection to it: never a secret, never a token.

Kept apart from the crypto, HTTP-client and validation code so that the list
function imports none of them.
"""

from __future__ import annotations

from typing import Any

from byoc.registry import Provider, Registry
from byoc.store import Connection


def callback_path(provider_id: str) -> str:
    return f"/oauth/callback/{provider_id}"


def redirect_uri(api_base_url: str, provider_id: str) -> str:
    """The exact redirect URI to register in the org's OAuth app; the same bytes in every request."""
    return api_base_url.rstrip("/") + callback_path(provider_id)


def mask_client_id(client_id: str | None) -> str | None:
    """Enough to recognise an id, not enough to reuse it: a few characters at each end."""
    if not client_id:
        return None
    if len(client_id) <= 8:
        return "•" * 4 + client_id[-2:]
    return client_id[:4] + "…" + client_id[-4:]


def connection_view(connection: Connection | None) -> dict[str, Any]:
    if connection is None:
        return {
            "status": None,
            "connected": False,
            "status_reason": None,
            "status_message": None,
            "updated_at": None,
            "client_id_masked": None,
        }
    return {
        "status": connection.status,
        "connected": connection.status == "active",
        "status_reason": connection.status_reason,
        "status_message": connection.status_message,
        "updated_at": connection.updated_at or None,
        "client_id_masked": mask_client_id(connection.client_id),
    }


def integration_view(provider: Provider, connection: Connection | None, api_base_url: str) -> dict[str, Any]:
    view = provider.public()
    view["redirect_uri"] = redirect_uri(api_base_url, provider.id) if provider.is_oauth else None
    view["docs_url"] = provider.docs_url
    view.update(connection_view(connection))
    return view


def list_view(registry: Registry, connections: list[Connection], api_base_url: str) -> dict[str, Any]:
    by_provider = {c.provider: c for c in connections}
    return {
        "integrations": [
            integration_view(provider, by_provider.get(provider.id), api_base_url) for provider in registry
        ]
    }
