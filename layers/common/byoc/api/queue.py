"""The SQS edge: a queue-triggered function's records in, its partial batch failures out.

``sqs_handler`` runs each record under the invocation's deadline and the logging
context; a record whose work is not done (the handler answers False, or anything
raises) is reported in ``batchItemFailures`` so SQS delivers it again later (and,
after the queue's ``maxReceiveCount``, moves it to the dead-letter queue). The
function itself never raises: one bad record never fails its neighbours.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from byoc import deadline
from byoc.api.http import as_known_error
from byoc.errors import InvalidRequest
from byoc.observability import logger

RecordHandler = Callable[[dict[str, Any]], bool]


def sqs_handler(handler: RecordHandler) -> Callable[[Any, Any], dict[str, Any]]:
    """Wrap a per-message handler (the parsed JSON body -> done?) as a batch handler."""

    @wraps(handler)
    def wrapper(event: Any, context: Any) -> dict[str, Any]:
        logger.set_correlation_id(getattr(context, "aws_request_id", None))
        failures = []
        with deadline.invocation(context):
            for record in (event or {}).get("Records") or []:
                message_id = str(record.get("messageId", ""))
                if not _handled(handler, record):
                    failures.append({"itemIdentifier": message_id})
        return {"batchItemFailures": failures}

    return wrapper


def _handled(handler: RecordHandler, record: dict[str, Any]) -> bool:
    try:
        try:
            body = json.loads(str(record.get("body", "")))
        except ValueError:
            raise InvalidRequest("The message is not JSON.") from None
        return handler(body if isinstance(body, dict) else {})
    except InvalidRequest:
        logger.error("message dropped", extra={"error_code": InvalidRequest.code})
        return True  # a malformed message never becomes valid: retrying it is pointless
    except Exception as exc:
        error = as_known_error(exc)
        logger.warning("message failed", extra={"error_code": error.code, "error_type": type(exc).__name__})
        return False
