"""Per-container service objects, made on first use (never during init, so SnapStart-safe),
and the one place the use cases are wired to their store, cipher, events and HTTP client."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from typing import Any, Self

from byoc.crypto import Cipher
from byoc.events import EventPublisher
from byoc.outbound import OutboundClient
from byoc.registry import Registry, get_registry
from byoc.revocation import Revoker
from byoc.settings import Settings, get_settings
from byoc.store import Store


@cache
def outbound() -> OutboundClient:
    """One outbound HTTP client per container; its connection pool is created lazily."""
    settings = get_settings()
    return OutboundClient(allow_local_http=settings.allow_local_http)


def wire[T](cls: type[T], settings: Settings, client: OutboundClient | None = None) -> T:
    """Build a use-case dataclass from the deployment's settings, giving it the parts it declares."""
    client = client or OutboundClient(allow_local_http=settings.allow_local_http)
    cipher = Cipher(settings.kms_key_id)
    parts: dict[str, Any] = {
        "settings": settings,
        "store": Store(settings.table_name),
        "cipher": cipher,
        "events": EventPublisher(settings.event_bus_name),
        "outbound": client,
        "registry": get_registry(),
        "revoker": Revoker(cipher=cipher, outbound=client, allow_local_http=settings.allow_local_http),
    }
    declared = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{name: part for name, part in parts.items() if name in declared})


@dataclass
class UseCase:
    """The parts the use cases (save, flow, tokens) work with; tests pass their own."""

    settings: Settings
    store: Store
    cipher: Cipher
    events: EventPublisher
    outbound: OutboundClient
    registry: Registry
    revoker: Revoker

    @classmethod
    def from_settings(cls, settings: Settings, outbound: OutboundClient | None = None) -> Self:
        return wire(cls, settings, outbound)
