"""POST /integrations sealing with Powertools' data masking and the AWS Encryption SDK (bench only).

The provider is made at import, as Powertools' documentation shows it (which
creates a KMS client during init). The Encryption SDK generates and caches its
own data keys, so ``new_data_key`` makes no call; each ``seal`` is one SDK
message (its default algorithm suite signs with ECDSA P-384). Everything else is
``CredentialService`` unchanged.
"""

import os
from dataclasses import replace
from typing import Any

from aws_lambda_powertools.utilities.data_masking import DataMasking
from aws_lambda_powertools.utilities.data_masking.provider.kms.aws_encryption_sdk import (
    AWSEncryptionSDKProvider,
)

from byoc import container
from byoc.api.auth import principal_from
from byoc.api.http import Request, api_handler, json_response
from byoc.api.validation import parse_save_body
from byoc.api.views import integration_view
from byoc.aws.crypto import Cipher, DataKey
from byoc.settings import get_settings

KMS_KEY_ARN = os.environ["KMS_KEY_ID"]
data_masker = DataMasking(provider=AWSEncryptionSDKProvider(keys=[KMS_KEY_ARN]))


class MaskingCipher(Cipher):
    """``byoc.aws.crypto.Cipher``, sealing with the data masking utility."""

    def __init__(self) -> None:
        super().__init__(KMS_KEY_ARN)

    def new_data_key(self, context: dict[str, str]) -> DataKey:
        return DataKey(plaintext=b"", encrypted=b"")  # the SDK makes its own, per message

    def seal(self, key: DataKey, context: dict[str, str], attribute: str, value: dict[str, Any]) -> bytes:
        return data_masker.encrypt(value, **context, attribute=attribute).encode()

    def open(self, blob: bytes, context: dict[str, str], attribute: str, key: DataKey | None = None) -> Any:
        return data_masker.decrypt(blob.decode(), **context, attribute=attribute)


@api_handler
def lambda_handler(request: Request) -> dict:
    settings = get_settings()
    principal = principal_from(request, settings)
    body = parse_save_body(request.json_body(settings.max_body_bytes))
    service = replace(container.credential_service(), cipher=MaskingCipher())
    provider, connection = service.save(principal, body.provider, body.credentials)
    return json_response(
        200, integration_view(provider, connection, request.api_base_url(settings.public_api_url))
    )


def bench_clients() -> dict[str, Any]:
    """The KMS client the Encryption SDK made: the bench answers it with Stubber."""
    key_provider = data_masker.provider._key_provider.key_provider  # type: ignore[attr-defined]
    return {"kms": key_provider._regional_clients[KMS_KEY_ARN.split(":")[3]]}
