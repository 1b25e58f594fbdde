"""Verify a deployed environment against the emulator: the controls are really there, not just in JSON.

Each check reads the live resources through the AWS API (boto3 pointed at the emulator) and returns
(name, passed, detail). The red-team drill (attempts that must fail) builds on the same client set-up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str


def clients(endpoint: str, region: str, credentials: Mapping[str, str] | None = None) -> Callable[[str], Any]:
    """Clients for the emulator: the dummy profile, or the STS session ``credentials`` of an assumed role."""
    if credentials is None:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name=region)
    else:
        session = boto3.session.Session(aws_access_key_id=credentials["AccessKeyId"],
                                        aws_secret_access_key=credentials["SecretAccessKey"],
                                        aws_session_token=credentials["SessionToken"], region_name=region)
    config = Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"})

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint, config=config)

    return client


def verify_environment(endpoint: str, region: str, name_prefix: str) -> list[CheckResult]:
    client = clients(endpoint, region)
    results: list[CheckResult] = []

    def check(name: str, passed: bool, detail: str = "") -> None:
        results.append(CheckResult(name, bool(passed), detail))

    s3 = client("s3")
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"{name_prefix}-")]
    check("data lake and log buckets exist", len(buckets) >= 7, f"{len(buckets)} buckets")
    for bucket in sorted(buckets):
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        algorithm = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        expected = "AES256" if bucket.startswith(f"{name_prefix}-access-logs-") else "aws:kms"
        check(f"{bucket}: default encryption {expected}", algorithm == expected, algorithm)
        check(f"{bucket}: versioning enabled", s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled")
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        check(f"{bucket}: all four public-access blocks", all(block.values()) and len(block) == 4, str(block))
        ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]
        check(f"{bucket}: BucketOwnerEnforced", ownership["ObjectOwnership"] == "BucketOwnerEnforced")
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        sids = {statement.get("Sid") for statement in policy["Statement"]}
        check(f"{bucket}: policy denies non-TLS and TLS<1.2", {"DenyInsecureTransport", "DenyOutdatedTls"} <= sids)
        check(f"{bucket}: policy refuses every unsigned payload form",
              {"DenyUnsignedPayloadUploads", "DenyUploadsWithoutPayloadHash"} <= sids)
        if not bucket.startswith(f"{name_prefix}-access-logs-"):
            check(f"{bucket}: policy denies object access outside the granted principals",
                  "DenyPrincipalsOutsideTheGrants" in sids)
        if not bucket.startswith(f"{name_prefix}-access-logs-"):
            logging = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled", {})
            check(f"{bucket}: server access logging", logging.get("TargetBucket", "").startswith(
                f"{name_prefix}-access-logs-"), logging.get("TargetBucket", "none"))
        if any(part in bucket for part in ("-models-", "-log-archive-")):
            lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
            check(f"{bucket}: Object Lock", lock.get("ObjectLockEnabled") == "Enabled")
            if bucket.startswith(f"{name_prefix}-log-archive-"):
                mode = lock.get("Rule", {}).get("DefaultRetention", {}).get("Mode")
                check(f"{bucket}: evidence locked in COMPLIANCE mode (no governance bypass)", mode == "COMPLIANCE",
                      str(mode))

    ec2 = client("ec2")
    vpcs = [v for v in ec2.describe_vpcs()["Vpcs"]
            if any(t["Key"] == "Name" and t["Value"].startswith(name_prefix) for t in v.get("Tags", []))]
    check("training and serving VPCs exist", len(vpcs) == 2, f"{len(vpcs)} VPCs")
    vpc_ids = [v["VpcId"] for v in vpcs]
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": vpc_ids}])
    check("no internet gateway on platform VPCs", not igws["InternetGateways"])
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": vpc_ids}])["NatGateways"]
    check("no NAT gateway on platform VPCs", not [n for n in nats if n.get("State") != "deleted"])
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": vpc_ids}])["Subnets"]
    check("no subnet assigns public IPs", subnets and not any(s["MapPublicIpOnLaunch"] for s in subnets),
          f"{len(subnets)} subnets")
    flow_logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": vpc_ids}])["FlowLogs"]
    check("flow logs on every VPC", {f["ResourceId"] for f in flow_logs} == set(vpc_ids), f"{len(flow_logs)} flow logs")
    default_sgs = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": vpc_ids},
                                                        {"Name": "group-name", "Values": ["default"]}])
    check("default security groups are empty",
          all(not g["IpPermissions"] and not g["IpPermissionsEgress"] for g in default_sgs["SecurityGroups"]))
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": vpc_ids}])["SecurityGroups"]
    open_rules = [g["GroupName"] for g in groups for perm in g["IpPermissions"] + g["IpPermissionsEgress"]
                  if any(r.get("CidrIp") == "0.0.0.0/0" for r in perm.get("IpRanges", []))
                  or any(r.get("CidrIpv6") == "::/0" for r in perm.get("Ipv6Ranges", []))]
    check("no security group rule open to 0.0.0.0/0 or ::/0", not open_rules, ", ".join(open_rules))
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": vpc_ids}])["VpcEndpoints"]
    check("VPC endpoints (S3 gateway + 7 interface per VPC, + ECS trio for training)", len(endpoints) >= 19,
          f"{len(endpoints)} endpoints")

    kms = client("kms")
    keys = []
    for alias in kms.list_aliases()["Aliases"]:
        if alias["AliasName"].startswith(f"alias/{name_prefix}-") and "TargetKeyId" in alias:
            keys.append((alias["AliasName"], kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]))
    symmetric = [(a, k) for a, k in keys if k["KeyUsage"] == "ENCRYPT_DECRYPT"]
    check("one symmetric key per data domain", len(symmetric) >= 6, f"{len(symmetric)} keys")
    for alias, key in symmetric:
        check(f"{alias}: rotation enabled", kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"])
    data_plane = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt", "kms:Sign", "kms:CreateGrant",
                  "kms:*")
    for alias, key in keys:
        statements = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])["Statement"]
        account_root = f"arn:aws:iam::{key['AWSAccountId']}:root"
        root = [st for st in statements if st.get("Principal", {}).get("AWS") == account_root]
        actions = [a for st in root for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])]
        check(f"{alias}: the account administers the key but never uses it for data",
              bool(root) and "kms:PutKeyPolicy" in actions and not any(a.startswith(data_plane) for a in actions))
    signing = {alias.rsplit("-", 2)[-2]: k for alias, k in keys if k["KeyUsage"] == "SIGN_VERIFY"}
    check("asymmetric SIGN_VERIFY keys: training manifests and releases, separately",
          set(signing) == {"manifest", "release"}, f"{sorted(signing)}")

    templates = ec2.describe_launch_templates(
        Filters=[{"Name": "launch-template-name", "Values": [f"{name_prefix}-training-gpu"]}])["LaunchTemplates"]
    check("GPU launch template exists", len(templates) == 1)
    if templates:
        version = ec2.describe_launch_template_versions(LaunchTemplateId=templates[0]["LaunchTemplateId"])[
            "LaunchTemplateVersions"][0]["LaunchTemplateData"]
        check("launch template requires IMDSv2", version.get("MetadataOptions", {}).get("HttpTokens") == "required")
        ebs = version.get("BlockDeviceMappings", [{}])[0].get("Ebs", {})
        check("launch template encrypts volumes with a KMS key",
              bool(ebs.get("Encrypted")) and bool(ebs.get("KmsKeyId")))
    batch = client("batch")
    environments = batch.describe_compute_environments()["computeEnvironments"]
    ours = [e for e in environments if e["computeEnvironmentName"] == f"{name_prefix}-training-gpu"]
    check("Batch GPU compute environment in the training subnets", len(ours) == 1 and bool(
        set(ours[0]["computeResources"]["subnets"]) & {s["SubnetId"] for s in subnets}))
    # issue 17: every pipeline stage's job definition, digest-pinned, unprivileged, read-only root filesystem
    pinned = re.compile(r"[^@\s]+@sha256:[0-9a-f]{64}")
    for stage in ("ingestion", "features", "training", "release"):
        found = batch.describe_job_definitions(jobDefinitionName=f"{name_prefix}-pipeline-{stage}",
                                               status="ACTIVE")["jobDefinitions"]
        container = found[-1]["containerProperties"] if found else {}
        check(f"pipeline {stage} job definition: image pinned by digest, unprivileged, read-only root",
              bool(found) and bool(pinned.fullmatch(str(container.get("image")))) and not container.get("privileged")
              and container.get("readonlyRootFilesystem") is True, str(container.get("image")))

    iam = client("iam")
    check("no IAM users", not iam.list_users()["Users"])
    def federated_only(role: dict[str, Any]) -> bool:
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        statements = trust.get("Statement", [])
        return bool(statements) and all(set(s.get("Principal", {})) == {"Federated"} for s in statements) and any(
            s.get("Action") == "sts:AssumeRoleWithSAML" and s.get("Condition", {}).get("Null") ==
            {"sts:SourceIdentity": "false"} for s in statements)
    humans = [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(f"{name_prefix}-")
              and any(t.get("Key") == "ztai:kind" and t.get("Value") == "human"
                      for t in iam.list_role_tags(RoleName=r["RoleName"])["Tags"])]
    check("five persona roles, reachable only through the SAML identity provider with a source identity",
          len(humans) == 5 and all(federated_only(r) for r in humans), f"{len(humans)} roles")
    _verify_monitoring(client, check, name_prefix)
    _verify_serving(client, check, name_prefix)
    return results


def _verify_monitoring(client: Callable[[str], Any], check: Callable[..., None], prefix: str) -> None:
    """Seed step 6, live: trail, encrypted log groups, detections, alert topic, GuardDuty, quarantine wiring."""
    cloudtrail = client("cloudtrail")
    trails = [t for t in cloudtrail.describe_trails()["trailList"] if t["Name"] == f"{prefix}-trail"]
    check("CloudTrail trail exists", len(trails) == 1)
    if trails:
        trail = trails[0]
        check("trail: multi-region, log-file validation, KMS",
              trail.get("IsMultiRegionTrail") and trail.get("LogFileValidationEnabled") and bool(trail.get("KmsKeyId")))
        check("trail: delivers to CloudWatch Logs", bool(trail.get("CloudWatchLogsLogGroupArn"))
              and bool(trail.get("CloudWatchLogsRoleArn")))
        check("trail: logging", cloudtrail.get_trail_status(Name=trail["TrailARN"]).get("IsLogging") is True)
        selectors = cloudtrail.get_event_selectors(TrailName=trail["TrailARN"]).get("AdvancedEventSelectors", [])
        data_arns = [a for s in selectors for f in s["FieldSelectors"] if f["Field"] == "resources.ARN"
                     for a in f.get("StartsWith", [])]
        check("trail: S3 data events of the five data buckets", len(data_arns) == 5, f"{len(data_arns)} buckets")
    logs = client("logs")
    groups = [g for g in logs.describe_log_groups()["logGroups"] if prefix in g["logGroupName"]]
    weak = [g["logGroupName"] for g in groups if not g.get("kmsKeyId") or g.get("retentionInDays", 0) < 365]
    check("every log group KMS-encrypted and retained >= 365 days", groups and not weak,
          f"{len(groups)} groups" + (f"; weak: {', '.join(weak)}" if weak else ""))
    trail_group = f"/ztai/cloudtrail/{prefix}-trail"
    filters = logs.describe_metric_filters(logGroupName=trail_group)["metricFilters"]
    check("CIS metric filters on the trail's log group", len(filters) >= 11, f"{len(filters)} filters")
    sns = client("sns")
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{prefix}-alerts")]
    check("alert topic exists", len(topics) == 1)
    if topics:
        attributes = sns.get_topic_attributes(TopicArn=topics[0])["Attributes"]
        check("alert topic KMS-encrypted", bool(attributes.get("KmsMasterKeyId")))
        cloudwatch = client("cloudwatch")
        alarms = cloudwatch.describe_alarms(AlarmNamePrefix=f"{prefix}-")["MetricAlarms"]
        silent = [a["AlarmName"] for a in alarms if topics[0] not in a.get("AlarmActions", [])]
        check("every alarm notifies the alert topic", alarms and not silent,
              f"{len(alarms)} alarms" + (f"; silent: {', '.join(silent)}" if silent else ""))
    guardduty = client("guardduty")
    detectors = guardduty.list_detectors()["DetectorIds"]
    check("GuardDuty detector enabled", len(detectors) == 1
          and guardduty.get_detector(DetectorId=detectors[0])["Status"] == "ENABLED")
    function = client("lambda").get_function_configuration(FunctionName=f"{prefix}-quarantine")
    check("quarantine function: tracing, KMS-encrypted environment",
          function.get("TracingConfig", {}).get("Mode") == "Active" and bool(function.get("KMSKeyArn")))
    concurrency = client("lambda").get_function_concurrency(FunctionName=f"{prefix}-quarantine")
    check("quarantine function: reserved concurrency", concurrency.get("ReservedConcurrentExecutions", 0) >= 1)
    events = client("events")
    wired = [r["Name"] for r in events.list_rules(NamePrefix=f"{prefix}-quarantine-")["Rules"]
             if any(t["Arn"] == function["FunctionArn"] for t in
                    events.list_targets_by_rule(Rule=r["Name"])["Targets"])]
    check("GuardDuty-finding and alarm rules invoke the quarantine function", len(wired) == 2, ", ".join(wired))
    recorder = client("lambda").get_function_configuration(FunctionName=f"{prefix}-run-recorder")
    (rule,) = events.list_rules(NamePrefix=f"{prefix}-run-recorder")["Rules"] or [{}]
    queues = json.loads(rule.get("EventPattern", "{}")).get("detail", {}).get("jobQueue", [])
    own_queues = [q["jobQueueArn"] for q in client("batch").describe_job_queues()["jobQueues"]
                  if q["jobQueueName"].startswith(f"{prefix}-")]
    check("run recorder: Batch Job State Change of this platform's queue only, invokes the function",
          rule.get("Name") == f"{prefix}-run-recorder" and bool(queues) and sorted(queues) == sorted(own_queues)
          and any(t["Arn"] == recorder["FunctionArn"] for t in
                  events.list_targets_by_rule(Rule=rule["Name"])["Targets"]), ", ".join(queues))
    groups_ = client("scheduler").list_schedule_groups(NamePrefix=f"{prefix}-quarantine")["ScheduleGroups"]
    check("release schedule group exists", len(groups_) == 1)


def _verify_serving(client: Callable[[str], Any], check: Callable[..., None], prefix: str) -> None:
    """Seed step 5, live: internal ALB, HTTPS-only TLS 1.3 listener, WAF, token issuer, fleet, alarms."""
    elb = client("elbv2")
    balancers = [b for b in elb.describe_load_balancers()["LoadBalancers"]
                 if b["LoadBalancerName"] == f"{prefix}-serving"]
    check("serving load balancer exists", len(balancers) == 1)
    if not balancers:
        return
    balancer = balancers[0]
    check("serving load balancer is internal", balancer["Scheme"] == "internal")
    attributes = {a["Key"]: a["Value"] for a in
                  elb.describe_load_balancer_attributes(LoadBalancerArn=balancer["LoadBalancerArn"])["Attributes"]}
    check("ALB drops invalid header fields", attributes.get("routing.http.drop_invalid_header_fields.enabled")
          == "true")
    # this account's access-log sink, or the delegated archive's (DelegatedArchive.access_log_bucket_name)
    check("ALB access logs on", attributes.get("access_logs.s3.enabled") == "true"
          and attributes.get("access_logs.s3.bucket", "").startswith((f"{prefix}-access-logs-",
                                                                       f"{prefix}-org-access-logs-")))
    listeners = elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    check("only an HTTPS:443 listener with the TLS 1.3 policy", listeners and all(
        (listener["Protocol"], listener["Port"], listener.get("SslPolicy"))
        == ("HTTPS", 443, "ELBSecurityPolicy-TLS13-1-3-2021-06") for listener in listeners),
        f"{len(listeners)} listener(s)")
    acl = client("wafv2").get_web_acl_for_resource(ResourceArn=balancer["LoadBalancerArn"]).get("WebACL", {})
    rate = [r for r in acl.get("Rules", []) if "RateBasedStatement" in r.get("Statement", {})]
    check("WAF web ACL with a rate-based rule protects the ALB", bool(rate), acl.get("Name", "none"))
    cognito = client("cognito-idp")
    pools = [p for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == f"{prefix}-serving-tokens"]
    check("token issuer user pool exists", len(pools) == 1)
    if pools:
        described = [cognito.describe_user_pool_client(UserPoolId=pools[0]["Id"], ClientId=c["ClientId"])[
            "UserPoolClient"] for c in cognito.list_user_pool_clients(UserPoolId=pools[0]["Id"])["UserPoolClients"]]
        check("one client-credentials client per caller, tokens <= 15 min", described and all(
            c.get("AllowedOAuthFlows") == ["client_credentials"] and c.get("AccessTokenValidity", 99) <= 15
            and c.get("TokenValidityUnits", {}).get("AccessToken") == "minutes" for c in described),
            f"{len(described)} clients")
    parameters = client("ssm").get_parameters_by_path(Path=f"/{prefix}/serving/token/")["Parameters"]
    settings = [p for p in parameters if not p["Name"].endswith("/jwks")]
    check("token validator settings in SSM (SecureString)", len(settings) == 5
          and all(p["Type"] == "SecureString" for p in settings), f"{len(settings)} parameters")
    check("published JWKS parameter for targets without egress", len(parameters) - len(settings) == 1)
    secrets = client("secretsmanager")
    listed = [x for x in secrets.list_secrets()["SecretList"] if x["Name"].startswith(f"{prefix}/serving/clients/")]
    guarded = [x["Name"] for x in listed if x.get("KmsKeyId")
               and secrets.get_resource_policy(SecretId=x["ARN"]).get("ResourcePolicy")]
    check("caller client credentials in KMS-encrypted secrets with a resource policy",
          listed and len(guarded) == len(listed), f"{len(guarded)}/{len(listed)} secrets")
    groups = [g for g in client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
              if g["AutoScalingGroupName"] == f"{prefix}-inference"]
    check("inference Auto Scaling group behind the target group",
          len(groups) == 1 and bool(groups[0]["TargetGroupARNs"]))
    pinned = groups[0].get("LaunchTemplate", {}).get("Version", "") if groups else ""
    check("inference group runs a pinned launch-template version (never $Latest/$Default)",
          pinned.isdigit(), pinned or "no launch template")
    ec2 = client("ec2")
    templates = ec2.describe_launch_templates(
        Filters=[{"Name": "launch-template-name", "Values": [f"{prefix}-inference"]}])["LaunchTemplates"]
    if templates:
        data = ec2.describe_launch_template_versions(LaunchTemplateId=templates[0]["LaunchTemplateId"])[
            "LaunchTemplateVersions"][0]["LaunchTemplateData"]
        check("inference launch template: IMDSv2, encrypted volume, no public IP",
              data.get("MetadataOptions", {}).get("HttpTokens") == "required"
              and data.get("BlockDeviceMappings", [{}])[0].get("Ebs", {}).get("Encrypted") is True
              and all(not n.get("AssociatePublicIpAddress") for n in data.get("NetworkInterfaces", [])))
    else:
        check("inference launch template exists", False)
    alarms = client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{prefix}-serving-")["MetricAlarms"]
    bands = [a for a in alarms if any("ANOMALY_DETECTION_BAND" in (q.get("Expression") or "")
                                      for q in a.get("Metrics", []))]
    check("anomaly-band + static alarm per serving metric", len(bands) == 4 and len(alarms) == 8,
          f"{len(bands)} band, {len(alarms) - len(bands)} static")


def empty_buckets(endpoint: str, region: str, name_prefix: str) -> int:
    """Delete every object version in the environment's buckets (teardown of the emulator environment).

    The emulator's own server-access-log objects are refused to every later request: moto enforces the
    buckets' policies on object operations and our policies deny any request without TLS, which is every
    request to the plain-HTTP emulator. Object-Locked buckets also refuse configuration changes while
    they hold objects. So teardown first removes the bucket policies, then deletes every version,
    bypassing GOVERNANCE retention. This is an explicit emulator-only step: `destroy` in the cloud must
    not silently weaken retention.
    """
    s3 = clients(endpoint, region)("s3")
    removed = 0
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"{name_prefix}-")]
    for bucket in buckets:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})  # stop new log objects
        s3.delete_bucket_policy(Bucket=bucket)
    for bucket in buckets:
        paginator = s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=bucket):
            for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
                s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"],
                                 BypassGovernanceRetention=True)
                removed += 1
    return removed


def prepare_emulator_teardown(endpoint: str, region: str, name_prefix: str) -> dict[str, int]:
    """Emulator-only steps before `terraform destroy` of `local` (never used against AWS), one per moto gap
    (stacks/config/emulator_gaps.py):

    * buckets are emptied (see ``empty_buckets``);
    * user pools are deleted through the API: moto answers DeleteResourceServer with HTTP 500;
    * trails are deleted by name: moto's DeleteTrail ignores the ARN the provider sends, so the trail
      would silently survive the destroy.

    terraform then finds the pools and trails gone and drops them from its state.
    """
    client = clients(endpoint, region)
    cognito, cloudtrail = client("cognito-idp"), client("cloudtrail")
    pools = [p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"]
             if p["Name"].startswith(f"{name_prefix}-")]
    for pool in pools:
        domain = cognito.describe_user_pool(UserPoolId=pool)["UserPool"].get("Domain")
        if domain:
            cognito.delete_user_pool_domain(Domain=domain, UserPoolId=pool)
        cognito.delete_user_pool(UserPoolId=pool)
    trails = [t["Name"] for t in cloudtrail.describe_trails()["trailList"] if t["Name"].startswith(f"{name_prefix}-")]
    for trail in trails:
        cloudtrail.delete_trail(Name=trail)
    return {"objects": empty_buckets(endpoint, region, name_prefix), "user_pools": len(pools), "trails": len(trails)}
