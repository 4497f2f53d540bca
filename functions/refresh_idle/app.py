"""Scheduled: refresh connections idle for IDLE_REFRESH_DAYS, at most IDLE_REFRESH_BATCH_SIZE per run.

Several providers expire a refresh token that goes unused for weeks; refreshing
idle grants keeps them alive. Each refresh takes the same lease as a token read;
a failure for now moves the connection back in the queue (byoc.usecases.idle).
"""

from typing import Any

from byoc import container
from byoc.api.invoke import invoke_handler
from byoc.observability import logger
from byoc.settings import get_settings
from byoc.usecases.idle import refresh_idle


@invoke_handler()
def lambda_handler(event: Any, context: Any) -> dict[str, int]:
    settings = get_settings()
    summary = refresh_idle(
        container.token_service(),
        idle_days=settings.idle_refresh_days,
        batch_size=settings.idle_refresh_batch_size,
        time_left_ms=context.get_remaining_time_in_millis,
    )
    logger.info("idle refresh done", extra=summary)
    return summary
