"""Connection records and state items as DynamoDB attribute maps, and back.

The low-level client is used with explicit attribute maps: it is cheaper to import
and to run than the resource API, and it keeps every stored attribute visible here.
"""

from __future__ import annotations

from typing import Any

from byoc.model import DEFAULT_STATUS, Connection, ListedConnection, OAuthState, Status, now_iso

# The previous release's sparse IdleIndex (idle_pk, last_refreshed_at): read for its records, never written.
IDLE_PARTITION = "oauth"
# The sparse RefreshQueueIndex (refresh_pk, next_attempt_at): when idle refresh next tries a record.
REFRESH_QUEUE_PARTITION = "oauth"
DEFAULT_IDLE_SECONDS = 14 * 86400


def attr_s(value: str) -> dict[str, str]:
    return {"S": value}


def attr_n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def attr_str_map(values: dict[str, str]) -> dict[str, Any]:
    return {"M": {k: attr_s(v) for k, v in values.items()}}


def _read_map(item: dict[str, Any], name: str) -> dict[str, str]:
    raw = item.get(name, {}).get("M", {})
    return {k: v["S"] for k, v in raw.items() if "S" in v}


def _opt_s(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value["S"] if value and "S" in value else None


def _opt_n(item: dict[str, Any], name: str) -> int | None:
    value = item.get(name)
    return int(value["N"]) if value and "N" in value else None


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def _opt_b(item: dict[str, Any], name: str) -> bytes | None:
    value = item.get(name)
    return bytes(value["B"]) if value and "B" in value else None


def connection_key(org_id: str, provider: str) -> dict[str, Any]:
    return {"pk": attr_s(f"ORG#{org_id}"), "sk": attr_s(f"CONN#{provider}")}


def _optional_attributes(connection: Connection) -> dict[str, Any]:
    c = connection
    optional: dict[str, dict[str, Any] | None] = {
        "client_id": attr_s(c.client_id) if c.client_id else None,
        "secrets": {"B": c.secrets} if c.secrets else None,
        "tokens": {"B": c.tokens} if c.tokens else None,
        "token_expires_at": attr_n(c.token_expires_at) if c.token_expires_at is not None else None,
        "scopes": attr_s(c.scopes) if c.scopes else None,
        "scopes_asked": attr_s(c.scopes_asked) if c.scopes_asked else None,
        "status_reason": attr_s(c.status_reason) if c.status_reason else None,
        "status_message": attr_s(c.status_message) if c.status_message else None,
        "last_refreshed_at": attr_n(c.last_refreshed_at) if c.last_refreshed_at is not None else None,
        "refresh_failures": attr_n(c.refresh_failures) if c.refresh_failures else None,
    }
    return {k: v for k, v in optional.items() if v is not None}


def in_refresh_queue(connection: Connection) -> bool:
    """Whether the record belongs in RefreshQueueIndex (active, refreshable, obtained at a known time)."""
    return connection.is_active and connection.has_refresh_token and connection.last_refreshed_at is not None


def queue_attributes(connection: Connection, idle_seconds: int) -> dict[str, Any]:
    """``refresh_pk`` and ``next_attempt_at`` (its token obtained + the idle period), or nothing."""
    if not in_refresh_queue(connection):
        return {}
    assert connection.last_refreshed_at is not None
    return {
        "refresh_pk": attr_s(REFRESH_QUEUE_PARTITION),
        "next_attempt_at": attr_n(connection.last_refreshed_at + idle_seconds),
    }


def connection_item(connection: Connection, idle_seconds: int = DEFAULT_IDLE_SECONDS) -> dict[str, Any]:
    c = connection
    item: dict[str, Any] = {
        **connection_key(c.org_id, c.provider),
        "org_id": attr_s(c.org_id),
        "provider": attr_s(c.provider),
        "status": attr_s(c.status.value),
        "credentials_id": attr_s(c.credentials_id),
        "config": attr_str_map(c.config),
        "metadata": attr_str_map(c.metadata),
        "token_version": attr_n(c.token_version),
        "has_refresh_token": {"BOOL": c.has_refresh_token},
        "created_at": attr_s(c.created_at),
        "updated_at": attr_s(c.updated_at),
        **_optional_attributes(c),
        **queue_attributes(c, idle_seconds),
    }
    return item


def connection_from_item(item: dict[str, Any]) -> Connection:
    # One pass per attribute type (the list function reads every connection of an org per request).
    s = {k: v["S"] for k, v in item.items() if "S" in v}
    n = {k: v["N"] for k, v in item.items() if "N" in v}
    return Connection(
        org_id=s["org_id"],
        provider=s["provider"],
        status=_status(s.get("status")),
        credentials_id=s.get("credentials_id") or "",
        client_id=s.get("client_id"),
        config=_read_map(item, "config"),
        secrets=_opt_b(item, "secrets"),
        tokens=_opt_b(item, "tokens"),
        token_version=int(n.get("token_version") or 0),
        token_expires_at=_int(n.get("token_expires_at")),
        has_refresh_token=bool(item.get("has_refresh_token", {}).get("BOOL", False)),
        scopes=s.get("scopes"),
        scopes_asked=s.get("scopes_asked"),
        metadata=_read_map(item, "metadata"),
        status_reason=s.get("status_reason"),
        status_message=s.get("status_message"),
        created_at=s.get("created_at") or "",
        updated_at=s.get("updated_at") or "",
        last_refreshed_at=_int(n.get("last_refreshed_at")),
        lease_until=_int(n.get("lease_until")),
        refresh_failures=int(n.get("refresh_failures") or 0),
    )


def _status(value: str | None) -> Status:
    """The stored status (the enum's own lookup is several times slower than a dict's)."""
    value = value or DEFAULT_STATUS
    return _STATUSES.get(value) or Status(value)


_STATUSES = {s.value: s for s in Status}


def listed_from_item(item: dict[str, Any]) -> ListedConnection:
    """A connection as the list projection (``Store.list_connections``) reads it."""
    s = {k: v["S"] for k, v in item.items() if "S" in v}
    return ListedConnection(
        provider=s["provider"],
        status=_status(s.get("status")),
        client_id=s.get("client_id"),
        config=_read_map(item, "config"),
        metadata=_read_map(item, "metadata"),
        scopes=s.get("scopes"),
        scopes_asked=s.get("scopes_asked"),
        status_reason=s.get("status_reason"),
        status_message=s.get("status_message"),
        updated_at=s.get("updated_at") or "",
    )


def state_item(state: OAuthState) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": attr_s(f"STATE#{state.state_hash}"),
        "sk": attr_s("STATE"),
        "org_id": attr_s(state.org_id),
        "user_id": attr_s(state.user_id),
        "provider": attr_s(state.provider),
        "redirect_uri": attr_s(state.redirect_uri),
        "token_url": attr_s(state.token_url),
        "credentials_id": attr_s(state.credentials_id),
        "return_to": attr_s(state.return_to),
        "expires_at": attr_n(state.expires_at),
        # DynamoDB TTL removes the item some time after expiry; the callback's
        # condition checks expires_at itself, since TTL deletion is late.
        "ttl": attr_n(state.expires_at),
    }
    for name in (
        "code_verifier",
        "issuer",
        "binding_hash",
        "app_fingerprint",
        "scopes_asked",
        "frontend_origin",
    ):
        value = getattr(state, name)
        if value:
            item[name] = attr_s(value)
    if state.iss_required:
        item["iss_required"] = {"BOOL": True}
    return item


def state_from_item(item: dict[str, Any]) -> OAuthState:
    return OAuthState(
        state_hash=item["pk"]["S"].removeprefix("STATE#"),
        org_id=item["org_id"]["S"],
        user_id=item["user_id"]["S"],
        provider=item["provider"]["S"],
        redirect_uri=item["redirect_uri"]["S"],
        token_url=item["token_url"]["S"],
        credentials_id=item["credentials_id"]["S"],
        return_to=item["return_to"]["S"],
        expires_at=int(item["expires_at"]["N"]),
        code_verifier=_opt_s(item, "code_verifier"),
        issuer=_opt_s(item, "issuer"),
        binding_hash=_opt_s(item, "binding_hash"),
        app_fingerprint=_opt_s(item, "app_fingerprint"),
        iss_required=bool(item.get("iss_required", {}).get("BOOL", False)),
        scopes_asked=_opt_s(item, "scopes_asked"),
        frontend_origin=_opt_s(item, "frontend_origin"),
    )


def revocation_key(org_id: str, revocation_id: str) -> dict[str, Any]:
    return {"pk": attr_s(f"ORG#{org_id}"), "sk": attr_s(f"REVOKE#{revocation_id}")}


def revocation_item(connection: Connection, revocation_id: str, expires_at: int) -> dict[str, Any]:
    """Tokens waiting to be revoked, with what revoking them needs (the app's id, secret and settings).

    The sealed values are the record's own, bound to its encryption context (org,
    provider), so they open only for this org and provider. DynamoDB TTL removes the
    item after ``expires_at`` if nothing revoked it by then.
    """
    c = connection
    item: dict[str, Any] = {
        **revocation_key(c.org_id, revocation_id),
        "org_id": attr_s(c.org_id),
        "provider": attr_s(c.provider),
        "credentials_id": attr_s(c.credentials_id),
        "config": attr_str_map(c.config),
        "metadata": attr_str_map(c.metadata),
        "created_at": attr_s(now_iso()),
        "ttl": attr_n(expires_at),
    }
    for name, value in (("client_id", c.client_id), ("secrets", c.secrets), ("tokens", c.tokens)):
        if value:
            item[name] = {"B": value} if isinstance(value, bytes) else attr_s(value)
    return item


def revocation_from_item(item: dict[str, Any]) -> Connection:
    """The waiting tokens as a connection record (never stored as one: status pending_setup)."""
    return Connection(
        org_id=item["org_id"]["S"],
        provider=item["provider"]["S"],
        status=Status.PENDING_SETUP,
        credentials_id=_opt_s(item, "credentials_id") or "",
        client_id=_opt_s(item, "client_id"),
        config=_read_map(item, "config"),
        secrets=_opt_b(item, "secrets"),
        tokens=_opt_b(item, "tokens"),
        metadata=_read_map(item, "metadata"),
    )


def completion_key(handle_hash: str) -> dict[str, Any]:
    return {"pk": attr_s(f"COMPLETION#{handle_hash}"), "sk": attr_s("COMPLETION")}


def completion_item(state: OAuthState, handle_hash: str, sealed: bytes, expires_at: int) -> dict[str, Any]:
    """A parked code: the flow's state, the code sealed for the record, its own short expiry."""
    return {
        **state_item(state),
        **completion_key(handle_hash),
        "sealed_code": {"B": sealed},
        "expires_at": attr_n(expires_at),
        "ttl": attr_n(expires_at),
    }


def completion_from_item(item: dict[str, Any]) -> tuple[OAuthState, bytes, int]:
    state = state_from_item({**item, "pk": attr_s("STATE#" + item["pk"]["S"].removeprefix("COMPLETION#"))})
    return state, bytes(item["sealed_code"]["B"]), int(item["expires_at"]["N"])


def status_update(status: Status, reason: str | None, message: str | None) -> tuple[str, dict[str, Any]]:
    """The UpdateExpression of a status change, and the values of its reason and message."""
    sets = ["#s = :st", "updated_at = :now"]
    values: dict[str, Any] = {}
    removes = []
    for name, value in (("status_reason", reason), ("status_message", message)):
        if value:
            sets.append(f"{name} = :{name}")
            values[f":{name}"] = attr_s(value)
        else:
            removes.append(name)
    if status is not Status.ACTIVE:
        removes += ["idle_pk", "refresh_pk", "next_attempt_at"]
    return "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else ""), values


def refreshed_fields(c: Connection, idle_seconds: int) -> dict[str, Any]:
    """The attributes a token write sets (None: removed), and the refresh-queue keys they imply."""
    return {
        "tokens": {"B": c.tokens},
        "token_version": attr_n(c.token_version),
        "has_refresh_token": {"BOOL": c.has_refresh_token},
        "metadata": attr_str_map(c.metadata),
        "updated_at": attr_s(c.updated_at or now_iso()),
        "token_expires_at": attr_n(c.token_expires_at) if c.token_expires_at is not None else None,
        "scopes": attr_s(c.scopes) if c.scopes else None,
        "last_refreshed_at": attr_n(c.last_refreshed_at) if c.last_refreshed_at is not None else None,
        "refresh_pk": attr_s(REFRESH_QUEUE_PARTITION) if in_refresh_queue(c) else None,
        "next_attempt_at": (
            attr_n(c.last_refreshed_at + idle_seconds)
            if in_refresh_queue(c) and c.last_refreshed_at is not None
            else None
        ),
    }
