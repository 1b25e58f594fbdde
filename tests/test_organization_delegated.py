"""Invariants of the delegated accounts in the organization stack (environments/organization.yaml, with staging and
prod naming delegated_accounts), asserted on the synthesized JSON: the names the workload stacks write to are the
contract's (DelegatedArchive), each delegated account is reached through its own provider alias, every statement of
the archive's bucket and key policies, the delegated administration and its order; and the drill verdicts of
blueprint.drill.organization.delegated_archive_attempts, decided by blueprint.drill.policy_eval."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from blueprint.drill.organization import ADMINISTRATOR, delegated_archive_attempts
from blueprint.drill.policy_eval import Decision, Request, evaluate
from stacks.config.loader import load_selection
from stacks.config.model import EnvironmentDelegation, LoadedOrganization

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT / "constructs"))

from zero_trust_ai import actions  # noqa: E402
from zero_trust_ai.delegated_accounts import DelegatedArchive  # noqa: E402

ORG_ID = "o-a1b2c3d4e5"
# S3's limit for a bucket policy; KMS's for a key policy (characters of the document).
MAX_BUCKET_POLICY_BYTES = 20 * 1024
MAX_KEY_POLICY_CHARACTERS = 32 * 1024
REFERENCE = re.compile(r"\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)\.(arn|id)\}")


@pytest.fixture(scope="module")
def organization() -> LoadedOrganization:
    selection = load_selection(PROJECT_ROOT / "environments", only=["organization"], display_root=PROJECT_ROOT)
    (loaded,) = selection.organizations
    return loaded


def synthesized(organization: LoadedOrganization, outdir: Path) -> dict[str, Any]:
    from stacks.synth import synthesize

    synthesize([], outdir, [organization])
    return dict(json.loads((outdir / "stacks" / organization.name / "cdk.tf.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, organization: LoadedOrganization) -> dict[str, Any]:
    return synthesized(organization, tmp_path_factory.mktemp("delegated") / "cdktf.out")


def contract(organization: LoadedOrganization, delegation: EnvironmentDelegation) -> DelegatedArchive:
    log_archive = organization.config.security_accounts.log_archive
    assert log_archive is not None and log_archive.account_id is not None
    return DelegatedArchive(name_prefix=f"ztai-{delegation.environment}", workload_account_id=delegation.account_id,
                            log_archive_account_id=log_archive.account_id, region=delegation.region)


def resources(stack: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return dict(stack["resource"].get(type_name, {}))


def path_of(body: dict[str, Any]) -> str:
    return str(body["//"]["metadata"]["path"]).split("/", 1)[1]


def under(stack: dict[str, Any], type_name: str, prefix: str) -> dict[str, dict[str, Any]]:
    """Resources of the type whose construct path starts with ``prefix`` (``archive_prod/``), by path."""
    return {path_of(body): body for body in resources(stack, type_name).values() if path_of(body).startswith(prefix)}


def resolved(stack: dict[str, Any], document: str, *, region: str, account: str) -> dict[str, Any]:
    """A synthesized policy with its bucket and key references replaced by the ARNs AWS gives them."""
    def value(match: re.Match[str]) -> str:
        type_name, name, attribute = match.groups()
        body = stack["resource"][type_name][name]
        if type_name == "aws_s3_bucket":
            return f"arn:aws:s3:::{body['bucket']}"
        assert type_name == "aws_kms_key" and attribute == "arn", match.group(0)
        return key_arn(name, region, account)
    return dict(json.loads(REFERENCE.sub(value, document)))


def key_arn(logical_id: str, region: str, account: str) -> str:
    return f"arn:aws:kms:{region}:{account}:key/{abs(hash(logical_id)) % 10**8:08d}-0000-4000-8000-000000000000"


def by_sid(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for statement in document["Statement"]:
        assert statement["Sid"] not in found, statement["Sid"]
        found[statement["Sid"]] = statement
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def archive_policies(stack: dict[str, Any], archive: DelegatedArchive, environment: str
                     ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], str]:
    """(archive bucket policy, access-log bucket policy, key policy, key ARN) of one environment, resolved."""
    scope = f"archive_{environment}/"
    region, owner = archive.region, archive.log_archive_account_id
    policies = under(stack, "aws_s3_bucket_policy", scope)
    (key_name,) = [name for name, body in resources(stack, "aws_kms_key").items() if path_of(body).startswith(scope)]
    key = resources(stack, "aws_kms_key")[key_name]
    return (resolved(stack, policies[f"{scope}log_archive/archive/policy"]["policy"], region=region, account=owner),
            resolved(stack, policies[f"{scope}log_archive/access_logs/policy"]["policy"], region=region,
                     account=owner),
            resolved(stack, key["policy"], region=region, account=owner), key_arn(key_name, region, owner))


# -- the delegations reach the stack -------------------------------------------------------------------------------


def test_staging_and_prod_delegate_both_accounts(organization: LoadedOrganization) -> None:
    assert [(d.environment, d.log_archive, d.security_tooling) for d in organization.delegations] == [
        ("prod", True, True), ("staging", True, True)]


def test_names_are_the_contracts(stack: dict[str, Any], organization: LoadedOrganization) -> None:
    for delegation in organization.delegations:
        archive = contract(organization, delegation)
        scope = f"archive_{delegation.environment}/"
        buckets = {path: body["bucket"] for path, body in under(stack, "aws_s3_bucket", scope).items()}
        assert buckets == {f"{scope}log_archive/archive/bucket": archive.archive_bucket_name,
                           f"{scope}log_archive/access_logs/bucket": archive.access_log_bucket_name}
        (alias,) = under(stack, "aws_kms_alias", scope).values()
        assert alias["name"] == archive.key_alias
        assert archive.key_alias_arn == f"arn:aws:kms:{delegation.region}:555555555555:{archive.key_alias}"
        # the trail the bucket and key policies admit is the one the workload stack names
        bucket_policy, _, key_policy, _ = archive_policies(stack, archive, delegation.environment)
        assert by_sid(bucket_policy)["CloudTrailWrite"]["Condition"]["ArnEquals"]["aws:SourceArn"] == archive.trail_arn
        assert archive.trail_arn.endswith(f":{delegation.account_id}:trail/ztai-{delegation.environment}-trail")
        assert by_sid(key_policy)["CloudTrailEncryptLogs"]["Condition"]["ArnEquals"]["aws:SourceArn"] == (
            archive.trail_arn)


def test_object_lock_is_compliance_with_the_environments_retention(stack: dict[str, Any],
                                                                   organization: LoadedOrganization) -> None:
    for delegation in organization.delegations:
        (lock,) = under(stack, "aws_s3_bucket_object_lock_configuration", f"archive_{delegation.environment}/").values()
        retention = lock["rule"]["default_retention"]
        assert retention == {"mode": "COMPLIANCE", "days": delegation.object_lock_days}
    assert {d.environment: d.object_lock_days for d in organization.delegations} == {"prod": 365, "staging": 90}


# -- providers -------------------------------------------------------------------------------------------------


def test_one_provider_alias_per_delegated_account_and_region(stack: dict[str, Any],
                                                             organization: LoadedOrganization) -> None:
    providers = {p.get("alias", "default"): p for p in stack["provider"]["aws"]}
    assert sorted(providers) == ["default", "log_archive_eu_west_1", "security_tooling_eu_west_1"]
    assert providers["default"]["allowed_account_ids"] == [organization.config.management_account_id]
    assert "assume_role" not in providers["default"]
    for alias, account in (("log_archive_eu_west_1", "555555555555"), ("security_tooling_eu_west_1", "666666666666")):
        provider = providers[alias]
        assert provider["allowed_account_ids"] == [account]
        assert provider["region"] == "eu-west-1"
        (assume,) = provider["assume_role"]
        assert assume == {"role_arn": f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                          "session_name": "ztai-organization-stack"}


def test_every_archive_resource_is_in_the_log_archive_account(stack: dict[str, Any]) -> None:
    placed = [(type_name, path_of(body), body.get("provider")) for type_name, bodies in stack["resource"].items()
              for body in bodies.values() if path_of(body).startswith("archive_")]
    assert len(placed) == 2 * 20  # per environment: the access-log bucket (8 resources), the archive (10), key, alias
    assert {provider for _, _, provider in placed} == {"aws.log_archive_eu_west_1"}
    others = [path_of(body) for bodies in stack["resource"].values() for body in bodies.values()
              if body.get("provider") == "aws.log_archive_eu_west_1" and not path_of(body).startswith("archive_")]
    assert others == []


def test_a_delegating_region_other_than_the_organizations_gets_management_and_tooling_aliases(
        tmp_path: Path, organization: LoadedOrganization) -> None:
    moved = [d.model_copy(update={"region": "eu-central-1"}) if d.environment == "staging" else d
             for d in organization.delegations]
    document = synthesized(organization.model_copy(update={"delegations": moved}), tmp_path / "cdktf.out")
    aliases = sorted(p.get("alias", "default") for p in document["provider"]["aws"])
    assert aliases == ["default", "log_archive_eu_central_1", "log_archive_eu_west_1", "management_eu_central_1",
                       "security_tooling_eu_central_1", "security_tooling_eu_west_1"]
    management = next(p for p in document["provider"]["aws"] if p.get("alias") == "management_eu_central_1")
    assert management["allowed_account_ids"] == [organization.config.management_account_id]
    assert "assume_role" not in management
    admins = {path_of(b): b.get("provider") for b in resources(document, "aws_guardduty_organization_admin_account")
              .values()}
    assert admins == {"delegated_administration/guardduty_admin_eu_central_1": "aws.management_eu_central_1",
                      "delegated_administration/guardduty_admin_eu_west_1": None}
    (aggregator,) = resources(document, "aws_securityhub_finding_aggregator").values()
    assert aggregator["provider"] == "aws.security_tooling_eu_west_1"  # the organization's region is home
    assert aggregator["specified_regions"] == ["eu-central-1"]


# -- the archive's bucket policies -----------------------------------------------------------------------------------


def test_archive_bucket_policy_admits_the_workloads_trail_and_flow_logs_only(
        stack: dict[str, Any], organization: LoadedOrganization) -> None:
    for delegation in organization.delegations:
        archive, workload = contract(organization, delegation), delegation.account_id
        policy, _, _, _ = archive_policies(stack, archive, delegation.environment)
        statements = by_sid(policy)
        bucket = f"arn:aws:s3:::{archive.archive_bucket_name}"
        source = {"StringEquals": {"aws:SourceAccount": workload}, "ArnEquals": {"aws:SourceArn": archive.trail_arn}}
        assert statements["CloudTrailAclCheck"] == {
            "Sid": "CloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl", "Resource": bucket, "Condition": source}
        assert statements["CloudTrailWrite"] == {
            "Sid": "CloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": f"{bucket}/AWSLogs/{workload}/*",
            "Condition": {"StringEquals": {"aws:SourceAccount": workload, "s3:x-amz-acl": "bucket-owner-full-control"},
                          "ArnEquals": {"aws:SourceArn": archive.trail_arn}}}
        flow = {"StringEquals": {"aws:SourceAccount": workload},
                "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{delegation.region}:{workload}:*"}}
        assert statements["VpcFlowLogsDelivery"] == {
            "Sid": "VpcFlowLogsDelivery", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": f"{bucket}/AWSLogs/{workload}/vpcflowlogs/*", "Condition": flow}
        assert statements["VpcFlowLogsDeliveryBucketCheck"]["Condition"] == flow
        allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
        assert sorted(s["Sid"] for s in allows) == ["CloudTrailAclCheck", "CloudTrailWrite", "VpcFlowLogsDelivery",
                                                    "VpcFlowLogsDeliveryBucketCheck"]
        assert all("Service" in s["Principal"] for s in allows)  # no IAM principal of any account is granted
        assert not [sid for sid in statements if sid.startswith("AccessLogsFrom")]  # they go to the other bucket


def test_both_buckets_deny_the_workload_account_every_delete_and_configuration_change(
        stack: dict[str, Any], organization: LoadedOrganization) -> None:
    for delegation in organization.delegations:
        archive = contract(organization, delegation)
        policy, access_logs, _, _ = archive_policies(stack, archive, delegation.environment)
        for document, name in ((policy, archive.archive_bucket_name), (access_logs, archive.access_log_bucket_name)):
            deny = by_sid(document)["DenyDeliveringAccountTampering"]
            assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
            assert deny["Action"] == sorted(actions.ARCHIVE_TAMPERING)
            assert {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
                    "s3:PutLifecycleConfiguration", "s3:PutBucketObjectLockConfiguration", "s3:PutObjectRetention",
                    "s3:BypassGovernanceRetention", "s3:PutBucketVersioning"} <= set(deny["Action"])
            assert deny["Resource"] == [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
            assert deny["Condition"] == {"StringEquals": {"aws:PrincipalAccount": delegation.account_id}}


def test_access_log_bucket_admits_the_workloads_load_balancer_under_the_contract_prefix(
        stack: dict[str, Any], organization: LoadedOrganization) -> None:
    for delegation in organization.delegations:
        archive = contract(organization, delegation)
        _, access_logs, _, _ = archive_policies(stack, archive, delegation.environment)
        statements = by_sid(access_logs)
        (elb,) = [s for s in access_logs["Statement"] if s["Sid"].startswith("LoadBalancerLogs")]
        # eu-west-1 predates August 2022: its regional Elastic Load Balancing account writes the logs
        assert elb["Principal"] == {"AWS": "arn:aws:iam::156460612806:root"}
        assert elb["Action"] == "s3:PutObject"
        assert elb["Resource"] == (f"arn:aws:s3:::{archive.access_log_bucket_name}/"
                                   f"{archive.load_balancer_log_prefix}/AWSLogs/{delegation.account_id}/*")
        assert archive.load_balancer_log_prefix == f"alb/ztai-{delegation.environment}-serving"
        (logging,) = [s for sid, s in statements.items() if sid.startswith("AccessLogsFrom")]  # the archive's
        assert logging["Principal"] == {"Service": "logging.s3.amazonaws.com"}
        assert logging["Condition"]["StringEquals"] == {"aws:SourceAccount": archive.log_archive_account_id}


def test_bucket_and_key_policies_fit_aws_limits(stack: dict[str, Any], organization: LoadedOrganization) -> None:
    for delegation in organization.delegations:
        archive = contract(organization, delegation)
        policy, access_logs, key_policy, _ = archive_policies(stack, archive, delegation.environment)
        for document in (policy, access_logs):
            assert len(json.dumps(document, separators=(",", ":")).encode()) < MAX_BUCKET_POLICY_BYTES
        assert len(json.dumps(key_policy, separators=(",", ":"))) < MAX_KEY_POLICY_CHARACTERS


# -- the archive key ---------------------------------------------------------------------------------------------


def test_archive_key_policy_statements(stack: dict[str, Any], organization: LoadedOrganization) -> None:
    for delegation in organization.delegations:
        archive, workload = contract(organization, delegation), delegation.account_id
        _, _, key_policy, _ = archive_policies(stack, archive, delegation.environment)
        statements = by_sid(key_policy)
        assert sorted(statements) == ["AccountRootAdmin", "CloudTrailDescribeKey", "CloudTrailEncryptLogs",
                                      "DeliveringAccountDescribesKey", "DenyDeliveringAccountKeyTampering",
                                      "VpcFlowLogsEncrypt"]
        assert statements["AccountRootAdmin"]["Principal"] == {"AWS": "arn:aws:iam::555555555555:root"}
        assert set(statements["AccountRootAdmin"]["Action"]) == set(actions.KMS_ADMIN)  # no data-plane use
        assert statements["CloudTrailEncryptLogs"]["Action"] == "kms:GenerateDataKey"
        assert statements["CloudTrailEncryptLogs"]["Condition"] == {
            "StringEquals": {"aws:SourceAccount": workload},
            "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                           f"arn:aws:cloudtrail:*:{workload}:trail/{archive.trail_name}"},
            "ArnEquals": {"aws:SourceArn": archive.trail_arn}}
        assert statements["CloudTrailDescribeKey"]["Action"] == "kms:DescribeKey"
        assert statements["VpcFlowLogsEncrypt"]["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
        assert statements["VpcFlowLogsEncrypt"]["Condition"] == {
            "StringEquals": {"aws:SourceAccount": workload},
            "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{delegation.region}:{workload}:*"}}
        assert statements["DeliveringAccountDescribesKey"] == {
            "Sid": "DeliveringAccountDescribesKey", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{workload}:root"}, "Action": "kms:DescribeKey", "Resource": "*"}
        deny = statements["DenyDeliveringAccountKeyTampering"]
        assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
        assert {"kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey", "kms:CreateGrant"} <= set(
            deny["Action"])
        assert deny["Condition"] == {"StringEquals": {"aws:PrincipalAccount": workload}}
        grants_to_the_workload = [s for s in key_policy["Statement"] if s["Effect"] == "Allow"
                                  and workload in json.dumps(s.get("Principal", {}))]
        assert [s["Action"] for s in grants_to_the_workload] == ["kms:DescribeKey"]


# -- delegated administration ------------------------------------------------------------------------------------


def test_delegated_administration_in_the_management_and_security_tooling_accounts(stack: dict[str, Any]) -> None:
    tooling, admin = "aws.security_tooling_eu_west_1", "666666666666"
    (organization_name,) = resources(stack, "aws_organizations_organization")
    organization = f"aws_organizations_organization.{organization_name}"

    def one(type_name: str) -> tuple[str, dict[str, Any]]:
        (item,) = resources(stack, type_name).items()
        return f"{type_name}.{item[0]}", item[1]

    detector_ref, detector = one("aws_guardduty_detector")
    assert detector["enable"] is True and detector["provider"] == tooling
    # members inherit the administrator's frequency: the workloads' quarantine hears of updates within 15 minutes,
    # as with their own detectors (GuardDuty's default would be six hours)
    assert detector["finding_publishing_frequency"] == "FIFTEEN_MINUTES"
    feature_ref, feature = one("aws_guardduty_detector_feature")
    assert (feature["name"], feature["status"], feature["provider"]) == ("S3_DATA_EVENTS", "ENABLED", tooling)
    guardduty_admin_ref, guardduty_admin = one("aws_guardduty_organization_admin_account")
    assert guardduty_admin["admin_account_id"] == admin and "provider" not in guardduty_admin  # management account
    assert set(guardduty_admin["depends_on"]) == {organization, detector_ref, feature_ref}  # its detector first
    _, configuration = one("aws_guardduty_organization_configuration")
    assert configuration["auto_enable_organization_members"] == "ALL"
    assert configuration["provider"] == tooling and configuration["depends_on"] == [guardduty_admin_ref]
    assert configuration["detector_id"] == f"${{{detector_ref}.id}}"
    _, organization_feature = one("aws_guardduty_organization_configuration_feature")
    assert (organization_feature["name"], organization_feature["auto_enable"]) == ("S3_DATA_EVENTS", "ALL")
    assert organization_feature["depends_on"] == [guardduty_admin_ref]

    hub_ref, hub = one("aws_securityhub_account")
    assert hub["provider"] == tooling
    hub_admin_ref, hub_admin = one("aws_securityhub_organization_admin_account")
    assert hub_admin["admin_account_id"] == admin and "provider" not in hub_admin
    assert set(hub_admin["depends_on"]) == {organization, hub_ref}
    _, hub_configuration = one("aws_securityhub_organization_configuration")
    assert hub_configuration["auto_enable"] is True and hub_configuration["auto_enable_standards"] == "DEFAULT"
    assert hub_configuration["organization_configuration"] == {"configuration_type": "LOCAL"}
    assert hub_configuration["provider"] == tooling and hub_configuration["depends_on"] == [hub_admin_ref]
    members = {body["account_id"]: body for body in resources(stack, "aws_securityhub_member").values()}
    assert sorted(members) == ["222222222222", "333333333333"]  # staging and prod: members before the designation
    for member in members.values():
        assert member["invite"] is False and member["provider"] == tooling
        assert member["depends_on"] == [hub_admin_ref]
    # one administered region (eu-west-1): no other region's findings to link, so no aggregator (eu-central-1 is
    # allowed but runs no Security Hub of the administrator); the two-region case is the alias test's
    assert resources(stack, "aws_securityhub_finding_aggregator") == {}

    _, config_admin = one("aws_organizations_delegated_administrator")
    assert config_admin["account_id"] == admin and config_admin["service_principal"] == "config.amazonaws.com"
    assert "provider" not in config_admin
    (body,) = resources(stack, "aws_organizations_organization").values()
    assert {"guardduty.amazonaws.com", "securityhub.amazonaws.com", "config.amazonaws.com"} <= set(
        body["aws_service_access_principals"])  # trusted access, which each designation needs


def test_the_emulated_organization_has_no_delegations() -> None:
    selection = load_selection(PROJECT_ROOT / "environments", only=["organization-local"], display_root=PROJECT_ROOT)
    (local,) = selection.organizations
    assert local.delegations == []


# -- the drill -----------------------------------------------------------------------------------------------------


def drill(stack: dict[str, Any], organization: LoadedOrganization, environment: str
          ) -> list[tuple[str, str, Decision]]:
    delegation = next(d for d in organization.delegations if d.environment == environment)
    archive = contract(organization, delegation)
    bucket_policy, _, key_policy, key = archive_policies(stack, archive, environment)
    verdicts: list[tuple[str, str, Decision]] = []
    delegated_archive_attempts(lambda attempt, expected, decision, how: verdicts.append((attempt, expected, decision)),
                               archive=archive, bucket_policy=bucket_policy, key_policy=key_policy, key_arn=key,
                               organization_id=ORG_ID)
    return verdicts


@pytest.mark.parametrize("environment", ["prod", "staging"])
def test_drill_verdicts(stack: dict[str, Any], organization: LoadedOrganization, environment: str) -> None:
    verdicts = drill(stack, organization, environment)
    assert len(verdicts) == 27
    wrong = [(attempt, expected, decision.reason) for attempt, expected, decision in verdicts
             if decision.allowed != (expected == "ALLOW") or decision.unknown_operators]
    assert wrong == []


def test_the_explicit_deny_decides_when_a_statement_grants_the_workload(
        stack: dict[str, Any], organization: LoadedOrganization) -> None:
    """Without the Deny, a mistaken grant to the workload account would let its admin erase evidence: the verdict
    "even granted by mistake" rests on DenyDeliveringAccountTampering, not on the missing Allow."""
    delegation = next(d for d in organization.delegations if d.environment == "prod")
    archive = contract(organization, delegation)
    bucket_policy, _, _, _ = archive_policies(stack, archive, "prod")
    mistake = {"Sid": "GrantedByMistake", "Effect": "Allow",
               "Principal": {"AWS": f"arn:aws:iam::{delegation.account_id}:root"}, "Action": "*", "Resource": "*"}
    without_deny = [s for s in bucket_policy["Statement"] if s["Sid"] != "DenyDeliveringAccountTampering"]
    # a bucket-level change: the object perimeter (DenyPrincipalsOutsideTheGrants) does not cover it
    request = Request(f"arn:aws:iam::{delegation.account_id}:role/admin", "s3:PutLifecycleConfiguration",
                      f"arn:aws:s3:::{archive.archive_bucket_name}",
                      {"aws:SecureTransport": "true", "aws:PrincipalOrgID": ORG_ID},
                      resource_account=archive.log_archive_account_id)
    bare = evaluate(request, identity_policies=[ADMINISTRATOR],
                    resource_policies=[{"Version": "2012-10-17", "Statement": without_deny}])
    assert not bare.allowed and "cross-account" in bare.reason  # layer one: no Allow for the workload account
    granted = {"Version": "2012-10-17", "Statement": [*without_deny, mistake]}
    assert evaluate(request, identity_policies=[ADMINISTRATOR], resource_policies=[granted]).allowed
    fenced = {"Version": "2012-10-17", "Statement": [*bucket_policy["Statement"], mistake]}
    decision = evaluate(request, identity_policies=[ADMINISTRATOR], resource_policies=[fenced])
    assert not decision.allowed and "DenyDeliveringAccountTampering" in decision.reason


# -- props validation ---------------------------------------------------------------------------------------------


def test_props_refuse_a_deployer_of_another_account_and_the_management_account_as_administrator() -> None:
    from pydantic import ValidationError

    from zero_trust_ai.delegated_administration import DelegatedAdministrationProps
    from zero_trust_ai.delegated_log_archive import DelegatedLogArchiveProps

    archive = DelegatedArchive(name_prefix="ztai-prod", workload_account_id="333333333333",
                               log_archive_account_id="555555555555", region="eu-west-1")
    with pytest.raises(ValidationError, match="role of account 333333333333"):
        DelegatedLogArchiveProps(archive=archive, object_lock_days=30,
                                 deployer_role_arn="arn:aws:iam::333333333333:role/OrganizationAccountAccessRole")
    itself = archive.model_copy(update={"workload_account_id": "555555555555"})
    with pytest.raises(ValidationError, match="cannot be its own log-archive account"):
        DelegatedLogArchiveProps(archive=itself, object_lock_days=30,
                                 deployer_role_arn="arn:aws:iam::555555555555:role/OrganizationAccountAccessRole")
    with pytest.raises(ValidationError, match="management account cannot be the delegated administrator"):
        DelegatedAdministrationProps(admin_account_id="444444444444", management_account_id="444444444444",
                                     regions=["eu-west-1"], aggregation_region="eu-west-1")
    with pytest.raises(ValidationError, match="not one of"):
        DelegatedAdministrationProps(admin_account_id="666666666666", management_account_id="444444444444",
                                     regions=["eu-west-1"], aggregation_region="eu-central-1")

    with pytest.raises(ValidationError, match="is not a member account id"):
        DelegatedAdministrationProps(admin_account_id="666666666666", management_account_id="444444444444",
                                     regions=["eu-west-1"], aggregation_region="eu-west-1",
                                     security_hub_members={"eu-west-1": ["666666666666"]})

    from zero_trust_ai.organization_guardrails import OrganizationGuardrailsProps

    base = {"allowed_regions": ["eu-west-1"], "global_service_actions": ["iam:*"], "break_glass_role_names": ["bg"],
            "deployer_role_names": ["dp"], "protected_role_names": ["pr"], "perimeter_services": ["s3"]}
    for wildcard in ("arn:aws:iam::*:role/OrganizationAccountAccessRole", "arn:aws:iam::666666666666:role/*"):
        with pytest.raises(ValidationError, match="one role of one account"):
            OrganizationGuardrailsProps(**base, security_service_administrator_arns=[wildcard])


# -- the guardrails let the stack configure the security-tooling account, and only that ---------------------------


def test_the_access_role_of_the_security_tooling_account_alone_may_configure_its_security_services(
        stack: dict[str, Any], organization: LoadedOrganization) -> None:
    """The detector's S3 protection is a guardduty:UpdateDetector and Security Hub's settings an
    UpdateSecurityHubConfiguration, both in DenyAlteringSecurityServices: exempt exactly the organization stack's
    access role in the security-tooling account (by ARN), not the same role name elsewhere, and never from
    disabling a service."""
    org_reference = re.compile(r"\$\{aws_organizations_organization\.[\w-]+\.id\}")
    scps = [json.loads(org_reference.sub(ORG_ID, body["content"]))
            for body in resources(stack, "aws_organizations_policy").values()
            if body["type"] == "SERVICE_CONTROL_POLICY"]
    full = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    role = organization.config.security_accounts.access_role_name

    def attempt(account: str, action: str, resource: str) -> Decision:
        return evaluate(Request(f"arn:aws:iam::{account}:role/{role}", action, resource,
                                {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalOrgID": ORG_ID}),
                        identity_policies=[ADMINISTRATOR], scps=[[full, *scps]])

    detector = "arn:aws:guardduty:eu-west-1:{}:detector/d"
    hub = "arn:aws:securityhub:eu-west-1:{}:hub/default"
    assert attempt("666666666666", "guardduty:UpdateDetector", detector.format("666666666666")).allowed
    assert attempt("666666666666", "securityhub:UpdateSecurityHubConfiguration", hub.format("666666666666")).allowed
    for account in ("333333333333", "555555555555"):  # a workload account, the log-archive account
        denied = attempt(account, "guardduty:UpdateDetector", detector.format(account))
        assert not denied.allowed and "DenyAlteringSecurityServices" in denied.reason
    for action, resource in (("guardduty:DeleteDetector", detector), ("securityhub:DisableSecurityHub", hub)):
        denied = attempt("666666666666", action, resource.format("666666666666"))
        assert not denied.allowed and "DenyDisablingSecurityServices" in denied.reason


def test_an_independent_evaluator_agrees_with_the_drill(stack: dict[str, Any],
                                                        organization: LoadedOrganization) -> None:
    """The delegated archive's verdicts, replayed in @cloud-copilot/iam-simulate (tests/parity): every disagreement
    must be explained in tests/parity/known_differences.yaml."""
    from blueprint.drill import policy_eval
    from tests.parity import harness

    assert harness.simulator_available(), "node_modules/@cloud-copilot/iam-simulate missing: run scripts/setup.sh"
    with policy_eval.recording() as entries:
        drill(stack, organization, "prod")
    cases = [harness.Case.from_recorded(f"delegated/{i:03d}/{e.request.action}/"
                                        f"{e.request.principal_arn.rsplit('/', 1)[-1]}", e)
             for i, e in enumerate(entries)]
    comparison = harness.compare(cases, harness.known_differences())
    assert comparison.total == 27
    assert not comparison.unexplained, "\n".join(str(d) for d in comparison.unexplained)


@pytest.mark.parametrize("environment", ["prod", "staging"])
def test_an_unsigned_payload_stops_iam_principals_but_not_aws_deliveries(
        stack: dict[str, Any], organization: LoadedOrganization, environment: str) -> None:
    """How CloudTrail and log delivery sign their PUTs is not documented: DenyUnsignedPayloadUploads must not refuse
    them (evidence would be lost silently), while it still refuses every IAM principal, the log-archive account's
    own administrators included."""
    delegation = next(d for d in organization.delegations if d.environment == environment)
    archive = contract(organization, delegation)
    bucket_policy, _, _, key = archive_policies(stack, archive, environment)
    obj = (f"arn:aws:s3:::{archive.archive_bucket_name}/AWSLogs/{delegation.account_id}/CloudTrail/"
           f"{delegation.region}/2026/12/02/x.json.gz")
    unsigned = {"aws:SecureTransport": "true", "s3:x-amz-content-sha256": "UNSIGNED-PAYLOAD",
                "s3:x-amz-acl": "bucket-owner-full-control", "s3:x-amz-server-side-encryption-aws-kms-key-id": key}
    delivery = evaluate(Request("cloudtrail.amazonaws.com", "s3:PutObject", obj,
                                {**unsigned, "aws:PrincipalIsAWSService": "true", "aws:SourceArn": archive.trail_arn,
                                 "aws:SourceAccount": delegation.account_id},
                                resource_account=archive.log_archive_account_id),
                        identity_policies=[], resource_policies=[bucket_policy])
    assert delivery.allowed, delivery.reason
    owner_admin = f"arn:aws:iam::{archive.log_archive_account_id}:role/OrganizationAccountAccessRole"
    upload = evaluate(Request(owner_admin, "s3:PutObject", obj, {**unsigned, "aws:PrincipalIsAWSService": "false"}),
                      identity_policies=[ADMINISTRATOR], resource_policies=[bucket_policy])
    assert not upload.allowed and "DenyUnsignedPayloadUploads" in upload.reason, upload.reason
