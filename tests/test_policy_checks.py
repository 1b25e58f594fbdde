"""The AI-platform policy pack: each custom check has a compliant and a non-compliant case.

All cases are scanned by the real checkov (isolated tool) in one run.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from blueprint import gate

MFA_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/sso/X"}, "Action": "sts:AssumeRole",
    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                  "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}]}
NO_MFA_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/sso/X"}, "Action": "sts:AssumeRole"}]}
MFA_NO_AGE = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/sso/X"}, "Action": "sts:AssumeRole",
    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
TLS_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
OPEN_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::b/*"}]}
VALIDATION_DENY = {"Version": "2012-10-17", "Statement": TLS_POLICY["Statement"] + [{
    "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111111111111:role/trainer"}, "Action": ["s3:GetObject"],
    "Resource": "arn:aws:s3:::validation/*"}]}

# check id -> (compliant resources, non-compliant resources): {type: {name: body}}
CASES: dict[str, tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]] = {
    "CKV_ZTAI_001": (
        {"aws_route_table": {"ok_rt": {"vpc_id": "vpc-1", "route": []}}},
        {"aws_route_table": {"bad_rt": {"vpc_id": "vpc-1", "route": [
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
        {"aws_iam_role": {"ok_human": {"name": "h", "assume_role_policy": json.dumps(MFA_TRUST)}}},
        {"aws_iam_role": {"bad_human_no_mfa": {"name": "x", "assume_role_policy": json.dumps(NO_MFA_TRUST)},
                          "bad_human_no_age": {"name": "y", "assume_role_policy": json.dumps(MFA_NO_AGE)}}},
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
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    resources: dict[str, dict[str, Any]] = {}
    for good, bad in CASES.values():
        for group in (good, bad):
            for type_name, bodies in group.items():
                resources.setdefault(type_name, {}).update(bodies)
    path = tmp_path_factory.mktemp("pack") / "cdk.tf.json"
    path.write_text(json.dumps({"resource": resources}), encoding="utf-8")
    command = [gate.checkov_executable(), "--framework", "terraform_json", "--skip-download", "--compact",
               "--output", "json", "--soft-fail", "--external-checks-dir", str(gate.CUSTOM_CHECKS),
               "--check", ",".join(CASES), "--file", str(path)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    report = json.loads(output)
    outcome = {}
    for key, verdict in (("passed_checks", "PASSED"), ("failed_checks", "FAILED")):
        for item in report["results"][key]:
            outcome[(item["check_id"], item["resource"].split(".")[-1])] = verdict
    return outcome


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_compliant_and_non_compliant_cases(results: dict[tuple[str, str], str], check_id: str) -> None:
    good, bad = CASES[check_id]
    # CKV_ZTAI_008 targets resource types that must not exist: the compliant case is "not scanned at all".
    expected_good = None if check_id == "CKV_ZTAI_008" else "PASSED"
    for bodies in good.values():
        for name in bodies:
            assert results.get((check_id, name)) == expected_good, (check_id, name, results.get((check_id, name)))
    for bodies in bad.values():
        for name in bodies:
            assert results.get((check_id, name)) == "FAILED", (check_id, name, results.get((check_id, name)))


def test_one_check_per_module() -> None:
    modules = sorted(p.name for p in Path(gate.CUSTOM_CHECKS).glob("ZTAI_*.py"))
    assert len(modules) == len(CASES) == 10
    for module in modules:
        check_id = "CKV_" + "_".join(module.split("_")[:2])
        assert check_id in CASES, module
        assert module.count("CKV_ZTAI") == 0
        assert f'id="{check_id}"' in (Path(gate.CUSTOM_CHECKS) / module).read_text(encoding="utf-8")
