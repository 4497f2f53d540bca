"""A connection waiting for a required lookup asks again on each token read.

The exchange keeps the tokens when a required lookup (Atlassian's ``cloud_id``) does
not answer, and the connection is ``error`` with ``metadata_unavailable``; here a
token read makes the lookups again with the stored access token, and on success
writes the values and ``active`` in one UpdateItem over the version read.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from byoc.errors import ConcurrentUpdate, MetadataUnavailable
from byoc.model import Connection, EventType, Status, now_iso
from byoc.oauth import lookups
from byoc.oauth.protocol import SEALED_METADATA, stored_values
from byoc.oauth.registry import Provider

if TYPE_CHECKING:
    from byoc.usecases.tokens import TokenService


def complete_metadata(service: TokenService, provider: Provider, connection: Connection) -> Connection:
    """The record with its required metadata and ``active``; raises ``MetadataUnavailable``."""
    key, _ = service.cipher.open_secrets(connection)
    tokens = service.cipher.open_tokens(connection, key)
    known = {**connection.config, **stored_values(provider, connection.metadata)}
    found = lookups.run(service.client.outbound, provider, str(tokens.get("access_token", "")), known)
    if not found.complete:
        raise MetadataUnavailable()
    sealed = dict(tokens)
    if found.secret_metadata:
        sealed[SEALED_METADATA] = {**tokens.get(SEALED_METADATA, {}), **found.secret_metadata}
    now = int(service.now())
    updated = replace(
        connection,
        tokens=service.cipher.seal_tokens(connection, key, sealed),
        token_version=connection.token_version + 1,
        metadata={**stored_values(provider, connection.metadata), **found.metadata},
        updated_at=now_iso(now),
    ).activated()
    try:
        service.store.write_refreshed(
            updated, expected_token_version=connection.token_version, metadata_found=True
        )
    except ConcurrentUpdate:  # another reader completed it, or the org reconnected: read what is there
        current = service.store.get_connection(connection.org_id, connection.provider)
        if current is None or current.awaiting_metadata:
            raise MetadataUnavailable() from None
        return current
    service.events.publish(
        EventType.ACTIVE, org_id=connection.org_id, provider=provider.id, status=Status.ACTIVE
    )
    return updated
