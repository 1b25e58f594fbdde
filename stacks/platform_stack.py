"""PlatformStack: one environment -- its provider, its backend and one :class:`ZeroTrustAiPlatform` built from the
validated configuration (``stacks/platform_props.py``), plus the outputs the toolkit reads."""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import LocalBackend, S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags, AwsProviderEndpoints
from constructs import Construct

from stacks.config.model import EnvironmentConfig, LocalBackendConfig, WorkloadOrganization
from stacks.paths import PLATFORM_ID
from stacks.platform_props import capability_gaps, platform_props
from zero_trust_ai.base import source_of
from zero_trust_ai.packaging import FunctionPackage
from zero_trust_ai.platform import ZeroTrustAiPlatform

OUTPUT_DESCRIPTIONS = {
    "emulator_capability_gaps": "Controls this environment deploys differently because of emulator gaps",
}

# Services the local emulator must answer for; each gets the emulator endpoint in the provider.
EMULATED_SERVICES = (
    "acm", "autoscaling", "batch", "bedrock", "cloudtrail", "cloudwatch", "cloudwatchlogs", "cognitoidp", "ec2",
    "elbv2", "events", "guardduty", "iam", "kms", "lambda_", "s3", "scheduler", "secretsmanager", "securityhub",
    "signer", "sns", "sqs", "ssm",
    "sts", "wafv2", "sagemaker",
)


class PlatformStack(TerraformStack):
    """One environment of the platform. ``name`` is the environment file's stem and the stack id."""

    def __init__(self, scope: Construct, name: str, *, config: EnvironmentConfig, project_root_rel: str,
                 function_packages: Mapping[str, FunctionPackage],
                 organization: WorkloadOrganization | None = None) -> None:
        super().__init__(scope, name)
        # Python-side construct index (see zero_trust_ai.base.PlatformConstruct)
        self.construct_path = name
        self.construct_index: dict[str, dict[str, str]] = {
            name: {"class": f"{__name__}.{type(self).__qualname__}", "source": source_of(type(self))}}
        self.env_name = name
        self.config = config
        self._configure_provider(project_root_rel)
        self._configure_backend(name, project_root_rel)
        # Emulator capability switches: what `local` deploys differently, by name (stacks/config/emulator_gaps.py).
        self.capability_gaps = capability_gaps(config)
        self.platform = platform = ZeroTrustAiPlatform(self, PLATFORM_ID, props=platform_props(
            config, name_prefix=f"ztai-{name}", project_root_rel=project_root_rel,
            function_packages=function_packages, organization=organization))
        self.deployment_principal = platform.deployment_principal
        self.inference_role = platform.inference_role
        self.identities = platform.identities
        self.artifacts = platform.artifacts
        outputs: dict[str, object] = {
            "emulator_capability_gaps": [gap.control for gap in self.capability_gaps],
            "training_vpc_id": platform.networks["training_network"].vpc_id,
            "serving_vpc_id": platform.networks["serving_network"].vpc_id,
            "log_archive_bucket": platform.log_archive.archive.bucket_name,
            "model_registry_bucket": platform.data_lake.models.bucket_name,
            "manifest_signing_key_arn": platform.keys.signing.key_arn,
            "alert_topic_arn": platform.alert_topic.topic_arn,
            "trail_log_group": platform.trail.log_group.name,
            "serving_load_balancer_arn": platform.load_balancer.load_balancer.arn,
            "token_issuer_url": platform.token_issuer.issuer,
            "token_settings_path": platform.token_issuer.parameter_path,
        }
        if platform.model_gateway is not None:
            outputs["model_guardrail_identifier"] = platform.model_gateway.guardrail_identifier
        for output_id, value in outputs.items():
            TerraformOutput(self, output_id, value=value, description=OUTPUT_DESCRIPTIONS.get(output_id))

    def _configure_provider(self, project_root_rel: str) -> None:
        config = self.config
        tags = {"ztai:environment": self.env_name, "ztai:managed-by": "cdktf", **config.tags}
        if config.emulator is None:
            AwsProvider(
                self,
                "aws",
                region=config.region,
                allowed_account_ids=[config.account_id],
                default_tags=[AwsProviderDefaultTags(tags=tags)],
            )
            return
        endpoint = config.emulator.endpoint
        AwsProvider(
            self,
            "aws",
            region=config.region,
            default_tags=[AwsProviderDefaultTags(tags=tags)],
            # Dummy credentials of the emulator profile, written by `blueprint emulator start`
            # (never real keys; kept out of the configuration itself).
            shared_credentials_files=[f"{project_root_rel}/{config.emulator.credentials_file}"],
            profile="ztai-emulator",
            s3_use_path_style=True,
            skip_credentials_validation=True,
            skip_metadata_api_check="true",
            skip_requesting_account_id=True,
            skip_region_validation=True,
            max_retries=config.emulator.max_retries,
            endpoints=[AwsProviderEndpoints(**{service: endpoint for service in EMULATED_SERVICES})],
        )

    def _configure_backend(self, name: str, project_root_rel: str) -> None:
        backend = self.config.backend
        if isinstance(backend, LocalBackendConfig):
            # Outside cdktf.out (which every synth replaces), relative so the plan is machine-independent.
            LocalBackend(self, path=f"{project_root_rel}/.state/terraform.{name}.tfstate")
        else:
            S3Backend(
                self,
                bucket=backend.bucket,
                key=f"{backend.key_prefix}/{name}/terraform.tfstate",
                region=backend.region,
                encrypt=backend.encrypt,
                kms_key_id=backend.kms_key_id,
            )
            # cdktf 0.21's S3Backend predates S3-native locking (Terraform >= 1.10): set it directly.
            self.add_override("terraform.backend.s3.use_lockfile", backend.use_lockfile)
            emulator = self.config.emulator
            if backend.emulated and emulator is not None:
                # State in the emulator's S3: same backend, pointed at 127.0.0.1 with the dummy profile.
                for key, value in {
                    "endpoints": {"s3": emulator.endpoint, "sts": emulator.endpoint},
                    "use_path_style": True,
                    "skip_credentials_validation": True,
                    "skip_requesting_account_id": True,
                    "skip_metadata_api_check": True,
                    "skip_region_validation": True,
                    "shared_credentials_files": [f"{project_root_rel}/{emulator.credentials_file}"],
                    "profile": "ztai-emulator",
                }.items():
                    self.add_override(f"terraform.backend.s3.{key}", value)
