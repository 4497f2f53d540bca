"""DynamoDB access: connection records and OAuth state items. Only this module talks to DynamoDB.

One table. Connection records are keyed ``pk = ORG#<org>``, ``sk = CONN#<provider>``,
so listing an org is one Query and no org can address another org's items.
State items are keyed by the SHA-256 of the state value (``pk = STATE#<hash>``);
the state itself is never stored.

The low-level client is used with explicit attribute maps: it is cheaper to import
and to run than the resource API, and it keeps every stored attribute visible here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from byoc import aws
from byoc.errors import ConcurrentUpdate, InvalidState

STATUSES = ("pending_setup", "active", "error")
# Records written before ``status`` existed read as active (the plan's default).
DEFAULT_STATUS = "active"
IDLE_PARTITION = "oauth"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _str_map(values: dict[str, str]) -> dict[str, Any]:
    return {"M": {k: _s(v) for k, v in values.items()}}


def _read_map(item: dict[str, Any], name: str) -> dict[str, str]:
    raw = item.get(name, {}).get("M", {})
    return {k: v["S"] for k, v in raw.items() if "S" in v}


def _opt_s(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value["S"] if value and "S" in value else None


def _opt_n(item: dict[str, Any], name: str) -> int | None:
    value = item.get(name)
    return int(value["N"]) if value and "N" in value else None


def _opt_b(item: dict[str, Any], name: str) -> bytes | None:
    value = item.get(name)
    return bytes(value["B"]) if value and "B" in value else None


def connection_key(org_id: str, provider: str) -> dict[str, Any]:
    return {"pk": _s(f"ORG#{org_id}"), "sk": _s(f"CONN#{provider}")}


def now_iso(now: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))


@dataclass(frozen=True, slots=True)
class Connection:
    """One org's connection to one provider. ``secrets`` and ``tokens`` are sealed bytes."""

    org_id: str
    provider: str
    status: str
    credentials_id: str
    client_id: str | None = None
    config: dict[str, str] = field(default_factory=dict)
    secrets: bytes | None = None
    tokens: bytes | None = None
    token_version: int = 0
    token_expires_at: int | None = None
    has_refresh_token: bool = False
    scopes: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    status_reason: str | None = None
    status_message: str | None = None
    created_at: str = ""
    updated_at: str = ""
    last_refreshed_at: int | None = None
    lease_until: int | None = None

    def to_item(self) -> dict[str, Any]:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        item: dict[str, Any] = {
            **connection_key(self.org_id, self.provider),
            "org_id": _s(self.org_id),
            "provider": _s(self.provider),
            "status": _s(self.status),
            "credentials_id": _s(self.credentials_id),
            "config": _str_map(self.config),
            "metadata": _str_map(self.metadata),
            "token_version": _n(self.token_version),
            "has_refresh_token": {"BOOL": self.has_refresh_token},
            "created_at": _s(self.created_at),
            "updated_at": _s(self.updated_at),
        }
        optional: dict[str, dict[str, Any] | None] = {
            "client_id": _s(self.client_id) if self.client_id else None,
            "secrets": {"B": self.secrets} if self.secrets else None,
            "tokens": {"B": self.tokens} if self.tokens else None,
            "token_expires_at": _n(self.token_expires_at) if self.token_expires_at is not None else None,
            "scopes": _s(self.scopes) if self.scopes else None,
            "status_reason": _s(self.status_reason) if self.status_reason else None,
            "status_message": _s(self.status_message) if self.status_message else None,
            "last_refreshed_at": _n(self.last_refreshed_at) if self.last_refreshed_at is not None else None,
        }
        item.update({k: v for k, v in optional.items() if v is not None})
        if self.status == "active" and self.has_refresh_token and self.last_refreshed_at is not None:
            item["idle_pk"] = _s(IDLE_PARTITION)
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Connection:
        return cls(
            org_id=item["org_id"]["S"],
            provider=item["provider"]["S"],
            status=_opt_s(item, "status") or DEFAULT_STATUS,
            credentials_id=_opt_s(item, "credentials_id") or "",
            client_id=_opt_s(item, "client_id"),
            config=_read_map(item, "config"),
            secrets=_opt_b(item, "secrets"),
            tokens=_opt_b(item, "tokens"),
            token_version=_opt_n(item, "token_version") or 0,
            token_expires_at=_opt_n(item, "token_expires_at"),
            has_refresh_token=bool(item.get("has_refresh_token", {}).get("BOOL", False)),
            scopes=_opt_s(item, "scopes"),
            metadata=_read_map(item, "metadata"),
            status_reason=_opt_s(item, "status_reason"),
            status_message=_opt_s(item, "status_message"),
            created_at=_opt_s(item, "created_at") or "",
            updated_at=_opt_s(item, "updated_at") or "",
            last_refreshed_at=_opt_n(item, "last_refreshed_at"),
            lease_until=_opt_n(item, "lease_until"),
        )

    def with_status(self, status: str, reason: str | None = None, message: str | None = None) -> Connection:
        return replace(
            self, status=status, status_reason=reason, status_message=message, updated_at=now_iso()
        )


@dataclass(frozen=True, slots=True)
class OAuthState:
    """What the callback needs, saved at start under the hash of the state value."""

    state_hash: str
    org_id: str
    user_id: str
    provider: str
    redirect_uri: str
    token_url: str
    credentials_id: str
    return_to: str
    expires_at: int
    code_verifier: str | None = None
    issuer: str | None = None
    binding_hash: str | None = None

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "pk": _s(f"STATE#{self.state_hash}"),
            "sk": _s("STATE"),
            "org_id": _s(self.org_id),
            "user_id": _s(self.user_id),
            "provider": _s(self.provider),
            "redirect_uri": _s(self.redirect_uri),
            "token_url": _s(self.token_url),
            "credentials_id": _s(self.credentials_id),
            "return_to": _s(self.return_to),
            "expires_at": _n(self.expires_at),
            # DynamoDB TTL removes the item some time after expiry; the callback's
            # condition checks expires_at itself, since TTL deletion is late.
            "ttl": _n(self.expires_at),
        }
        for name in ("code_verifier", "issuer", "binding_hash"):
            value = getattr(self, name)
            if value:
                item[name] = _s(value)
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> OAuthState:
        return cls(
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
        )


def _conditional_failed(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    return isinstance(response, dict) and response.get("Error", {}).get("Code") == (
        "ConditionalCheckFailedException"
    )


class Store:
    """Connection records and state items in one DynamoDB table."""

    def __init__(self, table_name: str, client: Any = None):
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("dynamodb")
        return self._client

    # Connections -------------------------------------------------------------------

    def list_connections(self, org_id: str) -> list[Connection]:
        """All of one org's connections: one Query (more pages only past 1 MB)."""
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :conn)",
            "ExpressionAttributeValues": {":pk": _s(f"ORG#{org_id}"), ":conn": _s("CONN#")},
            "ProjectionExpression": "org_id, provider, #s, status_reason, status_message, client_id, "
            "updated_at, created_at, credentials_id, token_expires_at",
            "ExpressionAttributeNames": {"#s": "status"},
        }
        connections: list[Connection] = []
        while True:
            answer = self.client.query(**params)
            connections.extend(Connection.from_item(item) for item in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return connections
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def get_connection(self, org_id: str, provider: str) -> Connection | None:
        answer = self.client.get_item(
            TableName=self.table_name, Key=connection_key(org_id, provider), ConsistentRead=True
        )
        item = answer.get("Item")
        return Connection.from_item(item) if item else None

    def put_connection(self, connection: Connection, *, expected_credentials_id: str | None) -> None:
        """Create or replace a record; replacing requires the record to be the one we read."""
        if expected_credentials_id is None:
            condition = "attribute_not_exists(pk)"
            values = None
        else:
            condition = "credentials_id = :cid"
            values = {":cid": _s(expected_credentials_id)}
        self._put(connection.to_item(), condition, values)

    def replace_connection(
        self, connection: Connection, *, expected_token_version: int, expected_credentials_id: str
    ) -> None:
        """Write tokens (callback, refresh): only over the record version we read."""
        self._put(
            connection.to_item(),
            "credentials_id = :cid AND token_version = :tv",
            {":cid": _s(expected_credentials_id), ":tv": _n(expected_token_version)},
        )

    def _put(self, item: dict[str, Any], condition: str, values: dict[str, Any] | None) -> None:
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": item,
            "ConditionExpression": condition,
        }
        if values:
            params["ExpressionAttributeValues"] = values
        try:
            self.client.put_item(**params)
        except Exception as exc:
            if _conditional_failed(exc):
                raise ConcurrentUpdate() from None
            raise

    def set_status(
        self,
        org_id: str,
        provider: str,
        status: str,
        *,
        reason: str | None,
        message: str | None,
        expected_credentials_id: str,
        unless_active: bool = False,
    ) -> bool:
        """Change only the status fields. Returns False when the condition did not hold."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        condition = "credentials_id = :cid"
        if unless_active:
            condition += " AND (attribute_not_exists(#s) OR #s <> :active)"
        names = {"#s": "status"}
        values: dict[str, Any] = {
            ":cid": _s(expected_credentials_id),
            ":st": _s(status),
            ":now": _s(now_iso()),
        }
        if unless_active:
            values[":active"] = _s("active")
        sets = ["#s = :st", "updated_at = :now"]
        removes = []
        for name, value in (("status_reason", reason), ("status_message", message)):
            if value:
                sets.append(f"{name} = :{name}")
                values[f":{name}"] = _s(value)
            else:
                removes.append(name)
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        if status != "active":
            expression += (", " if removes else " REMOVE ") + "idle_pk"
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=connection_key(org_id, provider),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except Exception as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def delete_connection(self, org_id: str, provider: str) -> Connection | None:
        answer = self.client.delete_item(
            TableName=self.table_name, Key=connection_key(org_id, provider), ReturnValues="ALL_OLD"
        )
        item = answer.get("Attributes")
        return Connection.from_item(item) if item else None

    # OAuth state -------------------------------------------------------------------

    def put_state(self, state: OAuthState) -> None:
        self.client.put_item(
            TableName=self.table_name, Item=state.to_item(), ConditionExpression="attribute_not_exists(pk)"
        )

    def consume_state(self, state_hash: str, provider: str, now: int | None = None) -> OAuthState:
        """Delete the state item if it exists, has not expired and belongs to ``provider``.

        One conditional DeleteItem: of concurrent callbacks with one state, exactly
        one gets the item back; the others, and any late or foreign one, get InvalidState.
        """
        now = int(time.time()) if now is None else now
        try:
            answer = self.client.delete_item(
                TableName=self.table_name,
                Key={"pk": _s(f"STATE#{state_hash}"), "sk": _s("STATE")},
                ConditionExpression="attribute_exists(pk) AND expires_at > :now AND provider = :p",
                ExpressionAttributeValues={":now": _n(now), ":p": _s(provider)},
                ReturnValues="ALL_OLD",
            )
        except Exception as exc:
            if _conditional_failed(exc):
                raise InvalidState() from None
            raise
        return OAuthState.from_item(answer["Attributes"])

    # Refresh lease, idle connections, dropped tokens -------------------------------------

    def take_lease(self, connection: Connection, *, owner: str, until: int, now: int) -> bool:
        """Take the connection's refresh lease: one conditional UpdateItem.

        Holds only when no live lease exists, the record is active and it is still the
        version that was read (same credentials, same ``token_version``). Of concurrent
        callers across all containers, at most one gets True; the others re-read.
        """
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=connection_key(connection.org_id, connection.provider),
                UpdateExpression="SET lease_until = :until, lease_owner = :owner",
                ConditionExpression="credentials_id = :cid AND token_version = :tv AND #s = :active "
                "AND (attribute_not_exists(lease_until) OR lease_until <= :now)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":until": _n(until),
                    ":owner": _s(owner),
                    ":cid": _s(connection.credentials_id),
                    ":tv": _n(connection.token_version),
                    ":active": _s("active"),
                    ":now": _n(now),
                },
            )
        except Exception as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def write_refreshed(self, connection: Connection, *, expected_token_version: int) -> None:
        """Write a refresh's result: one UpdateItem of the token fields that also ends the lease.

        Only over the version read (same credentials, ``expected_token_version``, still
        active); anything else raises ConcurrentUpdate. Other attributes are left as they are.
        """
        sets = {
            "tokens": {"B": connection.tokens},
            "token_version": _n(connection.token_version),
            "has_refresh_token": {"BOOL": connection.has_refresh_token},
            "metadata": _str_map(connection.metadata),
            "updated_at": _s(connection.updated_at or now_iso()),
            "token_expires_at": (
                _n(connection.token_expires_at) if connection.token_expires_at is not None else None
            ),
            "scopes": _s(connection.scopes) if connection.scopes else None,
            "last_refreshed_at": (
                _n(connection.last_refreshed_at) if connection.last_refreshed_at is not None else None
            ),
            "idle_pk": _s(IDLE_PARTITION) if connection.to_item().get("idle_pk") else None,
        }
        values = {f":{k}": v for k, v in sets.items() if v is not None}
        removes = ["lease_until", "lease_owner"] + [k for k, v in sets.items() if v is None]
        expression = "SET " + ", ".join(f"{k} = :{k}" for k, v in sets.items() if v is not None)
        values.update(
            {
                ":cid": _s(connection.credentials_id),
                ":expected": _n(expected_token_version),
                ":active": _s("active"),
            }
        )
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=connection_key(connection.org_id, connection.provider),
                UpdateExpression=expression + " REMOVE " + ", ".join(removes),
                ConditionExpression="credentials_id = :cid AND token_version = :expected AND #s = :active",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
            )
        except Exception as exc:
            if _conditional_failed(exc):
                raise ConcurrentUpdate() from None
            raise

    def release_lease(self, org_id: str, provider: str, *, owner: str) -> None:
        """Give the lease back early (a failed refresh), only if it is still ours."""
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=connection_key(org_id, provider),
                UpdateExpression="REMOVE lease_until, lease_owner",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues={":owner": _s(owner)},
            )
        except Exception as exc:
            if not _conditional_failed(exc):
                raise

    def fail_connection(self, connection: Connection, *, reason: str) -> bool:
        """``status = error`` with ``reason`` over the version read; the lease and idle entry go too.

        Returns False when the record changed meanwhile (reconnected, saved again, deleted).
        """
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=connection_key(connection.org_id, connection.provider),
                UpdateExpression="SET #s = :error, status_reason = :reason, updated_at = :now "
                "REMOVE status_message, idle_pk, lease_until, lease_owner",
                ConditionExpression="credentials_id = :cid AND token_version = :tv AND #s = :active",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":error": _s("error"),
                    ":reason": _s(reason),
                    ":now": _s(now_iso()),
                    ":cid": _s(connection.credentials_id),
                    ":tv": _n(connection.token_version),
                    ":active": _s("active"),
                },
            )
        except Exception as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def list_idle(self, refreshed_before: int, limit: int) -> list[tuple[str, str]]:
        """(org_id, provider) of active connections with a refresh token last refreshed before
        ``refreshed_before``, oldest first, at most ``limit``: one Query of the sparse IdleIndex."""
        answer = self.client.query(
            TableName=self.table_name,
            IndexName="IdleIndex",
            KeyConditionExpression="idle_pk = :p AND last_refreshed_at < :before",
            ExpressionAttributeValues={":p": _s(IDLE_PARTITION), ":before": _n(refreshed_before)},
            ScanIndexForward=True,
            Limit=limit,
        )
        found = []
        for item in answer.get("Items", []):
            pk, sk = item["pk"]["S"], item["sk"]["S"]
            if pk.startswith("ORG#") and sk.startswith("CONN#"):
                found.append((pk.removeprefix("ORG#"), sk.removeprefix("CONN#")))
        return found

    def drop_tokens(self, org_id: str, provider: str) -> Connection | None:
        """Forget a connection's tokens but keep its credentials: back to ``pending_setup``.

        One UpdateItem returning the record as it was (to revoke its tokens), or None when
        there is no record. ``token_version`` moves on, so a refresh in flight cannot write.
        """
        try:
            answer = self.client.update_item(
                TableName=self.table_name,
                Key=connection_key(org_id, provider),
                UpdateExpression="SET #s = :pending, has_refresh_token = :false, metadata = :empty, "
                "updated_at = :now, token_version = token_version + :one "
                "REMOVE tokens, token_expires_at, scopes, status_reason, status_message, "
                "last_refreshed_at, idle_pk, lease_until, lease_owner",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":pending": _s("pending_setup"),
                    ":false": {"BOOL": False},
                    ":empty": {"M": {}},
                    ":now": _s(now_iso()),
                    ":one": _n(1),
                },
                ReturnValues="ALL_OLD",
            )
        except Exception as exc:
            if _conditional_failed(exc):
                return None
            raise
        return Connection.from_item(answer["Attributes"])
