"""Disconnecting: forget a connection, or only its tokens, revoking them at the provider.

``DELETE /integrations/{provider}``: one DeleteItem returns the record as it was;
its tokens are then revoked the way the entry's ``revocation`` block says (none
for ``kind: none``), inline when the invocation has time for it, else through the revocation
queue (``byoc.usecases.revocation``), and
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
are tokens to revoke, and one ``PutEvents``; a revocation that must wait adds a
``PutItem`` and an SQS ``SendMessage``.
"""

from __future__ import annotations

from dataclasses import dataclass

from byoc.aws.events import EventPublisher
from byoc.aws.store import Store
from byoc.errors import IntegrationNotConfigured
from byoc.model import Connection, EventType, Principal, Status, require_admin
from byoc.oauth.registry import Registry
from byoc.usecases.revocation import Revocations


@dataclass
class DisconnectService:
    store: Store
    events: EventPublisher
    registry: Registry
    revocations: Revocations

    def disconnect(self, principal: Principal, provider_id: str) -> None:
        """Delete the connection (tokens and credentials), revoking its tokens where possible."""
        require_admin(principal)
        provider = self.registry.get(provider_id)
        old = self.store.delete_connection(principal.org_id, provider.id)
        if old is None:
            raise IntegrationNotConfigured("This integration is not configured: there is nothing to delete.")
        self._revoke(old)
        self.events.publish(
            EventType.DISCONNECTED, org_id=principal.org_id, provider=provider.id, status=None
        )

    def drop_tokens(self, principal: Principal, provider_id: str) -> None:
        """Revoke and forget the tokens, keep the client id and secret: back to ``pending_setup``."""
        require_admin(principal)
        provider = self.registry.oauth(provider_id)
        old = self.store.drop_tokens(principal.org_id, provider.id)
        if old is None:
            raise IntegrationNotConfigured()
        self._revoke(old)
        if old.status is not Status.PENDING_SETUP:
            self.events.publish(
                EventType.PENDING_SETUP,
                org_id=principal.org_id,
                provider=provider.id,
                status=Status.PENDING_SETUP,
            )

    def _revoke(self, old: Connection) -> None:
        if old.tokens:
            self.revocations.revoke(self.registry.get(old.provider), old)
