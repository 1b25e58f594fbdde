"""Step 6 monitoring, detection and automated-quarantine invariants on the synthesized JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from stacks.config import emulator_gaps
from tests.conftest import PROJECT_ROOT, Synthesized
from tests.layouts import delegated_archive, security_tooling
from tests.tfjson import as_list, by_path, logical_id, path_of, resources, statements, target

CLOUD = ("dev", "staging", "prod")
DATA_BUCKETS = ("raw", "features", "training", "validation", "models")
HANDLER = PROJECT_ROOT / "constructs" / "zero_trust_ai" / "runtime" / "quarantine" / "handler.py"


def _path(body: dict) -> str:
    return str(body["//"]["metadata"]["path"])


def test_trail_is_multi_region_validated_encrypted_and_streams_to_logs(synthesized: Synthesized,
                                                                       env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    (trail,) = resources(stack, "aws_cloudtrail").values()
    assert trail["is_multi_region_trail"] is True and trail["include_global_service_events"] is True
    assert trail["enable_log_file_validation"] is True and trail["enable_logging"] is True
    if delegated_archive(synthesized.environments[env_name]) is None:  # else: tests/test_invariants_delegated.py
        assert _path(target(stack, trail["kms_key_id"])).endswith("keys/logs/key")
        assert _path(target(stack, trail["s3_bucket_name"])).endswith("log_archive/archive/bucket")
    group = target(stack, trail["cloud_watch_logs_group_arn"].removesuffix(":*"))
    assert group["retention_in_days"] == config.logging.retention_days >= 365 and group["kms_key_id"]
    role = target(stack, trail["cloud_watch_logs_role_arn"])
    trust = json.loads(role["assume_role_policy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"].endswith(f":trail/ztai-{env_name}-trail")
    selectors = {s["name"]: s["field_selector"] for s in trail["advanced_event_selector"]}
    management = next(v for k, v in selectors.items() if k.startswith("Management"))
    assert management == [{"field": "eventCategory", "equals": ["Management"]}]
    data = next(v for k, v in selectors.items() if k.startswith("S3 data"))
    (arns,) = [f["starts_with"] for f in data if f["field"] == "resources.ARN"]
    assert sorted(_path(target(stack, a.removesuffix("/"))).split("/")[-2] for a in arns) == sorted(DATA_BUCKETS)


def test_each_log_source_gets_scoped_archive_statements(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    policies = {_path(target(stack, p["bucket"].replace(".id}", ".arn}"))): p
                for p in resources(stack, "aws_s3_bucket_policy").values()}
    archive = statements(policies[f"{env_name}/platform/log_archive/archive/bucket"]["policy"])
    by_sid = {s["Sid"]: s for s in archive}
    sink = statements(policies[f"{env_name}/platform/log_archive/access_logs/bucket"]["policy"])
    alb = [s for s in sink if s["Sid"].startswith("LoadBalancerLogs")]
    delegated = delegated_archive(synthesized.environments[env_name]) is not None
    if delegated:  # the log-archive account admits the trail, flow logs and load balancer: nothing local lets them in
        assert not {"CloudTrailAclCheck", "CloudTrailWrite", "VpcFlowLogsDelivery"} & set(by_sid) and not alb
    else:
        trail_arn = f"arn:aws:cloudtrail:{config.region}:{config.account_id}:trail/ztai-{env_name}-trail"
        for sid in ("CloudTrailAclCheck", "CloudTrailWrite"):
            assert by_sid[sid]["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
            assert by_sid[sid]["Condition"]["ArnEquals"]["aws:SourceArn"] == trail_arn
            assert by_sid[sid]["Condition"]["StringEquals"]["aws:SourceAccount"] == config.account_id
        assert by_sid["CloudTrailWrite"]["Resource"].endswith(f"/AWSLogs/{config.account_id}/*")
        assert len(alb) == 1 and alb[0]["Action"] == "s3:PutObject"
        assert alb[0]["Resource"].endswith(f"/alb/ztai-{env_name}-serving/AWSLogs/{config.account_id}/*")
        assert by_sid["VpcFlowLogsDelivery"]["Condition"]["StringEquals"]["aws:SourceAccount"] == config.account_id
    s3_logs = [s for s in sink if s["Sid"].startswith("AccessLogsFrom")]
    assert s3_logs and all("aws:SourceArn" in s["Condition"]["ArnLike"] for s in s3_logs)
    allowed = [s for s in archive + sink if s["Effect"] == "Allow"]
    assert all(s["Action"] != "s3:*" and "*" not in as_list(s["Action"]) for s in allowed)


EXPECTED_DETECTIONS = {
    "unauthorized-api-calls": ("UnauthorizedOperation", False),
    "root-account-usage": ('$.userIdentity.type = "Root"', False),
    "iam-policy-changes": ("PutRolePolicy", False),
    "console-signin-without-mfa": ('$.additionalEventData.MFAUsed != "Yes"', False),
    "data-bucket-access-denied": ('$.errorCode = "AccessDenied"', True),
    "break-glass-role-use": ('$.eventName = "AssumeRole"', False),
}


def test_cis_detections_alarm_to_the_encrypted_alert_topic(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    filters = {f["name"].removeprefix(f"ztai-{env_name}-"): f
               for f in resources(stack, "aws_cloudwatch_log_metric_filter").values()}
    topic_id = logical_id(stack, "aws_sns_topic", "alert_topic/topic")
    alarms = {a["alarm_name"].removeprefix(f"ztai-{env_name}-"): a
              for a in resources(stack, "aws_cloudwatch_metric_alarm").values()}
    trail_group = by_path(stack, "aws_cloudwatch_log_group")["audit_trail/log_group/log_group"]["name"]
    for key, (fragment, _) in EXPECTED_DETECTIONS.items():
        assert fragment in filters[key]["pattern"], key
    for bucket in DATA_BUCKETS:
        assert f"unexpected-principal-{bucket}" in filters
    for key, metric_filter in filters.items():
        assert metric_filter["log_group_name"] == trail_group
        assert len(metric_filter["pattern"]) <= 1024
        transformation = metric_filter["metric_transformation"]
        alarm = alarms[key]
        assert (alarm["metric_name"], alarm["namespace"]) == (transformation["name"], transformation["namespace"])
        assert alarm["alarm_actions"] == [f"${{aws_sns_topic.{topic_id}.arn}}"]
    break_glass = by_path(stack, "aws_iam_role")["identities/break_glass/role"]
    assert "aws_iam_role." + logical_id(stack, "aws_iam_role", "identities/break_glass/role") in \
        filters["break-glass-role-use"]["pattern"] and break_glass["name"].endswith("break-glass")
    topic = by_path(stack, "aws_sns_topic")["alert_topic/topic"]
    assert _path(target(stack, topic["kms_master_key_id"])).endswith("keys/logs/key")
    emails = sorted(s["endpoint"] for s in resources(stack, "aws_sns_topic_subscription").values()
                    if s["protocol"] == "email")
    assert emails == sorted(config.alerts.email_addresses)
    topic_policy = statements(next(iter(resources(stack, "aws_sns_topic_policy").values()))["policy"])
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in topic_policy)
    publishers = [s for s in topic_policy if s["Effect"] == "Allow" and "Service" in s.get("Principal", {})]
    assert publishers and all(s["Condition"]["StringEquals"]["aws:SourceAccount"] == config.account_id
                              for s in publishers)


def test_never_granted_principal_baseline_comes_from_the_grants(synthesized: Synthesized, env_name: str) -> None:
    """The seed's "principal touching a data bucket it never used" is approximated by the declared grants:
    the filter excludes exactly the roles that hold a grant on the bucket (and no one else)."""
    stack = synthesized.stack(env_name)
    filters = {f["name"]: f["pattern"] for f in resources(stack, "aws_cloudwatch_log_metric_filter").values()}
    roles = {path_of(body): logical for logical, body in resources(stack, "aws_iam_role").items()}

    def excluded(bucket: str) -> set[str]:
        pattern = filters[f"ztai-{env_name}-unexpected-principal-{bucket}"]
        return set(re.findall(r'sessionIssuer\.arn != "\$\{aws_iam_role\.([A-Za-z0-9_]+)\.arn\}"', pattern))

    trainer, engineer = roles["identities/model_trainer/role"], roles["identities/data_engineer/role"]
    assert trainer in excluded("training") and engineer not in excluded("training")
    assert engineer in excluded("raw") and trainer not in excluded("raw")
    assert trainer not in excluded("validation")  # the trainer is explicitly denied, never granted
    assert roles["inference_role/role"] in excluded("models")


@pytest.mark.parametrize("env", CLOUD)
def test_guardduty_s3_protection_and_security_hub_standard(synthesized: Synthesized, env: str) -> None:
    stack = synthesized.stack(env)
    config = synthesized.environments[env].config
    if security_tooling(synthesized.environments[env]) is not None:  # the administrator enables both
        assert not any(resources(stack, t) for t in (
            "aws_guardduty_detector", "aws_guardduty_detector_feature", "aws_securityhub_account",
            "aws_securityhub_standards_subscription"))
        return
    (detector,) = resources(stack, "aws_guardduty_detector").values()
    assert detector["enable"] is True
    (feature,) = resources(stack, "aws_guardduty_detector_feature").values()
    assert (feature["name"], feature["status"]) == ("S3_DATA_EVENTS", "ENABLED")
    assert target(stack, feature["detector_id"]) is detector
    assert len(resources(stack, "aws_securityhub_account")) == 1
    (standard,) = resources(stack, "aws_securityhub_standards_subscription").values()
    assert standard["standards_arn"] == (f"arn:aws:securityhub:{config.region}::standards/"
                                         "aws-foundational-security-best-practices/v/1.0.0")


def test_local_lists_security_hub_and_code_signing_gaps(synthesized: Synthesized) -> None:
    stack = synthesized.stack("local")
    gaps = stack["output"]["emulator_capability_gaps"]["value"]
    assert emulator_gaps.SECURITY_HUB_STANDARDS.control in gaps and not resources(stack, "aws_securityhub_account")
    assert emulator_gaps.LAMBDA_CODE_SIGNING.control in gaps
    for function in resources(stack, "aws_lambda_function").values():  # quarantine and JWKS publisher
        assert "code_signing_config_arn" not in function and function["filename"].startswith("assets/")
    assert len(resources(stack, "aws_guardduty_detector_feature")) == 1  # GuardDuty works in the emulator


@pytest.mark.parametrize("env", CLOUD)
def test_quarantine_function_is_signed_and_hardened(synthesized: Synthesized, env: str) -> None:
    stack = synthesized.stack(env)
    function = by_path(stack, "aws_lambda_function")["quarantine/function"]
    signing = target(stack, function["code_signing_config_arn"])
    assert signing["policies"]["untrusted_artifact_on_deployment"] == "Enforce"
    (profile_version,) = signing["allowed_publishers"]["signing_profile_version_arns"]
    profile = target(stack, profile_version)
    assert profile["platform_id"].startswith("AWSLambda-")
    (job_id,) = {m.group(1) for m in re.finditer(r"aws_signer_signing_job\.([A-Za-z0-9_]+)\.signed_object",
                                                 function["s3_key"] + function["s3_bucket"])}
    job = resources(stack, "aws_signer_signing_job")[job_id]
    assert target(stack, job["profile_name"]) is profile
    source = target(stack, job["source"]["s3"]["key"])
    assert source["kms_key_id"] and source["checksum_algorithm"] == "SHA256"
    assert "filename" not in function


def test_quarantine_function_runtime_controls(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    function = by_path(stack, "aws_lambda_function")["quarantine/function"]
    assert function["reserved_concurrent_executions"] >= 1
    assert function["tracing_config"]["mode"] == "Active"
    assert _path(target(stack, function["kms_key_arn"])).endswith("keys/logs/key")
    queue = target(stack, function["dead_letter_config"]["target_arn"])
    assert queue["kms_master_key_id"]
    variables = function["environment"]["variables"]
    assert variables["QUARANTINE_WINDOW_MINUTES"] == str(config.quarantine.window_minutes)
    assert variables["MANAGED_ROLE_PREFIX"] == f"ztai-{env_name}-"
    roles = {path_of(b): lid for lid, b in resources(stack, "aws_iam_role").items()}
    protected = variables["PROTECTED_ROLE_ARNS"].split(",")
    for path in ("identities/break_glass/role", "identities/security_auditor/role", "quarantine/role/role",
                 "quarantine/scheduler_role/role", "audit_trail/delivery_role/role",
                 "training_network/flow_log_role/role", "serving_network/flow_log_role/role"):
        assert f"${{aws_iam_role.{roles[path]}.arn}}" in protected, path
    alarms = {a["alarm_name"]: a for a in resources(stack, "aws_cloudwatch_metric_alarm").values()}
    alarm_names = sorted(name for name in alarms
                         if re.search(r"-(data-bucket-access-denied-burst|unexpected-principal-)", name))
    assert variables["QUARANTINE_ALARMS"].split(",") == alarm_names
    # a single denied request (e.g. a GET of a missing key) only pages: it never quarantines
    single = [name for name in alarms if name.endswith("-data-bucket-access-denied")]
    assert single and not set(single) & set(variables["QUARANTINE_ALARMS"].split(","))
    # the burst alarm quarantines only a role with a burst of its own: as many records as the alarm's threshold
    minimum = dict(item.rsplit("=", 1) for item in variables["QUARANTINE_MIN_EVENTS"].split(","))
    (burst,) = [name for name in alarm_names if name.endswith("-burst")]
    assert int(minimum[burst]) == alarms[burst]["threshold"] >= 2
    # every variable the handler reads is set, and nothing else (the handler is the contract)
    read = set(re.findall(r'env(?:\.get)?[\[(]"([A-Z_]+)"', HANDLER.read_text(encoding="utf-8")))
    assert read == set(variables)
    assert len(json.dumps(variables)) < 4096 - 1024  # Lambda's 4 KB limit, with room for resolved ARNs


def test_quarantine_role_is_least_privilege(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    policy = statements(by_path(stack, "aws_iam_role_policy")["quarantine/role/policy"]["policy"])
    by_sid = {s["Sid"]: s for s in policy}
    iam = by_sid["QuarantinePlatformRoles"]
    assert iam["Resource"] == f"arn:aws:iam::{config.account_id}:role/ztai-{env_name}-*"
    assert set(iam["Action"]) == {"iam:GetRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
                                  "iam:ListRoleTags", "iam:TagRole", "iam:UntagRole"}
    deny = by_sid["NeverTouchProtectedRoles"]
    assert deny["Effect"] == "Deny" and set(deny["Action"]) == set(iam["Action"]) and len(deny["Resource"]) == 7
    # the logs key only through Lambda (environment) and SQS (dead letters)
    key_grants = [s for s in policy if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert key_grants and all(s["Condition"]["StringEquals"]["kms:ViaService"] in (
        f"lambda.{config.region}.amazonaws.com", f"sqs.{config.region}.amazonaws.com") for s in key_grants)
    for statement in policy:
        if statement["Effect"] == "Allow" and statement["Resource"] == "*":
            assert all(a.startswith("xray:") for a in as_list(statement["Action"])), statement["Sid"]
    passes = [s for s in policy if "iam:PassRole" in as_list(s["Action"])]
    assert passes and all(s["Condition"]["StringEquals"]["iam:PassedToService"] == "scheduler.amazonaws.com"
                          for s in passes)


def test_quarantine_triggers_from_guardduty_and_alarms(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    rules = {_path(r).split("/")[-1]: r for r in resources(stack, "aws_cloudwatch_event_rule").values()}
    guardduty = json.loads(rules["rule_guardduty_findings"]["event_pattern"])
    assert guardduty["source"] == ["aws.guardduty"]
    assert guardduty["detail"]["severity"] == [{"numeric": [">=", config.quarantine.guardduty_min_severity]}]
    alarms = json.loads(rules["rule_security_alarms"]["event_pattern"])
    assert alarms["detail"]["state"] == {"value": ["ALARM"]}
    function = by_path(stack, "aws_lambda_function")["quarantine/function"]
    assert alarms["detail"]["alarmName"] == function["environment"]["variables"]["QUARANTINE_ALARMS"].split(",")
    function_id = logical_id(stack, "aws_lambda_function", "quarantine/function")
    targets = list(resources(stack, "aws_cloudwatch_event_target").values())
    for rule_id in ("rule_guardduty_findings", "rule_security_alarms"):
        rule_ref = logical_id(stack, "aws_cloudwatch_event_rule", f"quarantine/{rule_id}")
        to_function = [t for t in targets if t["rule"] == f"${{aws_cloudwatch_event_rule.{rule_ref}.name}}"
                       and t["arn"] == f"${{aws_lambda_function.{function_id}.arn}}"]
        assert len(to_function) == 1 and to_function[0]["dead_letter_config"]["arn"]
        permissions = [p for p in resources(stack, "aws_lambda_permission").values()
                       if p["source_arn"] == f"${{aws_cloudwatch_event_rule.{rule_ref}.arn}}"]
        assert len(permissions) == 1 and permissions[0]["principal"] == "events.amazonaws.com"
    (group,) = resources(stack, "aws_scheduler_schedule_group").values()
    assert group["name"] == function["environment"]["variables"]["SCHEDULE_GROUP"]
    assert Path(HANDLER).exists()
