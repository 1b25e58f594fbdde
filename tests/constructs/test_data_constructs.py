"""PlatformKey, SecureBucket, EncryptedLogGroup alone: secure defaults, and refusals of opt-outs without a reason."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA
from construct_testing import ACCOUNT, REGION, as_list, by_sid, new_stack, one, policy, statements, synth
from constructs import Construct
from pydantic import ValidationError

from zero_trust_ai.actions import KMS_DATA_PLANE
from zero_trust_ai.encrypted_log_group import EncryptedLogGroup, EncryptedLogGroupProps
from zero_trust_ai.platform_key import PlatformKey, PlatformKeyProps
from zero_trust_ai.secure_bucket import SecureBucket, SecureBucketProps

KEY_PROPS = PlatformKeyProps(alias="alias/test-data", description="test data key", account_id=ACCOUNT)
REASON = "a log target bucket cannot log into itself"


def _bucket(scope: Construct, **overrides: Any) -> SecureBucket:
    key = PlatformKey(scope, "key", props=KEY_PROPS)
    props = {"bucket_name": "test-data-bucket", "encryption_key": key, "access_log_bucket": None,
             "access_log_opt_out_reason": REASON, **overrides}
    return SecureBucket(scope, "bucket", props=SecureBucketProps(**props))


def test_platform_key_rotates_and_gives_the_root_administration_only() -> None:
    stack = synth(lambda scope: PlatformKey(scope, "key", props=KEY_PROPS))
    key = one(stack, KmsKey.TF_RESOURCE_TYPE)
    assert key["enable_key_rotation"] is True
    assert key["deletion_window_in_days"] == 30
    root = [s for s in statements(policy(key)) if "root" in str(s.get("Principal"))]
    assert len(root) == 1 and root[0]["Effect"] == "Allow"
    assert not set(as_list(root[0]["Action"])) & set(KMS_DATA_PLANE)


def test_secure_bucket_defaults() -> None:
    stack = synth(_bucket)
    assert one(stack, S3BucketVersioningA.TF_RESOURCE_TYPE)["versioning_configuration"]["status"] == "Enabled"
    rule = one(stack, S3BucketServerSideEncryptionConfigurationA.TF_RESOURCE_TYPE)["rule"][0]
    default = rule["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == "aws:kms"
    assert default["kms_master_key_id"].startswith("${aws_kms_key.") and default["kms_master_key_id"].endswith(".arn}")
    block = one(stack, S3BucketPublicAccessBlock.TF_RESOURCE_TYPE)
    assert all(block[flag] is True for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                                  "restrict_public_buckets"))
    document = policy(one(stack, S3BucketPolicy.TF_RESOURCE_TYPE))
    tls = by_sid(document, "DenyInsecureTransport")
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert by_sid(document, "DenyOutdatedTls")["Effect"] == "Deny"
    perimeter = by_sid(document, "DenyPrincipalsOutsideTheGrants")
    assert perimeter["Effect"] == "Deny" and perimeter["Principal"] == {"AWS": "*"}


def test_secure_bucket_perimeter_opt_out_drops_only_the_perimeter() -> None:
    stack = synth(lambda scope: _bucket(scope, principal_perimeter_opt_out_reason="uploads by the deploying "
                                        "principal outside the stack"))
    sids = {s.get("Sid") for s in statements(policy(one(stack, S3BucketPolicy.TF_RESOURCE_TYPE)))}
    assert "DenyInsecureTransport" in sids
    assert "DenyPrincipalsOutsideTheGrants" not in sids


@pytest.mark.parametrize(("overrides", "field"), [
    ({"encryption_key": None}, "encryption_key"),
    ({"access_log_opt_out_reason": None}, "access_log_bucket"),
    ({"access_log_opt_out_reason": "too short"}, "access_log_opt_out_reason"),
    ({"access_log_opt_out_reason": " " * 40}, "access_log_opt_out_reason"),
    ({"bucket_name": "xn--reserved-prefix"}, "bucket_name"),
])
def test_secure_bucket_refuses_an_opt_out_without_a_reason(overrides: dict[str, Any], field: str) -> None:
    key = PlatformKey(new_stack(), "key", props=KEY_PROPS)
    props = {"bucket_name": "test-data-bucket", "encryption_key": key, "access_log_bucket": None,
             "access_log_opt_out_reason": REASON, **overrides}
    with pytest.raises(ValidationError) as error:
        SecureBucketProps(**props)
    assert field in str(error.value)
    assert "Fix:" in str(error.value) or "at least" in str(error.value)


def test_encrypted_log_group_is_encrypted_with_its_key_for_exactly_this_group() -> None:
    def build(scope: Construct) -> None:
        key = PlatformKey(scope, "key", props=KEY_PROPS)
        EncryptedLogGroup(scope, "logs", key=key, props=EncryptedLogGroupProps(
            name="/test/group", region=REGION, account_id=ACCOUNT, retention_in_days=400))

    stack = synth(build)
    group = one(stack, CloudwatchLogGroup.TF_RESOURCE_TYPE)
    assert group["retention_in_days"] == 400 and group["kms_key_id"].startswith("${aws_kms_key.")
    grants = [s for s in statements(policy(one(stack, KmsKey.TF_RESOURCE_TYPE)))
              if s.get("Principal") == {"Service": f"logs.{REGION}.amazonaws.com"}]
    assert grants[0]["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/test/group")


@pytest.mark.parametrize("days", [90, 366, 364])
def test_encrypted_log_group_refuses_a_retention_cloudwatch_does_not_accept(days: int) -> None:
    with pytest.raises(ValidationError, match="retention_in_days") as error:
        EncryptedLogGroupProps(name="/test/group", region=REGION, account_id=ACCOUNT, retention_in_days=days)
    assert f"{days} is not a CloudWatch retention" in str(error.value)
