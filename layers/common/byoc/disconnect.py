"""Disconnecting: forget a connection, or only its tokens, revoking them at the provider.

``DELETE /integrations/{provider}``: one DeleteItem returns the record as it was;
its tokens are then revoked where the provider has a revocation endpoint (RFC
7009; best effort, each call bounded by the outbound deadline) and
``connection.disconnected`` is published. The provider then lists as never
configured. Nothing to delete is 404 ``integration_not_configured``.

``DELETE /integrations/{provider}/tokens``: one UpdateItem drops the tokens and
keeps the client id and secret (``pending_setup``, ready to reconnect); the old
tokens are revoked the same way and ``connection.pending_setup`` is published
when the status changed.

The record goes first and revocation follows: what the admin asked for is done
even when the provider is slow or down, a refresh in flight can no longer write
(its conditional write finds no record, or another ``token_version``), and the
tokens revoked are exactly the ones that were stored.

AWS calls: one write, a ``Decrypt`` (unless the data key is cached) when there
are tokens to revoke, and one ``PutEvents``.
"""

from __future__ import annotations

from dataclasses import dataclass

from byoc.auth import Principal, require_admin
from byoc.errors import IntegrationNotConfigured, InvalidRequest
from byoc.events import EventPublisher
from byoc.outbound import OutboundClient
from byoc.registry import Registry
from byoc.revocation import Revoker
from byoc.services import wire
from byoc.settings import Settings
from byoc.store import Connection, Store


@dataclass
class DisconnectService:
    store: Store
    events: EventPublisher
    registry: Registry
    revoker: Revoker

    @classmethod
    def from_settings(cls, settings: Settings, outbound: OutboundClient | None = None) -> DisconnectService:
        return wire(cls, settings, outbound)

    def disconnect(self, principal: Principal, provider_id: str) -> None:
        """Delete the connection (tokens and credentials), revoking its tokens where possible."""
        require_admin(principal)
        provider = self.registry.get(provider_id)
        old = self.store.delete_connection(principal.org_id, provider.id)
        if old is None:
            raise IntegrationNotConfigured("This integration is not configured: there is nothing to delete.")
        self._revoke(old)
        self.events.publish("disconnected", org_id=principal.org_id, provider=provider.id, status=None)

    def drop_tokens(self, principal: Principal, provider_id: str) -> None:
        """Revoke and forget the tokens, keep the client id and secret: back to ``pending_setup``."""
        require_admin(principal)
        provider = self.registry.get(provider_id)
        if not provider.is_oauth:
            raise InvalidRequest("This provider does not use OAuth: it has no tokens to drop.")
        old = self.store.drop_tokens(principal.org_id, provider.id)
        if old is None:
            raise IntegrationNotConfigured()
        self._revoke(old)
        if old.status != "pending_setup":
            self.events.publish(
                "pending_setup", org_id=principal.org_id, provider=provider.id, status="pending_setup"
            )

    def _revoke(self, old: Connection) -> None:
        if old.tokens:
            self.revoker.revoke_connection(self.registry.get(old.provider), old)
