"""SQS consumer of the revocation queue: revoke the tokens a REVOKE#<id> item holds, then delete it.

Message body ``{"org_id", "provider", "revocation_id"}`` (ids only). A revocation
that cannot complete now is reported as a batch item failure, so SQS retries it and,
after five deliveries, moves it to the dead-letter queue (alarmed).
"""

from typing import Any

from byoc import container
from byoc.api.invoke import parse_revocation_message
from byoc.api.queue import sqs_handler


@sqs_handler
def lambda_handler(message: dict[str, Any]) -> bool:
    org_id, provider, revocation_id = parse_revocation_message(message)
    return container.revocations().revoke_waiting(org_id, provider, revocation_id)
