"""What the API shows of a provider and an org's connection to it: never a secret, never a token.

Kept apart from the crypto, HTTP-client and validation code so that the list
function imports none of them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from byoc.model import Connection, ListedConnection, Status
from byoc.oauth.metadata import public as public_metadata
from byoc.oauth.registry import Provider, Registry, redirect_uri
from byoc.oauth.scopes import cached_fingerprint, granted_list

Viewed = Connection | ListedConnection  # what a connection view reads


def mask_client_id(client_id: str | None) -> str | None:
    """Enough to recognise an id, not enough to reuse it: at most a third of it is shown.

    The shown characters (up to 4 at each end, the end getting the larger share) are
    ``len // 3`` of the id, so a 9-character id shows 3 (``a…89``) and a 40-character one 8.
    """
    if not client_id:
        return None
    shown = min(8, len(client_id) // 3)
    tail = (shown + 1) // 2
    if not tail:
        return "•" * 3
    return (client_id[: shown - tail] or "•" * 3) + "…" + client_id[-tail:]


def connection_view(provider: Provider, connection: Viewed | None) -> dict[str, Any]:
    """One org's connection to ``provider`` (every key present; None where nothing is known)."""
    return _fill({}, provider, connection)


def _fill(view: dict[str, Any], provider: Provider, connection: Viewed | None) -> dict[str, Any]:
    """``view`` with the connection's keys added, in the documented order (one dict per
    connection: the list builds one per connection per request)."""
    if connection is None:
        view.update(_UNKNOWN)
    else:
        view["status"] = connection.status.value
        view["connected"] = connection.status is Status.ACTIVE
        view["status_reason"] = connection.status_reason
        view["status_message"] = connection.status_message
        view["updated_at"] = connection.updated_at or None
        view["client_id_masked"] = mask_client_id(connection.client_id)
        oauth = provider.oauth
        view["metadata"] = public_metadata(oauth.metadata, connection.metadata) if oauth else {}
    _fill_scopes(view, provider, connection)
    return view


_UNKNOWN = {
    "status": None,
    "connected": False,
    "status_reason": None,
    "status_message": None,
    "updated_at": None,
    "client_id_masked": None,
    "metadata": None,
}


def _fill_scopes(view: dict[str, Any], provider: Provider, connection: Viewed | None) -> None:
    """What the org asks for (its choice, else the defaults), what was granted, and whether the
    grant was asked for other scopes than the current choice (the next start asks again)."""
    if provider.oauth is None:
        view.update(scopes=None, granted_scopes=None, reauthorization_needed=False)
        return
    sets = provider.oauth.scope_sets
    config = connection.config if connection else {}
    for scope_set in sets:
        view[scope_set.name] = scope_set.chosen(config)
    granted = connection.scopes if connection else None
    view["granted_scopes"] = granted_list(granted) if granted else None
    view["reauthorization_needed"] = bool(
        connection is not None
        and connection.is_active
        and connection.scopes_asked is not None
        and connection.scopes_asked != cached_fingerprint(provider.id, sets, config)
    )


def provider_view(provider: Provider, api_base_url: str) -> dict[str, Any]:
    """The part of an entry that is the same for every org."""
    view = provider.public()
    view["redirect_uri"] = redirect_uri(api_base_url, provider.id) if provider.interactive else None
    view["docs_url"] = provider.docs_url
    return view


@lru_cache(maxsize=8)
def provider_views(registry: Registry, api_base_url: str) -> tuple[tuple[str, dict[str, Any]], ...]:
    """Every provider's constant part, built once per container and API URL (the list's main cost).

    The entries are shared: callers copy them shallowly and only serialize the result.
    """
    return tuple((provider.id, provider_view(provider, api_base_url)) for provider in registry)


def integration_view(provider: Provider, connection: Connection | None, api_base_url: str) -> dict[str, Any]:
    return {**provider_view(provider, api_base_url), **connection_view(provider, connection)}


def list_view(registry: Registry, connections: list[ListedConnection]) -> dict[str, Any]:
    """``GET /integrations``: this org's connections only (the catalogue is ``GET /providers``).

    A record whose provider left the registry is not listed: nothing can be done with it.
    """
    return {
        "integrations": [
            _fill({"provider": c.provider}, registry.get(c.provider), c)
            for c in connections
            if c.provider in registry
        ]
    }


def catalog_list_view(
    registry: Registry, connections: list[ListedConnection], api_base_url: str
) -> dict[str, Any]:
    """``GET /integrations?include=catalog`` (deprecated, for one release): every provider with its
    fields and this org's connection, as ``GET /integrations`` answered before ``/providers``."""
    by_provider = {c.provider: c for c in connections}
    return {
        "integrations": [
            {**view, **connection_view(registry.get(provider_id), by_provider.get(provider_id))}
            for provider_id, view in provider_views(registry, api_base_url)
        ]
    }
