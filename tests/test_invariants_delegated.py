"""Delegated accounts, workload side: staging and prod deliver their evidence into the organization's log-archive
account and leave GuardDuty and Security Hub to the security-tooling account; dev and local keep the single-account
layout. Every expected name is computed with the contract (zero_trust_ai.delegated_accounts.DelegatedArchive), the
one the organization stack builds the archive from."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import Synthesized
from tests.layouts import delegated_archive, security_tooling
from tests.tfjson import by_path, path_of, resources, statements, target
from zero_trust_ai.delegated_accounts import DelegatedArchive, load_balancer_log_prefix, trail_name

DELEGATING = ("staging", "prod")
SINGLE_ACCOUNT = ("dev", "local")
DATA_REF = re.compile(r"\$\{data\.([a-z0-9_]+)\.([A-Za-z0-9_]+)\.([a-z_]+)\}")
TRAIL_STATEMENTS = {"CloudTrailAclCheck", "CloudTrailWrite"}
TRAIL_KEY_STATEMENTS = {"CloudTrailEncryptLogs", "CloudTrailDescribeKey"}
FLOW_LOG_STATEMENTS = {"VpcFlowLogsDelivery", "VpcFlowLogsDeliveryBucketCheck"}
FLOW_LOG_KEY_STATEMENTS = {"VpcFlowLogsEncrypt"}


def _archive(synthesized: Synthesized, env: str) -> DelegatedArchive:
    archive = delegated_archive(synthesized.environments[env])
    assert archive is not None, f"{env} must delegate to the log-archive account (environments/{env}.yaml)"
    return archive


def _data(stack: dict[str, Any], expression: str) -> dict[str, Any]:
    match = DATA_REF.fullmatch(expression)
    assert match, f"not a data-source reference: {expression!r}"
    return dict(stack["data"][match.group(1)][match.group(2)])


def _policy_sids(stack: dict[str, Any], type_name: str, path: str) -> set[str]:
    return {s.get("Sid", "") for s in statements(by_path(stack, type_name)[path]["policy"])}


def test_the_layouts_are_the_configured_ones(synthesized: Synthesized) -> None:
    """Not vacuous: staging and prod name both delegated accounts, dev and local neither."""
    for env in DELEGATING:
        loaded = synthesized.environments[env]
        assert _archive(synthesized, env).log_archive_account_id == loaded.config.delegated_accounts.log_archive  # type: ignore[union-attr]
        assert security_tooling(loaded) == loaded.config.delegated_accounts.security_tooling  # type: ignore[union-attr]
    for env in SINGLE_ACCOUNT:
        assert delegated_archive(synthesized.environments[env]) is None
        assert security_tooling(synthesized.environments[env]) is None


@pytest.mark.parametrize("env", DELEGATING)
def test_trail_writes_to_the_delegated_archive_with_its_key_arn(synthesized: Synthesized, env: str) -> None:
    stack, archive = synthesized.stack(env), _archive(synthesized, env)
    (trail,) = resources(stack, "aws_cloudtrail").values()
    assert trail["name"] == archive.trail_name == trail_name(f"ztai-{env}")
    config = synthesized.environments[env].config
    assert f"arn:aws:cloudtrail:{config.region}:{config.account_id}:trail/{trail['name']}" == archive.trail_arn
    assert trail["s3_bucket_name"] == archive.archive_bucket_name
    # the key ARN, read by alias: CloudTrail returns a key ARN, an alias ARN would plan a change forever
    key = _data(stack, trail["kms_key_id"])
    assert trail["kms_key_id"].endswith(".arn}") and key["key_id"] == archive.key_alias_arn
    assert "depends_on" not in trail  # no local bucket policy or key admits it
    # the CloudWatch Logs copy stays local: the alarms' metric filters read it
    group = target(stack, trail["cloud_watch_logs_group_arn"].removesuffix(":*"))
    assert path_of(group).endswith("audit_trail/log_group/log_group") and group["kms_key_id"]


@pytest.mark.parametrize("env", DELEGATING)
def test_flow_logs_to_s3_go_to_the_delegated_archive_and_a_copy_stays_local(synthesized: Synthesized,
                                                                              env: str) -> None:
    stack, archive = synthesized.stack(env), _archive(synthesized, env)
    flow_logs = list(resources(stack, "aws_flow_log").values())
    to_s3 = [f for f in flow_logs if f["log_destination_type"] == "s3"]
    to_logs = [f for f in flow_logs if f["log_destination_type"] == "cloud-watch-logs"]
    assert len(to_s3) == len(to_logs) == len(resources(stack, "aws_vpc")) == 2
    assert {f["log_destination"] for f in to_s3} == {f"arn:aws:s3:::{archive.archive_bucket_name}"}
    assert all(path_of(target(stack, f["log_destination"])).endswith("flow_log_group/log_group") for f in to_logs)


@pytest.mark.parametrize("env", DELEGATING)
def test_load_balancer_logs_go_to_the_delegated_access_log_bucket(synthesized: Synthesized, env: str) -> None:
    stack, archive = synthesized.stack(env), _archive(synthesized, env)
    (lb,) = resources(stack, "aws_lb").values()
    assert lb["access_logs"] == {"bucket": archive.access_log_bucket_name, "enabled": True,
                                 "prefix": archive.load_balancer_log_prefix}
    assert archive.load_balancer_log_prefix == load_balancer_log_prefix(f"ztai-{env}")
    assert "depends_on" not in lb


@pytest.mark.parametrize("env", DELEGATING)
def test_nothing_local_admits_the_trail_or_the_load_balancer(synthesized: Synthesized, env: str) -> None:
    """The local archive, access-log bucket and logs key carry no statement for a writer that delivers elsewhere."""
    stack = synthesized.stack(env)
    assert not TRAIL_STATEMENTS & _policy_sids(stack, "aws_s3_bucket_policy", "log_archive/archive/policy")
    assert not {s for s in _policy_sids(stack, "aws_s3_bucket_policy", "log_archive/access_logs/policy")
                if s.startswith("LoadBalancerLogs")}
    assert not TRAIL_KEY_STATEMENTS & _policy_sids(stack, "aws_kms_key", "keys/logs/key")
    # nor for the flow logs, which go to the log-archive account: no unused delivery grant stays behind
    assert not FLOW_LOG_STATEMENTS & _policy_sids(stack, "aws_s3_bucket_policy", "log_archive/archive/policy")
    assert not FLOW_LOG_KEY_STATEMENTS & _policy_sids(stack, "aws_kms_key", "keys/logs/key")
    # the local archive stays for everything else: S3 server access logs (same account and region only), run records
    assert by_path(stack, "aws_s3_bucket")["log_archive/archive/bucket"]
    assert by_path(stack, "aws_s3_bucket")["log_archive/access_logs/bucket"]


@pytest.mark.parametrize("env", DELEGATING)
def test_no_detector_or_hub_when_the_security_tooling_account_administers(synthesized: Synthesized,
                                                                           env: str) -> None:
    stack = synthesized.stack(env)
    assert security_tooling(synthesized.environments[env])
    for type_name in ("aws_guardduty_detector", "aws_guardduty_detector_feature", "aws_securityhub_account",
                      "aws_securityhub_standards_subscription"):
        assert not resources(stack, type_name), type_name


@pytest.mark.parametrize("env", (*DELEGATING, *SINGLE_ACCOUNT))
def test_the_quarantine_rule_matches_findings_by_source_not_by_detector(synthesized: Synthesized, env: str) -> None:
    """The administrator's detector in this account publishes to this account's default bus: the rule is there, on
    the default bus, and names no detector."""
    stack = synthesized.stack(env)
    rule = by_path(stack, "aws_cloudwatch_event_rule")["quarantine/rule_guardduty_findings"]
    pattern = json.loads(rule["event_pattern"])
    assert pattern["source"] == ["aws.guardduty"] and pattern["detail-type"] == ["GuardDuty Finding"]
    assert set(pattern["detail"]) == {"severity"} and "event_bus_name" not in rule
    assert "detector" not in rule["event_pattern"] and "aws_guardduty_detector" not in json.dumps(rule)
    targets = [t for t in resources(stack, "aws_cloudwatch_event_target").values()
               if target(stack, t["rule"].replace(".name}", ".arn}")) is rule]
    assert any(path_of(target(stack, t["arn"])) == "quarantine/function" for t in targets), targets


@pytest.mark.parametrize("env", SINGLE_ACCOUNT)
def test_single_account_environments_keep_everything_local(synthesized: Synthesized, env: str) -> None:
    stack = synthesized.stack(env)
    assert "aws_kms_key" not in stack.get("data", {})
    assert not [p for p in by_path(stack, "aws_s3_bucket") if "delegated" in p]
    (trail,) = resources(stack, "aws_cloudtrail").values()
    assert trail["name"] == trail_name(f"ztai-{env}")
    assert path_of(target(stack, trail["s3_bucket_name"])).endswith("log_archive/archive/bucket")
    assert path_of(target(stack, trail["kms_key_id"])).endswith("keys/logs/key")
    assert _policy_sids(stack, "aws_s3_bucket_policy", "log_archive/archive/policy") >= TRAIL_STATEMENTS
    assert _policy_sids(stack, "aws_kms_key", "keys/logs/key") >= TRAIL_KEY_STATEMENTS | FLOW_LOG_KEY_STATEMENTS
    assert _policy_sids(stack, "aws_s3_bucket_policy", "log_archive/archive/policy") >= FLOW_LOG_STATEMENTS
    (lb,) = resources(stack, "aws_lb").values()
    assert lb["access_logs"]["prefix"] == load_balancer_log_prefix(f"ztai-{env}")
    assert path_of(target(stack, lb["access_logs"]["bucket"])).endswith("log_archive/access_logs/bucket")
    assert len(resources(stack, "aws_guardduty_detector")) == 1
