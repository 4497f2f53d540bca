"""What a failed AWS call means to the caller: try again (503) or fix the deployment (500).

botocore raises ``ClientError`` (the service answered with an error code) and
``BotoCoreError`` subclasses (no answer: timeouts, unreachable endpoints, missing
credentials). ``as_error`` turns either into a ``ByocError`` the edges already know
how to answer: ``ServiceUnavailable`` when the same call may work in a moment
(throttling, internal errors, transaction conflicts, timeouts), else
``ConfigurationError`` naming the resource kind (table, key, bus, queue) and what to
check. Nothing here imports botocore: exceptions are recognised by their module,
so the error path costs no import at cold start.
"""

from __future__ import annotations

from byoc.errors import ByocError, ConfigurationError, ServiceUnavailable

# Error codes after which the same request may succeed unchanged.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "LimitExceededException",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "TransactionConflictException",
        "TransactionInProgressException",
        "KMSInternalException",
        "DependencyTimeoutException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
# Which resource an operation uses, and what the deployer should check about it.
_RESOURCES = {
    "table": (
        frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "TransactWriteItems"}),
        "check that the table exists and the function's role may use it (TABLE_NAME).",
    ),
    "key": (
        frozenset({"Decrypt", "Encrypt", "GenerateDataKey"}),
        "check that the KMS key is enabled and the function's role may use it (KMS_KEY_ID).",
    ),
    "bus": (
        frozenset({"PutEvents"}),
        "check that the event bus exists and the function's role may put events (EVENT_BUS_NAME).",
    ),
    "queue": (
        frozenset({"SendMessage", "DeleteMessage", "ReceiveMessage"}),
        "check that the queue exists and the function's role may use it (REVOCATION_QUEUE_URL).",
    ),
}


def is_aws_fault(exc: BaseException) -> bool:
    """Whether ``exc`` came out of botocore (a service error, or no answer at all)."""
    return type(exc).__module__.split(".")[0] == "botocore"


def error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    code = (response.get("Error") or {}).get("Code")
    return str(code) if code else None


def resource_of(operation: str | None) -> tuple[str, str]:
    for kind, (operations, advice) in _RESOURCES.items():
        if operation in operations:
            return kind, advice
    return "AWS service", "check the function's role and the stack's settings."


def as_error(exc: BaseException) -> ByocError | None:
    """The ``ByocError`` an AWS fault stands for, or None when ``exc`` is not one."""
    if isinstance(exc, ByocError):
        return exc
    if not is_aws_fault(exc):
        return None
    code = error_code(exc)
    if code is None:  # no answer: timeouts, connection errors
        if type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError", "NoRegionError"):
            return ConfigurationError("The function has no AWS credentials or region: check its role.")
        return ServiceUnavailable()
    if code in RETRYABLE_CODES:
        return ServiceUnavailable()
    kind, advice = resource_of(getattr(exc, "operation_name", None))
    return ConfigurationError(
        f"The service cannot use its {kind} ({code}): {advice}", details={"resource": kind, "aws_code": code}
    )
