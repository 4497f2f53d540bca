"""The one Logger of the process, with a redacting filter as a safety net, and quiet libraries.

The code never logs secrets on purpose (no events, no bodies, no tokens); the
filter below is the second line: any log record field whose name looks like a
secret is replaced before it is written, and URLs lose their query strings.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aws_lambda_powertools import Logger

SECRET_KEYS = re.compile(
    r"(secret|token|password|passwd|authorization|cookie|code|state|verifier|api_key|apikey|assertion)",
    re.IGNORECASE,
)
_QUERY = re.compile(r"(https?://[^\s?#]+)\?[^\s#]*")
REDACTED = "[redacted]"


def redact(value: Any, key: str = "") -> Any:
    """Redact secret-looking keys at any depth, and query strings in text."""
    if key and SECRET_KEYS.search(key) and key not in _ALLOWED_KEYS:
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _QUERY.sub(r"\1?[redacted]", value)
    return value


# Keys that match the pattern but hold stable, non-secret codes.
_ALLOWED_KEYS = frozenset({"error_code", "status_code", "reason_code", "code_path", "status_reason"})


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in list(record.__dict__.items()):
            if name in _STANDARD_ATTRS:
                continue
            record.__dict__[name] = redact(value, name)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

# Libraries whose DEBUG (and httpx's INFO) lines carry what we never log: botocore prints KMS
# answers (data-key plaintext) and item bodies, httpx and httpcore print URLs and headers.
# Pinned to WARNING whatever the root level (AWS_LAMBDA_LOG_LEVEL=DEBUG sets the root logger's).
QUIET_LIBRARIES = ("botocore", "boto3", "urllib3", "httpx", "httpcore", "s3transfer")
for _name in QUIET_LIBRARIES:
    logging.getLogger(_name).setLevel(logging.WARNING)

logger = Logger(service="byoc")
logger.addFilter(RedactingFilter())
