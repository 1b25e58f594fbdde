"""PlatformStack: composes the zero-trust AI platform for one environment.

The stack is the only place where validated configuration becomes construct props. It wires
constructs together through their attributes and grants; it creates no policy JSON of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cdktf import LocalBackend, S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_session_context import DataAwsIamSessionContext
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags, AwsProviderEndpoints
from constructs import Construct

from blueprint import emulator_gaps
from blueprint.config import EnvironmentConfig, ImportedCertificateConfig, LocalBackendConfig
from zero_trust_ai import actions
from zero_trust_ai.alert_topic import AlertTopic, AlertTopicProps
from zero_trust_ai.audit_trail import AuditTrail, AuditTrailProps
from zero_trust_ai.base import source_of
from zero_trust_ai.data_lake import DataLake, DataLakeProps
from zero_trust_ai.dns_firewall import DnsFirewall, DnsFirewallProps
from zero_trust_ai.inference_fleet import InferenceFleet, InferenceFleetProps
from zero_trust_ai.jwks_publisher import JwksPublisher, JwksPublisherProps
from zero_trust_ai.log_archive import LogArchive, LogArchiveProps
from zero_trust_ai.model_gateway import (
    ContentFilter,
    DeniedTopic,
    GuardrailPolicy,
    ModelGateway,
    ModelGatewayProps,
    PiiEntity,
)
from zero_trust_ai.packaging import FunctionPackage
from zero_trust_ai.persona_role import HumanFederation, PersonaRole
from zero_trust_ai.platform_identities import PlatformIdentities, PlatformIdentitiesProps
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.platform_keys import PlatformKeys, PlatformKeysProps
from zero_trust_ai.private_network import (
    BATCH_INTERFACE_ENDPOINTS,
    DEFAULT_INTERFACE_ENDPOINTS,
    PrivateNetwork,
    PrivateNetworkProps,
)
from zero_trust_ai.quarantine_function import QuarantineFunction, QuarantineFunctionProps
from zero_trust_ai.runtime.token_validator import PARAM_JWKS
from zero_trust_ai.secure_bucket import SecureBucket, SecureBucketProps
from zero_trust_ai.security_alarms import SecurityAlarms, SecurityAlarmsProps
from zero_trust_ai.serving_alarms import ServingAlarms, ServingAlarmsProps
from zero_trust_ai.serving_load_balancer import (
    ImportedCertificate,
    PrivateCaCertificate,
    ServingLoadBalancer,
    ServingLoadBalancerProps,
)
from zero_trust_ai.signed_function import FunctionCode
from zero_trust_ai.threat_detection import ThreatDetection, ThreatDetectionProps
from zero_trust_ai.token_issuer import TokenIssuer, TokenIssuerProps
from zero_trust_ai.training_compute import TrainingCompute, TrainingComputeProps
from zero_trust_ai.workload_role import EC2_INSTANCE_PROFILE_REASON, WorkloadRole, WorkloadRoleProps

# Files named in the configuration are relative to the project root (validated by blueprint.loader).
PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Services the local emulator must answer for; each gets the emulator endpoint in the provider.
EMULATED_SERVICES = (
    "acm", "autoscaling", "batch", "bedrock", "cloudtrail", "cloudwatch", "cloudwatchlogs", "cognitoidp", "ec2",
    "elbv2", "events", "guardduty", "iam", "kms", "lambda_", "s3", "scheduler", "secretsmanager", "securityhub",
    "signer", "sns", "sqs", "ssm",
    "sts", "wafv2", "sagemaker",
)


LAUNCH_TEMPLATE_TAG_GAP = (
    "moto copies the template's own tags into the version's tag_specifications (see blueprint/emulator_gaps.py)"
)


class PlatformStack(TerraformStack):
    """One environment of the platform. ``name`` is the environment file's stem and the stack id."""

    def __init__(self, scope: Construct, name: str, *, config: EnvironmentConfig, project_root_rel: str,
                 function_packages: Mapping[str, FunctionPackage]) -> None:
        super().__init__(scope, name)
        # Python-side construct index (see zero_trust_ai.base.PlatformConstruct)
        self.construct_path = name
        self.construct_index: dict[str, dict[str, str]] = {
            name: {"class": f"{__name__}.{type(self).__qualname__}", "source": source_of(type(self))}}
        self.env_name = name
        self.config = config
        prefix = f"ztai-{name}"
        self._configure_provider(project_root_rel)
        self._configure_backend(name, project_root_rel)

        keys = PlatformKeys(self, "keys", props=PlatformKeysProps(name_prefix=prefix, account_id=config.account_id))
        # The principal running terraform (the role behind its session): it stores deploy-time data under two
        # keys, only through the services that hold it. Key administration stays with the account (IAM).
        deployer = DataAwsIamSessionContext(self, "deployer", arn=DataAwsCallerIdentity(self, "caller").arn)
        self.deployment_principal = deployer.issuer_arn
        keys.logs.grant_deployment_use(self.deployment_principal, services=["s3", "lambda"], region=config.region)
        keys.models.grant_deployment_use(self.deployment_principal, services=["s3", "ssm", "secretsmanager"],
                                         region=config.region)
        log_archive = LogArchive(
            self,
            "log_archive",
            props=LogArchiveProps(
                name_prefix=prefix,
                account_id=config.account_id,
                region=config.region,
                object_lock_days=config.logging.archive_object_lock_days,
                force_destroy=config.is_emulated,
                eventbridge_notifications=not config.is_emulated,  # emulator gap, see emulator_gaps.py
            ),
            logs_key=keys.logs,
        )
        data_lake = DataLake(
            self,
            "data_lake",
            props=DataLakeProps(name_prefix=prefix, account_id=config.account_id, force_destroy=config.is_emulated,
                                model_registry_lock_days=config.logging.archive_object_lock_days,
                                # emulator gap (see blueprint/emulator_gaps.py): moto stores but never
                                # returns the EventBridge notification flag -> permanent diff.
                                eventbridge_notifications=not config.is_emulated),
            keys=keys,
            access_log_bucket=log_archive.access_logs,
        )
        networks = {}
        for network_id, cidr in (("training_network", config.network.training_vpc_cidr),
                                 ("serving_network", config.network.serving_vpc_cidr)):
            networks[network_id] = PrivateNetwork(
                self,
                network_id,
                props=PrivateNetworkProps(
                    name=f"{prefix}-{network_id.split('_')[0]}",
                    cidr_block=cidr,
                    availability_zones=config.availability_zones,
                    subnet_prefix_length=config.network.subnet_prefix_length,
                    region=config.region,
                    account_id=config.account_id,
                    allowed_bucket_patterns=[f"{prefix}-*"],
                    interface_endpoints=DEFAULT_INTERFACE_ENDPOINTS
                    + (BATCH_INTERFACE_ENDPOINTS if network_id == "training_network" else ("ssm",)),
                    log_retention_days=config.logging.retention_days,
                ),
                flow_log_archive=log_archive.archive,
                logs_key=keys.logs,
            )

        # Training job workload role: reads features + training data, denied validation, writes models.
        training_job = WorkloadRole(
            self,
            "training_job_role",
            props=WorkloadRoleProps(
                role_name=f"{prefix}-training-job",
                grant_name="TrainingJob",
                service="sagemaker.amazonaws.com",
                account_id=config.account_id,
                source_arn_pattern=f"arn:aws:sagemaker:{config.region}:{config.account_id}:training-job/*",
                max_session_duration=config.identity.session_duration_seconds,
                description="Assumed by SageMaker training jobs of this platform only",
            ),
        )
        data_lake.features.grant_read(training_job, prefix="features/")
        data_lake.training.grant_read(training_job, prefix="training/")
        data_lake.validation.deny(training_job, prefix="",
                                  reason="held-out validation data must never be visible to training (seed step 3)")
        data_lake.models.grant_write(training_job, prefix="models/")
        keys.signing.grant_sign(training_job)
        training_job.bind_data_access_to_networks([networks["training_network"].vpc_id])

        compute = TrainingCompute(
            self, "training_compute",
            props=TrainingComputeProps(name_prefix=prefix, region=config.region, account_id=config.account_id,
                                       instance_types=config.training.gpu_instance_types,
                                       max_vcpus=config.training.max_vcpus,
                                       log_retention_days=config.logging.retention_days,
                                       ignore_tag_specification_drift_reason=LAUNCH_TEMPLATE_TAG_GAP
                                       if config.is_emulated else None),
            network=networks["training_network"], training_key=keys.training, logs_key=keys.logs,
        )
        data_lake.features.grant_read(compute.job_role, prefix="features/")
        data_lake.training.grant_read(compute.job_role, prefix="training/")
        data_lake.validation.deny(compute.job_role, prefix="",
                                  reason="held-out validation data must never be visible to training (seed step 3)")
        data_lake.models.grant_write(compute.job_role, prefix="models/")
        keys.signing.grant_sign(compute.job_role)
        compute.job_role.bind_data_access_to_networks([networks["training_network"].vpc_id])

        # Inference instances (serving VPC): read registered models, verify their signed manifests.
        inference = WorkloadRole(
            self,
            "inference_role",
            props=WorkloadRoleProps(
                role_name=f"{prefix}-inference", grant_name="Inference", service="ec2.amazonaws.com",
                account_id=config.account_id, max_session_duration=config.identity.session_duration_seconds,
                description="Model-serving instances in the serving VPC",
                source_conditions_opt_out_reason=EC2_INSTANCE_PROFILE_REASON,
            ),
        )
        data_lake.models.grant_read(inference, prefix="models/")
        # serving loads only *released* models: it trusts the release signature, not the trainer's
        keys.release_signing.grant_verify(inference)
        inference.bind_data_access_to_networks([networks["serving_network"].vpc_id])
        self.inference_role = inference

        self._compose_personas(prefix, keys, data_lake, log_archive, training_job, networks["training_network"])
        # Emulator capability switches: what `local` deploys differently, by name (blueprint/emulator_gaps.py).
        self.capability_gaps = (*emulator_gaps.CAPABILITY_SWITCHES, *(
            (emulator_gaps.BEDROCK_GUARDRAIL,) if config.serving.model_apis.bedrock else ())) \
            if config.is_emulated else ()
        gap_reason = {gap.control: f"emulator gap: {gap.gap}" for gap in self.capability_gaps}
        if emulator_gaps.DNS_FIREWALL.control not in gap_reason:
            DnsFirewall(self, "dns_firewall", props=DnsFirewallProps(name_prefix=prefix, region=config.region),
                        networks=list(networks.values()))
        alert_topic = self._compose_monitoring(prefix, keys, data_lake, log_archive, list(networks.values()),
                                               gap_reason, function_packages["quarantine"])
        self._compose_serving(prefix, project_root_rel, keys, networks["serving_network"], log_archive, inference,
                              alert_topic, gap_reason, function_packages["jwks-publisher"])
        self._compose_model_apis(prefix, keys, networks, log_archive, alert_topic, gap_reason,
                                 serving_roles=[inference], training_roles=[training_job, compute.job_role])
        # terraform refreshes every bucket (HeadBucket = s3:ListBucket): the deploying principal may list them all
        for bucket in self.node.find_all():
            if isinstance(bucket, SecureBucket) and not bucket.props.principal_perimeter_opt_out_reason:
                bucket.admit_to_listing(self.deployment_principal, reason="terraform's refresh of the bucket "
                                        "(HeadBucket) is an s3:ListBucket; the deployer reads no objects")
        TerraformOutput(self, "emulator_capability_gaps", value=[gap.control for gap in self.capability_gaps],
                        description="Controls this environment deploys differently because of emulator gaps")

        TerraformOutput(self, "training_vpc_id", value=networks["training_network"].vpc_id)
        TerraformOutput(self, "serving_vpc_id", value=networks["serving_network"].vpc_id)
        TerraformOutput(self, "log_archive_bucket", value=log_archive.archive.bucket_name)
        TerraformOutput(self, "model_registry_bucket", value=data_lake.models.bucket_name)
        TerraformOutput(self, "manifest_signing_key_arn", value=keys.signing.key_arn)

    def _compose_personas(self, prefix: str, keys: PlatformKeys, data_lake: DataLake, log_archive: LogArchive,
                          training_job: WorkloadRole, training_network: PrivateNetwork) -> None:
        """The seed's access table, expressed only through construct grants."""
        config = self.config
        region, account = config.region, config.account_id
        identities = PlatformIdentities(
            self,
            "identities",
            props=PlatformIdentitiesProps(
                name_prefix=prefix, region=region, account_id=account,
                federation=HumanFederation(saml_provider_arn=config.identity.federation.provider_arn,
                                           mfa_session_tag=config.identity.federation.mfa_session_tag),
                idp_groups={name: getattr(config.identity.personas, name).idp_group
                            for name in type(config.identity.personas).model_fields},
                max_session_duration=config.identity.session_duration_seconds,
            ),
        )
        self.identities = identities
        # data engineer: read/write raw data, read-only features
        engineer = identities.data_engineer
        data_lake.raw.grant_read_write(engineer, prefix="raw/")
        data_lake.features.grant_read(engineer, prefix="features/")
        # model trainer: read features and training data, never validation, write the model registry
        trainer = identities.model_trainer
        data_lake.features.grant_read(trainer, prefix="features/")
        data_lake.training.grant_read(trainer, prefix="training/")
        data_lake.validation.deny(trainer, prefix="",
                                  reason="held-out validation data must never be visible to training (seed step 3)")
        data_lake.models.grant_write(trainer, prefix="models/")
        keys.signing.grant_sign(trainer)
        trainer.grant_actions("StartTrainingJobs", actions.SAGEMAKER_TRAINING,
                              [f"arn:aws:sagemaker:{region}:{account}:training-job/{prefix}-*"])
        training_job.grant_pass_role(trainer)
        self._require_isolated_training_jobs(trainer, training_network, keys.training)
        # model deployer: update serving and routing, invoke endpoints (and read + verify models)
        deployer = identities.model_deployer
        data_lake.models.grant_read(deployer, prefix="models/")
        # releasing: verify what training signed, then sign the release that serving trusts (separate key)
        keys.signing.grant_verify(deployer)
        keys.release_signing.grant_sign(deployer)
        keys.release_signing.grant_verify(deployer)
        # Routing only: listener rules, target registration and capacity. Never the listener itself (mTLS mode,
        # TLS policy), launch templates or the group's template version -- those change only through Terraform.
        deployer.grant_actions("UpdateRouting", actions.SERVING_UPDATE, [
            f"arn:aws:elasticloadbalancing:{region}:{account}:listener-rule/app/{prefix}-*",
            f"arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{prefix}-*",
            f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/{prefix}-*",
        ])
        deployer.grant_actions("DescribeServing", actions.SERVING_DESCRIBE, ["*"])
        deployer.grant_actions("InvokeEndpoints", actions.SERVING_INVOKE, [
            f"arn:aws:sagemaker:{region}:{account}:endpoint/{prefix}-*",
            f"arn:aws:execute-api:{region}:{account}:*/*/POST/invoke",
        ])
        # security auditor: read-only logs and findings
        auditor = identities.security_auditor
        log_archive.archive.grant_read(auditor)
        log_archive.access_logs.grant_read(auditor)
        auditor.grant_actions("ReadFindingsAndConfiguration", actions.AUDIT_READ_GLOBAL, ["*"])
        auditor.grant_actions("ReadSecurityHub", actions.AUDIT_READ_HUB,
                              [f"arn:aws:securityhub:{region}:{account}:hub/default"])
        auditor.grant_actions("ReadTrail", actions.AUDIT_READ_TRAIL, [f"arn:aws:cloudtrail:{region}:{account}:trail/*"])
        auditor.grant_actions("ReadFindings", actions.AUDIT_READ_FINDINGS,
                              [f"arn:aws:guardduty:{region}:{account}:detector/*"])
        auditor.grant_actions("ReadLogs", actions.AUDIT_READ_LOGS, [f"arn:aws:logs:{region}:{account}:log-group:*"])
        auditor.grant_actions("ReadPlatformRoles", actions.AUDIT_READ_IAM, [
            f"arn:aws:iam::{account}:role/{prefix}-*", f"arn:aws:iam::{account}:policy/{prefix}-*"])
        auditor.grant_actions("ReadKeyPolicies", actions.AUDIT_READ_KEYS, [f"arn:aws:kms:{region}:{account}:key/*"])
        auditor.grant_actions("ReadBucketConfiguration", actions.AUDIT_READ_BUCKETS, [f"arn:aws:s3:::{prefix}-*"])
        # break-glass: bounded incident response; its use raises an alarm (logging construct). It can also restore a
        # platform key's or bucket's policy, so nothing becomes unmanageable (lockout safety).
        identities.break_glass.grant_actions("RestoreKeyAndBucketPolicies", actions.BREAK_GLASS_RECOVERY, [
            f"arn:aws:kms:{region}:{account}:key/*", f"arn:aws:s3:::{prefix}-*"])
        identities.break_glass.grant_actions("IncidentResponse", actions.BREAK_GLASS, [
            f"arn:aws:iam::{account}:role/{prefix}-*",
            f"arn:aws:sagemaker:{region}:{account}:training-job/{prefix}-*",
            f"arn:aws:batch:{region}:{account}:*",
            f"arn:aws:elasticloadbalancing:{region}:{account}:listener/app/{prefix}-*",
            f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/{prefix}-*",
        ])

    def _compose_monitoring(self, prefix: str, keys: PlatformKeys, data_lake: DataLake, log_archive: LogArchive,
                            networks: list[PrivateNetwork], gap_reason: dict[str, str],
                            quarantine_package: FunctionPackage) -> AlertTopic:
        """Seed step 6: trail, detections, threat detection, alert topic and automated quarantine."""
        config = self.config
        region, account = config.region, config.account_id
        alert_topic = AlertTopic(self, "alert_topic", props=AlertTopicProps(
            topic_name=f"{prefix}-alerts", account_id=account, region=region,
            email_addresses=config.alerts.email_addresses, sqs_queue_arns=config.alerts.sns_topic_subscribers),
            key=keys.logs)
        data_buckets = list(data_lake.buckets.values())
        trail = AuditTrail(self, "audit_trail", props=AuditTrailProps(
            trail_name=f"{prefix}-trail", account_id=account, region=region,
            log_retention_days=config.logging.retention_days),
            archive=log_archive.archive, logs_key=keys.logs, data_buckets=data_buckets)
        alarms = SecurityAlarms(self, "security_alarms", props=SecurityAlarmsProps(name_prefix=prefix),
                                log_group_name=trail.log_group.name, alert_topic=alert_topic,
                                data_buckets=data_buckets, break_glass_role_arn=self.identities.break_glass.role_arn)
        ThreatDetection(self, "threat_detection", props=ThreatDetectionProps(
            region=region,
            security_hub_opt_out_reason=gap_reason.get(emulator_gaps.SECURITY_HUB_STANDARDS.control)))
        self.artifacts = artifacts = SecureBucket(self, "artifacts", props=SecureBucketProps(
            bucket_name=f"{prefix}-artifacts-{account}", owner_account_id=account, encryption_key=keys.logs,
            access_log_bucket=log_archive.access_logs, force_destroy=config.is_emulated,
            eventbridge_notifications=not config.is_emulated))
        artifacts.admit_to_perimeter(self.deployment_principal, reason="terraform uploads the function packages; "
                                     "Signer and Lambda read them with the deploying principal's permissions")
        evidence_roles = [trail.delivery_role.role_arn, *[network.flow_log_role.role_arn for network in networks]]
        quarantine = QuarantineFunction(
            self, "quarantine",
            props=QuarantineFunctionProps(
                name_prefix=prefix, account_id=account, region=region,
                window_minutes=config.quarantine.window_minutes,
                guardduty_min_severity=config.quarantine.guardduty_min_severity,
                log_retention_days=config.logging.retention_days,
                code_signing_opt_out_reason=gap_reason.get(emulator_gaps.LAMBDA_CODE_SIGNING.control),
                ignore_dead_letter_config_drift_reason=emulator_gaps.LAMBDA_DEAD_LETTER_CONFIG.gap
                if config.is_emulated else None),
            code=FunctionCode(path=quarantine_package.path, sha256_hex=quarantine_package.sha256_hex),
            key=keys.logs, artifacts=artifacts, alert_topic=alert_topic, trail_log_group_name=trail.log_group.name,
            alarm_names=alarms.quarantine_alarm_names, alarm_min_events=alarms.quarantine_min_events,
            # never blind the response: people who respond, and the roles that deliver the evidence
            protected_role_arns=[self.identities.break_glass.role_arn, self.identities.security_auditor.role_arn,
                                 *evidence_roles],
        )
        # Break-glass may extend a quarantine (remove its scheduled release) but never blind the response: no
        # policy change on the roles that deliver evidence or run the quarantine.
        break_glass = self.identities.break_glass
        break_glass.grant_actions("ExtendQuarantine", actions.BREAK_GLASS_QUARANTINE,
                                  [quarantine.release_schedules_arn])
        break_glass.deny_actions("NeverBlindTheResponse", actions.BREAK_GLASS_NEVER_ON_RESPONSE_ROLES,
                                 conditions={}, resources=[*evidence_roles, *quarantine.own_role_arns])
        TerraformOutput(self, "alert_topic_arn", value=alert_topic.topic_arn)
        TerraformOutput(self, "trail_log_group", value=trail.log_group.name)
        return alert_topic

    def _compose_serving(self, prefix: str, project_root_rel: str, keys: PlatformKeys, network: PrivateNetwork,
                         log_archive: LogArchive, inference: WorkloadRole, alert_topic: AlertTopic,
                         gap_reason: dict[str, str], jwks_package: FunctionPackage) -> None:
        """Seed step 5: private, mutually authenticated, token-checked, rate-limited, watched serving."""
        config = self.config
        serving = config.serving
        region, account = config.region, config.account_id
        issuer = TokenIssuer(self, "token_issuer", props=TokenIssuerProps(
            name_prefix=prefix, account_id=account, region=region, token_ttl_minutes=serving.token_ttl_minutes,
            callers={name: caller.operations for name, caller in serving.callers.items()},
            deletion_protection=not config.is_emulated,
            secret_recovery_window_days=0 if config.is_emulated else 30), key=keys.models)
        issuer.grant_read_settings(inference)  # includes the published JWKS under the same path
        JwksPublisher(self, "jwks_publisher", props=JwksPublisherProps(
            name_prefix=prefix, account_id=account, region=region,
            parameter_name=f"{issuer.parameter_path}{PARAM_JWKS}", log_retention_days=config.logging.retention_days,
            code_signing_opt_out_reason=gap_reason.get(emulator_gaps.LAMBDA_CODE_SIGNING.control),
            ignore_dead_letter_config_drift_reason=emulator_gaps.LAMBDA_DEAD_LETTER_CONFIG.gap
            if config.is_emulated else None),
            jwks_url=f"{issuer.issuer}/.well-known/jwks.json",
            code=FunctionCode(path=jwks_package.path, sha256_hex=jwks_package.sha256_hex),
            key=keys.logs, artifacts=self.artifacts, alert_topic=alert_topic)
        for name, caller in serving.callers.items():
            if caller.persona:
                issuer.grant_client_secret(name, getattr(self.identities, caller.persona))
            if caller.principals:
                issuer.allow_client_secret_principals(name, caller.principals)
        trust_bucket = SecureBucket(self, "serving_trust", props=SecureBucketProps(
            bucket_name=f"{prefix}-serving-trust-{account}", owner_account_id=account, encryption_key=keys.models,
            access_log_bucket=log_archive.access_logs, force_destroy=config.is_emulated,
            eventbridge_notifications=not config.is_emulated))
        trust_bucket.admit_to_perimeter(self.deployment_principal, reason="terraform uploads the client CA bundle and "
                                        "ELB reads it with the deploying principal's permissions (CreateTrustStore)")

        def from_root(path: str) -> str:
            return f"{project_root_rel}/{path}"

        certificate: ImportedCertificate | PrivateCaCertificate
        if isinstance(serving.certificate, ImportedCertificateConfig):
            certificate = ImportedCertificate(certificate_file=from_root(serving.certificate.certificate_file),
                                              private_key_file=from_root(serving.certificate.private_key_file))
        else:
            certificate = PrivateCaCertificate(
                certificate_authority_arn=serving.certificate.certificate_authority_arn,
                domain_name=serving.certificate.domain_name)
        load_balancer = ServingLoadBalancer(
            self, "serving_load_balancer",
            props=ServingLoadBalancerProps(
                name_prefix=prefix, account_id=account, region=region,
                client_cidrs=[config.network.serving_vpc_cidr], target_port=serving.inference.target_port,
                certificate=certificate, client_ca_bundle_file=PROJECT_ROOT / serving.client_ca_bundle_file,
                client_revocation_list_file=PROJECT_ROOT / serving.client_revocation_list_file
                if serving.client_revocation_list_file else None,
                rate_limit_per_5_minutes=serving.inference_rate_limit,
                log_retention_days=config.logging.retention_days,
                deletion_protection=not config.is_emulated,
                mutual_tls_opt_out_reason=gap_reason.get(emulator_gaps.MUTUAL_TLS_TRUST_STORE.control)),
            network=network, log_archive=log_archive, trust_bucket=trust_bucket, key=keys.models,
            logs_key=keys.logs,
        )
        InferenceFleet(self, "inference_fleet", props=InferenceFleetProps(
            name_prefix=prefix, account_id=account, instance_type=serving.inference.instance_type,
            image_id=serving.inference.image_id,
            min_size=serving.inference.min_size, max_size=serving.inference.max_size,
            target_port=serving.inference.target_port, token_settings_path=issuer.parameter_path,
            ignore_tag_specification_drift_reason=LAUNCH_TEMPLATE_TAG_GAP if config.is_emulated else None),
            network=network, load_balancer=load_balancer, role=inference, volume_key=keys.models)
        ServingAlarms(self, "serving_alarms", props=ServingAlarmsProps(
            name_prefix=prefix, band_width=serving.anomaly_band_width,
            static_max_requests=float(serving.inference_rate_limit * 10)),
            load_balancer=load_balancer, alert_topic=alert_topic)
        TerraformOutput(self, "serving_load_balancer_arn", value=load_balancer.load_balancer.arn)
        TerraformOutput(self, "token_issuer_url", value=issuer.issuer)
        TerraformOutput(self, "token_settings_path", value=issuer.parameter_path)

    def _compose_model_apis(self, prefix: str, keys: PlatformKeys, networks: Mapping[str, PrivateNetwork],
                            log_archive: LogArchive, alert_topic: AlertTopic, gap_reason: dict[str, str], *,
                            serving_roles: list[WorkloadRole], training_roles: list[WorkloadRole]) -> None:
        """Issue 19 A: AWS-hosted models through the Bedrock runtime endpoint, off unless configured."""
        config = self.config
        bedrock = config.serving.model_apis.bedrock
        if bedrock is None:
            return
        guardrail = bedrock.guardrail
        policy = GuardrailPolicy(
            content_filters=[ContentFilter(type=kind, input_strength=f.input_strength,
                                           output_strength=f.output_strength)
                             for kind, f in guardrail.content_filters.items()],
            denied_topics=[DeniedTopic(name=name, definition=t.definition, examples=t.examples)
                           for name, t in guardrail.denied_topics.items()],
            pii_entities=[PiiEntity(type=kind, action=action) for kind, action in guardrail.pii_entities.items()])
        grants = {"serving_network": serving_roles, **({"training_network": training_roles}
                                                       if bedrock.training_vpc else {})}
        gateway = ModelGateway(self, "model_gateway", props=ModelGatewayProps(
            name_prefix=prefix, region=config.region, account_id=config.account_id, model_arns=bedrock.model_arns,
            guardrail=policy, log_retention_days=config.logging.retention_days,
            invocation_spike_per_5_minutes=bedrock.invocation_spike_per_5_minutes,
            guardrail_interventions_per_5_minutes=bedrock.guardrail_interventions_per_5_minutes,
            band_width=config.serving.anomaly_band_width,
            guardrail_opt_out_reason=gap_reason.get(emulator_gaps.BEDROCK_GUARDRAIL.control)),
            networks=[networks[name] for name in grants], log_archive=log_archive, logs_key=keys.logs,
            alert_topic=alert_topic)
        for name, roles in grants.items():
            for role in roles:
                gateway.grant_invoke(role, network=networks[name])
        TerraformOutput(self, "model_guardrail_identifier", value=gateway.guardrail_identifier)

    @staticmethod
    def _require_isolated_training_jobs(trainer: PersonaRole, network: PrivateNetwork, key: PlatformKey) -> None:
        """SageMaker training jobs may start only in the training subnets, network-isolated, with the
        training key on their volumes: explicit Denies whenever a condition is absent or different."""
        create = ["sagemaker:CreateTrainingJob"]
        trainer.deny_actions("TrainingJobsOnlyInTrainingSubnets", create, conditions={
            "ForAnyValue:StringNotEquals": {"sagemaker:VpcSubnets": network.subnet_ids}})
        trainer.deny_actions("TrainingJobsMustUseAVpc", create, conditions={"Null": {"sagemaker:VpcSubnets": "true"}})
        trainer.deny_actions("TrainingJobsMustBeNetworkIsolated", create, conditions={
            "BoolIfExists": {"sagemaker:NetworkIsolation": "false"}})
        trainer.deny_actions("TrainingJobsMustDeclareIsolation", create, conditions={
            "Null": {"sagemaker:NetworkIsolation": "true"}})
        trainer.deny_actions("TrainingVolumesUseTheTrainingKey", create, conditions={
            "StringNotEquals": {"sagemaker:VolumeKmsKey": key.key_arn}})
        trainer.deny_actions("TrainingVolumesMustBeEncrypted", create, conditions={
            "Null": {"sagemaker:VolumeKmsKey": "true"}})

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
