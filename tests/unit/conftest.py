"""Unit-level fixtures: the in-process API of the integration tests (for the AWS call budget).

``api`` and ``provider_mock`` are the integration fixtures: the real handlers, moto for
DynamoDB, KMS and EventBridge, a recording ``httpx.MockTransport`` for every provider.
"""

from tests.integration.conftest import api, provider_mock  # noqa: F401 (fixtures)
