"""Drill attempts against the deployed organization (environments/organization-local.yaml in the emulator).

The service control policies and resource control policies are read back through the emulator's Organizations API
(the policies attached to the root, to every OU on an account's path and to the account) and every attempt is
decided by ``blueprint.drill.policy_eval`` with AWS's semantics: each SCP level must allow and none may deny, RCPs deny
only (RCPFullAWSAccess allows at every level), SCPs never apply to service principals or to principals outside the
organization, and neither applies to the management account. moto enforces none of them itself.

    from blueprint.drill import organization as drill_organization
    drill_organization.organization_attempts(client, record, organization=config)  # config: OrganizationConfig
    drill_organization.delegated_archive_attempts(record, archive=contract, bucket_policy=..., key_policy=...,
                                                  key_arn=..., organization_id=...)  # a delegated archive

Every attempt's principal is a role of a member account found in the emulator (the workload environment's OU),
with an administrator's identity policy: what it is denied, the guardrails deny.

The delegated archive (an environment's evidence in the log-archive account) is not in the emulator: moto gives the
accounts it creates random ids, and the delegated layout needs the configured ones. Its attempts are decided from the
synthesized bucket and key policies instead (``delegated_archive_attempts``, run by
tests/test_organization_delegated.py), in the request contexts AWS produces for each caller.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from blueprint.drill.policy_eval import Decision, Request, evaluate
from stacks.config.model import OrganizationConfig, known_regions
from zero_trust_ai.delegated_accounts import DelegatedArchive

ORGANIZATION = "evaluated from the organization's SCPs/RCPs as deployed (read through the Organizations API)"
Record = Callable[[str, str, Decision, str], None]
SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
# A caller outside the organization: an account of another organization (its own SCPs are unknown here: none).
OUTSIDE_ACCOUNT = "999999999999"
OUTSIDE_ORGANIZATION = "o-outsideorg0"
ADMINISTRATOR = {"Version": "2012-10-17", "Statement": [
    {"Sid": "AdministratorAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass
class DeployedOrganization:
    """The organization as the emulator's Organizations API reports it."""

    id: str
    management_account_id: str
    root_id: str
    units: dict[str, str] = field(default_factory=dict)  # OU path ("Workloads/local") -> id
    parents: dict[str, str] = field(default_factory=dict)  # child (OU or account) id -> parent id
    accounts: dict[str, str] = field(default_factory=dict)  # account id -> name
    attached: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)  # (target, type) -> docs

    def path_of(self, target: str) -> list[str]:
        """Target ids from the root down to ``target``."""
        chain = [target]
        while chain[-1] != self.root_id:
            chain.append(self.parents[chain[-1]])
        return list(reversed(chain))

    def levels(self, account_id: str, policy_type: str) -> list[list[dict[str, Any]]]:
        """The documents attached at each level of the account's path (root, OUs, account): ``scps=``/``rcps=``."""
        if account_id not in self.accounts or account_id == self.management_account_id:
            return []  # outside the organization, or its management account: neither SCPs nor RCPs apply
        return [self.attached.get((target, policy_type), []) for target in self.path_of(account_id)]

    def accounts_in(self, unit_path: str) -> list[str]:
        unit = self.units[unit_path]
        return sorted(a for a in self.accounts if self.parents.get(a) == unit)


def _pages(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> Iterator[Any]:
    token: str | None = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def read_organization(client: Callable[[str], Any]) -> DeployedOrganization:
    """Read the organization, its OU tree, its accounts and every attached SCP/RCP from the Organizations API."""
    api = client("organizations")
    description = api.describe_organization()["Organization"]
    (root,) = api.list_roots()["Roots"]
    deployed = DeployedOrganization(description["Id"], description["MasterAccountId"], root["Id"])
    targets = [root["Id"]]
    pending = [(root["Id"], "")]
    while pending:
        parent, path = pending.pop()
        for unit in _pages(api.list_organizational_units_for_parent, "OrganizationalUnits", ParentId=parent):
            unit_path = f"{path}/{unit['Name']}" if path else unit["Name"]
            deployed.units[unit_path] = unit["Id"]
            deployed.parents[unit["Id"]] = parent
            targets.append(unit["Id"])
            pending.append((unit["Id"], unit_path))
        for account in _pages(api.list_accounts_for_parent, "Accounts", ParentId=parent):
            deployed.accounts[account["Id"]] = account["Name"]
            deployed.parents[account["Id"]] = parent
            targets.append(account["Id"])
    contents: dict[str, dict[str, Any]] = {}
    for target in targets:
        for policy_type in (SCP, RCP):
            documents = []
            for summary in _pages(api.list_policies_for_target, "Policies", TargetId=target, Filter=policy_type):
                if summary["Id"] not in contents:
                    content = api.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]
                    contents[summary["Id"]] = json.loads(content)
                documents.append(contents[summary["Id"]])
            deployed.attached[(target, policy_type)] = documents
    return deployed


def _role_name(pattern: str, environment: str) -> str:
    """A concrete role name matching a configured pattern (``ztai-*-break-glass`` -> ``ztai-local-break-glass``)."""
    return pattern.replace("*", environment, 1).replace("*", "x").replace("?", "x")


def _outside_region(allowed: list[str]) -> str:
    partition = known_regions()[allowed[0]]
    return next(r for r in sorted(known_regions()) if known_regions()[r] == partition and r not in allowed)


def organization_attempts(client: Callable[[str], Any], record: Record, *,
                          organization: OrganizationConfig | None = None, environment: str | None = None,
                          region: str | None = None) -> DeployedOrganization:
    """Record the organization's drill verdicts: guardrails (SCPs) against a workload account administrator,
    the data perimeter (RCP) against principals outside the organization. ``organization``: the deployed file's
    configuration (default: environments/organization-local.yaml); ``environment``: the workload environment whose
    account is attacked (default: the first of the file); ``region``: its region (default: the first allowed
    region). Raises when the organization or the environment's account is not deployed."""
    if organization is None:
        from pathlib import Path

        from stacks.config.loader import load_selection

        root = Path(__file__).resolve().parents[2]
        (loaded,) = load_selection(root / "environments", only=["organization-local"]).organizations
        organization = loaded.config
    deployed = read_organization(client)
    env = environment or sorted(organization.workloads)[0]
    region = region or organization.guardrails.allowed_regions[0]
    units = organization.organizational_units
    (account,) = deployed.accounts_in(f"{units.workloads}/{env}")
    security = deployed.accounts_in(units.security)
    prefix = f"ztai-{env}"
    guardrails = organization.guardrails
    admin = f"arn:aws:iam::{account}:role/drill-workload-admin"
    break_glass = f"arn:aws:iam::{account}:role/{_role_name(guardrails.break_glass_role_names[0], env)}"
    deployer = f"arn:aws:iam::{account}:role/{_role_name(guardrails.deployer_role_names[0], env)}"
    in_org = {"aws:PrincipalOrgID": deployed.id, "aws:RequestedRegion": region}

    def member(principal: str, action: str, resource: str, *, context: dict[str, Any] | None = None,
               resource_policy: dict[str, Any] | None = None) -> Decision:
        """A principal of the workload account (administrator's identity policy) against its own account."""
        return evaluate(Request(principal, action, resource, {**in_org, **(context or {})}),
                        identity_policies=[ADMINISTRATOR],
                        resource_policies=[resource_policy] if resource_policy else [],
                        scps=deployed.levels(account, SCP), rcps=deployed.levels(account, RCP))

    def say(attempt: str, expected: str, decision: Decision) -> None:
        record(attempt, expected, decision, ORGANIZATION)

    trail = f"arn:aws:cloudtrail:{region}:{account}:trail/{prefix}-trail"
    key = f"arn:aws:kms:{region}:{account}:key/00000000-0000-0000-0000-000000000000"
    key_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": "kms:*", "Resource": "*"}]}
    elsewhere = _outside_region(guardrails.allowed_regions)
    # -- guardrails (SCPs): what an administrator of a workload account can no longer do ----------------------------
    say("a workload account admin stops the trail (cloudtrail:StopLogging)", "DENY",
        member(admin, "cloudtrail:StopLogging", trail))
    say("a workload account admin deletes the trail", "DENY", member(admin, "cloudtrail:DeleteTrail", trail))
    say("a workload account admin changes what the trail records (PutEventSelectors)", "DENY",
        member(admin, "cloudtrail:PutEventSelectors", trail))
    say("a workload account admin leaves the organisation (organizations:LeaveOrganization)", "DENY",
        member(admin, "organizations:LeaveOrganization", "*"))
    say("a workload account admin deletes the GuardDuty detector", "DENY",
        member(admin, "guardduty:DeleteDetector", f"arn:aws:guardduty:{region}:{account}:detector/drill"))
    say("a workload account admin disables Security Hub", "DENY",
        member(admin, "securityhub:DisableSecurityHub", f"arn:aws:securityhub:{region}:{account}:hub/default"))
    say("a workload account admin stops the AWS Config recorder", "DENY",
        member(admin, "config:StopConfigurationRecorder", "*"))
    say("a workload account admin creates an IAM user", "DENY",
        member(admin, "iam:CreateUser", f"arn:aws:iam::{account}:user/drill"))
    say("a workload account admin creates an access key", "DENY",
        member(admin, "iam:CreateAccessKey", f"arn:aws:iam::{account}:user/drill"))
    say("the workload account's root user reads the trail's events", "DENY",
        member(f"arn:aws:iam::{account}:root", "cloudtrail:LookupEvents", "*"))
    say(f"a workload account admin launches an instance in {elsewhere} (outside the allow-list)", "DENY",
        member(admin, "ec2:RunInstances", f"arn:aws:ec2:{elsewhere}:{account}:instance/*",
               context={"aws:RequestedRegion": elsewhere}))
    say(f"a workload account admin uses a global service (iam:GetRole) with {elsewhere} as the region", "ALLOW",
        member(admin, "iam:GetRole", f"arn:aws:iam::{account}:role/{prefix}-data-engineer",
               context={"aws:RequestedRegion": elsewhere}))
    say("a workload account admin schedules the deletion of a KMS key", "DENY",
        member(admin, "kms:ScheduleKeyDeletion", key, resource_policy=key_policy))
    say("break-glass schedules the deletion of a KMS key (the SCP lets it through)", "ALLOW",
        member(break_glass, "kms:ScheduleKeyDeletion", key, resource_policy=key_policy))
    say("a workload account admin rewrites the quarantine function's role policy", "DENY",
        member(admin, "iam:PutRolePolicy", f"arn:aws:iam::{account}:role/{prefix}-quarantine-function"))
    say("a workload account admin changes the trail delivery role's trust policy", "DENY",
        member(admin, "iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{account}:role/{prefix}-trail-to-cloudwatch"))
    say("a workload account admin replaces the permissions boundary (CreatePolicyVersion)", "DENY",
        member(admin, "iam:CreatePolicyVersion", f"arn:aws:iam::{account}:policy/{prefix}-human-boundary"))
    say("the platform deployer updates the quarantine function's role policy", "ALLOW",
        member(deployer, "iam:PutRolePolicy", f"arn:aws:iam::{account}:role/{prefix}-quarantine-function"))
    say("the platform deployer changes what the trail records", "ALLOW",
        member(deployer, "cloudtrail:PutEventSelectors", trail))
    say("the platform deployer stops the trail", "DENY", member(deployer, "cloudtrail:StopLogging", trail))
    say("a workload account admin reads the trail's events (the guardrails deny only what they name)", "ALLOW",
        member(admin, "cloudtrail:LookupEvents", "*"))

    # -- the data perimeter (RCP): resources of the workload account against principals outside the organization ---
    outsider = f"arn:aws:iam::{OUTSIDE_ACCOUNT}:role/outsider"
    bucket = f"{prefix}-raw-{account}"
    obj = f"arn:aws:s3:::{bucket}/raw/part-0001.parquet"

    def granted_to(principal: dict[str, Any], action: str, resource: str) -> dict[str, Any]:
        """A resource policy that grants ``principal`` (by mistake, for an outsider): the perimeter must hold even
        then."""
        sid = "ServiceDelivery" if "Service" in principal else "GrantedByMistake"
        return {"Version": "2012-10-17", "Statement": [
            {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}]}

    def against_workload(principal: str, action: str, resource: str, context: dict[str, Any], *,
                         grant: dict[str, Any], caller_account: str | None = None) -> Decision:
        caller = {"Version": "2012-10-17", "Statement": [
            {"Sid": "CallerMayTry", "Effect": "Allow", "Action": action, "Resource": resource}]}
        return evaluate(Request(principal, action, resource, {"aws:RequestedRegion": region, **context},
                                resource_account=account),
                        identity_policies=[caller], resource_policies=[granted_to(grant, action, resource)],
                        scps=deployed.levels(caller_account, SCP) if caller_account else (),
                        rcps=deployed.levels(account, RCP))

    other_org = {"aws:PrincipalOrgID": OUTSIDE_ORGANIZATION}
    say("a principal outside the organisation reads a data bucket (its bucket policy grants it)", "DENY",
        against_workload(outsider, "s3:GetObject", obj, {**other_org, "aws:SecureTransport": "true"},
                         grant={"AWS": outsider}))
    say("a principal of no organisation reads the data bucket (its bucket policy grants it)", "DENY",
        against_workload(outsider, "s3:GetObject", obj, {"aws:SecureTransport": "true"}, grant={"AWS": outsider}))
    if security:
        colleague = f"arn:aws:iam::{security[0]}:role/security-reader"
        say("a principal of another member account reads the data bucket (its bucket policy grants it)", "ALLOW",
            against_workload(colleague, "s3:GetObject", obj, {"aws:PrincipalOrgID": deployed.id,
                                                               "aws:SecureTransport": "true"},
                             grant={"AWS": colleague}, caller_account=security[0]))
    say("a principal outside the organisation decrypts with a workload key (its key policy grants it)", "DENY",
        against_workload(outsider, "kms:Decrypt", key, other_org, grant={"AWS": outsider}))
    say("a principal outside the organisation assumes a workload role (its trust policy trusts it)", "DENY",
        against_workload(outsider, "sts:AssumeRole", f"arn:aws:iam::{account}:role/{prefix}-data-engineer",
                         other_org, grant={"AWS": outsider}))
    say("a principal outside the organisation reads a workload secret (its resource policy grants it)", "DENY",
        against_workload(outsider, "secretsmanager:GetSecretValue",
                         f"arn:aws:secretsmanager:{region}:{account}:secret:{prefix}-client-AbCdEf", other_org,
                         grant={"AWS": outsider}))
    say("a principal outside the organisation sends to a workload queue (its queue policy grants it)", "DENY",
        against_workload(outsider, "sqs:SendMessage", f"arn:aws:sqs:{region}:{account}:{prefix}-alerts-dlq",
                         other_org, grant={"AWS": outsider}))
    archive = f"arn:aws:s3:::{prefix}-log-archive-{account}/AWSLogs/{account}/CloudTrail/log.json.gz"
    say("CloudTrail delivers logs for the organisation (aws:SourceOrgID is the organisation's)", "ALLOW",
        against_workload("cloudtrail.amazonaws.com", "s3:PutObject", archive,
                         {"aws:SourceOrgID": deployed.id, "aws:SourceAccount": account,
                          "aws:SourceArn": trail}, grant={"Service": "cloudtrail.amazonaws.com"}))
    say("an AWS service acting for another organisation writes into the archive (confused deputy)", "DENY",
        against_workload("cloudtrail.amazonaws.com", "s3:PutObject", archive,
                         {"aws:SourceOrgID": OUTSIDE_ORGANIZATION, "aws:SourceAccount": OUTSIDE_ACCOUNT,
                          "aws:SourceArn": f"arn:aws:cloudtrail:{region}:{OUTSIDE_ACCOUNT}:trail/theirs"},
                         grant={"Service": "cloudtrail.amazonaws.com"}))
    return deployed


DELEGATED = "evaluated from the delegated archive's synthesized bucket and key policies (cross-account)"
# Another member account of the organization (dev in environments/organization.yaml): its trail is not the archive's.
OTHER_MEMBER_ACCOUNT = "111111111111"


def delegated_archive_attempts(record: Record, *, archive: DelegatedArchive, bucket_policy: dict[str, Any],
                               key_policy: dict[str, Any], key_arn: str, organization_id: str,
                               other_account: str = OTHER_MEMBER_ACCOUNT) -> None:
    """Record the verdicts of the archive a workload account delivers into, in the log-archive account: its own
    administrator (AdministratorAccess) erases evidence or re-configures the bucket or the key -> DENY (cross-account
    access needs an Allow in the resource policy, which grants the workload nothing but DescribeKey, and the explicit
    Deny on aws:PrincipalAccount holds even beside a statement that would grant it); CloudTrail and the log delivery
    service deliver for the workload -> ALLOW, CloudTrail for another account's trail -> DENY. ``bucket_policy`` and
    ``key_policy``: the synthesized documents with the bucket and key references resolved (``key_arn``)."""
    workload, owner, region = archive.workload_account_id, archive.log_archive_account_id, archive.region
    bucket = f"arn:aws:s3:::{archive.archive_bucket_name}"
    trail_object = f"{bucket}/AWSLogs/{workload}/CloudTrail/{region}/2026/12/02/{workload}_CloudTrail_x.json.gz"
    admin = f"arn:aws:iam::{workload}:role/drill-workload-admin"
    # What AWS puts in every signed request of an organization member over TLS (the caller's org, the transport).
    signed = {"aws:PrincipalOrgID": organization_id, "aws:SecureTransport": "true", "aws:RequestedRegion": region}

    def by_admin(action: str, resource: str, *, policy: dict[str, Any], context: dict[str, Any] | None = None
                 ) -> Decision:
        return evaluate(Request(admin, action, resource, {**signed, **(context or {})}, resource_account=owner),
                        identity_policies=[ADMINISTRATOR], resource_policies=[policy])

    def granting_the_workload(policy: dict[str, Any]) -> dict[str, Any]:
        """The policy plus a (mistaken) Allow of everything to the workload account: the explicit Deny must hold."""
        mistake = {"Sid": "GrantedByMistake", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{workload}:root"},
                   "Action": "*", "Resource": "*"}
        return {**policy, "Statement": [*policy["Statement"], mistake]}

    def say(attempt: str, expected: str, decision: Decision) -> None:
        record(attempt, expected, decision, DELEGATED)

    version = {"s3:versionid": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"}
    for policy, how in ((bucket_policy, ""), (granting_the_workload(bucket_policy), ", even granted by mistake")):
        say(f"the workload account's admin deletes an archived trail log{how}", "DENY",
            by_admin("s3:DeleteObject", trail_object, policy=policy))
        say(f"the workload account's admin deletes a version of an archived log{how}", "DENY",
            by_admin("s3:DeleteObjectVersion", trail_object, policy=policy, context=version))
        say(f"the workload account's admin rewrites the archive's bucket policy{how}", "DENY",
            by_admin("s3:PutBucketPolicy", bucket, policy=policy))
        say(f"the workload account's admin puts a lifecycle rule on the archive{how}", "DENY",
            by_admin("s3:PutLifecycleConfiguration", bucket, policy=policy))
        say(f"the workload account's admin suspends the archive's versioning{how}", "DENY",
            by_admin("s3:PutBucketVersioning", bucket, policy=policy))
        say(f"the workload account's admin shortens an archived log's retention{how}", "DENY",
            by_admin("s3:PutObjectRetention", trail_object, policy=policy))
    for policy, how in ((key_policy, ""), (granting_the_workload(key_policy), ", even granted by mistake")):
        say(f"the workload account's admin schedules the deletion of the archive key{how}", "DENY",
            by_admin("kms:ScheduleKeyDeletion", key_arn, policy=policy))
        say(f"the workload account's admin rewrites the archive key's policy{how}", "DENY",
            by_admin("kms:PutKeyPolicy", key_arn, policy=policy))
    say("the workload account's admin describes the archive key (its trail names it)", "ALLOW",
        by_admin("kms:DescribeKey", key_arn, policy=key_policy))
    say("the workload account's admin decrypts with the archive key", "DENY",
        by_admin("kms:Decrypt", key_arn, policy=key_policy))

    def by_service(service: str, action: str, resource: str, context: dict[str, Any], policy: dict[str, Any]
                   ) -> Decision:
        # A service principal is authorized by the resource policy alone; AWS sets aws:SourceAccount/aws:SourceArn
        # to the resource it acts for (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
        return evaluate(Request(service, action, resource, {"aws:SecureTransport": "true", **context},
                                resource_account=owner), identity_policies=[], resource_policies=[policy])

    trail = {"aws:SourceArn": archive.trail_arn, "aws:SourceAccount": workload, "aws:SourceOrgID": organization_id}
    put = {**trail, "s3:x-amz-acl": "bucket-owner-full-control",
           "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}
    say("CloudTrail checks the archive's ACL for the workload's trail", "ALLOW",
        by_service("cloudtrail.amazonaws.com", "s3:GetBucketAcl", bucket, trail, bucket_policy))
    say("CloudTrail delivers the workload's trail into the archive", "ALLOW",
        by_service("cloudtrail.amazonaws.com", "s3:PutObject", trail_object, put, bucket_policy))
    say("CloudTrail encrypts the workload trail's log file with the archive key", "ALLOW",
        by_service("cloudtrail.amazonaws.com", "kms:GenerateDataKey", key_arn,
                   {**trail, "kms:EncryptionContext:aws:cloudtrail:arn": archive.trail_arn}, key_policy))
    other_trail = f"arn:aws:cloudtrail:{region}:{other_account}:trail/{archive.trail_name}"
    other = {"aws:SourceArn": other_trail, "aws:SourceAccount": other_account, "aws:SourceOrgID": organization_id,
             "s3:x-amz-acl": "bucket-owner-full-control", "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}
    say("CloudTrail delivers another account's trail into the archive (its own prefix)", "DENY",
        by_service("cloudtrail.amazonaws.com", "s3:PutObject",
                   f"{bucket}/AWSLogs/{other_account}/CloudTrail/{region}/2026/12/02/x.json.gz", other, bucket_policy))
    say("CloudTrail delivers another account's trail under the workload's prefix", "DENY",
        by_service("cloudtrail.amazonaws.com", "s3:PutObject", trail_object, other, bucket_policy))
    say("CloudTrail encrypts another account's trail log with the archive key", "DENY",
        by_service("cloudtrail.amazonaws.com", "kms:GenerateDataKey", key_arn,
                   {**other, "kms:EncryptionContext:aws:cloudtrail:arn": other_trail}, key_policy))
    # The log delivery service acts for the account's delivery resources in the workload's region.
    flow = {"aws:SourceAccount": workload, "aws:SourceArn": f"arn:aws:logs:{region}:{workload}:delivery-source:vpc",
            "aws:SourceOrgID": organization_id}
    flow_object = f"{bucket}/AWSLogs/{workload}/vpcflowlogs/{region}/2026/12/02/{workload}_vpcflowlogs_x.log.gz"
    say("the log delivery service delivers the workload's VPC flow logs into the archive", "ALLOW",
        by_service("delivery.logs.amazonaws.com", "s3:PutObject", flow_object,
                   {**flow, "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}, bucket_policy))
    say("the log delivery service encrypts the workload's flow logs with the archive key", "ALLOW",
        by_service("delivery.logs.amazonaws.com", "kms:GenerateDataKey", key_arn, flow, key_policy))
    other_flow = {"aws:SourceAccount": other_account, "aws:SourceOrgID": organization_id,
                  "aws:SourceArn": f"arn:aws:logs:{region}:{other_account}:delivery-source:vpc"}
    say("the log delivery service delivers another account's flow logs into the archive", "DENY",
        by_service("delivery.logs.amazonaws.com", "s3:PutObject",
                   f"{bucket}/AWSLogs/{other_account}/vpcflowlogs/{region}/x.log.gz", other_flow, bucket_policy))
