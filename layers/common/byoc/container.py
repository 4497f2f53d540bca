"""The composition root: one typed factory per service, and the per-container state they share.

Each factory builds its service from the deployment's settings on first use (never
during init, so SnapStart-safe) and imports only what that service needs, so a
function pays at cold start for its own code only. Tests build services directly
with their own parts, or call these factories after ``reset_container_state()``.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import TYPE_CHECKING, TypedDict

from byoc.aws import clients
from byoc.oauth import registry
from byoc.settings import get_settings

if TYPE_CHECKING:
    from byoc.aws.crypto import Cipher
    from byoc.aws.events import EventPublisher
    from byoc.aws.store import Store
    from byoc.oauth.client import TokenEndpointClient
    from byoc.oauth.registry import Registry
    from byoc.outbound import OutboundClient
    from byoc.settings import Settings
    from byoc.usecases.credentials import CredentialService
    from byoc.usecases.disconnect import DisconnectService
    from byoc.usecases.flow import FlowService
    from byoc.usecases.revocation import Revocations
    from byoc.usecases.tokens import TokenService


@cache
def outbound() -> OutboundClient:
    """One outbound HTTP client per container; its connection pool is created lazily."""
    from byoc.outbound import OutboundClient

    return OutboundClient(allow_local_http=get_settings().allow_local_http)


def token_client() -> TokenEndpointClient:
    from byoc.oauth.client import TokenEndpointClient

    return TokenEndpointClient(outbound(), allow_local_http=get_settings().allow_local_http)


class _Parts(TypedDict):
    """What the save, flow and token use cases all work with."""

    settings: Settings
    store: Store
    cipher: Cipher
    events: EventPublisher
    registry: Registry
    client: TokenEndpointClient
    revocations: Revocations


def _parts() -> _Parts:
    store_, cipher_, client = store(), cipher(), token_client()
    return _Parts(
        settings=get_settings(),
        store=store_,
        cipher=cipher_,
        events=events(),
        registry=registry.get_registry(),
        client=client,
        revocations=revocations(store_, cipher_, client),
    )


def revocations(
    store_: Store | None = None, cipher_: Cipher | None = None, client: TokenEndpointClient | None = None
) -> Revocations:
    """Revocation inline or queued, sharing the calling service's store, cipher and client when given."""
    from byoc.aws.queue import RevocationQueue
    from byoc.usecases.revocation import Revocations

    queue_url = get_settings().revocation_queue_url
    return Revocations(
        cipher=cipher_ or cipher(),
        client=client or token_client(),
        store=store_ or store(),
        queue=RevocationQueue(queue_url) if queue_url else None,
        registry=registry.get_registry(),
    )


def credential_service() -> CredentialService:
    from byoc.usecases.credentials import CredentialService

    return CredentialService(**_parts(), outbound=outbound())


def flow_service() -> FlowService:
    from byoc.usecases.flow import FlowService

    return FlowService(**_parts())


def token_service() -> TokenService:
    from byoc.usecases.tokens import TokenService

    return TokenService(**_parts())


def disconnect_service() -> DisconnectService:
    from byoc.usecases.disconnect import DisconnectService

    return DisconnectService(
        store=store(), events=events(), registry=registry.get_registry(), revocations=revocations()
    )


def store() -> Store:
    from byoc.aws.store import Store

    settings = get_settings()
    return Store(settings.table_name, idle_seconds=settings.idle_refresh_days * 86400)


def cipher() -> Cipher:
    from byoc.aws.crypto import Cipher

    return Cipher(get_settings().kms_key_id)


def events() -> EventPublisher:
    from byoc.aws.events import EventPublisher

    return EventPublisher(get_settings().event_bus_name)


def reset_container_state() -> None:
    """Forget everything a container keeps between invocations (settings, clients, caches).

    In Lambda it lives as long as the container; tests and the local server call this so
    that a new run never sees the previous one's settings or clients. Modules not yet
    imported are left alone (importing them here would cost the list function its cold start).
    """
    get_settings.cache_clear()
    clients.client.cache_clear()
    clear_outbound = getattr(outbound, "cache_clear", None)  # tests may stand in their own client
    if clear_outbound is not None:
        clear_outbound()
    registry.get_registry.cache_clear()
    crypto = sys.modules.get("byoc.aws.crypto")
    if crypto is not None:
        crypto.DATA_KEY_CACHE.clear()
    views = sys.modules.get("byoc.api.views")
    if views is not None:
        views.provider_views.cache_clear()
