"""Verify a deployed environment against the emulator: the controls are really there, not just in JSON.

Each check reads the live resources through the AWS API (boto3 pointed at the emulator) and returns
(name, passed, detail). The red-team drill (attempts that must fail) builds on the same client set-up.
"""

from __future__ import annotations

import json
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
        if not bucket.startswith(f"{name_prefix}-access-logs-"):
            logging = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled", {})
            check(f"{bucket}: server access logging", logging.get("TargetBucket", "").startswith(
                f"{name_prefix}-access-logs-"), logging.get("TargetBucket", "none"))
        if any(part in bucket for part in ("-models-", "-log-archive-", "-access-logs-")):
            lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
            check(f"{bucket}: Object Lock", lock.get("ObjectLockEnabled") == "Enabled")

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
    signing = [k for _, k in keys if k["KeyUsage"] == "SIGN_VERIFY"]
    check("asymmetric SIGN_VERIFY manifest key", len(signing) == 1)

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

    iam = client("iam")
    check("no IAM users", not iam.list_users()["Users"])
    humans = [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(f"{name_prefix}-")
              and "MultiFactorAuthAge" in json.dumps(r["AssumeRolePolicyDocument"])]
    check("five persona roles require fresh MFA", len(humans) == 5, f"{len(humans)} roles")
    return results


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
