"""Serialize moto's DynamoDB backend: the local server and the concurrency tests (security.md, item 1).

moto's DynamoDB evaluates a condition and writes without holding a lock, so two
threads can both win one conditional write (about 1 race in 200). Real DynamoDB
applies each item write atomically. A concurrency test wraps moto's backend
methods in one lock standing for that per-item atomicity; our own code is never
locked. Works for in-process ``mock_aws`` and for a ``ThreadedMotoServer`` running
in this process (the dev server's).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

_METHODS = ("put_item", "get_item", "update_item", "delete_item", "query", "transact_write_items")


@contextmanager
def serialized_dynamodb() -> Iterator[None]:
    lock = threading.RLock()
    originals = {name: getattr(DynamoDBBackend, name) for name in _METHODS}

    def locked(method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return wrapper

    for name, method in originals.items():
        setattr(DynamoDBBackend, name, locked(method))
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(DynamoDBBackend, name, method)
