"""DelegatedAdministration: GuardDuty, Security Hub and AWS Config administered from the organization's
security-tooling account (README "Delegated accounts")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, Literal

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.guardduty_detector import GuarddutyDetector
from cdktf_cdktf_provider_aws.guardduty_detector_feature import GuarddutyDetectorFeature
from cdktf_cdktf_provider_aws.guardduty_organization_admin_account import GuarddutyOrganizationAdminAccount
from cdktf_cdktf_provider_aws.guardduty_organization_configuration import GuarddutyOrganizationConfiguration
from cdktf_cdktf_provider_aws.guardduty_organization_configuration_feature import (
    GuarddutyOrganizationConfigurationFeature,
)
from cdktf_cdktf_provider_aws.organizations_delegated_administrator import OrganizationsDelegatedAdministrator
from cdktf_cdktf_provider_aws.securityhub_account import SecurityhubAccount
from cdktf_cdktf_provider_aws.securityhub_finding_aggregator import SecurityhubFindingAggregator
from cdktf_cdktf_provider_aws.securityhub_member import SecurityhubMember
from cdktf_cdktf_provider_aws.securityhub_organization_admin_account import SecurityhubOrganizationAdminAccount
from cdktf_cdktf_provider_aws.securityhub_organization_configuration import (
    SecurityhubOrganizationConfiguration,
    SecurityhubOrganizationConfigurationOrganizationConfiguration,
)
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.organization_structure import OrganizationStructure

# The service principal whose delegated administrator aggregates AWS Config data across the organization
# (https://docs.aws.amazon.com/config/latest/developerguide/aggregated-register-delegated-administrator.html).
# Organization rules and conformance packs use config-multiaccountsetup.amazonaws.com, which is not registered here.
CONFIG_AGGREGATION_PRINCIPAL = "config.amazonaws.com"
# The GuardDuty protection the detector and every member get (S3 data events, as each workload's own detector had).
GUARDDUTY_FEATURES = ("S3_DATA_EVENTS",)


class DelegatedAdministrationProps(BaseModel):
    """Props of :class:`DelegatedAdministration`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    admin_account_id: str = Field(pattern=r"^\d{12}$", description="The security-tooling account.")
    management_account_id: str = Field(pattern=r"^\d{12}$", description="The organization's management account "
                                       "(it designates the administrator; it can never be one).")
    regions: Sequence[str] = Field(min_length=1, description="Regions of the delegating environments: GuardDuty "
                                   "and Security Hub are regional, so each is administered in each of them.")
    aggregation_region: str = Field(description="Where Security Hub aggregates the findings of every region (the "
                                    "finding aggregator's home region); one of ``regions``.")
    linked_regions: Sequence[str] = Field(
        default=(), description="Regions whose Security Hub findings the aggregator links in: the other ``regions``, "
        "where the administrator runs Security Hub (a region without it has nothing to aggregate). Default: none -- "
        "no finding aggregator.")
    security_hub_members: Mapping[str, Sequence[str]] = Field(
        default_factory=dict,
        description="Existing member accounts to enable Security Hub in, by region (the delegating environments' "
        "accounts). The local organization configuration auto-enables *new* accounts only; an account that was a "
        "member before is enabled by the administrator's CreateMembers. Default: none.")
    finding_publishing_frequency: Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"] = Field(
        default="FIFTEEN_MINUTES",
        description="How often the administrator's detector publishes updated findings. Members inherit it "
        "(https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_cloudwatch.html#guardduty_findings_"
        "cloudwatch_notification_frequency), so it is how soon a workload's quarantine hears of an updated finding. "
        "Default: every 15 minutes, what each workload's own detector used (GuardDuty's default is six hours).")
    auto_enable_members: Literal["ALL", "NEW"] = Field(
        default="ALL", description="GuardDuty and its S3 protection for every member (ALL, existing ones too) or for "
        "new members only (NEW). Default: ALL -- a workload that stops running its own detector is covered at once.")

    @model_validator(mode="after")
    def _consistent(self) -> DelegatedAdministrationProps:
        if self.admin_account_id == self.management_account_id:
            raise ValueError("the management account cannot be the delegated administrator (AWS refuses it, and "
                             "SCPs never apply to it): name the security-tooling account")
        if len(set(self.regions)) != len(self.regions):
            raise ValueError(f"regions {list(self.regions)} lists a region twice")
        if self.aggregation_region not in self.regions:
            raise ValueError(f"aggregation_region {self.aggregation_region!r} is not one of {list(self.regions)}")
        if self.aggregation_region in self.linked_regions:
            raise ValueError("linked_regions must not contain the aggregation region itself")
        if unadministered := [r for r in self.linked_regions if r not in self.regions]:
            raise ValueError(f"linked_regions {unadministered}: Security Hub is not administered there (not one of "
                             f"{list(self.regions)}), so the aggregator would link nothing")
        for region, accounts in self.security_hub_members.items():
            if region not in self.regions:
                raise ValueError(f"security_hub_members: {region!r} is not one of {list(self.regions)}")
            for account in accounts:
                if not (len(account) == 12 and account.isdigit()) or account in (self.admin_account_id,
                                                                                   self.management_account_id):
                    raise ValueError(f"security_hub_members[{region!r}]: {account!r} is not a member account id")
        return self


def _region_id(region: str) -> str:
    return region.replace("-", "_")


class DelegatedAdministration(PlatformConstruct):
    """In the management account (``management`` providers, by region): the GuardDuty and Security Hub delegated
    administrator of each region and the AWS Config delegated administrator (Organizations, global). In the
    security-tooling account (``administrator`` providers, by region): a GuardDuty detector with S3 protection that
    auto-enables both for every member, Security Hub with the organization configuration that auto-enables it, and
    one finding aggregator.

    Order (``depends_on``): the administrator's own detector and Security Hub exist before it is designated (a
    designation enables them itself otherwise, and the later create would then fail), and the organization
    configurations are written only after the designation (only the administrator may write them)."""

    implements: ClassVar[tuple[str, ...]] = ("ZT-ORG-1",)

    def __init__(self, scope: Construct, id: str, *, props: DelegatedAdministrationProps,
                 structure: OrganizationStructure, management: Mapping[str, TerraformProvider | None],
                 administrator: Mapping[str, TerraformProvider]) -> None:
        super().__init__(scope, id)
        self.props = props
        missing = [r for r in props.regions if r not in management or r not in administrator]
        if missing:
            raise ValueError(f"{self.construct_path}: no management/administrator provider for {missing}")
        admin = props.admin_account_id
        organization = structure.organization
        # Organizations is global: one registration, by the default (management) provider.
        self.config_administrator = OrganizationsDelegatedAdministrator(
            self, "config_administrator", account_id=admin, service_principal=CONFIG_AGGREGATION_PRINCIPAL,
            depends_on=[organization])
        self.detectors: dict[str, GuarddutyDetector] = {}
        self.security_hubs: dict[str, SecurityhubAccount] = {}
        self.guardduty_admins: dict[str, GuarddutyOrganizationAdminAccount] = {}
        self.security_hub_admins: dict[str, SecurityhubOrganizationAdminAccount] = {}
        for region in props.regions:
            rid = _region_id(region)
            to_admin, to_management = administrator[region], management[region]
            detector = GuarddutyDetector(self, f"detector_{rid}", enable=True, provider=to_admin,
                                         finding_publishing_frequency=props.finding_publishing_frequency)
            features = [GuarddutyDetectorFeature(self, f"detector_{rid}_{name.lower()}", detector_id=detector.id,
                                                 name=name, status="ENABLED", provider=to_admin)
                        for name in GUARDDUTY_FEATURES]
            guardduty_admin = GuarddutyOrganizationAdminAccount(
                self, f"guardduty_admin_{rid}", admin_account_id=admin, provider=to_management,
                depends_on=[organization, detector, *features])
            GuarddutyOrganizationConfiguration(
                self, f"guardduty_organization_{rid}", detector_id=detector.id,
                auto_enable_organization_members=props.auto_enable_members, provider=to_admin,
                depends_on=[guardduty_admin])
            for name in GUARDDUTY_FEATURES:
                GuarddutyOrganizationConfigurationFeature(
                    self, f"guardduty_organization_{rid}_{name.lower()}", detector_id=detector.id, name=name,
                    auto_enable=props.auto_enable_members, provider=to_admin, depends_on=[guardduty_admin])
            hub = SecurityhubAccount(self, f"security_hub_{rid}", enable_default_standards=False,
                                     control_finding_generator="SECURITY_CONTROL", auto_enable_controls=True,
                                     provider=to_admin)
            hub_admin = SecurityhubOrganizationAdminAccount(
                self, f"security_hub_admin_{rid}", admin_account_id=admin, provider=to_management,
                depends_on=[organization, hub])
            SecurityhubOrganizationConfiguration(
                self, f"security_hub_organization_{rid}", auto_enable=True, auto_enable_standards="DEFAULT",
                organization_configuration=SecurityhubOrganizationConfigurationOrganizationConfiguration(
                    configuration_type="LOCAL"),
                provider=to_admin, depends_on=[hub_admin])
            # an organization account needs no invitation: CreateMembers by the delegated administrator makes it a
            # member, enabling Security Hub and the default standards there if it is off
            # (https://docs.aws.amazon.com/goto/WebAPI/securityhub-2018-10-26/CreateMembers)
            for account in sorted(props.security_hub_members.get(region, ())):
                SecurityhubMember(self, f"security_hub_member_{rid}_{account}", account_id=account, invite=False,
                                  provider=to_admin, depends_on=[hub_admin])
            self.detectors[region], self.security_hubs[region] = detector, hub
            self.guardduty_admins[region], self.security_hub_admins[region] = guardduty_admin, hub_admin
        self.finding_aggregator: SecurityhubFindingAggregator | None = None
        if props.linked_regions:
            home = props.aggregation_region
            self.finding_aggregator = SecurityhubFindingAggregator(
                self, "finding_aggregator", linking_mode="SPECIFIED_REGIONS",
                specified_regions=list(props.linked_regions), provider=administrator[home],
                depends_on=[self.security_hub_admins[home]])
