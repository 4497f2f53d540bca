"""What template.yaml and samconfig.toml promise: routes, least privilege, data safety, key policy."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devserver.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
GLOBAL_FUNCTION: dict[str, Any] = TEMPLATE["Globals"]["Function"]
SAMCONFIG = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))

CREDENTIAL_NAME = re.compile(r"(?i)(client_?id|client_?secret|_CLIENT_|API_KEY|TOKEN)")
CALLBACK = ("GET", "/oauth/callback/{provider}")
CATALOGUE = ("GET", "/providers")
ROUTES = {
    CATALOGUE: "ListProvidersFunction",
    ("GET", "/integrations"): "ListIntegrationsFunction",
    ("POST", "/integrations"): "SaveCredentialsFunction",
    ("GET", "/oauth/start"): "OAuthStartFunction",
    CALLBACK: "OAuthCallbackFunction",
    ("POST", "/oauth/complete"): "OAuthCallbackFunction",
    ("DELETE", "/integrations/{provider}"): "DisconnectFunction",
    ("DELETE", "/integrations/{provider}/tokens"): "DisconnectFunction",
}
CODE_FOLDERS = {
    "ListIntegrationsFunction": "functions/list_integrations/",
    "SaveCredentialsFunction": "functions/save_credentials/",
    "OAuthStartFunction": "functions/oauth_start/",
    "OAuthCallbackFunction": "functions/oauth_callback/",
    "DisconnectFunction": "functions/disconnect/",
    "GetTokenFunction": "functions/get_token/",
    "RefreshIdleFunction": "functions/refresh_idle/",
    "RevokeTokensFunction": "functions/revoke_tokens/",
    "ListProvidersFunction": "functions/list_providers/",
}
ALLOWED_ACTIONS = {
    "ListIntegrationsFunction": {"dynamodb:Query"},
    "ListProvidersFunction": set(),  # the catalogue reads nothing
    "SaveCredentialsFunction": {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "kms:GenerateDataKey",
        "kms:Decrypt",
        "sqs:SendMessage",
        "events:PutEvents",
    },
    "OAuthStartFunction": {"dynamodb:GetItem", "dynamodb:PutItem"},
    "OAuthCallbackFunction": {
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "kms:Decrypt",
        "sqs:SendMessage",
        "events:PutEvents",
    },
    "DisconnectFunction": {
        "dynamodb:DeleteItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "kms:Decrypt",
        "sqs:SendMessage",
        "events:PutEvents",
    },
    "GetTokenFunction": {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "kms:Decrypt",
        "sqs:SendMessage",
        "events:PutEvents",
    },
    "RefreshIdleFunction": {
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "kms:Decrypt",
        "sqs:SendMessage",
        "events:PutEvents",
    },
    # The revocation queue's consumer: reads and deletes REVOKE# items, opens their tokens.
    "RevokeTokensFunction": {"dynamodb:GetItem", "dynamodb:DeleteItem", "kms:Decrypt"},
}
TABLE_ARN = {"Fn::GetAtt": ["ConnectionsTable", "Arn"]}
IDLE_INDEX_ARN = {"Fn::Sub": "${ConnectionsTable.Arn}/index/IdleIndex"}
QUEUE_INDEX_ARN = {"Fn::Sub": "${ConnectionsTable.Arn}/index/RefreshQueueIndex"}
QUEUE_ARN = {"Fn::GetAtt": ["RevocationQueue", "Arn"]}
KEY_ARN = {"Fn::GetAtt": ["CredentialsKey", "Arn"]}
CONTEXT = {"org_id": "org-1", "provider": "github", "purpose": "credentials"}


# ---------------------------------------------------------------- helpers


def functions() -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def http_events() -> Iterator[tuple[str, dict[str, Any]]]:
    for name, props in functions().items():
        for event in props.get("Events", {}).values():
            if event["Type"] == "HttpApi":
                yield name, event["Properties"]


def route_of(event: dict[str, Any]) -> tuple[str, str]:
    return event["Method"].upper(), event["Path"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(function: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in functions()[function].get("Policies", [])
        for statement in as_list(policy["Statement"])
    ]


def actions(function: str) -> set[str]:
    return {action for statement in statements(function) for action in as_list(statement["Action"])}


def environment_names() -> set[str]:
    names = set(GLOBAL_FUNCTION["Environment"]["Variables"])
    for props in functions().values():
        names |= set(props.get("Environment", {}).get("Variables", {}))
    return names


def key_policy() -> list[dict[str, Any]]:
    return RESOURCES["CredentialsKey"]["Properties"]["KeyPolicy"]["Statement"]


def request_context(encryption_context: dict[str, str]) -> dict[str, list[str]]:
    """The condition keys KMS sets for a request with this encryption context."""
    keys: dict[str, list[str]] = {}
    if encryption_context:
        keys["kms:EncryptionContextKeys"] = sorted(encryption_context)
    for name, value in encryption_context.items():
        keys[f"kms:EncryptionContext:{name}"] = [value]
    return keys


def condition_matches(condition: dict[str, dict[str, Any]], request: dict[str, list[str]]) -> bool:
    """IAM semantics for the operators the key policy uses; every key and operator must match."""
    for operator, keys in condition.items():
        for key, expected in keys.items():
            present = request.get(key, [])
            if operator == "Null":
                matched = (not present) == (expected == "true")
            elif operator == "ForAnyValue:StringNotEquals":
                matched = any(value not in as_list(expected) for value in present)
            else:
                raise AssertionError(f"the test does not know condition operator {operator}")
            if not matched:
                return False
    return True


def denied(action: str, encryption_context: dict[str, str]) -> bool:
    request = request_context(encryption_context)
    return any(
        statement["Effect"] == "Deny"
        and action in as_list(statement["Action"])
        and condition_matches(statement.get("Condition", {}), request)
        for statement in key_policy()
    )


# ---------------------------------------------------------------- runtime


def test_functions_run_on_python_3_12() -> None:
    assert GLOBAL_FUNCTION["Runtime"] == "python3.12"
    assert all("Runtime" not in props for props in functions().values())


def test_functions_run_on_arm64() -> None:
    assert GLOBAL_FUNCTION["Architectures"] == ["arm64"]
    assert all("Architectures" not in props for props in functions().values())


def test_snapstart_is_applied_only_when_the_parameter_turns_it_on() -> None:
    assert GLOBAL_FUNCTION["SnapStart"] == {
        "Fn::If": ["SnapStartOn", {"ApplyOn": "PublishedVersions"}, {"Ref": "AWS::NoValue"}]
    }
    assert TEMPLATE["Conditions"]["SnapStartOn"] == {"Fn::Equals": [{"Ref": "EnableSnapStart"}, "true"]}
    assert TEMPLATE["Parameters"]["EnableSnapStart"]["Default"] == "false"


def test_functions_publish_versions_behind_the_live_alias() -> None:
    assert GLOBAL_FUNCTION["AutoPublishAlias"] == "live"


def test_a_new_layer_version_publishes_new_function_versions() -> None:
    assert all(props.get("AutoPublishAliasAllProperties") is True for props in functions().values())


def test_functions_use_the_common_layer() -> None:
    assert GLOBAL_FUNCTION["Layers"] == [{"Ref": "CommonLayer"}]


def test_the_common_layer_is_built_from_layers_common_for_arm64() -> None:
    layer = RESOURCES["CommonLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/common/"
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "python3.12", "BuildArchitecture": "arm64"}


@pytest.mark.parametrize(("function", "folder"), sorted(CODE_FOLDERS.items()))
def test_each_function_is_built_from_its_own_folder(function: str, folder: str) -> None:
    assert functions()[function]["CodeUri"] == folder
    assert functions()[function]["Handler"] == "app.lambda_handler"


def test_the_template_declares_no_other_functions() -> None:
    assert set(functions()) == set(CODE_FOLDERS)


@pytest.mark.parametrize("function", sorted(CODE_FOLDERS))
def test_each_function_logs_to_its_own_group_with_retention(function: str) -> None:
    group_ref = functions()[function]["LoggingConfig"]["LogGroup"]
    group = RESOURCES[group_ref["Ref"]]["Properties"]
    assert group["LogGroupName"]["Fn::Sub"].startswith("/aws/lambda/${AWS::StackName}-")
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


# ---------------------------------------------------------------- routes and auth


@pytest.mark.parametrize(("route", "function"), sorted(ROUTES.items()))
def test_each_route_is_served_by_its_function(route: tuple[str, str], function: str) -> None:
    served_by = [name for name, event in http_events() if route_of(event) == route]
    assert served_by == [function]


def test_the_api_has_no_undocumented_routes() -> None:
    assert sorted(route_of(event) for _, event in http_events()) == sorted(ROUTES)


def test_every_route_belongs_to_the_explicit_http_api() -> None:
    assert all(event["ApiId"] == {"Ref": "HttpApi"} for _, event in http_events())


@pytest.mark.parametrize("route", [CALLBACK, CATALOGUE])
def test_the_oauth_callback_and_the_catalogue_need_no_jwt(route: tuple[str, str]) -> None:
    [event] = [event for _, event in http_events() if route_of(event) == route]
    assert event["Auth"] == {"Authorizer": "NONE"}


def test_every_other_route_uses_the_default_jwt_authorizer() -> None:
    others = [event for _, event in http_events() if route_of(event) not in (CALLBACK, CATALOGUE)]
    assert others
    assert all(
        event.get("Auth", {}).get("Authorizer", "JwtAuthorizer") == "JwtAuthorizer" for event in others
    )
    assert RESOURCES["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"] == "JwtAuthorizer"


def test_the_jwt_authorizer_checks_the_configured_issuer_and_audience() -> None:
    authorizer = RESOURCES["HttpApi"]["Properties"]["Auth"]["Authorizers"]["JwtAuthorizer"]
    assert authorizer["IdentitySource"] == "$request.header.Authorization"
    assert authorizer["JwtConfiguration"] == {
        "issuer": {"Ref": "JwtIssuer"},
        "audience": {"Ref": "JwtAudience"},
    }


def test_the_get_token_function_has_no_http_route() -> None:
    assert "Events" not in functions()["GetTokenFunction"]


def test_idle_connections_are_refreshed_on_the_configured_schedule() -> None:
    [event] = functions()["RefreshIdleFunction"]["Events"].values()
    assert event == {
        "Type": "Schedule",
        "Properties": {
            "Schedule": {"Ref": "IdleRefreshSchedule"},
            "Description": event["Properties"]["Description"],
        },
    }


def test_the_http_api_fails_on_openapi_warnings() -> None:
    assert RESOURCES["HttpApi"]["Properties"]["FailOnWarnings"] is True


def test_cors_allows_only_the_frontend_origins_with_credentials() -> None:
    cors = RESOURCES["HttpApi"]["Properties"]["CorsConfiguration"]
    # FrontendUrl is one origin or a comma-separated list: each is an allowed origin
    assert cors["AllowOrigins"] == {"Fn::Split": [",", {"Ref": "FrontendUrl"}]}
    assert cors["AllowCredentials"] is True
    assert cors["AllowHeaders"] == ["authorization", "content-type", "if-none-match"]
    assert cors["ExposeHeaders"] == ["etag", "retry-after"]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("https://app.example.com", True),
        ("https://app.example.com,https://admin.example.com:8443", True),
        ("https://app.example.com, https://admin.example.com", False),
        ("https://app.example.com,", False),
        ("https://app.example.com/", False),
        ("http://localhost:3000", False),
        ("https://app.example.com,http://admin.example.com", False),
    ],
)
def test_the_frontend_url_parameter_takes_a_list_of_https_origins(value: str, valid: bool) -> None:
    pattern = TEMPLATE["Parameters"]["FrontendUrl"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is valid


def test_throttling_comes_from_the_stack_parameters() -> None:
    assert RESOURCES["HttpApi"]["Properties"]["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
    }


def test_the_api_writes_access_logs_to_a_group_with_retention() -> None:
    settings = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogGroup", "Arn"]}
    assert RESOURCES["HttpApiAccessLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


# ---------------------------------------------------------------- settings


def test_deployed_stacks_refuse_local_http_issuers() -> None:
    assert GLOBAL_FUNCTION["Environment"]["Variables"]["ALLOW_LOCAL_HTTP"] == "false"
    assert all(
        "ALLOW_LOCAL_HTTP" not in props.get("Environment", {}).get("Variables", {})
        for props in functions().values()
    )


def test_no_environment_variable_names_a_provider_credential() -> None:
    assert [name for name in environment_names() if CREDENTIAL_NAME.search(name)] == []


def test_no_stack_parameter_names_a_provider_credential() -> None:
    assert [name for name in TEMPLATE["Parameters"] if CREDENTIAL_NAME.search(name)] == []


def test_samconfig_overrides_no_provider_credential() -> None:
    overridden = [
        name
        for env in SAMCONFIG.values()
        if isinstance(env, dict)
        for command in env.values()
        for name in re.findall(
            r"(?:^|\s)(\w+)=", command.get("parameters", {}).get("parameter_overrides", "")
        )
    ]
    assert overridden
    assert [name for name in overridden if CREDENTIAL_NAME.search(name)] == []


def test_samconfig_only_overrides_declared_parameters() -> None:
    for env in ("dev", "prod"):
        overrides = SAMCONFIG[env]["deploy"]["parameters"]["parameter_overrides"]
        assert set(re.findall(r"(?:^|\s)(\w+)=", overrides)) <= set(TEMPLATE["Parameters"])


# ---------------------------------------------------------------- table


def test_the_table_survives_stack_deletion_and_replacement() -> None:
    table = RESOURCES["ConnectionsTable"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_the_table_has_deletion_protection() -> None:
    assert RESOURCES["ConnectionsTable"]["Properties"]["DeletionProtectionEnabled"] is True


def test_the_table_has_point_in_time_recovery() -> None:
    pitr = RESOURCES["ConnectionsTable"]["Properties"]["PointInTimeRecoverySpecification"]
    assert pitr == {"PointInTimeRecoveryEnabled": True}


def test_the_table_expires_items_by_their_ttl_attribute() -> None:
    ttl = RESOURCES["ConnectionsTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "ttl", "Enabled": True}


def test_the_table_is_keyed_by_pk_and_sk() -> None:
    assert RESOURCES["ConnectionsTable"]["Properties"]["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]


def test_the_refresh_queue_index_holds_only_keys_ordered_by_next_attempt() -> None:
    queue, _ = RESOURCES["ConnectionsTable"]["Properties"]["GlobalSecondaryIndexes"]
    assert queue == {
        "IndexName": "RefreshQueueIndex",
        "KeySchema": [
            {"AttributeName": "refresh_pk", "KeyType": "HASH"},
            {"AttributeName": "next_attempt_at", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }


def test_the_previous_releases_idle_index_is_kept_unchanged_for_one_release() -> None:
    _, index = RESOURCES["ConnectionsTable"]["Properties"]["GlobalSecondaryIndexes"]
    assert index == {
        "IndexName": "IdleIndex",
        "KeySchema": [
            {"AttributeName": "idle_pk", "KeyType": "HASH"},
            {"AttributeName": "last_refreshed_at", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }


# ---------------------------------------------------------------- key


def test_the_key_survives_stack_deletion_and_replacement() -> None:
    key = RESOURCES["CredentialsKey"]
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_the_key_rotates() -> None:
    assert RESOURCES["CredentialsKey"]["Properties"]["EnableKeyRotation"] is True


def test_the_key_policy_leaves_access_to_iam_policies_of_the_account() -> None:
    [allow] = [statement for statement in key_policy() if statement["Effect"] == "Allow"]
    assert allow["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}


def test_the_key_policy_checks_for_a_missing_encryption_context() -> None:
    assert any(
        statement.get("Condition") == {"Null": {"kms:EncryptionContextKeys": "true"}}
        and {"kms:Decrypt", "kms:GenerateDataKey"} <= set(statement["Action"])
        for statement in key_policy()
        if statement["Effect"] == "Deny"
    )


def test_the_key_policy_checks_for_unexpected_encryption_context_keys() -> None:
    expected = {
        "ForAnyValue:StringNotEquals": {"kms:EncryptionContextKeys": ["org_id", "provider", "purpose"]}
    }
    assert any(
        statement.get("Condition") == expected
        and {"kms:Decrypt", "kms:GenerateDataKey"} <= set(statement["Action"])
        for statement in key_policy()
        if statement["Effect"] == "Deny"
    )


@pytest.mark.parametrize("action", ["kms:Decrypt", "kms:GenerateDataKey"])
def test_the_key_policy_lets_calls_bound_to_org_provider_and_purpose_through(action: str) -> None:
    assert not denied(action, CONTEXT)


@pytest.mark.parametrize("action", ["kms:Decrypt", "kms:GenerateDataKey"])
def test_the_key_policy_denies_calls_without_encryption_context(action: str) -> None:
    assert denied(action, {})


@pytest.mark.parametrize("action", ["kms:Decrypt", "kms:GenerateDataKey"])
def test_the_key_policy_denies_calls_with_an_extra_context_key(action: str) -> None:
    assert denied(action, {**CONTEXT, "user": "u-1"})


@pytest.mark.parametrize("missing", sorted(CONTEXT))
def test_the_key_policy_denies_calls_missing_one_context_key(missing: str) -> None:
    partial = {name: value for name, value in CONTEXT.items() if name != missing}
    assert denied("kms:GenerateDataKey", partial)


def test_the_key_has_a_stack_named_alias() -> None:
    assert RESOURCES["CredentialsKeyAlias"]["Properties"] == {
        "AliasName": {"Fn::Sub": "alias/${AWS::StackName}-credentials"},
        "TargetKeyId": {"Ref": "CredentialsKey"},
    }


# ---------------------------------------------------------------- least privilege


@pytest.mark.parametrize(("function", "allowed"), sorted(ALLOWED_ACTIONS.items()))
def test_each_function_is_granted_exactly_the_actions_it_needs(function: str, allowed: set[str]) -> None:
    assert actions(function) == allowed


@pytest.mark.parametrize("function", sorted(CODE_FOLDERS))
def test_functions_use_hand_written_statements_instead_of_policy_templates(function: str) -> None:
    assert all(
        isinstance(policy, dict) and "Statement" in policy
        for policy in functions()[function].get("Policies", [])
    )


def test_no_function_is_granted_every_kms_action() -> None:
    assert [name for name in functions() if any(a in {"kms:*", "*"} for a in actions(name))] == []


@pytest.mark.parametrize("function", sorted(CODE_FOLDERS))
def test_kms_is_granted_on_the_credentials_key_only(function: str) -> None:
    kms = [s for s in statements(function) if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert all(s["Resource"] == KEY_ARN for s in kms)


@pytest.mark.parametrize("function", sorted(CODE_FOLDERS))
def test_dynamodb_is_granted_on_the_table_or_its_idle_index_only(function: str) -> None:
    dynamodb = [
        s for s in statements(function) if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))
    ]
    assert all(
        resource in (TABLE_ARN, IDLE_INDEX_ARN, QUEUE_INDEX_ARN)
        for s in dynamodb
        for resource in as_list(s["Resource"])
    )


@pytest.mark.parametrize("index", [IDLE_INDEX_ARN, QUEUE_INDEX_ARN])
def test_only_the_idle_refresh_reads_the_idle_indexes(index: dict[str, str]) -> None:
    readers = [
        name
        for name in functions()
        for statement in statements(name)
        if index in as_list(statement["Resource"])
    ]
    assert readers == ["RefreshIdleFunction"]


@pytest.mark.parametrize("function", sorted(CODE_FOLDERS))
def test_sqs_is_granted_on_the_revocation_queue_only(function: str) -> None:
    sqs = [s for s in statements(function) if any(a.startswith("sqs:") for a in as_list(s["Action"]))]
    assert all(s["Resource"] == QUEUE_ARN for s in sqs)


def test_the_revocation_queue_hands_failures_to_a_dead_letter_queue_and_its_consumer_reports_them() -> None:
    queue = RESOURCES["RevocationQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["RevocationDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    assert queue["SqsManagedSseEnabled"] is True
    consumer = functions()["RevokeTokensFunction"]
    assert queue["VisibilityTimeout"] >= 6 * consumer["Timeout"]
    [event] = consumer["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == QUEUE_ARN
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_dead_letters_and_invoke_errors_raise_alarms() -> None:
    dead = RESOURCES["RevocationDeadLettersAlarm"]["Properties"]
    assert dead["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert dead["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["RevocationDeadLetterQueue", "QueueName"]}}
    ]
    [query] = RESOURCES["InvokeErrorsAlarm"]["Properties"]["Metrics"]
    assert query["Expression"] == "SELECT SUM(InvokeErrors) FROM SCHEMA(Byoc, service)"


def test_listing_integrations_may_only_query_the_table() -> None:
    assert statements("ListIntegrationsFunction") == [
        {
            "Sid": "QueryOwnOrgConnections",
            "Effect": "Allow",
            "Action": "dynamodb:Query",
            "Resource": TABLE_ARN,
        }
    ]


@pytest.mark.parametrize("function", ["ListIntegrationsFunction", "OAuthStartFunction"])
def test_functions_that_never_see_a_secret_have_no_kms_access(function: str) -> None:
    assert [action for action in actions(function) if action.startswith("kms:")] == []


# ---------------------------------------------------------------- operations


def test_refresh_failures_raise_an_alarm() -> None:
    [query] = RESOURCES["RefreshFailedAlarm"]["Properties"]["Metrics"]
    assert query["Expression"] == "SELECT SUM(RefreshFailed) FROM SCHEMA(Byoc, service)"


def test_server_errors_of_the_http_api_raise_an_alarm() -> None:
    alarm = RESOURCES["HttpApi5xxAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/ApiGateway", "5xx")
    assert alarm["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]


@pytest.mark.parametrize(
    ("alarm", "metric"), [("FunctionErrorsAlarm", "Errors"), ("FunctionThrottlesAlarm", "Throttles")]
)
def test_every_function_is_watched_for_errors_and_throttles(alarm: str, metric: str) -> None:
    watched = {
        query["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
        for query in RESOURCES[alarm]["Properties"]["Metrics"]
        if "MetricStat" in query and query["MetricStat"]["Metric"]["MetricName"] == metric
    }
    assert watched == set(CODE_FOLDERS)


def test_alarms_notify_the_topic_only_when_one_is_given() -> None:
    alarms = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms
    assert all(
        alarm["AlarmActions"]
        == {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
        for alarm in alarms
    )


def test_the_stack_outputs_what_callers_and_operators_need() -> None:
    assert {
        "ApiUrl",
        "CallbackUrlPattern",
        "TableName",
        "KeyArn",
        "EventBusName",
        "GetTokenFunctionArn",
    } <= set(TEMPLATE["Outputs"])


def test_other_services_invoke_get_token_through_its_live_alias() -> None:
    assert TEMPLATE["Outputs"]["GetTokenFunctionArn"]["Value"] == {"Ref": "GetTokenFunction.Alias"}


@pytest.mark.parametrize("function", sorted(functions()))
def test_every_function_pins_its_log_levels_in_json_format(function: str) -> None:
    # Lambda takes ApplicationLogLevel/SystemLogLevel only with LogFormat JSON; pinned levels keep a
    # DEBUG switch at the root from turning on library loggers that print key material.
    logging = functions()[function]["LoggingConfig"]
    assert logging["LogFormat"] == "JSON"
    assert logging["ApplicationLogLevel"] in ("INFO", "WARN", "ERROR")
    assert logging["SystemLogLevel"] in ("INFO", "WARN")
