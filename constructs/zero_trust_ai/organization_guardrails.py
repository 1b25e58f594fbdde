"""OrganizationGuardrails: service control policies no account admin can lift, and the resource control policy
that fences the organisation's data to its own principals (and AWS services acting for it).

Every document is built here from typed statements; the statements are explained in README.md
("Organisation guardrails"). SCPs and RCPs only ever deny: the AWS-managed FullAWSAccess / RCPFullAWSAccess
policies that Organizations attaches to every root, OU and account provide the Allow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from cdktf_cdktf_provider_aws.organizations_policy import OrganizationsPolicy
from cdktf_cdktf_provider_aws.organizations_policy_attachment import OrganizationsPolicyAttachment
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.organization_structure import OrganizationStructure
from zero_trust_ai.policy import PolicyDocument, Statement

# -- action lists of the guardrails --------------------------------------------------------------------------------
LEAVE_ORGANIZATION = ("organizations:LeaveOrganization",)
IAM_USERS_AND_KEYS = ("iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")
# Turning a security service off or cutting it loose from the organisation's administrator (break-glass only).
DISABLE_SECURITY_SERVICES = (
    "cloudtrail:DeleteTrail", "cloudtrail:StopLogging",
    "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel", "config:StopConfigurationRecorder",
    "guardduty:DeleteDetector", "guardduty:DeleteMembers", "guardduty:DisassociateFromAdministratorAccount",
    "guardduty:DisassociateFromMasterAccount", "guardduty:DisassociateMembers", "guardduty:StopMonitoringMembers",
    "securityhub:DeleteMembers", "securityhub:DisableSecurityHub", "securityhub:DisassociateFromAdministratorAccount",
    "securityhub:DisassociateFromMasterAccount", "securityhub:DisassociateMembers",
)
# Changing what a security service records or reports (the deployer configures them; break-glass responds).
ALTER_SECURITY_SERVICES = (
    "cloudtrail:PutEventSelectors", "cloudtrail:PutInsightSelectors", "cloudtrail:UpdateTrail",
    "config:DeleteConfigRule", "config:DeleteConfigurationAggregator", "config:DeleteEvaluationResults",
    "config:DeleteRetentionConfiguration", "config:PutConfigurationRecorder", "config:PutDeliveryChannel",
    "config:PutRetentionConfiguration",
    "guardduty:CreateFilter", "guardduty:CreateIPSet", "guardduty:DeletePublishingDestination",
    "guardduty:UpdateDetector", "guardduty:UpdateFilter", "guardduty:UpdateIPSet",
    "guardduty:UpdatePublishingDestination",
    "securityhub:BatchDisableStandards", "securityhub:DisableImportFindingsForProduct",
    "securityhub:UpdateSecurityHubConfiguration", "securityhub:UpdateStandardsControl",
)
KEY_DELETION = ("kms:DeleteImportedKeyMaterial", "kms:ScheduleKeyDeletion")
ROLE_CHANGES = (
    "iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:TagRole", "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription",
)
POLICY_CHANGES = ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                  "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy")
# What the identity perimeter denies per service to principals outside the organisation. For STS only the actions
# an outside principal could call on the organisation's roles (aws-samples/data-perimeter-policy-examples,
# identity_perimeter_rcp.json: no AssumeRoleWithSAML/WebIdentity, whose federated callers carry no org id, and
# no GetCallerIdentity, which needs no permission).
PerimeterService = Literal["s3", "kms", "sts", "sqs", "secretsmanager"]
PERIMETER_ACTIONS: dict[str, tuple[str, ...]] = {
    "s3": ("s3:*",), "kms": ("kms:*",), "sqs": ("sqs:*",), "secretsmanager": ("secretsmanager:*",),
    "sts": ("sts:AssumeRole", "sts:DecodeAuthorizationMessage", "sts:GetAccessKeyInfo", "sts:GetFederationToken",
            "sts:GetServiceBearerToken", "sts:GetSessionToken", "sts:SetContext"),
}
# Organizations' limits: 5,120 characters per SCP/RCP document, 5 policies of a type attached per root/OU/account
# (the AWS-managed FullAWSAccess / RCPFullAWSAccess included).
MAX_POLICY_CHARACTERS = 5120
MAX_ATTACHED_PER_TARGET = 5
# The longest organization id there can be: documents are sized with it before the real id is known.
LONGEST_ORGANIZATION_ID = "o-" + "x" * 32


@dataclass(frozen=True)
class ResourceControlStatement(Statement):
    """A statement of a resource control policy: ``Principal`` must be ``"*"`` (RCPs restrict every caller;
    conditions select whom)."""

    def render(self) -> dict[str, Any]:
        body = super().render()
        return {"Sid": body.pop("Sid"), "Effect": body.pop("Effect"), "Principal": "*", **body}


class OrganizationGuardrailsProps(BaseModel):
    """Props of :class:`OrganizationGuardrails`. Role and policy names may use ``*`` and ``?``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(default="ztai-org", pattern=r"^[a-z0-9-]{3,40}$")
    partition: str = Field(default="aws", pattern=r"^aws(-cn|-us-gov)?$")
    allowed_regions: Sequence[str] = Field(min_length=1, description="Every other region is denied.")
    global_service_actions: Sequence[str] = Field(
        min_length=1, description="Actions of global services, exempt from the region allow-list.")
    break_glass_role_names: Sequence[str] = Field(
        min_length=1, description="May disable security services and delete keys (incident response).")
    deployer_role_names: Sequence[str] = Field(
        min_length=1, description="May configure the security services and change the protected roles/policies.")
    protected_role_names: Sequence[str] = Field(min_length=1, description="Guardrail and evidence roles.")
    protected_policy_names: Sequence[str] = Field(default=(), description="Guardrail policies. Default: none.")
    perimeter_services: Sequence[PerimeterService] = Field(min_length=1, description="Services the RCP fences.")
    trusted_accounts: Sequence[str] = Field(
        default=(), description="Outside accounts whose principals (or on whose behalf services) may still use the "
        "organisation's resources. Default: none.")
    security_service_administrator_arns: Sequence[str] = Field(
        default=(), max_length=2,
        description="Exact role ARNs (one account each, no wildcard) that configure the security services for the "
        "organisation: exempt from DenyAlteringSecurityServices only, never from disabling them. The organization "
        "stack's access role in the security-tooling account when environments delegate to it (its detector's S3 "
        "protection is a guardduty:UpdateDetector, Security Hub's settings an UpdateSecurityHubConfiguration). "
        "Default: none.")

    @model_validator(mode="after")
    def _names(self) -> OrganizationGuardrailsProps:
        for field in ("break_glass_role_names", "deployer_role_names", "protected_role_names",
                      "protected_policy_names"):
            for name in getattr(self, field):
                if not name.strip("*?") or "/" in name:
                    raise ValueError(f"{field}: {name!r} must name roles/policies, not every one or a path")
        for account in self.trusted_accounts:
            if not (len(account) == 12 and account.isdigit()):
                raise ValueError(f"trusted_accounts: {account!r} is not an account id")
        for arn in self.security_service_administrator_arns:
            if not re.fullmatch(rf"arn:{self.partition}:iam::\d{{12}}:role/[\w+=,.@-]{{1,64}}", arn):
                raise ValueError(f"security_service_administrator_arns: {arn!r} is not the ARN of one role of one "
                                 "account (no wildcard, no path)")
        return self

    def role_arns(self, names: Sequence[str]) -> list[str]:
        return [f"arn:{self.partition}:iam::*:role/{name}" for name in names]

    def policy_arns(self, names: Sequence[str]) -> list[str]:
        return [f"arn:{self.partition}:iam::*:policy/{name}" for name in names]


def service_control_policies(props: OrganizationGuardrailsProps) -> dict[str, PolicyDocument]:
    """The SCP documents by policy key (each one policy of Organizations)."""
    break_glass = {"ArnNotLike": {"aws:PrincipalArn": props.role_arns(props.break_glass_role_names)}}
    responders_and_deployers = {"ArnNotLike": {"aws:PrincipalArn": [*props.role_arns(
        [*props.break_glass_role_names, *props.deployer_role_names]), *props.security_service_administrator_arns]}}
    deployers = {"ArnNotLike": {"aws:PrincipalArn": props.role_arns(props.deployer_role_names)}}
    protection = [
        Statement(sid="DenyKeyDeletion", effect="Deny", actions=KEY_DELETION, conditions=break_glass),
        Statement(sid="DenyChangesToProtectedRoles", effect="Deny", actions=ROLE_CHANGES,
                  resources=props.role_arns(props.protected_role_names), conditions=deployers),
    ]
    if props.protected_policy_names:
        protection.append(Statement(sid="DenyChangesToProtectedPolicies", effect="Deny", actions=POLICY_CHANGES,
                                    resources=props.policy_arns(props.protected_policy_names), conditions=deployers))
    return {
        "account_baseline": PolicyDocument([
            Statement(sid="DenyLeavingTheOrganization", effect="Deny", actions=LEAVE_ORGANIZATION),
            Statement(sid="DenyRootUser", effect="Deny", actions=["*"],
                      conditions={"StringLike": {"aws:PrincipalArn": [f"arn:{props.partition}:iam::*:root"]}}),
            Statement(sid="DenyIamUsersAndAccessKeys", effect="Deny", actions=IAM_USERS_AND_KEYS),
        ]),
        "security_services": PolicyDocument([
            Statement(sid="DenyDisablingSecurityServices", effect="Deny", actions=DISABLE_SECURITY_SERVICES,
                      conditions=break_glass),
            Statement(sid="DenyAlteringSecurityServices", effect="Deny", actions=ALTER_SECURITY_SERVICES,
                      conditions=responders_and_deployers),
        ]),
        "region_allow_list": PolicyDocument([
            Statement(sid="DenyUnapprovedRegions", effect="Deny", actions=props.global_service_actions,
                      not_actions=True,
                      conditions={"StringNotEquals": {"aws:RequestedRegion": list(props.allowed_regions)}}),
        ]),
        "platform_protection": PolicyDocument(protection),
    }


def resource_control_policies(props: OrganizationGuardrailsProps, organization_id: str) -> dict[str, PolicyDocument]:
    """The RCP documents by policy key: the identity perimeter of aws-samples/data-perimeter-policy-examples."""
    identity_actions = [a for service in props.perimeter_services for a in PERIMETER_ACTIONS[service]]
    service_actions = [f"{service}:*" for service in props.perimeter_services]
    trusted: dict[str, Any] = {"aws:PrincipalAccount": list(props.trusted_accounts)} if props.trusted_accounts else {}
    trusted_sources: dict[str, Any] = {"aws:SourceAccount": list(props.trusted_accounts)} if props.trusted_accounts \
        else {}
    return {
        "data_perimeter": PolicyDocument([
            ResourceControlStatement(
                sid="EnforceOrgIdentities", effect="Deny", actions=identity_actions,
                conditions={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": organization_id, **trusted},
                            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}),
            ResourceControlStatement(
                sid="EnforceConfusedDeputyProtection", effect="Deny", actions=service_actions,
                conditions={"StringNotEqualsIfExists": {"aws:SourceOrgID": organization_id, **trusted_sources},
                            "Null": {"aws:SourceAccount": "false"},
                            "Bool": {"aws:PrincipalIsAWSService": "true"}}),
        ]),
    }


def sized(documents: Mapping[str, PolicyDocument]) -> dict[str, int]:
    """Characters of each document as Organizations stores it (compact JSON)."""
    return {key: len(json.dumps(json.loads(document.to_json()), separators=(",", ":")))
            for key, document in documents.items()}


def limit_problems(props: OrganizationGuardrailsProps) -> list[str]:
    """Organizations' limits the documents of ``props`` would break: characters per document (sized with the longest
    organization id there can be) and policies per target (the AWS-managed one included)."""
    scps = service_control_policies(props)
    rcps = resource_control_policies(props, LONGEST_ORGANIZATION_ID)
    problems = [f"{key}: {size} characters, more than Organizations' {MAX_POLICY_CHARACTERS}"
                for key, size in {**sized(scps), **sized(rcps)}.items() if size > MAX_POLICY_CHARACTERS]
    for kind, documents in (("SCP", scps), ("RCP", rcps)):
        if len(documents) + 1 > MAX_ATTACHED_PER_TARGET:
            problems.append(f"{len(documents)} {kind}s + the AWS-managed one: more than the "
                            f"{MAX_ATTACHED_PER_TARGET} a root may have attached")
    return problems


class OrganizationGuardrails(PlatformConstruct):
    """The organisation's SCPs and RCP, attached at the root so that they reach every OU and member account (the
    management account is never affected by either: keep workloads out of it)."""

    implements: ClassVar[tuple[str, ...]] = ("ZT-ORG-1",)

    SCP_DESCRIPTIONS: ClassVar[dict[str, str]] = {
        "account_baseline": "No member account leaves the organization, uses its root user or creates IAM users or "
                            "access keys",
        "security_services": "CloudTrail, Config, GuardDuty and Security Hub stay on and unaltered (break-glass and "
                             "the platform deployer excepted as documented)",
        "region_allow_list": "Only the allowed regions (global services excepted)",
        "platform_protection": "KMS keys are deleted only by break-glass; the platform's guardrail and evidence roles "
                               "and policies change only through the platform deployer",
    }
    RCP_DESCRIPTIONS: ClassVar[dict[str, str]] = {
        "data_perimeter": "S3, KMS, STS, SQS and Secrets Manager resources are used only by the organization's "
                          "principals and by AWS services acting for it",
    }

    def __init__(self, scope: Construct, id: str, *, props: OrganizationGuardrailsProps,
                 structure: OrganizationStructure) -> None:
        super().__init__(scope, id)
        self.props = props
        problems = limit_problems(props)
        if problems:
            raise ValueError(f"organization policies break Organizations' limits: {'; '.join(problems)}; shorten "
                             "global_service_actions or the role/policy name lists")
        self.service_control_documents = service_control_policies(props)
        self.resource_control_documents = resource_control_policies(props, structure.organization_id)
        # attached after the policy types are enabled (the organization resource enables them)
        self.policies: dict[str, OrganizationsPolicy] = {}
        for kind, documents, descriptions in (
            ("SERVICE_CONTROL_POLICY", self.service_control_documents, self.SCP_DESCRIPTIONS),
            ("RESOURCE_CONTROL_POLICY", self.resource_control_documents, self.RCP_DESCRIPTIONS),
        ):
            label = "scp" if kind == "SERVICE_CONTROL_POLICY" else "rcp"
            for key, document in documents.items():
                policy = OrganizationsPolicy(
                    self, f"{label}_{key}", name=f"{props.name_prefix}-{key.replace('_', '-')}", type=kind,
                    description=descriptions[key], content=document.to_json(), depends_on=[structure.organization])
                OrganizationsPolicyAttachment(self, f"{label}_{key}_root", policy_id=policy.id,
                                              target_id=structure.root_id)
                self.policies[f"{label}_{key}"] = policy
