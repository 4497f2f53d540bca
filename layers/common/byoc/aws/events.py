"""Connection lifecycle events on the stack's EventBridge bus.

One ``PutEvents`` per status change. Publishing is best effort: a failure is
logged and never fails the user's request. Events carry ids, status and reason
codes: never a secret.
"""

from __future__ import annotations

import json
from typing import Any

from byoc.aws import clients
from byoc.model import EventType, now_iso
from byoc.observability import logger

SOURCE = "byoc.connections"


class EventPublisher:
    def __init__(self, bus_name: str, client: Any = None):
        self.bus_name = bus_name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = clients.client("events")
        return self._client

    def publish(
        self, kind: EventType, *, org_id: str, provider: str, status: str | None, reason: str | None = None
    ) -> bool:
        """Publish ``connection.<kind>``; returns whether EventBridge accepted it."""
        kind = EventType(kind)
        if not self.bus_name:
            return False
        detail = {
            "org_id": org_id,
            "provider": provider,
            "status": status,
            "reason": reason,
            "time": now_iso(),
        }
        try:
            answer = self.client.put_events(
                Entries=[
                    {
                        "Source": SOURCE,
                        "DetailType": f"connection.{kind.value}",
                        "Detail": json.dumps(detail),
                        "EventBusName": self.bus_name,
                    }
                ]
            )
        except Exception as exc:  # best effort by design
            logger.warning(
                "event not published", extra={"event_type": kind.value, "error_type": type(exc).__name__}
            )
            return False
        if answer.get("FailedEntryCount"):
            logger.warning(
                "event not published", extra={"event_type": kind.value, "error_type": "FailedEntry"}
            )
            return False
        return True
