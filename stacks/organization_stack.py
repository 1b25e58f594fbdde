"""OrganizationStack: the AWS Organization of the workload environments (``environments/organization*.yaml``).

Deployed from the management account (``npx cdktf deploy organization``). It composes the organization's structure
(OUs, member accounts) and its guardrails (SCPs, RCP); the policy documents are the guardrail construct's. For the
environments that delegate (``delegated_accounts``), it also builds their archives in the log-archive account and
designates the security-tooling account as GuardDuty's, Security Hub's and AWS Config's delegated administrator,
through provider aliases that assume ``security_accounts.access_role_name`` in those accounts.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import LocalBackend, S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import (
    AwsProvider,
    AwsProviderAssumeRole,
    AwsProviderDefaultTags,
    AwsProviderEndpoints,
)
from constructs import Construct

from stacks.config.model import EnvironmentDelegation, LocalBackendConfig, OrganizationConfig
from zero_trust_ai.base import source_of
from zero_trust_ai.delegated_accounts import DelegatedArchive
from zero_trust_ai.delegated_administration import DelegatedAdministration, DelegatedAdministrationProps
from zero_trust_ai.delegated_log_archive import DelegatedLogArchive, DelegatedLogArchiveProps
from zero_trust_ai.log_archive import ELB_LOG_DELIVERY_ACCOUNTS
from zero_trust_ai.organization_guardrails import OrganizationGuardrails, OrganizationGuardrailsProps
from zero_trust_ai.organization_structure import MemberAccount, OrganizationStructure, OrganizationStructureProps

# Services the emulator must answer for (the organization stack only calls these).
EMULATED_SERVICES = ("iam", "organizations", "sts")
# The session name of the organization stack in the delegated accounts (their CloudTrail shows it).
DELEGATED_SESSION_NAME = "ztai-organization-stack"


def name_prefix(environment: str) -> str:
    """The workload environment's name prefix (the platform stack's ``ztai-<env>``)."""
    return f"ztai-{environment}"


def provider_alias(role: str, region: str) -> str:
    """``log_archive_eu_west_1``, ``security_tooling_eu_west_1``, ``management_eu_central_1``."""
    return f"{role}_{region.replace('-', '_')}"


class OrganizationStack(TerraformStack):
    """The organization: ``name`` is the file's stem (``organization``, ``organization-local``) and the stack id."""

    def __init__(self, scope: Construct, name: str, *, config: OrganizationConfig, project_root_rel: str,
                 delegations: Sequence[EnvironmentDelegation] = ()) -> None:
        super().__init__(scope, name)
        self.construct_path = name
        self.construct_index: dict[str, dict[str, str]] = {
            name: {"class": f"{__name__}.{type(self).__qualname__}", "source": source_of(type(self))}}
        self.env_name = name
        self.config = config
        self._configure_provider(project_root_rel)
        self._configure_backend(name, project_root_rel)

        accounts = [MemberAccount(key=f"workload_{env.replace('-', '_')}", unit="workloads", environment=env,
                                  name=account.name, email=account.email, account_id=account.account_id)
                    for env, account in config.workloads.items()]
        accounts.extend(MemberAccount(key=key, unit="security", name=account.name, email=account.email,
                                      account_id=account.account_id)
                        for key, account in config.security_accounts.accounts().items())
        units = config.organizational_units
        structure = OrganizationStructure(self, "structure", props=OrganizationStructureProps(
            unit_names={"security": units.security, "infrastructure": units.infrastructure,
                        "workloads": units.workloads},
            environments=list(config.workloads), accounts=accounts,
            existing_organization_id=config.existing_organization_id,
            protect_from_destroy=not config.is_emulated))
        guardrails = config.guardrails
        # ALB access logs arrive from a regional ELB account in regions launched before August 2022: the data
        # perimeter must admit exactly those accounts of the allowed regions (aws-samples data perimeter README).
        elb_accounts = sorted({ELB_LOG_DELIVERY_ACCOUNTS[r] for r in guardrails.allowed_regions
                               if r in ELB_LOG_DELIVERY_ACCOUNTS})
        self.guardrails = OrganizationGuardrails(self, "guardrails", structure=structure,
                                                 props=OrganizationGuardrailsProps(
            allowed_regions=guardrails.allowed_regions,
            global_service_actions=guardrails.global_service_actions,
            break_glass_role_names=guardrails.break_glass_role_names,
            deployer_role_names=guardrails.deployer_role_names,
            protected_role_names=guardrails.protected_role_names,
            protected_policy_names=guardrails.protected_policy_names,
            perimeter_services=config.data_perimeter.services,
            trusted_accounts=sorted({*config.data_perimeter.trusted_accounts, *elb_accounts}),
            security_service_administrator_arns=self._security_service_administrators(delegations),
        ))
        self.structure = structure
        self.providers: dict[str, AwsProvider] = {}
        self.archives: dict[str, DelegatedLogArchive] = {}
        self.delegated_administration: DelegatedAdministration | None = None
        if delegations:
            self._compose_delegations(list(delegations))
        TerraformOutput(self, "organization_id", value=structure.organization.id)
        TerraformOutput(self, "root_id", value=structure.root_id)
        TerraformOutput(self, "workload_ou_ids", value={env: unit.id
                                                        for env, unit in structure.environment_units.items()})
        TerraformOutput(self, "account_ids", value={key: account.id for key, account in structure.accounts.items()})
        TerraformOutput(self, "policy_ids", value={key: policy.id for key, policy in self.guardrails.policies.items()})

    def _compose_delegations(self, delegations: list[EnvironmentDelegation]) -> None:
        """The archives in the log-archive account and the delegated administration (README "Delegated
        accounts"). The loader refuses delegated_accounts in the emulator, so this is a cloud organization."""
        config = self.config
        if config.is_emulated:
            raise ValueError(f"{self.env_name}: an emulated organization has no delegated accounts (the loader "
                             "refuses delegated_accounts in the emulator)")
        accounts = config.security_accounts
        archives = [d for d in delegations if d.log_archive]
        if archives:
            log_archive = accounts.log_archive
            if log_archive is None or log_archive.account_id is None:
                raise ValueError(f"{self.env_name}: environments deliver to a log-archive account, but "
                                 "security_accounts.log_archive has no account_id")
            role = f"arn:aws:iam::{log_archive.account_id}:role/{accounts.access_role_name}"
            for delegation in archives:
                contract = DelegatedArchive(
                    name_prefix=name_prefix(delegation.environment), workload_account_id=delegation.account_id,
                    log_archive_account_id=log_archive.account_id, region=delegation.region)
                provider = self._delegated_provider("log_archive", log_archive.account_id, delegation.region)
                self.archives[delegation.environment] = DelegatedLogArchive(
                    self, f"archive_{delegation.environment.replace('-', '_')}", provider=provider,
                    props=DelegatedLogArchiveProps(archive=contract, object_lock_days=delegation.object_lock_days,
                                                   deployer_role_arn=role))
        tooled = [d for d in delegations if d.security_tooling]
        if tooled:
            tooling = accounts.security_tooling
            if tooling is None or tooling.account_id is None:
                raise ValueError(f"{self.env_name}: environments delegate to a security-tooling account, but "
                                 "security_accounts.security_tooling has no account_id")
            regions = sorted({d.region for d in tooled})
            home = config.region if config.region in regions else regions[0]
            self.delegated_administration = DelegatedAdministration(
                self, "delegated_administration", structure=self.structure,
                props=DelegatedAdministrationProps(
                    admin_account_id=tooling.account_id, management_account_id=config.management_account_id,
                    regions=regions, aggregation_region=home,
                    linked_regions=[r for r in regions if r != home],
                    security_hub_members={region: sorted({d.account_id for d in tooled if d.region == region})
                                          for region in regions}),
                management={region: self._management_provider(region) for region in regions},
                administrator={region: self._delegated_provider("security_tooling", tooling.account_id, region)
                               for region in regions})

    def _security_service_administrators(self, delegations: Sequence[EnvironmentDelegation]) -> list[str]:
        """The access role of the security-tooling account, when an environment delegates to it: the guardrails
        deny everyone else altering the security services (its detector feature is an UpdateDetector)."""
        tooling = self.config.security_accounts.security_tooling
        if not any(d.security_tooling for d in delegations) or tooling is None or tooling.account_id is None:
            return []
        return [f"arn:aws:iam::{tooling.account_id}:role/{self.config.security_accounts.access_role_name}"]

    def _delegated_provider(self, role: str, account_id: str, region: str) -> AwsProvider:
        """One alias per (delegated account, region): the access role of the account, which AWS Organizations
        creates in the accounts it creates (https://docs.aws.amazon.com/organizations/latest/userguide/
        orgs_manage_accounts_access.html); ``allowed_account_ids`` fails the plan if the role lands elsewhere."""
        alias = provider_alias(role, region)
        if alias not in self.providers:
            self.providers[alias] = AwsProvider(
                self, f"aws_{alias}", alias=alias, region=region, allowed_account_ids=[account_id],
                assume_role=[AwsProviderAssumeRole(
                    role_arn=f"arn:aws:iam::{account_id}:role/{self.config.security_accounts.access_role_name}",
                    session_name=DELEGATED_SESSION_NAME)],
                default_tags=[AwsProviderDefaultTags(tags=self._tags())])
        return self.providers[alias]

    def _management_provider(self, region: str) -> AwsProvider | None:
        """The management account in ``region``: the default provider in the organization's region, an alias in
        any other (GuardDuty's and Security Hub's administrator designations are regional)."""
        if region == self.config.region:
            return None
        alias = provider_alias("management", region)
        if alias not in self.providers:
            self.providers[alias] = AwsProvider(
                self, f"aws_{alias}", alias=alias, region=region,
                allowed_account_ids=[self.config.management_account_id],
                default_tags=[AwsProviderDefaultTags(tags=self._tags())])
        return self.providers[alias]

    def _tags(self) -> dict[str, str]:
        return {"ztai:environment": self.env_name, "ztai:managed-by": "cdktf", **self.config.tags}

    def _configure_provider(self, project_root_rel: str) -> None:
        config = self.config
        tags = self._tags()
        if config.emulator is None:
            AwsProvider(self, "aws", region=config.region, allowed_account_ids=[config.management_account_id],
                        default_tags=[AwsProviderDefaultTags(tags=tags)])
            return
        endpoint = config.emulator.endpoint
        AwsProvider(
            self, "aws", region=config.region, default_tags=[AwsProviderDefaultTags(tags=tags)],
            # the dummy profile `blueprint emulator start` writes (never real keys)
            shared_credentials_files=[f"{project_root_rel}/{config.emulator.credentials_file}"],
            profile="ztai-emulator", skip_credentials_validation=True, skip_metadata_api_check="true",
            skip_requesting_account_id=True, skip_region_validation=True, max_retries=config.emulator.max_retries,
            endpoints=[AwsProviderEndpoints(**{service: endpoint for service in EMULATED_SERVICES})],
        )

    def _configure_backend(self, name: str, project_root_rel: str) -> None:
        backend = self.config.backend
        if isinstance(backend, LocalBackendConfig):
            LocalBackend(self, path=f"{project_root_rel}/.state/terraform.{name}.tfstate")
            return
        S3Backend(self, bucket=backend.bucket, key=f"{backend.key_prefix}/{name}/terraform.tfstate",
                  region=backend.region, encrypt=backend.encrypt, kms_key_id=backend.kms_key_id)
        self.add_override("terraform.backend.s3.use_lockfile", backend.use_lockfile)
        emulator = self.config.emulator
        if backend.emulated and emulator is not None:
            for key, value in {
                "endpoints": {"s3": emulator.endpoint, "sts": emulator.endpoint}, "use_path_style": True,
                "skip_credentials_validation": True, "skip_requesting_account_id": True,
                "skip_metadata_api_check": True, "skip_region_validation": True,
                "shared_credentials_files": [f"{project_root_rel}/{emulator.credentials_file}"],
                "profile": "ztai-emulator",
            }.items():
                self.add_override(f"terraform.backend.s3.{key}", value)
