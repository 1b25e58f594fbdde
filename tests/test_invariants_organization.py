"""Invariants of the organization stacks, asserted on the synthesized JSON (environments/organization*.yaml):
the OU layout and account placement, every SCP statement (Deny, actions, exemptions), the RCP data perimeter
(aws:PrincipalOrgID / aws:SourceOrgID / aws:PrincipalIsAWSService), Organizations' size and attachment limits,
and the documents' effect under AWS's evaluation semantics (blueprint.drill.policy_eval)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from blueprint.drill.policy_eval import Decision, Request, evaluate
from blueprint.gate import runner as gate
from stacks.config.loader import load_selection
from stacks.config.model import (
    MAX_ORGANIZATION_POLICY_CHARACTERS,
    DataPerimeterConfig,
    GuardrailsConfig,
    LoadedOrganization,
    OrganizationConfig,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT / "constructs"))
ORGANIZATIONS = ("organization", "organization-local")
# a real organization id is at most 34 characters; the synthesized reference stands in for it
ORG_REFERENCE = re.compile(r"\$\{aws_organizations_organization\.[\w-]+\.id\}")
ORG_ID = "o-a1b2c3d4e5"
FULL_AWS_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ADMIN = {"Version": "2012-10-17", "Statement": [{"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def organizations() -> dict[str, LoadedOrganization]:
    selection = load_selection(PROJECT_ROOT / "environments", only=list(ORGANIZATIONS), display_root=PROJECT_ROOT)
    return {o.name: o for o in selection.organizations}


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory, organizations: dict[str, LoadedOrganization]) -> Path:
    from stacks.synth import synthesize

    out = tmp_path_factory.mktemp("organization") / "cdktf.out"
    synthesize([], out, list(organizations.values()))
    return out


def stack(outdir: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text(encoding="utf-8")))


def resources(document: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return dict(document["resource"].get(type_name, {}))


def ref(type_name: str, name: str, attribute: str = "id") -> str:
    return f"${{{type_name}.{name}.{attribute}}}"


def policies(document: dict[str, Any], policy_type: str) -> dict[str, dict[str, Any]]:
    """Policy name -> document (the organization reference replaced by an id) of every policy of the type."""
    found = {}
    for body in resources(document, "aws_organizations_policy").values():
        if body["type"] == policy_type:
            found[body["name"]] = json.loads(ORG_REFERENCE.sub(ORG_ID, body["content"]))
    return found


def statements(document: dict[str, Any], policy_type: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for policy in policies(document, policy_type).values():
        for statement in policy["Statement"]:
            assert statement["Sid"] not in found, statement["Sid"]
            found[statement["Sid"]] = statement
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_arns(names: list[str]) -> list[str]:
    return [f"arn:aws:iam::*:role/{name}" for name in names]


@pytest.fixture(params=ORGANIZATIONS)
def org(request: pytest.FixtureRequest, outdir: Path,
        organizations: dict[str, LoadedOrganization]) -> tuple[dict[str, Any], OrganizationConfig]:
    return stack(outdir, request.param), organizations[request.param].config


# -- structure ------------------------------------------------------------------------------------------------------


def test_one_stack_per_organization_file_and_its_own_state(outdir: Path,
                                                           organizations: dict[str, LoadedOrganization]) -> None:
    assert sorted(p.name for p in (outdir / "stacks").iterdir()) == sorted(ORGANIZATIONS)
    cloud, local = stack(outdir, "organization"), stack(outdir, "organization-local")
    # the default provider is the management account's; the aliases of the delegated accounts are
    # tests/test_organization_delegated.py's
    (provider,) = [p for p in cloud["provider"]["aws"] if "alias" not in p]
    assert provider["allowed_account_ids"] == [organizations["organization"].config.management_account_id]
    assert "endpoints" not in provider
    assert cloud["terraform"]["backend"]["s3"]["key"] == "ai-platform/organization/terraform.tfstate"
    assert cloud["terraform"]["backend"]["s3"]["use_lockfile"] is True
    (emulated,) = local["provider"]["aws"]
    assert set(emulated["endpoints"][0].values()) == {organizations["organization-local"].config.emulator.endpoint}
    assert local["terraform"]["backend"]["local"]["path"] == "../../../.state/terraform.organization-local.tfstate"
    for document in (cloud, local):
        assert "import" not in document  # checkov cannot parse import blocks: adoption is `deploy_organization adopt`


def test_the_organization_enables_all_features_scps_and_rcps(org: tuple[dict[str, Any], OrganizationConfig]) -> None:
    document, config = org
    (body,) = resources(document, "aws_organizations_organization").values()
    assert body["feature_set"] == "ALL"
    assert sorted(body["enabled_policy_types"]) == ["RESOURCE_CONTROL_POLICY", "SERVICE_CONTROL_POLICY"]
    assert {"cloudtrail.amazonaws.com", "guardduty.amazonaws.com", "securityhub.amazonaws.com",
            "config.amazonaws.com"} <= set(body["aws_service_access_principals"])
    protected = body.get("lifecycle", {}).get("prevent_destroy", False)
    assert protected is (not config.is_emulated)  # destroying it would drop every account's guardrails


def test_security_infrastructure_and_workload_ous_with_one_ou_per_environment(
        org: tuple[dict[str, Any], OrganizationConfig]) -> None:
    document, config = org
    (organization,) = resources(document, "aws_organizations_organization")
    root = ref("aws_organizations_organization", organization, "roots[0].id")
    units = resources(document, "aws_organizations_organizational_unit")
    by_name = {body["name"]: (name, body) for name, body in units.items()}
    names = config.organizational_units
    for top in (names.security, names.infrastructure, names.workloads):
        assert by_name[top][1]["parent_id"] == root
    workloads = ref("aws_organizations_organizational_unit", by_name[names.workloads][0])
    below_workloads = sorted(body["name"] for body in units.values() if body["parent_id"] == workloads)
    assert below_workloads == sorted(config.workloads)
    assert len(units) == 3 + len(config.workloads)


def test_member_accounts_are_placed_in_their_ous_and_adopted_accounts_only_placed(
        org: tuple[dict[str, Any], OrganizationConfig]) -> None:
    document, config = org
    units = {body["name"]: name for name, body in resources(document, "aws_organizations_organizational_unit").items()}
    accounts = {body["email"]: body for body in resources(document, "aws_organizations_account").values()}
    assert len(accounts) == len(config.member_accounts())
    for path, account in config.member_accounts().items():
        body = accounts[account.email]
        unit = path[1] if path[0] == "workloads" else config.organizational_units.security
        assert body["parent_id"] == ref("aws_organizations_organizational_unit", units[unit]), path
        assert body["name"] == account.name and body["close_on_deletion"] is False
        lifecycle = body.get("lifecycle", {})
        if account.account_id:  # adopted: Terraform moves it and tags it, never re-creates it
            assert set(lifecycle["ignore_changes"]) == {"email", "name", "iam_user_access_to_billing", "role_name"}
        else:
            assert "ignore_changes" not in lifecycle
        assert lifecycle.get("prevent_destroy", False) is (not config.is_emulated)


def test_adoptions_name_the_configured_ids(outdir: Path, organizations: dict[str, LoadedOrganization]) -> None:
    from blueprint.deploy.organization import adoptions

    config = organizations["organization"].config
    found = adoptions(stack(outdir, "organization"), config)
    assert sorted(found.values()) == sorted(a.account_id for a in config.member_accounts().values() if a.account_id)
    assert all(address.startswith("aws_organizations_account.") for address in found)
    assert adoptions(stack(outdir, "organization-local"), organizations["organization-local"].config) == {}
    with_org = config.model_copy(update={"existing_organization_id": "o-exampleorg1"})
    assert "o-exampleorg1" in adoptions(stack(outdir, "organization"), with_org).values()


# -- service control policies ---------------------------------------------------------------------------------------


def test_every_scp_statement_denies_and_none_allows(org: tuple[dict[str, Any], OrganizationConfig]) -> None:
    document, _ = org
    scps = policies(document, "SERVICE_CONTROL_POLICY")
    assert len(scps) == 4
    for name, policy in scps.items():
        assert policy["Version"] == "2012-10-17"
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Deny", (name, statement["Sid"])
            assert statement.get("Resource", "*") != [] and "Principal" not in statement


def test_no_member_account_leaves_the_organization_or_uses_root_or_iam_users(
        org: tuple[dict[str, Any], OrganizationConfig]) -> None:
    document, _ = org
    found = statements(document, "SERVICE_CONTROL_POLICY")
    leave = found["DenyLeavingTheOrganization"]
    assert as_list(leave["Action"]) == ["organizations:LeaveOrganization"] and "Condition" not in leave
    root = found["DenyRootUser"]
    assert root["Action"] == "*" and root["Resource"] == "*"
    assert root["Condition"] == {"StringLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}}
    users = found["DenyIamUsersAndAccessKeys"]
    assert {"iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"} <= set(as_list(users["Action"]))
    assert "Condition" not in users  # nobody is exempt: people sign in through the identity provider


def test_security_services_cannot_be_disabled_except_by_break_glass(
        org: tuple[dict[str, Any], OrganizationConfig]) -> None:
    document, config = org
    found = statements(document, "SERVICE_CONTROL_POLICY")
    disabling = found["DenyDisablingSecurityServices"]
    assert {"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:DeleteDetector",
            "guardduty:DisassociateFromAdministratorAccount", "securityhub:DisableSecurityHub",
            "config:StopConfigurationRecorder", "config:DeleteConfigurationRecorder",
            "config:DeleteDeliveryChannel"} <= set(disabling["Action"])
    assert disabling["Resource"] == "*"
    assert disabling["Condition"] == {"ArnNotLike": {
        "aws:PrincipalArn": role_arns(config.guardrails.break_glass_role_names)}}
    altering = found["DenyAlteringSecurityServices"]
    assert {"cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors", "guardduty:UpdateDetector",
            "guardduty:CreateFilter", "securityhub:BatchDisableStandards", "config:PutConfigurationRecorder",
            "config:DeleteConfigRule"} <= set(altering["Action"])
    # plus, exactly, the organization stack's access role in the security-tooling account when environments delegate
    # to it (tests/test_organization_delegated.py)
    administrators = ([f"arn:aws:iam::666666666666:role/{config.security_accounts.access_role_name}"]
                      if not config.is_emulated else [])
    assert altering["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [*role_arns(
        [*config.guardrails.break_glass_role_names, *config.guardrails.deployer_role_names]), *administrators]}}
    assert not set(disabling["Action"]) & set(altering["Action"])


def test_region_allow_list_exempts_only_global_services(org: tuple[dict[str, Any], OrganizationConfig]) -> None:
    document, config = org
    region = statements(document, "SERVICE_CONTROL_POLICY")["DenyUnapprovedRegions"]
    assert "Action" not in region
    exempt = set(region["NotAction"])
    assert exempt == set(config.guardrails.global_service_actions)
    assert {"iam:*", "sts:*", "organizations:*", "route53:*", "cloudfront:*", "support:*"} <= exempt
    assert not {"kms:*", "s3:*", "ec2:*", "sagemaker:*", "config:*", "cloudtrail:*", "*"} & exempt
    assert region["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": config.guardrails.allowed_regions}}


def test_keys_are_deleted_only_by_break_glass_and_protected_roles_change_only_by_the_deployer(
        org: tuple[dict[str, Any], OrganizationConfig]) -> None:
    document, config = org
    found = statements(document, "SERVICE_CONTROL_POLICY")
    keys = found["DenyKeyDeletion"]
    assert {"kms:ScheduleKeyDeletion", "kms:DeleteImportedKeyMaterial"} == set(keys["Action"])
    break_glass = role_arns(config.guardrails.break_glass_role_names)
    assert keys["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": break_glass}}
    roles = found["DenyChangesToProtectedRoles"]
    assert {"iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRolePolicy",
            "iam:UpdateAssumeRolePolicy", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary"} <= set(roles["Action"])
    assert as_list(roles["Resource"]) == role_arns(config.guardrails.protected_role_names)
    assert roles["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": role_arns(config.guardrails.deployer_role_names)}}
    for evidence in ("trail-to-cloudwatch", "flow-logs", "quarantine-", "security-auditor", "break-glass"):
        assert any(evidence in arn for arn in as_list(roles["Resource"])), evidence
    boundary = found["DenyChangesToProtectedPolicies"]
    assert {"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"} <= set(boundary["Action"])
    assert as_list(boundary["Resource"]) == [f"arn:aws:iam::*:policy/{n}"
                                             for n in config.guardrails.protected_policy_names]


def test_protected_names_exist_in_the_synthesized_workload_stack(synthesized: Any) -> None:
    """Against the real workload stack: every protected pattern matches at least one role/policy it creates."""
    from blueprint.drill.policy_eval import _like
    from stacks.config.model import DEFAULT_PROTECTED_POLICY_NAMES, DEFAULT_PROTECTED_ROLE_NAMES

    workload = synthesized.stack("dev")
    roles = [body["name"] for body in workload["resource"]["aws_iam_role"].values()]
    policy_names = [body["name"] for body in workload["resource"]["aws_iam_policy"].values()]
    for pattern in DEFAULT_PROTECTED_ROLE_NAMES:
        assert any(_like(pattern, role, None) for role in roles), pattern
    for pattern in DEFAULT_PROTECTED_POLICY_NAMES:
        assert any(_like(pattern, name, None) for name in policy_names), pattern
    (break_glass,) = [r for r in roles if _like("ztai-*-break-glass", r, None)]
    assert break_glass == "ztai-dev-break-glass"


# -- the resource control policy ------------------------------------------------------------------------------------


def test_rcp_fences_the_five_services_to_the_organization(org: tuple[dict[str, Any], OrganizationConfig]) -> None:
    document, config = org
    (name,) = resources(document, "aws_organizations_organization")
    reference = ref("aws_organizations_organization", name)
    (rcp,) = [body for body in resources(document, "aws_organizations_policy").values()
              if body["type"] == "RESOURCE_CONTROL_POLICY"]
    raw = json.loads(rcp["content"])
    found = {s["Sid"]: s for s in raw["Statement"]}
    assert set(found) == {"EnforceOrgIdentities", "EnforceConfusedDeputyProtection"}
    for statement in found.values():
        assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Resource"] == "*"
    identities = found["EnforceOrgIdentities"]
    assert {"s3:*", "kms:*", "sqs:*", "secretsmanager:*", "sts:AssumeRole"} <= set(identities["Action"])
    assert not {"sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:*"} & set(identities["Action"])
    condition = identities["Condition"]
    assert condition["StringNotEqualsIfExists"]["aws:PrincipalOrgID"] == reference
    assert condition["BoolIfExists"] == {"aws:PrincipalIsAWSService": "false"}
    deputy = found["EnforceConfusedDeputyProtection"]
    assert set(deputy["Action"]) == {"s3:*", "kms:*", "sqs:*", "secretsmanager:*", "sts:*"}
    assert deputy["Condition"]["StringNotEqualsIfExists"]["aws:SourceOrgID"] == reference
    assert deputy["Condition"]["Null"] == {"aws:SourceAccount": "false"}
    assert deputy["Condition"]["Bool"] == {"aws:PrincipalIsAWSService": "true"}
    assert config.data_perimeter.services == ["s3", "kms", "sts", "sqs", "secretsmanager"]


def test_rcp_admits_exactly_the_elb_log_delivery_accounts_of_the_allowed_regions(
        org: tuple[dict[str, Any], OrganizationConfig]) -> None:
    from zero_trust_ai.log_archive import ELB_LOG_DELIVERY_ACCOUNTS

    document, config = org
    found = statements(document, "RESOURCE_CONTROL_POLICY")
    expected = sorted({*config.data_perimeter.trusted_accounts,
                       *(ELB_LOG_DELIVERY_ACCOUNTS[r] for r in config.guardrails.allowed_regions
                         if r in ELB_LOG_DELIVERY_ACCOUNTS)})
    assert expected  # both shipped organizations allow a region with a legacy ELB log-delivery account
    assert found["EnforceOrgIdentities"]["Condition"]["StringNotEqualsIfExists"]["aws:PrincipalAccount"] == expected
    assert found["EnforceConfusedDeputyProtection"]["Condition"]["StringNotEqualsIfExists"][
        "aws:SourceAccount"] == expected


# -- limits ---------------------------------------------------------------------------------------------------------


def test_every_policy_stays_under_organizations_size_limit(org: tuple[dict[str, Any], OrganizationConfig]) -> None:
    document, _ = org
    longest = "o-" + "x" * 32
    for body in resources(document, "aws_organizations_policy").values():
        stored = json.dumps(json.loads(ORG_REFERENCE.sub(longest, body["content"])), separators=(",", ":"))
        assert len(stored) < MAX_ORGANIZATION_POLICY_CHARACTERS == 5120, (body["name"], len(stored))
        assert len(body["content"]) < 5120


def test_the_configuration_bounds_keep_every_policy_under_the_limit() -> None:
    """Every list at its configured maximum, every name at its maximum length: still below 5,120 characters, so no
    valid configuration can produce a policy Organizations refuses."""
    from zero_trust_ai.organization_guardrails import OrganizationGuardrailsProps, limit_problems

    def bound(model: type[Any], field: str) -> int:
        (limit,) = [m.max_length for m in model.model_fields[field].metadata if getattr(m, "max_length", None)]
        return int(limit)

    def names(count: int, length: int) -> list[str]:
        return [f"n{i:02d}" + "x" * (length - 3) for i in range(count)]

    worst = OrganizationGuardrailsProps(
        allowed_regions=["ap-southeast-5"] * bound(GuardrailsConfig, "allowed_regions"),
        global_service_actions=[f"s{i:02d}{'-' * 20}:{'A' * 40}"
                                for i in range(bound(GuardrailsConfig, "global_service_actions"))],
        break_glass_role_names=names(bound(GuardrailsConfig, "break_glass_role_names"), 64),
        deployer_role_names=names(bound(GuardrailsConfig, "deployer_role_names"), 64),
        protected_role_names=names(bound(GuardrailsConfig, "protected_role_names"), 64),
        protected_policy_names=names(bound(GuardrailsConfig, "protected_policy_names"), 64),
        perimeter_services=["s3", "kms", "sts", "sqs", "secretsmanager"],
        # the configured trusted accounts plus one ELB account per allowed region
        trusted_accounts=[f"{i:012d}" for i in range(bound(DataPerimeterConfig, "trusted_accounts")
                                                     + bound(GuardrailsConfig, "allowed_regions"))],
        security_service_administrator_arns=[f"arn:aws:iam::{i:012d}:role/{'r' * 64}" for i in range(2)],
    )
    assert all(len(a) == 64 for a in worst.global_service_actions)
    assert limit_problems(worst) == []
    # and the check is real: twice the actions (all distinct) break it
    doubled = worst.model_copy(update={"global_service_actions": [
        *worst.global_service_actions, *(a.replace("A", "B") for a in worst.global_service_actions)]})
    assert any("region_allow_list" in p and "5120" in p for p in limit_problems(doubled))


def test_attachments_at_the_root_within_the_per_target_limit(org: tuple[dict[str, Any], OrganizationConfig]) -> None:
    document, _ = org
    (organization,) = resources(document, "aws_organizations_organization")
    root = ref("aws_organizations_organization", organization, "roots[0].id")
    attachments = resources(document, "aws_organizations_policy_attachment")
    names = {ref("aws_organizations_policy", name): body for name, body in
             resources(document, "aws_organizations_policy").items()}
    assert {a["policy_id"] for a in attachments.values()} == set(names)  # every policy is attached
    assert {a["target_id"] for a in attachments.values()} == {root}
    per_type: dict[str, int] = {}
    for attachment in attachments.values():
        kind = names[attachment["policy_id"]]["type"]
        per_type[kind] = per_type.get(kind, 0) + 1
    # + the AWS-managed FullAWSAccess / RCPFullAWSAccess: at most 5 of a type per target
    assert per_type == {"SERVICE_CONTROL_POLICY": 4, "RESOURCE_CONTROL_POLICY": 1}
    assert all(count + 1 <= 5 for count in per_type.values())


# -- the documents under AWS's evaluation semantics -----------------------------------------------------------------


def _levels(document: dict[str, Any], policy_type: str) -> list[list[dict[str, Any]]]:
    """Root (AWS-managed full access + the policies) -> workloads OU -> environment OU -> account."""
    full = FULL_AWS_ACCESS if policy_type == "SERVICE_CONTROL_POLICY" else None
    root = [*([full] if full else []), *policies(document, policy_type).values()]
    below = [[full]] * 3 if full else [[]] * 3
    return [root, *below]


def _decide(document: dict[str, Any], principal: str, action: str, resource: str, context: dict[str, Any],
            *, member: bool = True, resource_policy: dict[str, Any] | None = None) -> Decision:
    return evaluate(Request(principal, action, resource, context, resource_account="111111111111"),
                    identity_policies=[ADMIN], resource_policies=[resource_policy] if resource_policy else [],
                    scps=_levels(document, "SERVICE_CONTROL_POLICY") if member else (),
                    rcps=_levels(document, "RESOURCE_CONTROL_POLICY"))


def test_the_cloud_organization_denies_and_allows_what_it_says(outdir: Path,
                                                              organizations: dict[str, LoadedOrganization]) -> None:
    document = stack(outdir, "organization")
    account = "111111111111"
    inside = {"aws:PrincipalOrgID": ORG_ID, "aws:RequestedRegion": "eu-west-1"}
    admin = f"arn:aws:iam::{account}:role/admin"
    trail = f"arn:aws:cloudtrail:eu-west-1:{account}:trail/ztai-dev-trail"
    denied = _decide(document, admin, "cloudtrail:StopLogging", trail, inside)
    assert not denied.allowed and "DenyDisablingSecurityServices" in denied.reason and "SCP" in denied.reason
    assert _decide(document, admin, "cloudtrail:LookupEvents", "*", inside).allowed
    assert not _decide(document, admin, "organizations:LeaveOrganization", "*", inside).allowed
    far = {**inside, "aws:RequestedRegion": "us-west-2"}
    assert not _decide(document, admin, "sagemaker:CreateTrainingJob", "*", far).allowed
    assert _decide(document, admin, "iam:ListRoles", "*", far).allowed  # global service
    deployer = f"arn:aws:iam::{account}:role/ztai-platform-deployer"
    assert _decide(document, deployer, "cloudtrail:UpdateTrail", trail, inside).allowed
    assert not _decide(document, deployer, "cloudtrail:StopLogging", trail, inside).allowed
    # data perimeter: a bucket policy granting an outsider is not enough; the regional ELB account still delivers
    obj = f"arn:aws:s3:::ztai-dev-access-logs-{account}/alb/AWSLogs/{account}/x.gz"
    outsider = "arn:aws:iam::999999999999:role/outsider"

    def grant(principal: str) -> dict[str, Any]:
        return {"Statement": [{"Sid": "Grant", "Effect": "Allow", "Principal": {"AWS": principal},
                               "Action": ["s3:GetObject", "s3:PutObject"], "Resource": obj}]}

    read = _decide(document, outsider, "s3:GetObject", obj, {"aws:PrincipalOrgID": "o-other00000"}, member=False,
                   resource_policy=grant(outsider))
    assert not read.allowed and "EnforceOrgIdentities" in read.reason and "RCP" in read.reason
    elb = "arn:aws:iam::156460612806:root"  # eu-west-1's ELB log-delivery account
    assert _decide(document, elb, "s3:PutObject", obj, {}, member=False, resource_policy=grant(elb)).allowed


# -- the gate -------------------------------------------------------------------------------------------------------


def test_checkov_gate_is_clean_for_the_organization_stacks(outdir: Path) -> None:
    result = gate.evaluate(outdir)
    assert result.environments == sorted(ORGANIZATIONS)
    assert result.failures == [], gate.summary_text(result)
    assert result.vacuous == [], gate.summary_text(result)
    assert result.passed >= 2
