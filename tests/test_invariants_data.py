"""Step 3 invariants (data pipeline, keys, integrity) on every environment's synthesized JSON."""

from __future__ import annotations

from typing import Any

from tests.conftest import Synthesized
from tests.tfjson import as_list, by_path, path_of, ref, resources, statements, target
from zero_trust_ai.log_archive import ELB_LOG_DELIVERY_ACCOUNTS

DATA_BUCKETS = ("raw", "features", "training", "validation", "models")
# The data-plane KMS actions of the requirement (controls.md, round 2), written here, not imported from the code.
KMS_DATA_PLANE_REQUIREMENT = {
    "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo",
    "kms:Sign", "kms:CreateGrant", "kms:*"}


def _per_bucket(stack: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    """Bucket-attached resources keyed by the logical id of the bucket they configure."""
    out = {}
    for body in resources(stack, type_name).values():
        parsed = ref(body["bucket"])
        assert parsed and parsed[0] == "aws_s3_bucket", body["bucket"]
        out[parsed[1]] = body
    return out


def test_every_bucket_is_private_encrypted_versioned_owner_enforced_logged_and_tls_only(
    synthesized: Synthesized, env_name: str
) -> None:
    stack = synthesized.stack(env_name)
    buckets = resources(stack, "aws_s3_bucket")
    # data lake (5), log archive + access-log sink, function artifacts, serving trust store
    assert len(buckets) == 9
    encryption = _per_bucket(stack, "aws_s3_bucket_server_side_encryption_configuration")
    blocks = _per_bucket(stack, "aws_s3_bucket_public_access_block")
    versioning = _per_bucket(stack, "aws_s3_bucket_versioning")
    ownership = _per_bucket(stack, "aws_s3_bucket_ownership_controls")
    logging = _per_bucket(stack, "aws_s3_bucket_logging")
    policies = _per_bucket(stack, "aws_s3_bucket_policy")
    lifecycle = _per_bucket(stack, "aws_s3_bucket_lifecycle_configuration")
    for logical, bucket in buckets.items():
        path = bucket["//"]["metadata"]["path"]
        is_access_log_sink = path.endswith("log_archive/access_logs/bucket")
        rule = encryption[logical]["rule"][0]["apply_server_side_encryption_by_default"]
        if is_access_log_sink:
            assert rule == {"sse_algorithm": "AES256"}, path  # the one documented AWS-imposed exception
        else:
            assert rule["sse_algorithm"] == "aws:kms", path
            key = target(stack, rule["kms_master_key_id"])
            assert key["customer_master_key_spec"] == "SYMMETRIC_DEFAULT" and key["enable_key_rotation"] is True
            assert encryption[logical]["rule"][0]["bucket_key_enabled"] is True
        assert all(blocks[logical][flag] is True for flag in (
            "block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")), path
        assert versioning[logical]["versioning_configuration"]["status"] == "Enabled", path
        assert ownership[logical]["rule"]["object_ownership"] == "BucketOwnerEnforced", path
        if is_access_log_sink:
            assert logical not in logging
        else:
            sink = target(stack, logging[logical]["target_bucket"].replace(".id}", ".bucket}"))
            assert sink["//"]["metadata"]["path"].endswith("log_archive/access_logs/bucket"), path
        policy = {s["Sid"]: s for s in statements(policies[logical]["policy"])}
        tls = policy["DenyInsecureTransport"]
        assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert tls["Action"] == "s3:*" and len(as_list(tls["Resource"])) == 2
        old_tls = policy["DenyOutdatedTls"]
        assert old_tls["Effect"] == "Deny" and old_tls["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
        unsigned = policy["DenyUnsignedPayloadUploads"]
        assert unsigned["Effect"] == "Deny" and unsigned["Principal"] == {"AWS": "*"}
        assert unsigned["Action"] == "s3:PutObject" and unsigned["Resource"].endswith(".arn}/*")
        # every unsigned form, including the trailer form current SDKs send by default over HTTPS, from every
        # principal but AWS services delivering (the key is false in every signed request of an IAM principal and
        # absent from anonymous ones, which IfExists still denies; only a service principal's request has it true)
        assert unsigned["Condition"] == {"StringLike": {"s3:x-amz-content-sha256": [
            "UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD*"]},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}
        no_hash = policy["DenyUploadsWithoutPayloadHash"]
        assert no_hash["Effect"] == "Deny" and no_hash["Principal"] == {"AWS": "*"}
        assert no_hash["Condition"] == {"Null": {"s3:x-amz-content-sha256": "true"},
                                        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}
        if not is_access_log_sink:
            # refuse a *different* KMS key only when one is named; uploads relying on the default key pass
            foreign = policy["DenyForeignKmsKey"]["Condition"]
            header = "s3:x-amz-server-side-encryption-aws-kms-key-id"
            assert foreign["Null"] == {header: "false"} and header in foreign["StringNotEquals"]
            assert not any(op.endswith("IfExists") for op in foreign)
        rules = {r["id"]: r for r in lifecycle[logical]["rule"]}
        assert rules["abort-incomplete-multipart-uploads"]["abort_incomplete_multipart_upload"][0][
            "days_after_initiation"] == 7


def test_event_notifications_outside_the_emulator(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    notifications = resources(stack, "aws_s3_bucket_notification")
    if synthesized.environments[env_name].config.is_emulated:
        assert notifications == {}  # documented emulator gap (stacks/config/emulator_gaps.py)
    else:
        assert len(notifications) == len(resources(stack, "aws_s3_bucket")) == 9
        assert all(n["eventbridge"] is True for n in notifications.values())


def test_model_registry_and_log_archive_use_object_lock(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    buckets = by_path(stack, "aws_s3_bucket")
    locked = {path for path, body in buckets.items() if body.get("object_lock_enabled") is True}
    # not the access-log sink: S3 does not deliver server access logs to buckets with default retention
    assert locked == {"data_lake/models/bucket", "log_archive/archive/bucket"}
    days = synthesized.environments[env_name].config.logging.archive_object_lock_days
    for body in resources(stack, "aws_s3_bucket_object_lock_configuration").values():
        retention = body["rule"]["default_retention"]
        assert retention["mode"] in ("GOVERNANCE", "COMPLIANCE") and retention["days"] == days


def test_one_key_per_domain_with_rotation_and_explicit_least_privilege_policy(
    synthesized: Synthesized, env_name: str
) -> None:
    stack = synthesized.stack(env_name)
    keys = by_path(stack, "aws_kms_key")
    account = synthesized.environments[env_name].config.account_id
    symmetric = {path for path, key in keys.items() if key["key_usage"] == "ENCRYPT_DECRYPT"}
    assert symmetric == {f"keys/{d}/key" for d in ("raw", "features", "training", "validation", "models", "logs")}
    for path, key in keys.items():
        assert key.get("policy"), f"{path} has no explicit key policy"
        if key["key_usage"] == "ENCRYPT_DECRYPT":
            assert key["enable_key_rotation"] is True, path
        for statement in statements(key["policy"]):
            actions = as_list(statement.get("Action"))
            # no wildcard action in any Allow of any key policy (the root statement names its actions too)
            assert not (statement["Effect"] == "Allow" and any("*" in action for action in actions)), (path, statement)
        root = [s for s in statements(key["policy"]) if s.get("Principal") == {"AWS": f"arn:aws:iam::{account}:root"}]
        assert [s["Sid"] for s in root] == ["AccountRootAdmin"], path
        # the account administers (lockout safety) and never uses the key for data (requirement, not the code's list)
        assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:EnableKey",
                "kms:DescribeKey", "kms:GetKeyPolicy"} <= set(as_list(root[0]["Action"])), path
        assert not set(as_list(root[0]["Action"])) & KMS_DATA_PLANE_REQUIREMENT, path
        assert "Condition" not in root[0], path
    for name in ("manifest_signing", "release_signing"):
        signing = keys[f"keys/{name}/key"]
        assert signing["key_usage"] == "SIGN_VERIFY" and signing["customer_master_key_spec"].startswith("ECC_")
    aliases = {a["name"] for a in resources(stack, "aws_kms_alias").values()}
    assert {f"alias/ztai-{env_name}-manifest-signing", f"alias/ztai-{env_name}-release-signing"} <= aliases
    assert len(aliases) == 8


def test_each_data_bucket_has_its_own_domain_key(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    encryption = resources(stack, "aws_s3_bucket_server_side_encryption_configuration")
    seen = {}
    for body in encryption.values():
        bucket = target(stack, body["bucket"].replace(".id}", ".bucket}"))
        rule = body["rule"][0]["apply_server_side_encryption_by_default"]
        if rule["sse_algorithm"] == "aws:kms":
            key = target(stack, rule["kms_master_key_id"])
            seen[bucket["//"]["metadata"]["path"].split("/")[-2]] = key["//"]["metadata"]["path"].split("/")[-2]
    assert seen == {"raw": "raw", "features": "features", "training": "training", "validation": "validation",
                    "models": "models", "archive": "logs", "artifacts": "logs", "serving_trust": "models"}


def test_trainer_reads_training_and_features_and_is_explicitly_denied_validation(
    synthesized: Synthesized, env_name: str
) -> None:
    stack = synthesized.stack(env_name)
    policies = by_path(stack, "aws_iam_role_policy")
    trainer = statements(policies["training_job_role/policy"]["policy"])
    bucket_ids = {path.split("/")[1]: logical for logical, body in resources(stack, "aws_s3_bucket").items()
                  for path in [path_of(body)] if path.startswith("data_lake/")}

    def resources_for(effect: str, action: str) -> set[str]:
        return {r for s in trainer if s["Effect"] == effect and action in as_list(s["Action"])
                for r in as_list(s["Resource"])}

    reads = resources_for("Allow", "s3:GetObject")
    assert reads == {f"${{aws_s3_bucket.{bucket_ids['training']}.arn}}/training/*",
                     f"${{aws_s3_bucket.{bucket_ids['features']}.arn}}/features/*"}
    writes = resources_for("Allow", "s3:PutObject")
    assert writes == {f"${{aws_s3_bucket.{bucket_ids['models']}.arn}}/models/*"}
    denied = resources_for("Deny", "s3:GetObject")
    assert denied == {f"${{aws_s3_bucket.{bucket_ids['validation']}.arn}}/*"}
    # ...and the validation bucket's own policy carries the Deny naming the trainer's role.
    validation_policy = by_path(stack, "aws_s3_bucket_policy")["data_lake/validation/policy"]
    role_logical = next(iter(k for k, v in resources(stack, "aws_iam_role").items()
                             if v["//"]["metadata"]["path"].endswith("training_job_role/role")))
    deny = [s for s in statements(validation_policy["policy"])
            if s["Effect"] == "Deny" and s.get("Principal") == {"AWS": f"${{aws_iam_role.{role_logical}.arn}}"}]
    assert len(deny) == 1 and "s3:GetObject" in deny[0]["Action"]
    assert deny[0]["Resource"] == f"${{aws_s3_bucket.{bucket_ids['validation']}.arn}}/*"


def test_no_wildcard_allow_actions_in_identity_or_resource_policies(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    documents = [(p, b["policy"]) for p, b in by_path(stack, "aws_iam_role_policy").items()]
    documents += [(p, b["policy"]) for p, b in by_path(stack, "aws_s3_bucket_policy").items()]
    documents += [(p, b["policy"]) for p, b in by_path(stack, "aws_vpc_endpoint").items()]
    assert documents
    for path, document in documents:
        for statement in statements(document):
            if statement["Effect"] == "Allow":
                assert not [a for a in as_list(statement["Action"]) if "*" in a], (path, statement)


def test_log_delivery_grants_are_scoped_to_source(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    account = synthesized.environments[env_name].config.account_id
    for path, body in by_path(stack, "aws_s3_bucket_policy").items():
        for statement in statements(body["policy"]):
            principal = statement.get("Principal", {})
            if statement["Effect"] == "Allow" and "Service" in principal:
                condition = statement["Condition"]
                assert condition["StringEquals"]["aws:SourceAccount"] == account, (path, statement)
                assert "aws:SourceArn" in {**condition.get("ArnLike", {}), **condition.get("ArnEquals", {})}, (
                    path, statement)
            elif statement["Effect"] == "Allow" and "AWS" in principal:
                # the one cross-account principal: the regional ELB log-delivery account (legacy regions),
                # which cannot carry source conditions -- only under this account's ALB log prefix
                region = synthesized.environments[env_name].config.region
                assert principal == {"AWS": f"arn:aws:iam::{ELB_LOG_DELIVERY_ACCOUNTS[region]}:root"}, (path, statement)
                assert statement["Action"] == "s3:PutObject"
                assert statement["Resource"].endswith(f"/alb/ztai-{env_name}-serving/AWSLogs/{account}/*")


def test_no_iam_users_access_keys_or_login_profiles(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    forbidden = {"aws_iam_user", "aws_iam_access_key", "aws_iam_user_login_profile", "aws_iam_user_policy",
                 "aws_iam_user_policy_attachment", "aws_iam_group_membership", "aws_iam_user_group_membership"}
    assert not forbidden & set(stack.get("resource", {}))


def test_every_role_session_is_at_most_one_hour(synthesized: Synthesized, env_name: str) -> None:
    roles = resources(synthesized.stack(env_name), "aws_iam_role")
    assert roles
    for body in roles.values():
        assert body["max_session_duration"] <= 3600


def test_every_training_identity_is_explicitly_denied_validation(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    roles = {path_of(body): logical
             for logical, body in resources(stack, "aws_iam_role").items()}
    validation_policy = by_path(stack, "aws_s3_bucket_policy")["data_lake/validation/policy"]
    denied_principals = {s["Principal"]["AWS"] for s in statements(validation_policy["policy"])
                         if s["Effect"] == "Deny" and "s3:GetObject" in as_list(s["Action"])
                         and s["Principal"] != {"AWS": "*"}}
    training_identities = (
        "identities/model_trainer/role", "training_job_role/role", "training_compute/job_role/role")
    assert denied_principals == {f"${{aws_iam_role.{roles[p]}.arn}}" for p in training_identities}
    for path in training_identities:
        identity_policy = by_path(stack, "aws_iam_role_policy")[path.replace("/role", "/policy")]
        assert any(s["Effect"] == "Deny" and "s3:GetObject" in as_list(s["Action"])
                   and "data_lake_validation_bucket" in str(s["Resource"])
                   for s in statements(identity_policy["policy"]))
