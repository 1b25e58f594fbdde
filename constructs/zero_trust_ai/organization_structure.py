"""OrganizationStructure: the AWS Organization, its OUs (AWS SRA layout) and the member accounts in them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.organizations_account import OrganizationsAccount
from cdktf_cdktf_provider_aws.organizations_organization import OrganizationsOrganization
from cdktf_cdktf_provider_aws.organizations_organizational_unit import OrganizationsOrganizationalUnit
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zero_trust_ai.base import PlatformConstruct

# The policy types the guardrails need (both must be enabled at the root before a policy can be attached).
POLICY_TYPES = ("RESOURCE_CONTROL_POLICY", "SERVICE_CONTROL_POLICY")
# Services that act across the organization for the security baseline (organization trail, Config aggregation,
# GuardDuty and Security Hub administered from the security-tooling account).
DEFAULT_SERVICE_ACCESS = ("cloudtrail.amazonaws.com", "config.amazonaws.com", "guardduty.amazonaws.com",
                          "securityhub.amazonaws.com")
# What Terraform manages on an adopted (imported) account: its OU and tags. The rest belongs to the account's
# owner and cannot be changed in place (a different e-mail or role would plan a replacement: a new account).
ADOPTED_ACCOUNT_IGNORED = ["email", "name", "iam_user_access_to_billing", "role_name"]

Unit = Literal["security", "infrastructure", "workloads"]


class MemberAccount(BaseModel):
    """One member account and where it sits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$", description="Stable construct id of the account.")
    name: str = Field(min_length=1, max_length=50)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    account_id: str | None = Field(
        default=None, pattern=r"^\d{12}$",
        description="An existing account to adopt: imported into the state before the first deploy (see "
        ":attr:`OrganizationStructure.adoptions`), never created. Default: a new account is created.")
    unit: Unit = Field(description="Top-level OU of the account.")
    environment: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9-]{0,30}$",
        description="Workload accounts only: the environment whose OU (below the workloads OU) holds it.")

    @model_validator(mode="after")
    def _placed(self) -> MemberAccount:
        if (self.unit == "workloads") != (self.environment is not None):
            raise ValueError(f"account {self.key}: an environment is required exactly for workload accounts")
        return self


class OrganizationStructureProps(BaseModel):
    """Props of :class:`OrganizationStructure`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_names: dict[Unit, str] = Field(description="Name of each top-level OU.")
    environments: Sequence[str] = Field(min_length=1, description="One OU per environment below the workloads OU.")
    accounts: Sequence[MemberAccount] = Field(default=(), description="Member accounts. Default: none.")
    existing_organization_id: str | None = Field(
        default=None, pattern=r"^o-[a-z0-9]{10,32}$",
        description="Adopt this organization (imported before the first deploy). Default: it is created.")
    service_access_principals: Sequence[str] = Field(default=DEFAULT_SERVICE_ACCESS)
    protect_from_destroy: bool = Field(
        default=True,
        description="prevent_destroy on the organization and the accounts: destroying them would remove accounts "
        "from the organization (and with it every guardrail). Default: on; off only for the emulator.")

    @model_validator(mode="after")
    def _complete(self) -> OrganizationStructureProps:
        if set(self.unit_names) != {"security", "infrastructure", "workloads"}:
            raise ValueError("unit_names must name the security, infrastructure and workloads OUs")
        keys = [a.key for a in self.accounts]
        if len(set(keys)) != len(keys):
            raise ValueError(f"account keys are not unique: {keys}")
        for account in self.accounts:
            if account.environment is not None and account.environment not in self.environments:
                raise ValueError(f"account {account.key}: environment {account.environment!r} has no OU")
        return self


class OrganizationStructure(PlatformConstruct):
    """The organization (all features, SCPs and RCPs enabled), the security / infrastructure / workloads OUs, an OU
    per environment below workloads, and the member accounts placed in them.

    Adopted resources (an existing organization or account) are imported into the state before the first deploy,
    never created: :attr:`adoptions` maps their Terraform addresses to the ids to import
    (``python -m blueprint.deploy.organization adopt organization`` runs ``terraform import`` for each). Import
    blocks would do the same inside the plan, but the policy gate's checkov cannot parse them."""

    implements: ClassVar[tuple[str, ...]] = ("ZT-ORG-1",)

    def __init__(self, scope: Construct, id: str, *, props: OrganizationStructureProps) -> None:
        super().__init__(scope, id)
        self.props = props
        lifecycle = TerraformResourceLifecycle(prevent_destroy=True) if props.protect_from_destroy else None
        self.organization = OrganizationsOrganization(
            self, "organization", feature_set="ALL", enabled_policy_types=list(POLICY_TYPES),
            aws_service_access_principals=sorted(props.service_access_principals), lifecycle=lifecycle)
        self.adoptions: dict[str, str] = {}
        if props.existing_organization_id:
            self.adoptions[self._address(self.organization)] = props.existing_organization_id
        self.root_id: str = self.organization.roots.get(0).id
        self.units: dict[str, OrganizationsOrganizationalUnit] = {
            unit: OrganizationsOrganizationalUnit(self, f"ou_{unit}", name=name, parent_id=self.root_id)
            for unit, name in sorted(props.unit_names.items())
        }
        # one OU per environment: its id is the environment's name, which is the workload stack's id as well
        self.environment_units: dict[str, OrganizationsOrganizationalUnit] = {
            environment: OrganizationsOrganizationalUnit(self, f"ou_workloads_{environment}", name=environment,
                                                         parent_id=self.units["workloads"].id)
            for environment in props.environments
        }
        self.accounts: dict[str, OrganizationsAccount] = {}
        for account in props.accounts:
            parent = (self.environment_units[account.environment] if account.environment
                      else self.units[account.unit])
            adopted = account.account_id is not None
            rules = TerraformResourceLifecycle(prevent_destroy=props.protect_from_destroy or None,
                                               ignore_changes=ADOPTED_ACCOUNT_IGNORED if adopted else None)
            resource = OrganizationsAccount(
                self, f"account_{account.key}", name=account.name, email=account.email, parent_id=parent.id,
                close_on_deletion=False, iam_user_access_to_billing="DENY",
                lifecycle=rules if (adopted or props.protect_from_destroy) else None)
            if account.account_id is not None:
                self.adoptions[self._address(resource)] = account.account_id
            self.accounts[account.key] = resource

    @staticmethod
    def _address(resource: OrganizationsAccount | OrganizationsOrganization) -> str:
        return f"{resource.terraform_resource_type}.{resource.friendly_unique_id}"

    @property
    def organization_id(self) -> str:
        return str(self.organization.id)
