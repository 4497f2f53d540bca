"""What template.yaml promises for security, beyond tests/unit/test_template.py.

Already asserted there (and not repeated here): Retain and UpdateReplacePolicy on the table and
the key, deletion protection, point-in-time recovery, key rotation, a key policy that enables IAM
policies for the account and denies Decrypt/GenerateDataKey without the encryption-context keys
(a Null check plus ForAnyValue:StringNotEquals), exactly the needed actions per function, KMS
only on the key's ARN, throttling from the stack parameters, CORS for the frontend origin only,
and ``ALLOW_LOCAL_HTTP`` false in every deployed stack
(``test_deployed_stacks_refuse_local_http_issuers``).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.test_template import (
    GLOBAL_FUNCTION,
    RESOURCES,
    TEMPLATE,
    as_list,
    environment_names,
    functions,
    statements,
)


def _all_statements() -> list[tuple[str, dict[str, Any]]]:
    return [(name, statement) for name in functions() for statement in statements(name)]


def test_no_function_policy_uses_a_wildcard_action():
    wildcards = [
        (name, action)
        for name, statement in _all_statements()
        for action in as_list(statement["Action"])
        if "*" in action
    ]
    assert wildcards == []


def test_no_function_policy_grants_on_every_resource():
    assert [name for name, statement in _all_statements() if "*" in as_list(statement["Resource"])] == []


def test_function_policies_only_allow():
    assert {statement["Effect"] for _, statement in _all_statements()} == {"Allow"}


def test_browser_binding_is_off_unless_the_stack_turns_it_on():
    parameter = TEMPLATE["Parameters"]["BrowserBinding"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("false", ["true", "false"])
    assert GLOBAL_FUNCTION["Environment"]["Variables"]["BROWSER_BINDING"] == {"Ref": "BrowserBinding"}


def test_a_custom_domain_needs_a_certificate_and_only_then_exists():
    assert {"DomainName", "CertificateArn"} <= set(TEMPLATE["Parameters"])
    assert TEMPLATE["Rules"]["CustomDomainNeedsCertificate"]["Assertions"]
    assert RESOURCES["ApiDomainName"]["Condition"] == "HasCustomDomain"
    assert RESOURCES["ApiDomainMapping"]["Condition"] == "HasCustomDomain"
    [config] = RESOURCES["ApiDomainName"]["Properties"]["DomainNameConfigurations"]
    assert config["SecurityPolicy"] == "TLS_1_2"


@pytest.mark.parametrize(
    "name", ["POWERTOOLS_LOGGER_LOG_EVENT", "POWERTOOLS_DEV", "POWERTOOLS_LOGGER_SAMPLE_RATE"]
)
def test_no_function_logs_events_or_debug_output(name):
    assert name not in environment_names()


def test_the_functions_log_at_info():
    assert GLOBAL_FUNCTION["Environment"]["Variables"]["POWERTOOLS_LOG_LEVEL"] == "INFO"


def test_access_logs_name_the_route_never_the_path_or_query():
    log_format = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]["Format"]
    assert "$context.routeKey" in log_format
    for variable in ("$context.path", "$request.querystring", "$context.requestOverride", "$request.header"):
        assert variable not in log_format


def test_throttling_parameters_have_a_floor():
    for name in (
        "ThrottlingRateLimit",
        "ThrottlingBurstLimit",
        "CallbackThrottlingRateLimit",
        "CallbackThrottlingBurstLimit",
    ):
        assert TEMPLATE["Parameters"][name]["Type"] == "Number"
        assert TEMPLATE["Parameters"][name]["MinValue"] >= 1


def test_the_unauthenticated_callback_has_a_throttle_of_its_own():
    api = RESOURCES["HttpApi"]["Properties"]
    callback_route = "GET /oauth/callback/{provider}"
    routes = {
        event["Properties"]["Method"].upper() + " " + event["Properties"]["Path"]
        for function in functions().values()
        for event in function.get("Events", {}).values()
        if event["Type"] == "HttpApi"
    }
    assert callback_route in routes  # the key names a real route, or API Gateway ignores it
    assert api["RouteSettings"] == {
        callback_route: {
            "ThrottlingRateLimit": {"Ref": "CallbackThrottlingRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "CallbackThrottlingBurstLimit"},
        }
    }


def test_the_key_is_customer_managed_and_for_encryption_only():
    properties = RESOURCES["CredentialsKey"]["Properties"]
    assert RESOURCES["CredentialsKey"]["Type"] == "AWS::KMS::Key"
    assert properties.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    assert properties.get("KeyUsage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
    assert properties.get("Enabled", True) is True


def test_the_key_policy_denies_every_cryptographic_use_without_context():
    [null_check] = [
        s
        for s in RESOURCES["CredentialsKey"]["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Condition") == {"Null": {"kms:EncryptionContextKeys": "true"}}
    ]
    assert null_check["Effect"] == "Deny" and null_check["Principal"] == "*"
    assert {"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:ReEncryptFrom"} <= set(
        null_check["Action"]
    )


def test_the_table_is_encrypted_at_rest():
    assert RESOURCES["ConnectionsTable"]["Properties"]["SSESpecification"] == {"SSEEnabled": True}
