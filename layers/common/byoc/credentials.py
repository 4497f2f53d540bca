"""Saving an org's credentials for a provider (``POST /integrations``).

Validate against the provider's fields, run OpenID discovery where the entry asks
for it, seal the secret values under a fresh KMS data key, and upsert the record:
OAuth providers go to ``pending_setup`` (next: ``/oauth/start``), API-key providers
to ``active``. Saving the same client id and settings again (a rotated secret)
keeps the tokens and the status; anything else drops them.

AWS calls: at most one GetItem, one PutItem, one GenerateDataKey (plus one
PutEvents when the status changes, and a Decrypt only to revoke dropped tokens).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from byoc import metrics, oauth
from byoc.auth import Principal, require_admin
from byoc.crypto import SECRETS_ATTRIBUTE, encryption_context
from byoc.errors import OutboundError, UnsafeUrl, ValidationFailed
from byoc.registry import Provider, template_fields
from byoc.services import UseCase
from byoc.store import Connection, now_iso
from byoc.validation import SaveCredentialsBody, validate_credentials
from byoc.views import integration_view


@dataclass
class CredentialService(UseCase):
    def save(self, principal: Principal, body: SaveCredentialsBody, api_base_url: str) -> dict[str, Any]:
        require_admin(principal)
        provider = self.registry.get(body.provider)
        values = validate_credentials(
            provider, body.credentials, allow_local_http=self.settings.allow_local_http
        )
        secret_names = set(provider.secret_fields)
        secret_values = {k: v for k, v in values.items() if k in secret_names}
        config = {k: v for k, v in values.items() if k not in secret_values and k != "client_id"}
        if provider.is_oauth:
            config.update(self._discover(provider, config))
            self._check_endpoints(provider, config)

        existing = self.store.get_connection(principal.org_id, provider.id)
        client_id = values.get("client_id")
        # Same client id and settings (a rotated secret): the tokens and status stay valid.
        kept = (
            existing
            if existing is not None
            and existing.client_id == client_id
            and existing.config == config
            and provider.is_oauth
            else None
        )
        context = encryption_context(principal.org_id, provider.id)
        key = self.cipher.new_data_key(context)
        now = now_iso()
        status = "pending_setup" if provider.is_oauth else "active"
        connection = Connection(
            org_id=principal.org_id,
            provider=provider.id,
            status=status,
            credentials_id=secrets.token_hex(16),
            client_id=client_id,
            config=config,
            secrets=self.cipher.seal(key, context, SECRETS_ATTRIBUTE, secret_values),
            created_at=existing.created_at if existing else now,
            updated_at=now,
        )
        if kept is not None:
            connection = _carry_tokens(kept, connection)
        self.store.put_connection(
            connection, expected_credentials_id=existing.credentials_id if existing else None
        )
        if existing and existing.tokens and kept is None:
            self.revoker.revoke_connection(provider, existing)
        if existing is None or existing.status != connection.status:
            self.events.publish(
                connection.status, org_id=principal.org_id, provider=provider.id, status=connection.status
            )
        metrics.credentials_saved(provider.id)
        return integration_view(provider, connection, api_base_url)

    def _discover(self, provider: Provider, config: dict[str, str]) -> dict[str, str]:
        """OpenID discovery for entries that ask for it: its endpoints join the record's config."""
        if provider.oauth is None or not provider.oauth.discovery:
            return {}
        issuer = config.get("issuer", "")
        try:
            found = oauth.discover(self.outbound, issuer, allow_local_http=self.settings.allow_local_http)
        except oauth.DiscoveryFailed as exc:
            raise ValidationFailed({"issuer": str(exc)}) from None
        except UnsafeUrl:
            raise ValidationFailed({"issuer": "must be a public https URL"}) from None
        except OutboundError:
            raise ValidationFailed({"issuer": "the discovery document could not be fetched"}) from None
        method = oauth.client_auth_method(provider, config)
        if method not in found.auth_methods:
            raise ValidationFailed({"client_auth_method": "the issuer does not support this method"})
        discovered = {
            "authorization_endpoint": found.authorization_endpoint,
            "token_endpoint": found.token_endpoint,
        }
        if found.revocation_endpoint:
            discovered["revocation_endpoint"] = found.revocation_endpoint
        return discovered

    def _check_endpoints(self, provider: Provider, config: dict[str, str]) -> None:
        """Templated hosts (subdomain, shop, region) must render to allowed URLs before we save them."""
        try:
            oauth.resolve_endpoints(provider, config, allow_local_http=self.settings.allow_local_http)
        except UnsafeUrl:
            spec = provider.oauth
            names = (template_fields(spec.authorize_url) | template_fields(spec.token_url)) if spec else set()
            problem = "gives an address that is not allowed"
            raise ValidationFailed(dict.fromkeys(sorted(names) or ["client_id"], problem)) from None


def _carry_tokens(existing: Connection, connection: Connection) -> Connection:
    """The new credentials with the existing connection's tokens and status."""
    return replace(
        connection,
        status=existing.status,
        status_reason=existing.status_reason,
        status_message=existing.status_message,
        tokens=existing.tokens,
        token_version=existing.token_version + 1,
        token_expires_at=existing.token_expires_at,
        has_refresh_token=existing.has_refresh_token,
        scopes=existing.scopes,
        metadata=existing.metadata,
        last_refreshed_at=existing.last_refreshed_at,
    )
