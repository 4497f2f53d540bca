import boto3
import pytest
from moto import mock_aws

from byoc.aws.crypto import Cipher, CredentialsUnreadable, DataKeyCache, encryption_context


@pytest.fixture
def kms(base_env):
    with mock_aws():
        client = boto3.client("kms", region_name="us-east-1")
        key_id = client.create_key()["KeyMetadata"]["KeyId"]
        yield client, key_id


def _counting(client, calls):
    client.meta.events.register("before-call.kms.*", lambda model, **_: calls.append(model.name))
    return client


def test_sealed_value_opens_under_its_own_org_and_provider(kms):
    client, key_id = kms
    cipher = Cipher(key_id, client, DataKeyCache())
    context = encryption_context("org-a", "github")
    key = cipher.new_data_key(context)
    blob = cipher.seal(key, context, "secrets", {"client_secret": "s3cret"})
    assert cipher.open(blob, context, "secrets") == {"client_secret": "s3cret"}
    assert b"s3cret" not in blob


def test_org_a_ciphertext_in_org_b_record_fails_to_decrypt(kms):
    client, key_id = kms
    cipher = Cipher(key_id, client, DataKeyCache())  # empty cache: KMS must be asked
    blob = cipher.seal(
        cipher.new_data_key(encryption_context("org-a", "github")),
        encryption_context("org-a", "github"),
        "secrets",
        {"client_secret": "x"},
    )
    fresh = Cipher(key_id, client, DataKeyCache())
    with pytest.raises(CredentialsUnreadable):
        fresh.open(blob, encryption_context("org-b", "github"), "secrets")


def test_a_flipped_byte_fails_to_decrypt(kms):
    client, key_id = kms
    cipher = Cipher(key_id, client, DataKeyCache())
    context = encryption_context("org-a", "github")
    blob = bytearray(cipher.seal(cipher.new_data_key(context), context, "secrets", {"k": "v"}))
    blob[-1] ^= 0x01
    with pytest.raises(CredentialsUnreadable):
        cipher.open(bytes(blob), context, "secrets")


def test_value_sealed_for_one_attribute_does_not_open_as_another(kms):
    client, key_id = kms
    cipher = Cipher(key_id, client, DataKeyCache())
    context = encryption_context("org-a", "github")
    blob = cipher.seal(cipher.new_data_key(context), context, "tokens", {"access_token": "t"})
    with pytest.raises(CredentialsUnreadable):
        cipher.open(blob, context, "secrets")


def test_every_seal_uses_a_fresh_nonce(kms):
    client, key_id = kms
    cipher = Cipher(key_id, client, DataKeyCache())
    context = encryption_context("org-a", "github")
    key = cipher.new_data_key(context)
    nonces = set()
    for _ in range(100):
        blob = cipher.seal(key, context, "secrets", {"k": "v"})
        start = 3 + len(key.encrypted)
        nonces.add(blob[start : start + 12])
    assert len(nonces) == 100


def test_cached_data_key_opens_without_kms_and_cache_expires(kms):
    client, key_id = kms
    now = [1000.0]
    cache = DataKeyCache(ttl_seconds=60, clock=lambda: now[0])
    cipher = Cipher(key_id, client, cache)
    context = encryption_context("org-a", "github")
    blob = cipher.seal(cipher.new_data_key(context), context, "secrets", {"k": "v"})
    calls: list[str] = []
    _counting(client, calls)
    cipher.open(blob, context, "secrets")
    assert calls == []
    now[0] += 61
    cipher.open(blob, context, "secrets")
    assert calls == ["Decrypt"]


def test_cache_is_bounded():
    cache = DataKeyCache(max_entries=3)
    for i in range(10):
        cache.put(bytes([i]), {"a": "b"}, b"k")
    assert len(cache) == 3
