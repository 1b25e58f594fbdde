"""Validated environment configuration -> the props of the library's :class:`ZeroTrustAiPlatform`.

The one place where the app decides what an emulated environment deploys differently: every accommodation comes
from ``stacks/config/emulator_gaps.py`` with its reason, and reaches the platform as :class:`EmulatorAccommodations`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from stacks.config import emulator_gaps
from stacks.config.model import EnvironmentConfig, ImportedCertificateConfig, WorkloadOrganization
from zero_trust_ai.ml_pipeline import PipelineImages
from zero_trust_ai.model_gateway import ContentFilter, DeniedTopic, GuardrailPolicy, PiiEntity
from zero_trust_ai.packaging import FunctionPackage
from zero_trust_ai.persona_role import HumanFederation
from zero_trust_ai.platform import (
    AlertSettings,
    BedrockSettings,
    EmulatorAccommodations,
    ExternalModelApiSettings,
    IdentitySettings,
    InferenceSettings,
    LoggingSettings,
    NetworkSettings,
    OrganizationMembership,
    PipelineSettings,
    PlatformFunctions,
    QuarantineSettings,
    ServingCaller,
    ServingSettings,
    TrainingSettings,
    ZeroTrustAiPlatformProps,
)
from zero_trust_ai.serving_load_balancer import ImportedCertificate, PrivateCaCertificate

# Files named in the configuration are relative to the project root (validated by stacks.config.loader).
PROJECT_ROOT = Path(__file__).resolve().parents[1]

LAUNCH_TEMPLATE_TAG_GAP = (
    "moto copies the template's own tags into the version's tag_specifications (see stacks/config/emulator_gaps.py)"
)
EVENTBRIDGE_NOTIFICATIONS_GAP = (
    "moto stores but never returns the S3 EventBridge notification flag, so every plan shows a change "
    "(see stacks/config/emulator_gaps.py)"
)


def capability_gaps(config: EnvironmentConfig) -> tuple[emulator_gaps.EmulatorGap, ...]:
    """The capability switches an environment turns off: none in the cloud; in the emulator every switch, plus the
    ones of the features it enables."""
    if not config.is_emulated:
        return ()
    model_apis = config.serving.model_apis
    features = ((emulator_gaps.BEDROCK_GUARDRAIL,) if model_apis.bedrock else ()) + (
        (emulator_gaps.NETWORK_FIREWALL,) if model_apis.external else ())
    return (*emulator_gaps.CAPABILITY_SWITCHES, *features)


def pipeline_settings(config: EnvironmentConfig) -> PipelineSettings:
    """The pipeline stages' images (``training.pipeline.images``, digest-pinned: validated by the config model)."""
    images = config.training.pipeline.images
    return PipelineSettings(images=PipelineImages(ingestion=images.ingestion, features=images.features,
                                                  training=images.training, release=images.release))


def platform_props(config: EnvironmentConfig, *, name_prefix: str, project_root_rel: str,
                   function_packages: Mapping[str, FunctionPackage],
                   organization: WorkloadOrganization | None = None) -> ZeroTrustAiPlatformProps:
    serving = config.serving

    def from_root(path: str) -> str:
        return f"{project_root_rel}/{path}"

    certificate: ImportedCertificate | PrivateCaCertificate
    if isinstance(serving.certificate, ImportedCertificateConfig):
        certificate = ImportedCertificate(certificate_file=from_root(serving.certificate.certificate_file),
                                          private_key_file=from_root(serving.certificate.private_key_file))
    else:
        certificate = PrivateCaCertificate(certificate_authority_arn=serving.certificate.certificate_authority_arn,
                                           domain_name=serving.certificate.domain_name)
    bedrock = serving.model_apis.bedrock
    external = serving.model_apis.external
    emulator = None
    if config.is_emulated:
        emulator = EmulatorAccommodations(
            capability_gaps={gap.capability: f"emulator gap: {gap.gap}"
                             for gap in capability_gaps(config) if gap.capability is not None},
            eventbridge_notifications_reason=EVENTBRIDGE_NOTIFICATIONS_GAP,
            launch_template_tag_drift_reason=LAUNCH_TEMPLATE_TAG_GAP,
            dead_letter_config_drift_reason=emulator_gaps.LAMBDA_DEAD_LETTER_CONFIG.gap)
    personas = config.identity.personas
    return ZeroTrustAiPlatformProps(
        name_prefix=name_prefix, account_id=config.account_id, region=config.region,
        availability_zones=config.availability_zones,
        network=NetworkSettings(training_vpc_cidr=config.network.training_vpc_cidr,
                                serving_vpc_cidr=config.network.serving_vpc_cidr,
                                subnet_prefix_length=config.network.subnet_prefix_length),
        identity=IdentitySettings(
            federation=HumanFederation(saml_provider_arn=config.identity.federation.provider_arn,
                                       mfa_session_tag=config.identity.federation.mfa_session_tag),
            idp_groups={name: getattr(personas, name).idp_group for name in type(personas).model_fields},
            session_duration_seconds=config.identity.session_duration_seconds),
        serving=ServingSettings(
            certificate=certificate,
            client_ca_bundle_file=PROJECT_ROOT / serving.client_ca_bundle_file,
            client_revocation_list_file=PROJECT_ROOT / serving.client_revocation_list_file
            if serving.client_revocation_list_file else None,
            inference=InferenceSettings(instance_type=serving.inference.instance_type,
                                        image_id=serving.inference.image_id, min_size=serving.inference.min_size,
                                        max_size=serving.inference.max_size,
                                        target_port=serving.inference.target_port),
            callers={name: ServingCaller(operations=caller.operations, persona=caller.persona,
                                         principals=caller.principals) for name, caller in serving.callers.items()},
            token_ttl_minutes=serving.token_ttl_minutes, inference_rate_limit=serving.inference_rate_limit,
            anomaly_band_width=serving.anomaly_band_width),
        pipeline=pipeline_settings(config),
        training=TrainingSettings(gpu_instance_types=config.training.gpu_instance_types,
                                  max_vcpus=config.training.max_vcpus),
        logging=LoggingSettings(retention_days=config.logging.retention_days,
                                archive_object_lock_days=config.logging.archive_object_lock_days),
        alerts=AlertSettings(email_addresses=config.alerts.email_addresses,
                             sqs_queue_arns=config.alerts.sns_topic_subscribers),
        quarantine=QuarantineSettings(window_minutes=config.quarantine.window_minutes,
                                      guardduty_min_severity=config.quarantine.guardduty_min_severity),
        bedrock=None if bedrock is None else BedrockSettings(
            model_arns=bedrock.model_arns, training_vpc=bedrock.training_vpc,
            invocation_spike_per_5_minutes=bedrock.invocation_spike_per_5_minutes,
            guardrail_interventions_per_5_minutes=bedrock.guardrail_interventions_per_5_minutes,
            guardrail=GuardrailPolicy(
                content_filters=[ContentFilter(type=kind, input_strength=f.input_strength,
                                               output_strength=f.output_strength)
                                 for kind, f in bedrock.guardrail.content_filters.items()],
                denied_topics=[DeniedTopic(name=name, definition=t.definition, examples=t.examples)
                               for name, t in bedrock.guardrail.denied_topics.items()],
                pii_entities=[PiiEntity(type=kind, action=action)
                              for kind, action in bedrock.guardrail.pii_entities.items()])),
        external_model_apis=None if external is None else ExternalModelApiSettings(
            allowed_domains=external.allowed_domains, cidr_block=external.cidr_block,
            workloads=external.workloads,  # type: ignore[arg-type]  # names checked by the config model
            dropped_packets_threshold=external.dropped_packets_threshold),
        functions=PlatformFunctions.from_packages(function_packages),
        emulator=emulator,
        organization=None if organization is None else OrganizationMembership(
            management_account_id=organization.management_account_id,
            organization_id=organization.existing_organization_id,
            log_archive_account_id=organization.log_archive_account_id,
            security_tooling_account_id=organization.security_tooling_account_id),
    )
