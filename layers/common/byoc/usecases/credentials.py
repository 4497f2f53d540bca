"""Saving an org's credentials for a provider (``POST /integrations``).

Validate against the provider's fields, run OpenID discovery where the entry asks
for it, seal the secret values under a fresh KMS data key, and upsert the record:
OAuth providers go to ``pending_setup`` (next: ``/oauth/start``), client-credentials
entries to ``active`` with their first minted token (``byoc.usecases.minting``), API-key
providers to ``active`` once their verification request passed (``byoc.oauth.keys``). Saving the
same client id and settings again (a rotated secret) keeps the tokens and the status;
anything else drops them.

AWS calls: at most one GetItem, one PutItem, one GenerateDataKey (plus one
PutEvents when the status changes, and a Decrypt only to revoke dropped tokens).
Provider calls: OpenID discovery (generic_oidc), a key entry's verification request, or a
client-credentials entry's token request.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from byoc import metrics
from byoc.aws.crypto import Cipher, DataKey
from byoc.aws.events import EventPublisher
from byoc.aws.store import Store
from byoc.errors import (
    DiscoveryFailed,
    OutboundConnectError,
    OutboundError,
    OutboundTimeout,
    ProviderStepFailed,
    UnsafeUrl,
    ValidationFailed,
)
from byoc.model import Connection, EventType, Principal, Status, now_iso, require_admin
from byoc.oauth import discovery, keys, protocol
from byoc.oauth.client import TokenEndpointClient
from byoc.oauth.fields import validate_credentials
from byoc.oauth.registry import Provider, Registry, template_fields
from byoc.outbound import OutboundClient
from byoc.settings import Settings
from byoc.usecases.minting import connected_by_minting
from byoc.usecases.revocation import Revocations

# Entries whose scopes were a credentials field before the scope sets: accepted for one release.
SCOPES_ALIAS_ENTRIES = ("generic_oauth2", "generic_oidc")


@dataclass
class CredentialService:
    settings: Settings
    store: Store
    cipher: Cipher
    events: EventPublisher
    registry: Registry
    client: TokenEndpointClient
    revocations: Revocations
    outbound: OutboundClient

    def save(
        self,
        principal: Principal,
        provider_id: str,
        credentials: dict[str, str],
        scopes: dict[str, list[str]] | None = None,
    ) -> tuple[Provider, Connection]:
        """Validate, seal and store; the saved record and its entry (for the view).

        ``scopes`` holds the scope sets the body names (``scopes``, ``user_scopes``); a set
        left out keeps its saved choice (none saved: the entry's defaults apply).
        """
        require_admin(principal)
        provider = self.registry.get(provider_id)
        credentials, chosen = choose_scopes(provider, credentials, scopes or {})
        values, config, secret_values = self._checked_values(provider, credentials)
        existing = self.store.get_connection(principal.org_id, provider.id)
        config.update(kept_scopes(provider, existing, chosen))
        connection, key = self._new_record(
            principal.org_id, provider, values.get("client_id"), config, secret_values, existing
        )
        if not provider.interactive and provider.is_oauth:  # client credentials: a token, or nothing stored
            secret = secret_values.get("client_secret", "")
            connection = connected_by_minting(
                self.client, self.cipher, provider, connection, key, secret, int(time.time())
            )
        if existing is None:
            self.store.put_connection(connection, expected_credentials_id=None)
            self._publish(connection)
        else:
            connection = self._replace(provider, existing, connection)
        metrics.credentials_saved(provider.id)
        return provider, connection

    def _checked_values(
        self, provider: Provider, credentials: dict[str, str]
    ) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        """(every value, the non-secret settings with discovered endpoints, the secret values)."""
        values = validate_credentials(provider, credentials, allow_local_http=self.settings.allow_local_http)
        secret_values = {k: v for k, v in values.items() if k in provider.secret_fields}
        config = {k: v for k, v in values.items() if k not in secret_values and k != "client_id"}
        if provider.is_oauth:
            config.update(self._discover(provider, config))
            self._check_endpoints(provider, config)
        else:  # a wrong key is a 422 now, not a surprise later (nothing is stored before this)
            local = self.settings.allow_local_http
            keys.verify_key(self.outbound, provider, config, secret_values, allow_local_http=local)
        return values, config, secret_values

    def _replace(self, provider: Provider, existing: Connection, connection: Connection) -> Connection:
        """Save over an existing record: a rotated secret keeps its tokens, anything else drops them."""
        same_app = _same_app(provider, existing, connection)
        if _keeps_tokens(provider, existing, connection):
            connection = connection.carrying_tokens_of(existing)
        self.store.put_connection(connection, expected_credentials_id=existing.credentials_id)
        if existing.tokens and not same_app:
            self.revocations.revoke(provider, existing)
        if existing.status != connection.status:
            self._publish(connection)
        return connection

    def _publish(self, connection: Connection) -> None:
        self.events.publish(
            EventType(connection.status.value),
            org_id=connection.org_id,
            provider=connection.provider,
            status=connection.status,
        )

    def _new_record(
        self,
        org_id: str,
        provider: Provider,
        client_id: str | None,
        config: dict[str, str],
        secret_values: dict[str, str],
        existing: Connection | None,
    ) -> tuple[Connection, DataKey]:
        """A fresh record with the secrets sealed under a new data key (one GenerateDataKey)."""
        key, sealed = self.cipher.seal_secrets(org_id, provider.id, secret_values)
        now = now_iso()
        record = Connection(
            org_id=org_id,
            provider=provider.id,
            status=Status.PENDING_SETUP if provider.is_oauth else Status.ACTIVE,
            credentials_id=secrets.token_hex(16),
            client_id=client_id,
            config=config,
            secrets=sealed,
            created_at=existing.created_at if existing else now,
            updated_at=now,
        )
        return record, key

    def _discover(self, provider: Provider, config: dict[str, str]) -> dict[str, str]:
        """OpenID discovery for entries that ask for it: its endpoints join the record's config."""
        if provider.oauth is None or not provider.oauth.discovery:
            return {}
        try:
            found = discovery.discover(
                self.outbound, config.get("issuer", ""), allow_local_http=self.settings.allow_local_http
            )
        except DiscoveryFailed as exc:
            raise ValidationFailed({"issuer": exc.message}) from None
        except UnsafeUrl:
            raise ValidationFailed({"issuer": "must be a public https URL"}) from None
        except (OutboundTimeout, OutboundConnectError) as exc:  # the issuer's fault, for now: 424
            raise ProviderStepFailed("discovery", exc.code) from None
        except OutboundError:
            raise ValidationFailed({"issuer": "the discovery document could not be read"}) from None
        if protocol.client_auth_method(provider, config) not in found.auth_methods:
            raise ValidationFailed({"client_auth_method": "the issuer does not support this method"})
        discovered = {
            "authorization_endpoint": found.authorization_endpoint,
            "token_endpoint": found.token_endpoint,
        }
        if found.revocation_endpoint:
            discovered["revocation_endpoint"] = found.revocation_endpoint
        if found.iss_parameter_supported:
            discovered[protocol.ISS_SUPPORTED] = "true"
        return discovered

    def _check_endpoints(self, provider: Provider, config: dict[str, str]) -> None:
        """Templated hosts (subdomain, shop, region) must render to allowed URLs before we save them."""
        try:
            protocol.resolve_endpoints(provider, config, allow_local_http=self.settings.allow_local_http)
        except UnsafeUrl:
            spec = provider.oauth
            urls = (spec.authorize_url or "", spec.token_url) if spec else ()
            names = set().union(*(template_fields(u) for u in urls))
            problem = "gives an address that is not allowed"
            raise ValidationFailed(dict.fromkeys(sorted(names) or ["client_id"], problem)) from None


def choose_scopes(
    provider: Provider, credentials: dict[str, str], scopes: dict[str, list[str]]
) -> tuple[dict[str, str], dict[str, str]]:
    """(the credentials without the scope alias, the checked choice as settings by set name).

    The generic entries' ``credentials.scopes`` string is accepted for one release: its
    scopes are added to the entry's defaults, as that field did.
    """
    if provider.oauth is None:
        if scopes:
            raise ValidationFailed(dict.fromkeys(scopes, "this provider does not use OAuth scopes"))
        return credentials, {}
    credentials = dict(credentials)
    alias = credentials.pop("scopes", None) if provider.id in SCOPES_ALIAS_ENTRIES else None
    if alias is not None and "scopes" not in scopes:
        scopes = {**scopes, "scopes": [*provider.oauth.scopes.default, *alias.split()]}
    chosen: dict[str, str] = {}
    for name, value in scopes.items():
        scope_set = provider.oauth.scope_set(name)
        if scope_set is None:
            raise ValidationFailed({name: "this provider has no such scope set"})
        chosen[name] = " ".join(scope_set.check(value))
    return credentials, chosen


def kept_scopes(provider: Provider, existing: Connection | None, chosen: dict[str, str]) -> dict[str, str]:
    """The scope settings to save: the new choice, else the saved one."""
    if provider.oauth is None:
        return {}
    kept = {}
    for scope_set in provider.oauth.scope_sets:
        if scope_set.name in chosen:
            kept[scope_set.name] = chosen[scope_set.name]
        elif existing is not None and scope_set.name in existing.config:
            kept[scope_set.name] = existing.config[scope_set.name]
    return kept


def _same_app(provider: Provider, existing: Connection, new: Connection) -> bool:
    """The same app (a rotated secret): the tokens and status stay valid (``model.app_fingerprint``)."""
    return provider.is_oauth and existing.app_fingerprint == new.app_fingerprint


def _keeps_tokens(provider: Provider, existing: Connection, new: Connection) -> bool:
    """A save over ``existing`` carries its tokens: the same app of a browser grant. A client-credentials
    save has just minted its own token, so it never carries the old one (which simply expires)."""
    return provider.interactive and _same_app(provider, existing, new)
