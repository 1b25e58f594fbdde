"""The AI-platform policy pack: each custom check has a compliant and a non-compliant case.

All cases are scanned by the real checkov (isolated tool) in one run, through the gate's scan: in both
renderings (the JSON as cdktf writes it, with policies as strings, and the static plan, with policies as
objects), plus the gate's broken twin of the cases, which proves that no project check passes blindly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from blueprint.gate import runner as gate

MFA_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/sso/X"}, "Action": "sts:AssumeRole",
    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                  "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}]}
NO_MFA_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/sso/X"}, "Action": "sts:AssumeRole"}]}
MFA_NO_AGE = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/sso/X"}, "Action": "sts:AssumeRole",
    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
SAML_PROVIDER = "arn:aws:iam::111111111111:saml-provider/corp-idp"
SAML_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": SAML_PROVIDER}, "Action": "sts:AssumeRoleWithSAML",
    "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"},
                  "Null": {"sts:SourceIdentity": "false"}}}]}
SAML_NO_SOURCE = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": SAML_PROVIDER}, "Action": "sts:AssumeRoleWithSAML",
    "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}
SERVICE_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
TLS_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
OPEN_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::b/*"}]}
VALIDATION_DENY = {"Version": "2012-10-17", "Statement": TLS_POLICY["Statement"] + [{
    "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111111111111:role/trainer"}, "Action": ["s3:GetObject"],
    "Resource": "arn:aws:s3:::validation/*"}]}

ROOT = "arn:aws:iam::111111111111:root"
ROLE = "arn:aws:iam::111111111111:role/ztai-dev-trainer"
KEY_ADMIN = ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
             "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
             "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"]


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any, action: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*", **extra}


def meta(path: str) -> dict[str, Any]:
    return {"//": {"metadata": {"path": path, "uniqueId": path.replace("/", "_")}}}


def key(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"enable_key_rotation": True, "policy": policy(*statements)}


ROOT_ADMINISTERS = allow({"AWS": ROOT}, KEY_ADMIN)
VIA_S3 = {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:CallerAccount": "111111111111"}}
LAKE_OBJECTS = "arn:aws:s3:::ztai-dev-raw/*"
OUTSIDERS = {"ArnNotLike": {"aws:PrincipalArn": [ROLE, "arn:aws:iam::111111111111:role/ztai-dev-data-engineer"]}}
NOT_A_SERVICE = {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}


def lake_policy(path: str, *statements: dict[str, Any]) -> dict[str, Any]:
    return {**meta(path), "bucket": "${aws_s3_bucket.lake.id}",
            "policy": policy(*TLS_POLICY["Statement"], *statements)}


def deny_everyone(action: Any, condition: dict[str, Any] | None, principal: Any = "*",
                  resource: Any = LAKE_OBJECTS) -> dict[str, Any]:
    statement = {"Effect": "Deny", "Principal": principal, "Action": action, "Resource": resource}
    return {**statement, "Condition": condition} if condition else statement


def gateway(policy_text: str | None, **extra: Any) -> dict[str, Any]:
    body = {"vpc_id": "vpc-1", "service_name": "com.amazonaws.eu-west-1.s3", "vpc_endpoint_type": "Gateway",
            **extra}
    return {**body, "policy": policy_text} if policy_text is not None else body


S3_READ = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:PutObject"]
PLATFORM_BUCKETS = ["arn:aws:s3:::ztai-dev-*", "arn:aws:s3:::ztai-dev-*/*"]
OWN_ACCOUNT = {"StringEquals": {"aws:ResourceAccount": "111111111111"}}
ECR_LAYERS = "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*"


def object_lock(path: str, rule: dict[str, Any] | None) -> dict[str, Any]:
    return {**meta(path), "bucket": "${aws_s3_bucket.b.id}", **({"rule": rule} if rule else {})}


def asg(launch_template: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    body = {"max_size": 2, "min_size": 1, "vpc_zone_identifier": ["subnet-1"], **extra}
    return {**body, "launch_template": launch_template} if launch_template else body


def batch(launch_template: dict[str, Any]) -> dict[str, Any]:
    return {"compute_environment_name": "c", "type": "MANAGED", "service_role": "arn:role",
            "compute_resources": {"type": "EC2", "max_vcpus": 4, "instance_role": "arn:profile",
                                  "instance_type": ["g5.xlarge"], "subnets": ["subnet-1"],
                                  "security_group_ids": ["sg-1"], "launch_template": launch_template}}


def mixed(version: str) -> dict[str, Any]:
    return asg(mixed_instances_policy={"launch_template": {
        "launch_template_specification": {"launch_template_id": "${aws_launch_template.lt.id}", "version": version},
        "override": [{"instance_type": "g5.xlarge"}]}})


# check id -> (compliant resources, non-compliant resources): {type: {name: body}}
CASES: dict[str, tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]] = {
    "CKV_ZTAI_001": (
        {"aws_route_table": {"ok_rt": {"vpc_id": "vpc-1", "route": []}}},
        {"aws_route_table": {"bad_rt": {"vpc_id": "vpc-1", "route": [
            {"cidr_block": "0.0.0.0/0", "gateway_id": "${aws_internet_gateway.igw.id}"}]}},
         "aws_default_route_table": {"bad_rt_second_route": {"default_route_table_id": "rtb-2", "route": [
             {"cidr_block": "10.1.0.0/16", "transit_gateway_id": "tgw-1"},
             {"cidr_block": "0.0.0.0/0", "gateway_id": "${aws_internet_gateway.igw.id}"}]}},
         "aws_route": {"bad_route": {"route_table_id": "rtb-1", "destination_cidr_block": "0.0.0.0/0",
                                     "nat_gateway_id": "${aws_nat_gateway.nat.id}"}},
         "aws_internet_gateway": {"bad_igw": {"vpc_id": "vpc-1"}}},
    ),
    "CKV_ZTAI_002": (
        {"aws_lb_listener": {"ok_listener": {
            "load_balancer_arn": "arn", "port": 443, "protocol": "HTTPS", "certificate_arn": "arn:cert",
            "mutual_authentication": [{"mode": "verify", "trust_store_arn": "${aws_lb_trust_store.ts.arn}"}],
            "default_action": [{"type": "fixed-response"}]}}},
        {"aws_lb_listener": {
            "bad_listener_passthrough": {"load_balancer_arn": "arn", "port": 443, "protocol": "HTTPS",
                                         "mutual_authentication": [{"mode": "passthrough"}]},
            "bad_listener_http": {"load_balancer_arn": "arn", "port": 80, "protocol": "HTTP"}}},
    ),
    "CKV_ZTAI_003": (
        {"aws_s3_bucket_policy": {"ok_validation": {"bucket": "${aws_s3_bucket.data_lake_validation_bucket.id}",
                                                    "policy": json.dumps(VALIDATION_DENY)}}},
        {"aws_s3_bucket_policy": {"bad_validation": {"bucket": "${aws_s3_bucket.data_lake_validation_bucket.id}",
                                                     "policy": json.dumps(TLS_POLICY)}}},
    ),
    "CKV_ZTAI_004": (
        {"aws_iam_role": {"ok_human": {"name": "h", "assume_role_policy": json.dumps(MFA_TRUST)},
                          "ok_saml": {"name": "s", "assume_role_policy": json.dumps(SAML_TRUST),
                                      "tags": {"ztai:kind": "human"}}}},
        {"aws_iam_role": {"bad_human_no_mfa": {"name": "x", "assume_role_policy": json.dumps(NO_MFA_TRUST)},
                          "bad_human_no_age": {"name": "y", "assume_role_policy": json.dumps(MFA_NO_AGE)},
                          "bad_saml_no_source_identity": {"name": "z",
                                                          "assume_role_policy": json.dumps(SAML_NO_SOURCE)},
                          "bad_human_only_a_service": {"name": "w", "tags": {"ztai:kind": "human"},
                                                       "assume_role_policy": json.dumps(SERVICE_TRUST)}}},
    ),
    "CKV_ZTAI_005": (
        {"aws_s3_bucket_policy": {"ok_tls": {"bucket": "b", "policy": json.dumps(TLS_POLICY)}}},
        {"aws_s3_bucket_policy": {"bad_tls": {"bucket": "b", "policy": json.dumps(OPEN_POLICY)}}},
    ),
    "CKV_ZTAI_006": (
        {"aws_kms_key": {"ok_key": {"enable_key_rotation": True, "policy": json.dumps(TLS_POLICY)},
                         "ok_signing_key": {"key_usage": "SIGN_VERIFY", "customer_master_key_spec": "ECC_NIST_P256",
                                            "policy": json.dumps(TLS_POLICY)}}},
        {"aws_kms_key": {"bad_key_no_rotation": {"enable_key_rotation": False, "policy": json.dumps(TLS_POLICY)},
                         "bad_key_no_policy": {"enable_key_rotation": True}}},
    ),
    "CKV_ZTAI_007": (
        {"aws_cloudwatch_log_group": {"ok_logs": {"name": "a", "retention_in_days": 365, "kms_key_id": "arn:k"}}},
        {"aws_cloudwatch_log_group": {"bad_logs_short": {"name": "b", "retention_in_days": 30, "kms_key_id": "arn:k"},
                                      "bad_logs_plain": {"name": "c", "retention_in_days": 400}}},
    ),
    "CKV_ZTAI_008": (
        {"aws_iam_role": {"ok_no_user": {"name": "r", "assume_role_policy": json.dumps(MFA_TRUST)}}},
        {"aws_iam_user": {"bad_user": {"name": "bob"}},
         "aws_iam_access_key": {"bad_key": {"user": "bob"}}},
    ),
    "CKV_ZTAI_009": (
        {"aws_cognito_user_pool_client": {"ok_client": {
            "name": "c", "user_pool_id": "p", "allowed_oauth_flows": ["client_credentials"],
            "access_token_validity": 15, "token_validity_units": [{"access_token": "minutes"}]}}},
        {"aws_cognito_user_pool_client": {
            "bad_client_default_hour": {"name": "d", "user_pool_id": "p",
                                        "allowed_oauth_flows": ["client_credentials"]},
            "bad_client_one_hour": {"name": "e", "user_pool_id": "p", "allowed_oauth_flows": ["client_credentials"],
                                    "access_token_validity": 1, "token_validity_units": [{"access_token": "hours"}]},
            "bad_client_code_flow": {"name": "f", "user_pool_id": "p", "allowed_oauth_flows": ["code"],
                                     "access_token_validity": 5,
                                     "token_validity_units": [{"access_token": "minutes"}]}}},
    ),
    "CKV_ZTAI_010": (
        {"aws_wafv2_web_acl": {"ok_acl": {"name": "a", "scope": "REGIONAL", "rule": [
            {"name": "rate", "priority": 0, "action": [{"block": [{}]}],
             "statement": [{"rate_based_statement": [{"limit": 100, "aggregate_key_type": "IP"}]}]}]}}},
        {"aws_wafv2_web_acl": {
            "bad_acl_no_rate": {"name": "b", "scope": "REGIONAL", "rule": [
                {"name": "m", "priority": 0, "override_action": [{"none": [{}]}],
                 "statement": [{"managed_rule_group_statement": [{"name": "X", "vendor_name": "AWS"}]}]}]},
            "bad_acl_count_only": {"name": "c", "scope": "REGIONAL", "rule": [
                {"name": "rate", "priority": 0, "action": [{"count": [{}]}],
                 "statement": [{"rate_based_statement": [{"limit": 100}]}]}]}}},
    ),

    "CKV_ZTAI_011": (
        {"aws_kms_key": {
            "ok_key_named_users": key(ROOT_ADMINISTERS, allow({"AWS": ROLE}, ["kms:Decrypt", "kms:DescribeKey"])),
            "ok_key_via_service": key(ROOT_ADMINISTERS, allow({"AWS": "*"}, ["kms:Decrypt", "kms:GenerateDataKey*"],
                                                              Condition=VIA_S3)),
            "ok_key_principal_arn": key(ROOT_ADMINISTERS, allow("*", "kms:Decrypt", Condition={
                "ArnLike": {"aws:PrincipalArn": ROLE}}))}},
        {"aws_kms_key": {
            "bad_key_root_everything": key(allow({"AWS": ROOT}, "kms:*")),
            "bad_key_bare_account": key(ROOT_ADMINISTERS, allow({"AWS": "111111111111"}, "kms:Decrypt")),
            "bad_key_caller_identity_root": key(allow(
                {"AWS": "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"}, "kms:GenerateDataKey*")),
            "bad_key_caller_identity_account": key(allow(
                {"AWS": ["${data.aws_caller_identity.current.account_id}"]}, ["kms:Sign"])),
            "bad_key_root_not_action": key({"Effect": "Allow", "Principal": {"AWS": ROOT}, "NotAction": ["kms:Decrypt"],
                                            "Resource": "*"}),
            "bad_key_everyone": key(ROOT_ADMINISTERS, allow({"AWS": "*"}, "kms:*crypt*")),
            "bad_key_everyone_half_bound": key(ROOT_ADMINISTERS, allow({"AWS": "*"}, "kms:Decrypt", Condition={
                "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}})),
            "bad_key_everyone_negated": key(ROOT_ADMINISTERS, allow("*", "kms:ReEncrypt*", Condition={
                "ArnNotLike": {"aws:PrincipalArn": ROLE}})),
            "bad_key_default_policy": {"enable_key_rotation": True}}},
    ),
    "CKV_ZTAI_012": (
        {"aws_s3_bucket_policy": {
            "ok_lake_deny": lake_policy("dev/data_lake/raw/policy",
                                        deny_everyone(["s3:GetObject*", "s3:PutObject"], OUTSIDERS)),
            "ok_lake_split_denies": lake_policy(
                "dev/data_lake/training/policy",
                deny_everyone(["s3:GetObject", "s3:GetObjectVersion"], {"StringNotEquals": {"aws:PrincipalArn": ROLE}},
                              principal={"AWS": "*"}),
                deny_everyone("s3:PutObject", {"ArnNotEquals": {"aws:PrincipalArn": [ROLE]}})),
            "ok_lake_service_principals_exempt": lake_policy("dev/data_lake/raw/policy", deny_everyone(
                ["s3:GetObject*", "s3:PutObject*"], {**OUTSIDERS, **NOT_A_SERVICE})),
            # nobody is granted the validation data: the Deny covers everyone (but AWS service principals)
            "ok_lake_nobody_granted": lake_policy("dev/data_lake/validation/policy", deny_everyone(
                ["s3:GetObject*", "s3:PutObject*"], NOT_A_SERVICE))}},
        {"aws_s3_bucket_policy": {
            "bad_lake_tls_only": lake_policy("dev/data_lake/raw/policy"),
            "bad_lake_reads_only": lake_policy("dev/data_lake/raw/policy", deny_everyone("s3:GetObject", OUTSIDERS)),
            "bad_lake_denies_listed_only": lake_policy("dev/data_lake/features/policy", deny_everyone(
                ["s3:GetObject*", "s3:PutObject"], {"ArnLike": {"aws:PrincipalArn": ROLE}})),
            "bad_lake_named_principal": lake_policy("dev/data_lake/models/policy", deny_everyone(
                ["s3:GetObject*", "s3:PutObject"], OUTSIDERS, principal={"AWS": ROLE})),
            "bad_lake_excludes_everyone": lake_policy("dev/data_lake/models/policy", deny_everyone(
                ["s3:*"], {"ArnNotLike": {"aws:PrincipalArn": "*"}})),
            "bad_lake_bucket_only": lake_policy("dev/data_lake/validation/policy", deny_everyone(
                ["s3:GetObject*", "s3:PutObject"], OUTSIDERS, resource="arn:aws:s3:::ztai-dev-raw")),
            # a Deny narrowed by another condition (here: only outside the VPC) keeps nobody out in general
            "bad_lake_narrowed_deny": lake_policy("dev/data_lake/raw/policy", deny_everyone(
                ["s3:GetObject*", "s3:PutObject"], {**OUTSIDERS, "StringNotEquals": {"aws:SourceVpc": "vpc-1"}})),
            "bad_lake_services_exempt_wrongly": lake_policy("dev/data_lake/raw/policy", deny_everyone(
                ["s3:GetObject*", "s3:PutObject"], {"Bool": {"aws:PrincipalIsAWSService": "true"}}))}},
    ),
    "CKV_ZTAI_013": (
        {"aws_vpc_endpoint": {
            "ok_gateway_account": gateway(policy(allow("*", S3_READ, Resource=PLATFORM_BUCKETS,
                                                       Condition=OWN_ACCOUNT))),
            "ok_gateway_org_default_type": {
                "vpc_id": "vpc-1", "service_name": "com.amazonaws.eu-west-1.s3",
                "policy": policy(allow({"AWS": "*"}, S3_READ, Condition={
                    "StringEquals": {"aws:ResourceOrgID": "o-abc123"}}),
                    {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*"})},
            # ECR's layer bucket belongs to AWS: read-only access to the endpoint region's bucket is allowed
            "ok_gateway_ecr_layers": gateway(policy(
                allow("*", S3_READ, Resource=PLATFORM_BUCKETS, Condition=OWN_ACCOUNT),
                allow({"AWS": "*"}, "s3:GetObject", Resource=ECR_LAYERS,
                      Condition={"StringEquals": {"aws:PrincipalAccount": "111111111111"}})))}},
        {"aws_vpc_endpoint": {
            "bad_gateway_names_only": gateway(policy(allow({"AWS": "*"}, S3_READ, Resource=PLATFORM_BUCKETS))),
            "bad_gateway_default_policy": gateway(None),
            "bad_gateway_one_unbound": gateway(policy(allow("*", ["s3:GetObject"], Condition=OWN_ACCOUNT),
                                                      allow("*", ["s3:PutObject"]))),
            "bad_gateway_negated": gateway(policy(allow("*", S3_READ, Condition={
                "StringNotEquals": {"aws:ResourceAccount": "222222222222"}}))),
            "bad_gateway_ecr_layers_writable": gateway(policy(allow("*", ["s3:GetObject", "s3:PutObject"],
                                                                    Resource=ECR_LAYERS))),
            "bad_gateway_ecr_layers_other_region": gateway(policy(allow(
                "*", "s3:GetObject", Resource="arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"))),
            "bad_gateway_lookalike_bucket": gateway(policy(allow(
                "*", "s3:GetObject", Resource="arn:aws:s3:::prod-eu-west-1-starport-layer-bucket-x/*")))}},
    ),
    "CKV_ZTAI_014": (
        {"aws_s3_bucket_object_lock_configuration": {
            "ok_archive_compliance": object_lock("dev/log_archive/archive/object_lock",
                                                 {"default_retention": {"mode": "COMPLIANCE", "days": 365}})}},
        {"aws_s3_bucket_object_lock_configuration": {
            "bad_archive_governance": object_lock("dev/log_archive/archive/object_lock",
                                                  {"default_retention": {"mode": "GOVERNANCE", "days": 30}}),
            "bad_archive_no_default_retention": object_lock("prod/log_archive/archive/object_lock", None)}},
    ),
    "CKV_ZTAI_015": (
        {"aws_autoscaling_group": {
            "ok_asg_latest_version_reference": asg({"id": "${aws_launch_template.lt.id}",
                                                    "version": "${aws_launch_template.lt.latest_version}"}),
            "ok_asg_mixed_pinned": mixed("7")},
         "aws_batch_compute_environment": {
            "ok_batch_pinned": batch({"launch_template_id": "${aws_launch_template.lt.id}", "version": "3"})}},
        {"aws_autoscaling_group": {
            "bad_asg_latest": asg({"id": "${aws_launch_template.lt.id}", "version": "$Latest"}),
            "bad_asg_default": asg({"name": "lt", "version": "$Default"}),
            "bad_asg_no_version": asg({"id": "${aws_launch_template.lt.id}"}),
            "bad_asg_mixed_latest": mixed("$Latest")},
         "aws_batch_compute_environment": {
            "bad_batch_latest": batch({"launch_template_id": "${aws_launch_template.lt.id}", "version": "$Latest"})}},
    ),
}

# Resources each check must leave alone (no result at all): what the check is scoped to matters.
NOT_APPLICABLE: dict[str, dict[str, dict[str, Any]]] = {
    "CKV_ZTAI_012": {"aws_s3_bucket_policy": {"na_artifacts_policy": {
        **meta("dev/artifacts/policy"), "bucket": "b", "policy": json.dumps(TLS_POLICY)}}},
    "CKV_ZTAI_013": {"aws_vpc_endpoint": {
        "na_interface_s3": {"vpc_id": "vpc-1", "service_name": "com.amazonaws.eu-west-1.s3",
                            "vpc_endpoint_type": "Interface"},
        "na_kms": {"vpc_id": "vpc-1", "service_name": "com.amazonaws.eu-west-1.kms",
                   "vpc_endpoint_type": "Interface"}}},
    "CKV_ZTAI_014": {"aws_s3_bucket_object_lock_configuration": {"na_models_governance": object_lock(
        "dev/data_lake/models/object_lock", {"default_retention": {"mode": "GOVERNANCE", "days": 30}})}},
    "CKV_ZTAI_015": {"aws_autoscaling_group": {"na_asg_launch_configuration": asg(launch_configuration="lc")}},
}

Outcome = dict[tuple[str, str, str], str]  # (rendering, check id, resource name) -> PASSED / FAILED


@dataclass
class Pack:
    results: Outcome
    blind: set[tuple[str, str, str]]  # (rendering, check, type) that pass the broken twin blindly
    failing_the_twin: set[tuple[str, str]]  # (rendering, check) that fail a broken or empty twin resource


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    resources: dict[str, dict[str, Any]] = {}
    for group in [g for good, bad in CASES.values() for g in (good, bad)] + list(NOT_APPLICABLE.values()):
        for type_name, bodies in group.items():
            resources.setdefault(type_name, {}).update(bodies)
    work = tmp_path_factory.mktemp("pack")
    path = work / "cases" / "cdk.tf.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"resource": resources}), encoding="utf-8")
    scanned = gate.scan({"cases": path}, work, checks=sorted(CASES))
    outcome = {(r.rendering, r.check_id, r.resource.split(".", 1)[1]): r.result
               for r in scanned.records if r.label == "cases"}
    assert scanned.twin is not None
    failing = {(r.rendering, r.check_id) for r in scanned.records if r.label == gate.TWIN and r.result == "FAILED"}
    return Pack(outcome, gate.blind_checks(scanned.records, scanned.twin), failing)


@pytest.mark.parametrize("rendering", gate.RENDERINGS)
@pytest.mark.parametrize("check_id", sorted(CASES))
def test_compliant_and_non_compliant_cases(pack: Pack, check_id: str, rendering: str) -> None:
    results = pack.results
    good, bad = CASES[check_id]
    # CKV_ZTAI_008 targets resource types that must not exist: the compliant case is "not scanned at all".
    expected_good = None if check_id == "CKV_ZTAI_008" else "PASSED"
    for bodies in good.values():
        for name in bodies:
            assert results.get((rendering, check_id, name)) == expected_good, (check_id, name, rendering)
    for bodies in bad.values():
        for name in bodies:
            assert results.get((rendering, check_id, name)) == "FAILED", (check_id, name, rendering)


@pytest.mark.parametrize("check_id", sorted(NOT_APPLICABLE))
def test_checks_leave_resources_out_of_scope_alone(pack: Pack, check_id: str) -> None:
    for bodies in NOT_APPLICABLE[check_id].values():
        for name in bodies:
            for rendering in gate.RENDERINGS:
                assert (rendering, check_id, name) not in pack.results, (check_id, name, rendering)


def test_no_project_check_passes_the_broken_twin_blindly(pack: Pack) -> None:
    # every check of the pack fails a broken (or the empty) copy of its resources, in both renderings ...
    assert pack.failing_the_twin == {(r, c) for r in gate.RENDERINGS for c in CASES}
    # ... so none passes a broken copy without failing any: no pass of the pack is vacuous
    assert pack.blind == set()


def test_one_check_per_module() -> None:
    modules = sorted(p.name for p in Path(gate.CUSTOM_CHECKS).glob("ZTAI_*.py"))
    assert len(modules) == len(CASES) == 15
    for module in modules:
        check_id = "CKV_" + "_".join(module.split("_")[:2])
        assert check_id in CASES, module
        assert module.count("CKV_ZTAI") == 0
        assert f'id="{check_id}"' in (Path(gate.CUSTOM_CHECKS) / module).read_text(encoding="utf-8")
