"""Create the stack's data resources from template.yaml, so local runs never drift from it.

``create_resources`` makes the DynamoDB table from ``ConnectionsTable``'s
properties and the KMS key (with its alias) from ``CredentialsKey``, through
whatever clients it is given: moto's in-process ``mock_aws`` in tests, the dev
server's moto server, or another AWS-compatible endpoint. It is idempotent: a
table or key alias that already exists is reused.

Only the intrinsic functions needed here are resolved: ``!Sub`` and ``!Ref`` of
the pseudo parameters (``AWS::StackName`` is ``stack_name``, ``AWS::AccountId``
is the account the key was created in). A property holding anything else is
left out; the key policy is then not set.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

__all__ = [
    "DEFAULT_STACK_NAME",
    "create_event_bus",
    "create_resources",
    "key_properties",
    "table_properties",
]

DEFAULT_STACK_NAME = "byoc-local"
TABLE_RESOURCE = "ConnectionsTable"
KEY_RESOURCE = "CredentialsKey"

# CloudFormation properties of AWS::DynamoDB::Table that CreateTable takes as they are.
_TABLE_AS_IS = (
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "ProvisionedThroughput",
    "TableClass",
    "DeletionProtectionEnabled",
)
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")


class _Unresolvable(Exception):
    pass


def _resolve(value: Any, pseudo: dict[str, str]) -> Any:
    """Plain data with ``Fn::Sub`` / ``Ref`` of pseudo parameters replaced; raises _Unresolvable."""
    if isinstance(value, list):
        return [_resolve(item, pseudo) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and "Ref" in value:
        name = value["Ref"]
        if name in pseudo:
            return pseudo[name]
        raise _Unresolvable(name)
    if len(value) == 1 and "Fn::Sub" in value:
        text, variables = value["Fn::Sub"], {}
        if isinstance(text, list):
            text, variables = text[0], _resolve(text[1], pseudo)
        if not isinstance(text, str):
            raise _Unresolvable("Fn::Sub")
        return _substitute(text, {**pseudo, **variables})
    if any(key.startswith("Fn::") for key in value):
        raise _Unresolvable(next(iter(value)))
    return {key: _resolve(item, pseudo) for key, item in value.items()}


def _substitute(text: str, names: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):  # ${!Literal} is the escaped form of ${Literal}
            return "${" + name[1:] + "}"
        if name not in names:
            raise _Unresolvable(name)
        return str(names[name])

    return re.sub(r"\$\{([^}]+)\}", one, text)


def _pseudo(region: str, account: str, stack_name: str) -> dict[str, str]:
    return {
        "AWS::StackName": stack_name,
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }


def _resource(template: dict[str, Any], name: str, kind: str) -> dict[str, Any]:
    resource = (template.get("Resources") or {}).get(name)
    if not isinstance(resource, dict) or resource.get("Type") != kind:
        raise ValueError(f"template.yaml has no {kind} named {name}")
    return resource.get("Properties") or {}


def table_properties(
    template: dict[str, Any], table_name: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """CreateTable's arguments from ``ConnectionsTable``, and UpdateTimeToLive's specification."""
    props = _resource(template, TABLE_RESOURCE, "AWS::DynamoDB::Table")
    args: dict[str, Any] = {"TableName": table_name}
    args.update({key: props[key] for key in _TABLE_AS_IS if key in props})
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(kind):
            args[kind] = [{k: index[k] for k in _INDEX_KEYS if k in index} for index in props[kind]]
    stream = props.get("StreamSpecification")
    if isinstance(stream, dict) and stream.get("StreamViewType"):
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    ttl = props.get("TimeToLiveSpecification")
    ttl_spec = None
    if isinstance(ttl, dict) and ttl.get("AttributeName"):
        ttl_spec = {"AttributeName": ttl["AttributeName"], "Enabled": bool(ttl.get("Enabled", False))}
    return args, ttl_spec


def key_properties(template: dict[str, Any], stack_name: str = DEFAULT_STACK_NAME) -> dict[str, Any]:
    """CreateKey's arguments from ``CredentialsKey`` (the policy is set once the account is known)."""
    props = _resource(template, KEY_RESOURCE, "AWS::KMS::Key")
    args: dict[str, Any] = {
        "KeySpec": props.get("KeySpec", "SYMMETRIC_DEFAULT"),
        "KeyUsage": props.get("KeyUsage", "ENCRYPT_DECRYPT"),
    }
    try:
        description = _resolve(props.get("Description"), _pseudo("", "", stack_name))
    except _Unresolvable:
        description = None
    if isinstance(description, str):
        args["Description"] = description
    if props.get("MultiRegion") is True:
        args["MultiRegion"] = True
    return args


def _alias_name(template: dict[str, Any], stack_name: str) -> str | None:
    for resource in (template.get("Resources") or {}).values():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::KMS::Alias":
            continue
        props = resource.get("Properties") or {}
        if props.get("TargetKeyId") in ({"Ref": KEY_RESOURCE}, {"Fn::GetAtt": [KEY_RESOURCE, "Arn"]}):
            try:
                name = _resolve(props.get("AliasName"), _pseudo("", "", stack_name))
            except _Unresolvable:
                return None
            return name if isinstance(name, str) else None
    return None


def _wait_active(dynamodb: Any, table_name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        status = dynamodb.describe_table(TableName=table_name)["Table"].get("TableStatus")
        if status == "ACTIVE" or time.monotonic() > deadline:
            return
        time.sleep(0.2)


def _create_table(template: dict[str, Any], dynamodb: Any, table_name: str) -> None:
    args, ttl = table_properties(template, table_name)
    try:
        dynamodb.create_table(**args)
    except dynamodb.exceptions.ResourceInUseException:
        pass  # it exists (a persistent endpoint): reuse it
    _wait_active(dynamodb, table_name)
    if ttl is None:
        return
    current = dynamodb.describe_time_to_live(TableName=table_name).get("TimeToLiveDescription") or {}
    enabled = current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
    if enabled != ttl["Enabled"]:
        dynamodb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)


def _create_key(template: dict[str, Any], kms: Any, stack_name: str) -> str:
    alias = _alias_name(template, stack_name)
    if alias:
        try:
            return str(kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"])
        except kms.exceptions.NotFoundException:
            pass
    props = _resource(template, KEY_RESOURCE, "AWS::KMS::Key")
    metadata = kms.create_key(**key_properties(template, stack_name))["KeyMetadata"]
    key_id, key_arn = metadata["KeyId"], str(metadata["Arn"])
    pseudo = _pseudo(kms.meta.region_name, str(metadata.get("AWSAccountId", "")), stack_name)
    if props.get("KeyPolicy"):
        try:
            policy = _resolve(props["KeyPolicy"], pseudo)
        except _Unresolvable:
            policy = None
        if policy is not None:
            kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    if props.get("EnableKeyRotation") is True:
        kms.enable_key_rotation(KeyId=key_id)
    if alias:
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return key_arn


def create_resources(
    template: dict[str, Any],
    dynamodb_client: Any,
    kms_client: Any,
    table_name: str,
    *,
    stack_name: str = DEFAULT_STACK_NAME,
) -> tuple[str, str]:
    """Create ``ConnectionsTable`` and ``CredentialsKey`` as template.yaml declares them.

    Returns ``(table name, key ARN)``; the ARN is what the template passes as KMS_KEY_ID.
    The table gets KeySchema, AttributeDefinitions, BillingMode, the secondary indexes,
    DeletionProtectionEnabled and the time-to-live setting; properties that only matter in
    AWS (point-in-time recovery, SSE with an AWS managed key) are left out. The key gets
    its KeySpec/KeyUsage, description, key policy, rotation and its AWS::KMS::Alias
    (``alias/<stack_name>-credentials``).
    """
    _create_table(template, dynamodb_client, table_name)
    return table_name, _create_key(template, kms_client, stack_name)


def create_event_bus(events_client: Any, name: str) -> str:
    """An EventBridge bus (reused if it exists); returns its name."""
    try:
        events_client.create_event_bus(Name=name)
    except events_client.exceptions.ResourceAlreadyExistsException:
        pass
    return name
