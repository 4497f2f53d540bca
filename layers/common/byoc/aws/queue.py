"""The revocation queue (SQS): a message names a waiting revocation, never a token.

The message body is ``{"org_id", "provider", "revocation_id"}``; the tokens wait in
the table's ``REVOKE#<id>`` item, sealed as they were in the record. The consumer
(``functions/revoke_tokens``) reads the item, revokes and deletes it; after
``maxReceiveCount`` failed attempts SQS moves the message to the dead-letter queue,
which the stack alarms on.
"""

from __future__ import annotations

import json
from typing import Any

from byoc.aws import clients


class RevocationQueue:
    def __init__(self, queue_url: str, client: Any = None):
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = clients.client("sqs")
        return self._client

    def send(self, org_id: str, provider: str, revocation_id: str) -> None:
        body = {"org_id": org_id, "provider": provider, "revocation_id": revocation_id}
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(body, separators=(",", ":")))
