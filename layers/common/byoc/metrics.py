"""Operator metrics as CloudWatch Embedded Metric Format (EMF), through Powertools Metrics.

Each call prints one EMF line to stdout at once (Lambda sends it to CloudWatch
Logs, which turns it into metrics: no API call, no latency). Every value goes to
two dimension sets of the ``Byoc`` namespace (``POWERTOOLS_METRICS_NAMESPACE``):

* the aggregate, ``[service]`` only (Powertools always adds ``service``): what the
  alarms watch, since an alarm on a dimensioned EMF metric sees no data unless it
  names every dimension value;
* the detail, ``[service, provider]`` or ``[service, provider, reason]``: what an
  operator breaks a problem down by.

A Metrics Insights query without ``GROUP BY`` or ``SCHEMA`` (the template's
``SELECT SUM(RefreshFailed) FROM Byoc``) adds both sets up, so it counts each event
twice; ``FROM SCHEMA(Byoc, service)`` reads the aggregate alone.

Dimension values are provider ids and stable reason codes (few, never user data).
Nothing is created at import; a metric that cannot be written is logged and
dropped, never failing the request.
"""

from __future__ import annotations

import os
from typing import Any

from byoc.observability import logger

DEFAULT_NAMESPACE = "Byoc"
DEFAULT_SERVICE = "byoc"

CREDENTIALS_SAVED = "CredentialsSaved"
CONNECTION_ACTIVATED = "ConnectionActivated"
EXCHANGE_FAILED = "ExchangeFailed"
REFRESH_FAILED = "RefreshFailed"
REFRESH_LATENCY = "RefreshLatency"


def emit(name: str, value: float, unit: str, **dimensions: str) -> None:
    """Print one EMF record: ``name`` in the aggregate set and in ``[service, *dimensions]``."""
    try:
        _metrics(name, value, unit, dimensions).flush_metrics(raise_on_empty_metrics=True)
    except Exception as exc:  # metrics are best effort
        logger.warning("metric not written", extra={"metric": name, "error_type": type(exc).__name__})


def _metrics(name: str, value: float, unit: str, dimensions: dict[str, str]) -> Any:
    # Imported on first use: a function that emits no metric never pays for the import.
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
        AmazonCloudWatchEMFProvider,
    )

    service = os.environ.get("POWERTOOLS_SERVICE_NAME", "").strip() or DEFAULT_SERVICE
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "").strip() or DEFAULT_NAMESPACE
    # A provider of its own per record: Powertools' shared Metrics state is not safe to
    # fill from several threads, and one record's dimensions must not leak into the next.
    metrics = Metrics(provider=AmazonCloudWatchEMFProvider(namespace=namespace, service=service))
    metrics.add_metric(name=name, unit=unit, value=value)
    detail = {k: v for k, v in dimensions.items() if v}
    if detail:
        metrics.add_dimensions(service=service, **detail)
    return metrics


def credentials_saved(provider: str) -> None:
    emit(CREDENTIALS_SAVED, 1, "Count", provider=provider)


def connection_activated(provider: str) -> None:
    emit(CONNECTION_ACTIVATED, 1, "Count", provider=provider)


def exchange_failed(provider: str, reason: str) -> None:
    emit(EXCHANGE_FAILED, 1, "Count", provider=provider, reason=reason)


def refresh_failed(provider: str, reason: str) -> None:
    emit(REFRESH_FAILED, 1, "Count", provider=provider, reason=reason)


def refresh_latency(provider: str, milliseconds: float) -> None:
    emit(REFRESH_LATENCY, round(milliseconds, 1), "Milliseconds", provider=provider)


def invoke_error(function: str, code: str) -> None:
    """An IAM-invoked function answered an error of ours (not one of its documented refusals)."""
    emit("InvokeErrors", 1, "Count", function=function, error_code=code)
