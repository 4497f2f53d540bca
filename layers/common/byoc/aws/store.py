"""DynamoDB access: connection records and OAuth state items. Only this module talks to DynamoDB.
The records themselves are ``byoc.model``'s; this module only maps them to items and back.

One table. Connection records are keyed ``pk = ORG#<org>``, ``sk = CONN#<provider>``,
so listing an org is one Query and no org can address another org's items.
State items are keyed by the SHA-256 of the state value (``pk = STATE#<hash>``);
the state itself is never stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from byoc.aws import clients
from byoc.aws.items import (
    DEFAULT_IDLE_SECONDS,
    IDLE_PARTITION,
    REFRESH_QUEUE_PARTITION,
    attr_n,
    attr_s,
    completion_from_item,
    completion_item,
    completion_key,
    connection_from_item,
    connection_item,
    connection_key,
    listed_from_item,
    refreshed_fields,
    revocation_from_item,
    revocation_item,
    revocation_key,
    state_from_item,
    state_item,
    status_update,
)
from byoc.errors import ConcurrentUpdate, InvalidState
from byoc.model import Connection, ListedConnection, OAuthState, Status, now_iso, reason_message


def _conditional_failed(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    return isinstance(response, dict) and response.get("Error", {}).get("Code") == (
        "ConditionalCheckFailedException"
    )


def _conditional(call: Callable[..., Any], **params: Any) -> Any | None:
    """Run one conditional DynamoDB call: its answer, or None when the condition did not hold."""
    try:
        return call(**params)
    except Exception as exc:
        if _conditional_failed(exc):
            return None
        raise


class Store:
    """Connection records and state items in one DynamoDB table."""

    def __init__(self, table_name: str, client: Any = None, *, idle_seconds: int = DEFAULT_IDLE_SECONDS):
        self.table_name = table_name
        self._client = client
        # A record comes due for idle refresh this long after its token was obtained.
        self.idle_seconds = idle_seconds

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = clients.client("dynamodb")
        return self._client

    def _update(self, org_id: str, provider: str, **params: Any) -> Any | None:
        """One conditional UpdateItem of a connection: its answer, or None when the condition failed."""
        return _conditional(
            self.client.update_item, TableName=self.table_name, Key=connection_key(org_id, provider), **params
        )

    # Connections -------------------------------------------------------------------

    def list_connections(self, org_id: str) -> list[ListedConnection]:
        """All of one org's connections: one Query (more pages only past 1 MB)."""
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :conn)",
            "ExpressionAttributeValues": {":pk": attr_s(f"ORG#{org_id}"), ":conn": attr_s("CONN#")},
            "ProjectionExpression": _LISTED,
            "ExpressionAttributeNames": {"#s": "status"},
        }
        connections: list[ListedConnection] = []
        while True:
            answer = self.client.query(**params)
            connections.extend(listed_from_item(item) for item in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return connections
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def get_connection(self, org_id: str, provider: str) -> Connection | None:
        answer = self.client.get_item(
            TableName=self.table_name, Key=connection_key(org_id, provider), ConsistentRead=True
        )
        item = answer.get("Item")
        return connection_from_item(item) if item else None

    def put_connection(self, connection: Connection, *, expected_credentials_id: str | None) -> None:
        """Create or replace a record; replacing requires the record to be the one we read."""
        if expected_credentials_id is None:
            self._put(connection_item(connection, self.idle_seconds), "attribute_not_exists(pk)", None)
        else:
            self._put(
                connection_item(connection, self.idle_seconds),
                "credentials_id = :cid",
                {":cid": attr_s(expected_credentials_id)},
            )

    def replace_connection(
        self, connection: Connection, *, expected_token_version: int, expected_credentials_id: str
    ) -> None:
        """Write tokens (callback, refresh): only over the record version we read."""
        self._put(
            connection_item(connection, self.idle_seconds),
            "credentials_id = :cid AND token_version = :tv",
            {":cid": attr_s(expected_credentials_id), ":tv": attr_n(expected_token_version)},
        )

    def _put(self, item: dict[str, Any], condition: str, values: dict[str, Any] | None) -> None:
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": item,
            "ConditionExpression": condition,
        }
        if values:
            params["ExpressionAttributeValues"] = values
        if _conditional(self.client.put_item, **params) is None:
            raise ConcurrentUpdate()

    def set_status(
        self,
        org_id: str,
        provider: str,
        status: Status,
        *,
        reason: str | None,
        message: str | None,
        expected_credentials_id: str,
        unless_active: bool = False,
    ) -> bool:
        """Change only the status fields. Returns False when the condition did not hold."""
        condition = "credentials_id = :cid"
        values: dict[str, Any] = {
            ":cid": attr_s(expected_credentials_id),
            ":st": attr_s(Status(status).value),
            ":now": attr_s(now_iso()),
        }
        if unless_active:
            condition += " AND (attribute_not_exists(#s) OR #s <> :active)"
            values[":active"] = attr_s(Status.ACTIVE.value)
        expression, reason_values = status_update(status, reason, message)
        values.update(reason_values)
        answer = self._update(
            org_id,
            provider,
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )
        return answer is not None

    def delete_connection(self, org_id: str, provider: str) -> Connection | None:
        answer = self.client.delete_item(
            TableName=self.table_name, Key=connection_key(org_id, provider), ReturnValues="ALL_OLD"
        )
        item = answer.get("Attributes")
        return connection_from_item(item) if item else None

    # OAuth state -------------------------------------------------------------------

    def put_state(self, state: OAuthState) -> None:
        self.client.put_item(
            TableName=self.table_name, Item=state_item(state), ConditionExpression="attribute_not_exists(pk)"
        )

    def consume_state(self, state_hash: str, provider: str, now: int | None = None) -> OAuthState:
        """Delete the state item if it exists, has not expired and belongs to ``provider``.

        One conditional DeleteItem: of concurrent callbacks with one state, exactly
        one gets the item back; the others, and any late or foreign one, get InvalidState.
        """
        answer = _conditional(
            self.client.delete_item,
            TableName=self.table_name,
            Key={"pk": attr_s(f"STATE#{state_hash}"), "sk": attr_s("STATE")},
            ConditionExpression="attribute_exists(pk) AND expires_at > :now AND provider = :p",
            ExpressionAttributeValues={
                ":now": attr_n(int(time.time()) if now is None else now),
                ":p": attr_s(provider),
            },
            ReturnValues="ALL_OLD",
        )
        if answer is None:
            raise InvalidState()
        return state_from_item(answer["Attributes"])

    # Parked codes (byoc.usecases.completion) ------------------------------------------

    def put_completion(self, state: OAuthState, handle_hash: str, sealed: bytes, expires_at: int) -> None:
        self.client.put_item(
            TableName=self.table_name, Item=completion_item(state, handle_hash, sealed, expires_at)
        )

    def get_completion(self, handle_hash: str, now: int) -> tuple[OAuthState, bytes] | None:
        answer = self.client.get_item(
            TableName=self.table_name, Key=completion_key(handle_hash), ConsistentRead=True
        )
        item = answer.get("Item")
        if not item:
            return None
        state, sealed, expires_at = completion_from_item(item)
        return (state, sealed) if expires_at > now else None  # TTL deletes late

    def consume_completion(self, handle_hash: str, org_id: str, user_id: str, now: int) -> bool:
        """One conditional DeleteItem (owner, unexpired): of concurrent completions, exactly one wins."""
        answer = _conditional(
            self.client.delete_item,
            TableName=self.table_name,
            Key=completion_key(handle_hash),
            ConditionExpression="attribute_exists(pk) AND expires_at > :now AND org_id = :o AND user_id = :u",
            ExpressionAttributeValues={":now": attr_n(now), ":o": attr_s(org_id), ":u": attr_s(user_id)},
        )
        return answer is not None

    # Refresh lease, idle connections, dropped tokens -------------------------------------

    def take_lease(self, connection: Connection, *, owner: str, until: int, now: int) -> bool:
        """Take the connection's refresh lease: one conditional UpdateItem.

        Holds only when no live lease exists, the record is active and it is still the
        version that was read (same credentials, same ``token_version``). Of concurrent
        callers across all containers, at most one gets True; the others re-read.
        """
        answer = self._update(
            connection.org_id,
            connection.provider,
            UpdateExpression="SET lease_until = :until, lease_owner = :owner",
            ConditionExpression=_SAME_ACTIVE_VERSION
            + " AND (attribute_not_exists(lease_until) OR lease_until <= :now)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":until": attr_n(until),
                ":owner": attr_s(owner),
                ":now": attr_n(now),
                **_version_values(connection, connection.token_version),
            },
        )
        return answer is not None

    def write_refreshed(
        self, connection: Connection, *, expected_token_version: int, metadata_found: bool = False
    ) -> None:
        """Write a refresh's result: one UpdateItem of the token fields that also ends the lease.

        Only over the version read (same credentials, ``expected_token_version``, still
        active); anything else raises ConcurrentUpdate. Other attributes are left as they are.
        ``metadata_found``: the record was ``error``/``metadata_unavailable`` and is now complete,
        so it becomes active (and the condition is that reason instead of active).
        """
        c = connection
        sets = refreshed_fields(c, self.idle_seconds)
        values = {f":{k}": v for k, v in sets.items() if v is not None}
        removes = ["lease_until", "lease_owner", "idle_pk", "refresh_failures"]
        removes += [k for k, v in sets.items() if v is None]
        expression = "SET " + ", ".join(f"{k} = :{k}" for k, v in sets.items() if v is not None)
        condition = _SAME_ACTIVE_VERSION
        if metadata_found:
            expression += ", #s = :active"
            removes += ["status_reason", "status_message"]
            condition = _SAME_VERSION_AWAITING_METADATA
            values[":awaiting"] = attr_s("metadata_unavailable")
        answer = self._update(
            c.org_id,
            c.provider,
            UpdateExpression=expression + " REMOVE " + ", ".join(removes),
            ConditionExpression=condition,
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={**values, **_version_values(c, expected_token_version)},
        )
        if answer is None:
            raise ConcurrentUpdate()

    def release_lease(self, org_id: str, provider: str, *, owner: str) -> None:
        """Give the lease back early (a failed refresh), only if it is still ours."""
        self._update(
            org_id,
            provider,
            UpdateExpression="REMOVE lease_until, lease_owner",
            ConditionExpression="lease_owner = :owner",
            ExpressionAttributeValues={":owner": attr_s(owner)},
        )

    def fail_connection(self, connection: Connection, *, reason: str) -> bool:
        """``status = error`` with ``reason`` over the version read; the lease and idle entry go too.

        Returns False when the record changed meanwhile (reconnected, saved again, deleted).
        """
        return self._update_unchanged(
            connection,
            "SET #s = :error, status_reason = :reason, status_message = :message, "
            "updated_at = :now REMOVE idle_pk, refresh_pk, next_attempt_at, lease_until, lease_owner",
            {
                ":error": attr_s(Status.ERROR.value),
                ":reason": attr_s(reason),
                ":message": attr_s(reason_message(reason) or reason),
                ":now": attr_s(now_iso()),
            },
        )

    def _update_unchanged(self, connection: Connection, expression: str, values: dict[str, Any]) -> bool:
        """One UpdateItem over the version read, while active; False when the record moved on."""
        answer = self._update(
            connection.org_id,
            connection.provider,
            UpdateExpression=expression,
            ConditionExpression=_SAME_ACTIVE_VERSION,
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={**values, **_version_values(connection, connection.token_version)},
        )
        return answer is not None

    def list_due(self, now: int, limit: int) -> list[tuple[str, str]]:
        """(org_id, provider) of connections whose next idle-refresh attempt is due, earliest first,
        at most ``limit``: one Query of the sparse RefreshQueueIndex."""
        return self._keys_of(
            IndexName="RefreshQueueIndex",
            KeyConditionExpression="refresh_pk = :p AND next_attempt_at <= :now",
            ExpressionAttributeValues={":p": attr_s(REFRESH_QUEUE_PARTITION), ":now": attr_n(now)},
            Limit=limit,
        )

    def list_idle_legacy(self, refreshed_before: int, limit: int) -> list[tuple[str, str]]:
        """Records of the previous release still in IdleIndex (nothing writes ``idle_pk`` now; each
        record leaves it at its next write, so this empties). Removed with IdleIndex next release."""
        return self._keys_of(
            IndexName="IdleIndex",
            KeyConditionExpression="idle_pk = :p AND last_refreshed_at < :before",
            ExpressionAttributeValues={":p": attr_s(IDLE_PARTITION), ":before": attr_n(refreshed_before)},
            Limit=limit,
        )

    def _keys_of(self, **query: Any) -> list[tuple[str, str]]:
        answer = self.client.query(TableName=self.table_name, ScanIndexForward=True, **query)
        found = []
        for item in answer.get("Items", []):
            pk, sk = item["pk"]["S"], item["sk"]["S"]
            if pk.startswith("ORG#") and sk.startswith("CONN#"):
                found.append((pk.removeprefix("ORG#"), sk.removeprefix("CONN#")))
        return found

    def defer_refresh(self, connection: Connection, *, until: int) -> bool:
        """Move a connection back in the refresh queue after a failure for now (backoff).

        Only over the version read and while active; the old IdleIndex entry goes too.
        """
        return self._update_unchanged(
            connection,
            "SET refresh_pk = :p, next_attempt_at = :until, refresh_failures = :failures REMOVE idle_pk",
            {
                ":p": attr_s(REFRESH_QUEUE_PARTITION),
                ":until": attr_n(until),
                ":failures": attr_n(connection.refresh_failures + 1),
            },
        )

    def drop_tokens(self, org_id: str, provider: str) -> Connection | None:
        """Forget a connection's tokens but keep its credentials: back to ``pending_setup``.

        One UpdateItem returning the record as it was (to revoke its tokens), or None when
        there is no record. ``token_version`` moves on, so a refresh in flight cannot write.
        """
        answer = self._update(
            org_id,
            provider,
            UpdateExpression="SET #s = :pending, has_refresh_token = :false, metadata = :empty, "
            "updated_at = :now, token_version = token_version + :one "
            "REMOVE tokens, token_expires_at, scopes, scopes_asked, status_reason, status_message, "
            "last_refreshed_at, idle_pk, refresh_pk, next_attempt_at, refresh_failures, lease_until, "
            "lease_owner",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":pending": attr_s(Status.PENDING_SETUP.value),
                ":false": {"BOOL": False},
                ":empty": {"M": {}},
                ":now": attr_s(now_iso()),
                ":one": attr_n(1),
            },
            ReturnValues="ALL_OLD",
        )
        return connection_from_item(answer["Attributes"]) if answer is not None else None

    # Revocations waiting (byoc.usecases.revocation) --------------------------------

    def put_revocation(self, connection: Connection, revocation_id: str, expires_at: int) -> None:
        self.client.put_item(
            TableName=self.table_name, Item=revocation_item(connection, revocation_id, expires_at)
        )

    def get_revocation(self, org_id: str, revocation_id: str) -> Connection | None:
        answer = self.client.get_item(
            TableName=self.table_name, Key=revocation_key(org_id, revocation_id), ConsistentRead=True
        )
        item = answer.get("Item")
        return revocation_from_item(item) if item else None

    def delete_revocation(self, org_id: str, revocation_id: str) -> None:
        self.client.delete_item(TableName=self.table_name, Key=revocation_key(org_id, revocation_id))


# What the list reads of each connection: never the sealed secrets or tokens.
_LISTED = (
    "provider, #s, status_reason, status_message, client_id, updated_at, "
    "config, scopes, scopes_asked, metadata"
)
# The record is still the version that was read, and still active.
_SAME_ACTIVE_VERSION = "credentials_id = :cid AND token_version = :tv AND #s = :active"
# The same version, connected but waiting for a required lookup (``:active`` is then the new status).
_SAME_VERSION_AWAITING_METADATA = (
    "credentials_id = :cid AND token_version = :tv AND status_reason = :awaiting"
)


def _version_values(connection: Connection, token_version: int) -> dict[str, Any]:
    return {
        ":cid": attr_s(connection.credentials_id),
        ":tv": attr_n(token_version),
        ":active": attr_s(Status.ACTIVE.value),
    }
