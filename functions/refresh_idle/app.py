"""Scheduled: refresh connections idle for IDLE_REFRESH_DAYS, at most IDLE_REFRESH_BATCH_SIZE per run.

Several providers expire a refresh token that goes unused for weeks; refreshing
idle grants keeps them alive. Each refresh takes the same lease as a token read.
"""

from typing import Any

from byoc import services, tokens
from byoc.observability import logger
from byoc.settings import get_settings


def lambda_handler(event: Any, context: Any) -> dict[str, int]:
    logger.set_correlation_id(getattr(context, "aws_request_id", None))
    idle_days, batch_size = tokens.idle_settings()
    service = tokens.TokenService.from_settings(get_settings(), services.outbound())
    summary = service.refresh_idle(
        idle_days=idle_days, batch_size=batch_size, time_left_ms=context.get_remaining_time_in_millis
    )
    logger.info("idle refresh done", extra=summary)
    return summary
