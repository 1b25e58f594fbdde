"""OrganizationStack: the AWS Organization of the workload environments (``environments/organization*.yaml``).

Deployed from the management account (``npx cdktf deploy organization``). It composes the organization's structure
(OUs, member accounts) and its guardrails (SCPs, RCP); the policy documents are the guardrail construct's.
"""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags, AwsProviderEndpoints
from constructs import Construct

from stacks.config.model import LocalBackendConfig, OrganizationConfig
from zero_trust_ai.base import source_of
from zero_trust_ai.log_archive import ELB_LOG_DELIVERY_ACCOUNTS
from zero_trust_ai.organization_guardrails import OrganizationGuardrails, OrganizationGuardrailsProps
from zero_trust_ai.organization_structure import MemberAccount, OrganizationStructure, OrganizationStructureProps

# Services the emulator must answer for (the organization stack only calls these).
EMULATED_SERVICES = ("iam", "organizations", "sts")


class OrganizationStack(TerraformStack):
    """The organization: ``name`` is the file's stem (``organization``, ``organization-local``) and the stack id."""

    def __init__(self, scope: Construct, name: str, *, config: OrganizationConfig, project_root_rel: str) -> None:
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
        ))
        self.structure = structure
        TerraformOutput(self, "organization_id", value=structure.organization.id)
        TerraformOutput(self, "root_id", value=structure.root_id)
        TerraformOutput(self, "workload_ou_ids", value={env: unit.id
                                                        for env, unit in structure.environment_units.items()})
        TerraformOutput(self, "account_ids", value={key: account.id for key, account in structure.accounts.items()})
        TerraformOutput(self, "policy_ids", value={key: policy.id for key, policy in self.guardrails.policies.items()})

    def _configure_provider(self, project_root_rel: str) -> None:
        config = self.config
        tags = {"ztai:environment": self.env_name, "ztai:managed-by": "cdktf", **config.tags}
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
