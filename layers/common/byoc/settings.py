"""Deployment settings, read from the environment once, on first use.

Settings a deployment must provide (table, key, frontend URL) have no default:
a missing one raises ``ConfigurationError`` at the first request instead of
quietly using a made-up name. Nothing here is a provider credential: those live
only in each organization's encrypted connection record.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from byoc.errors import ConfigurationError
from byoc.origins import frontend_origins

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name} must be true or false")


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number") from None


def _int_between(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    value = _int(env, name, default)
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low} and {high}")
    return value


def _required(env: dict[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name} is not set")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str
    kms_key_id: str
    frontend_url: str
    public_api_url: str
    org_claim: str
    admin_claim: str
    browser_binding: bool
    allow_local_http: bool
    local_mode: bool
    event_bus_name: str
    refresh_margin_seconds: int
    default_token_lifetime_seconds: int
    max_body_bytes: int
    idle_refresh_days: int = 14
    idle_refresh_batch_size: int = 50
    revocation_queue_url: str = ""
    # Every org member may manage integrations: only when the deployment says so (ANY_MEMBER_ADMIN).
    any_member_admin: bool = False
    # Every origin FRONTEND_URL names (one, or a comma-separated list), the first the default.
    frontend_origins: tuple[str, ...] = ()

    @property
    def frontend_origin(self) -> str:
        """The first (default) frontend origin: scheme, host and port, no trailing slash."""
        return self.frontend_origins[0] if self.frontend_origins else self.frontend_url.rstrip("/")

    def frontend_origin_for(self, origin: str | None) -> str:
        """``origin`` when it is one of the frontend's origins, else the first (the default)."""
        return origin if origin and origin in self.frontend_origins else self.frontend_origin

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        local_mode = _flag(env, "BYOC_LOCAL", False) or _flag(env, "AWS_SAM_LOCAL", False)
        frontend_url = _required(env, "FRONTEND_URL")
        allow_local_http = _flag(env, "ALLOW_LOCAL_HTTP", False)
        origins = frontend_origins(frontend_url, allow_local_http=allow_local_http)
        table_name, kms_key_id = _required(env, "TABLE_NAME"), _required(env, "KMS_KEY_ID")
        admin_claim = env.get("ADMIN_CLAIM", "").strip()
        any_member_admin = _flag(env, "ANY_MEMBER_ADMIN", False)
        if local_mode and not admin_claim and not any_member_admin:
            admin_claim = "org_role=admin"  # the local page's role switch
            any_member_admin = _flag(env, "BYOC_LOCAL_ANY_MEMBER_ADMIN", False)
        role_name, _, role_value = admin_claim.partition("=")
        if not any_member_admin and not (role_name.strip() and role_value.strip()):
            raise ConfigurationError(
                "ADMIN_CLAIM must name the admin role claim (for example org_role=admin), "
                "or ANY_MEMBER_ADMIN must be true"
            )
        return cls(
            table_name=table_name,
            kms_key_id=kms_key_id,
            frontend_url=frontend_url,
            public_api_url=env.get("PUBLIC_API_URL", "").strip().rstrip("/"),
            org_claim=env.get("ORG_CLAIM", "").strip() or "org_id",
            admin_claim=admin_claim,
            browser_binding=_flag(env, "BROWSER_BINDING", False),
            allow_local_http=allow_local_http,
            local_mode=local_mode,
            event_bus_name=env.get("EVENT_BUS_NAME", "").strip(),
            refresh_margin_seconds=_int(env, "REFRESH_MARGIN_SECONDS", 300),
            default_token_lifetime_seconds=_int(env, "DEFAULT_TOKEN_LIFETIME_SECONDS", 3600),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 16 * 1024),
            idle_refresh_days=_int_between(env, "IDLE_REFRESH_DAYS", 14, 1, 3650),
            idle_refresh_batch_size=_int_between(env, "IDLE_REFRESH_BATCH_SIZE", 50, 1, 1000),
            revocation_queue_url=env.get("REVOCATION_QUEUE_URL", "").strip(),
            any_member_admin=any_member_admin,
            frontend_origins=origins,
        )


@cache
def get_settings() -> Settings:
    """The process's settings, read on first use (never at import time)."""
    return Settings.from_env()
