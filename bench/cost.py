"""The AWS bill of one request, from its recorded calls and us-east-1 list prices (check the pricing pages).

DynamoDB on-demand: a strongly consistent read is one read unit per 4 KB, an
eventually consistent one (our Query) half of that; a write (PutItem, DeleteItem,
UpdateItem) one write unit per 1 KB of the item. Item sizes are estimated from the
recorded items the way DynamoDB counts them (names plus values).
"""

from __future__ import annotations

import math
from typing import Any

from bench.recording import Call

PRICES_USD = {
    "dynamodb_read_unit": 0.125 / 1e6,
    "dynamodb_write_unit": 0.625 / 1e6,
    "kms_request": 0.03 / 1e4,
    "eventbridge_event": 1.00 / 1e6,
}
_WRITES = {"PutItem", "DeleteItem", "UpdateItem"}


def _value_bytes(value: dict[str, Any]) -> int:
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(str(inner).lstrip("-").replace(".", "")) // 2 + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_bytes(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + _value_bytes(v) for v in inner)
    return sum(len(str(v)) for v in inner)  # sets


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_bytes(value) for name, value in item.items())


def _dynamodb_units(call: Call) -> tuple[float, float]:
    """(read units, write units) of one DynamoDB call."""
    answer = call.response or {}
    if call.operation == "Query":
        size = sum(item_bytes(i) for i in answer.get("Items", []))
        return max(1, math.ceil(size / 4096)) * 0.5, 0.0
    if call.operation == "GetItem":
        size = item_bytes(answer.get("Item", {}))
        factor = 1.0 if call.params.get("ConsistentRead") else 0.5
        return max(1, math.ceil(size / 4096)) * factor, 0.0
    if call.operation in _WRITES:
        item = call.params.get("Item") or answer.get("Attributes") or {}
        return 0.0, float(max(1, math.ceil(item_bytes(item) / 1024)))
    return 0.0, 0.0


def request_cost(calls: list[Call]) -> dict[str, float]:
    """USD per request for the AWS calls alone (Lambda's own charges are in docs/performance.md)."""
    reads = writes = 0.0
    kms = events = 0
    for call in calls:
        if call.service == "dynamodb":
            r, w = _dynamodb_units(call)
            reads, writes = reads + r, writes + w
        elif call.service == "kms":
            kms += 1
        elif call.service == "events":
            events += sum(1 for _ in call.params.get("Entries", []))
    parts = {
        "dynamodb_read_units": reads,
        "dynamodb_write_units": writes,
        "kms_requests": kms,
        "eventbridge_events": events,
        "dynamodb_usd": reads * PRICES_USD["dynamodb_read_unit"] + writes * PRICES_USD["dynamodb_write_unit"],
        "kms_usd": kms * PRICES_USD["kms_request"],
        "eventbridge_usd": events * PRICES_USD["eventbridge_event"],
    }
    parts["aws_calls_usd_per_million_requests"] = round(
        (parts["dynamodb_usd"] + parts["kms_usd"] + parts["eventbridge_usd"]) * 1e6, 3
    )
    return parts
