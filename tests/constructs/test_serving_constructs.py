"""TokenIssuer and the JWKS publisher (a SignedFunction) alone: short-lived client-credentials tokens, the
validator's settings under exactly the names it reads, code signing, and the handler's environment contract."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf_cdktf_provider_aws.cognito_user_pool_client import CognitoUserPoolClient
from cdktf_cdktf_provider_aws.lambda_code_signing_config import LambdaCodeSigningConfig
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from construct_testing import ACCOUNT, REGION, one, resources, synth
from constructs import Construct
from pydantic import ValidationError

from zero_trust_ai.alert_topic import AlertTopic, AlertTopicProps
from zero_trust_ai.jwks_publisher import JwksPublisher, JwksPublisherProps
from zero_trust_ai.packaging import jwks_publisher_package
from zero_trust_ai.platform_key import PlatformKey, PlatformKeyProps
from zero_trust_ai.runtime.jwks_publisher import handler as jwks_handler
from zero_trust_ai.runtime.token_validator import MAX_TOKEN_TTL_SECONDS, SSM_PARAMETER_NAMES
from zero_trust_ai.secure_bucket import SecureBucket, SecureBucketProps
from zero_trust_ai.signed_function import FunctionCode
from zero_trust_ai.token_issuer import TokenIssuer, TokenIssuerProps

CALLERS = {"deployer": ["invoke", "update-routing"], "app": ["invoke"]}


def _key(scope: Construct) -> PlatformKey:
    return PlatformKey(scope, "key", props=PlatformKeyProps(alias="alias/test-serving", description="test key",
                                                            account_id=ACCOUNT))


@pytest.fixture(scope="module")
def issuer_stack() -> dict[str, Any]:
    return synth(lambda scope: TokenIssuer(scope, "tokens", key=_key(scope), props=TokenIssuerProps(
        name_prefix="test", account_id=ACCOUNT, region=REGION, token_ttl_minutes=10, callers=CALLERS)))


def test_one_client_credentials_client_per_caller_with_its_own_scopes(issuer_stack: dict[str, Any]) -> None:
    clients = {c["name"]: c for c in resources(issuer_stack, CognitoUserPoolClient.TF_RESOURCE_TYPE)}
    assert sorted(clients) == ["test-app", "test-deployer"]
    for name, client in clients.items():
        assert client["allowed_oauth_flows"] == ["client_credentials"]
        assert client["access_token_validity"] == 10
        assert client["token_validity_units"][0]["access_token"] == "minutes"
        assert client["access_token_validity"] * 60 <= MAX_TOKEN_TTL_SECONDS
        assert client["allowed_oauth_scopes"] == [f"test-serving/{op}" for op in CALLERS[name.removeprefix("test-")]]


def test_settings_are_the_parameters_the_validator_reads(issuer_stack: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in resources(issuer_stack, SsmParameter.TF_RESOURCE_TYPE)}
    assert sorted(parameters) == sorted(f"/test/serving/token/{name}" for name in SSM_PARAMETER_NAMES)
    assert all(p["type"] == "SecureString" and p["key_id"].startswith("${aws_kms_key.") for p in parameters.values())
    assert parameters["/test/serving/token/max_token_ttl_seconds"]["value"] == "600"


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"token_ttl_minutes": 16}, "token_ttl_minutes"),
    ({"token_ttl_minutes": 4}, "token_ttl_minutes"),
    ({"callers": {"app": ["delete-everything"]}}, "unknown serving operation(s) ['delete-everything']"),
    ({"callers": {"app": []}}, "has no operation"),
    ({"callers": {}}, "callers"),
])
def test_token_issuer_refuses(overrides: dict[str, Any], fragment: str) -> None:
    props = {"name_prefix": "test", "account_id": ACCOUNT, "region": REGION, "token_ttl_minutes": 15,
             "callers": CALLERS, **overrides}
    with pytest.raises(ValidationError) as error:
        TokenIssuerProps(**props)
    assert fragment in str(error.value)


def _publisher(scope: Construct, **opt_outs: Any) -> None:
    key = _key(scope)
    artifacts = SecureBucket(scope, "artifacts", props=SecureBucketProps(
        bucket_name="test-artifacts", encryption_key=key, access_log_bucket=None,
        access_log_opt_out_reason="no access log bucket in this test"))
    topic = AlertTopic(scope, "alerts", key=key, props=AlertTopicProps(
        topic_name="test-alerts", account_id=ACCOUNT, region=REGION))
    package = jwks_publisher_package()
    JwksPublisher(scope, "jwks", key=key, artifacts=artifacts, alert_topic=topic,
                  code=FunctionCode(path=package.path, sha256_hex=package.sha256_hex),
                  jwks_url="https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json",
                  props=JwksPublisherProps(name_prefix="test", account_id=ACCOUNT, region=REGION,
                                           parameter_name="/test/serving/token/jwks", log_retention_days=365,
                                           **opt_outs))


@pytest.fixture(scope="module")
def publisher_stack() -> dict[str, Any]:
    return synth(_publisher)


def test_the_functions_environment_is_the_handlers_contract(publisher_stack: dict[str, Any]) -> None:
    function = one(publisher_stack, LambdaFunction.TF_RESOURCE_TYPE)
    assert set(function["environment"]["variables"]) == {jwks_handler.ENV_JWKS_URL, jwks_handler.ENV_PARAMETER_NAME}
    assert function["environment"]["variables"][jwks_handler.ENV_PARAMETER_NAME] == "/test/serving/token/jwks"


def test_signed_function_enforces_code_signing(publisher_stack: dict[str, Any]) -> None:
    config = one(publisher_stack, LambdaCodeSigningConfig.TF_RESOURCE_TYPE)
    assert config["policies"]["untrusted_artifact_on_deployment"] == "Enforce"
    function = one(publisher_stack, LambdaFunction.TF_RESOURCE_TYPE)
    assert function["code_signing_config_arn"].startswith("${aws_lambda_code_signing_config.")
    assert function["tracing_config"]["mode"] == "Active" and "target_arn" in function["dead_letter_config"]
    assert "filename" not in function  # the signed copy in S3 is deployed, never the local zip


def test_signed_function_refuses_a_code_signing_opt_out_without_a_reason() -> None:
    with pytest.raises(ValidationError, match="code_signing_opt_out_reason"):
        JwksPublisherProps(name_prefix="test", account_id=ACCOUNT, region=REGION, parameter_name="/test/jwks",
                           log_retention_days=365, code_signing_opt_out_reason="emulator")
