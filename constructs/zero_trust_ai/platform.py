"""ZeroTrustAiPlatform: the whole platform in one construct, for a stack (and provider) of the user's own.

It composes the tiers in the seed's order -- keys, log archive and data lake, the two private networks, workload and
persona identities with the access table, monitoring and quarantine, private serving, model APIs -- and grants
every permission through the constructs. Each tier is also usable on its own (see ``zero_trust_ai.__all__``).

Use::

    platform = ZeroTrustAiPlatform(stack, "platform", props=ZeroTrustAiPlatformProps(
        name_prefix="ztai-dev", account_id="111111111111", region="eu-west-1",
        availability_zones=["eu-west-1a", "eu-west-1b"], network=NetworkSettings(...), identity=IdentitySettings(...),
        serving=ServingSettings(...)))

Secure by default: every control is on. The only way to deploy a control differently is
:class:`EmulatorAccommodations`, which names each accommodation with its reason (for an emulator such as moto).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from cdktf import Postcondition, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_session_context import DataAwsIamSessionContext
from cdktf_cdktf_provider_aws.data_aws_organizations_organization import DataAwsOrganizationsOrganization
from constructs import Construct
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from zero_trust_ai import actions
from zero_trust_ai.alert_topic import AlertTopic, AlertTopicProps
from zero_trust_ai.audit_trail import AuditTrail, AuditTrailProps
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.capabilities import Capability
from zero_trust_ai.data_lake import DataLake, DataLakeProps
from zero_trust_ai.delegated_accounts import DelegatedArchive, trail_name
from zero_trust_ai.dns_firewall import DnsFirewall, DnsFirewallProps
from zero_trust_ai.evidence_destinations import DelegatedEvidence, EvidenceDestinations, LocalEvidence
from zero_trust_ai.inference_fleet import InferenceFleet, InferenceFleetProps
from zero_trust_ai.jwks_publisher import JwksPublisher, JwksPublisherProps
from zero_trust_ai.log_archive import LogArchive, LogArchiveProps
from zero_trust_ai.ml_pipeline import MlPipeline, MlPipelineProps, PipelineImages
from zero_trust_ai.model_egress import ModelEgress, ModelEgressProps
from zero_trust_ai.model_gateway import GuardrailPolicy, ModelGateway, ModelGatewayProps
from zero_trust_ai.packaging import FunctionPackage, function_packages
from zero_trust_ai.persona_role import HumanFederation, PersonaRole
from zero_trust_ai.platform_identities import PERSONAS, PlatformIdentities, PlatformIdentitiesProps
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.platform_keys import PlatformKeys, PlatformKeysProps
from zero_trust_ai.private_network import (
    BATCH_INTERFACE_ENDPOINTS,
    DEFAULT_INTERFACE_ENDPOINTS,
    PrivateNetwork,
    PrivateNetworkProps,
)
from zero_trust_ai.quarantine_function import QuarantineFunction, QuarantineFunctionProps
from zero_trust_ai.run_recorder import RunRecorder, RunRecorderProps
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
from zero_trust_ai.validation import AllowedDomain, EgressWorkloadName, PlatformRegion, egress_cidr_block
from zero_trust_ai.workload_role import EC2_INSTANCE_PROFILE_REASON, WorkloadRole, WorkloadRoleProps

_REASON = Field(min_length=20)
VALIDATION_DENY_REASON = "held-out validation data must never be visible to training (seed step 3)"


class EmulatorAccommodations(BaseModel):
    """What a deployment to an AWS emulator needs, each item with its reason. Absent (the default): a real account.

    Besides the switched-off capabilities, an emulated platform is disposable (buckets may be emptied on destroy, no
    deletion protection, no recovery window for secrets) and sends no S3 events to EventBridge.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    capability_gaps: Mapping[Capability, str] = Field(
        default_factory=dict, description="Capability -> why the emulator cannot run it (at least 20 characters).")
    eventbridge_notifications_reason: str = _REASON
    launch_template_tag_drift_reason: str = _REASON
    dead_letter_config_drift_reason: str = _REASON

    @model_validator(mode="after")
    def _every_gap_has_a_reason(self) -> EmulatorAccommodations:
        short = sorted(str(c) for c, reason in self.capability_gaps.items() if len(reason.strip()) < 20)
        if short:
            raise ValueError(f"capability_gaps {short}: give each switched-off capability its reason "
                             "(>= 20 characters)")
        return self


class NetworkSettings(BaseModel):
    """The two private VPCs (no internet gateway, no NAT): training and serving."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    training_vpc_cidr: str
    serving_vpc_cidr: str
    subnet_prefix_length: int = Field(default=20, ge=16, le=28)


class LoggingSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    retention_days: int = Field(default=365, ge=365, description="CloudWatch Logs retention. Default: 365 days.")
    archive_object_lock_days: int = Field(default=365, ge=1, description="COMPLIANCE retention of the log archive "
                                          "and the model registry. Default: 365 days.")


class IdentitySettings(BaseModel):
    """How people reach the five persona roles."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    federation: HumanFederation
    idp_groups: Mapping[str, str] = Field(description="Persona key -> the IdP group mapped to its role.")
    session_duration_seconds: int = Field(default=3600, ge=900, le=3600)

    @model_validator(mode="after")
    def _every_persona_has_a_group(self) -> IdentitySettings:
        if set(self.idp_groups) != set(PERSONAS):
            raise ValueError(f"idp_groups must map exactly the personas {sorted(PERSONAS)}, "
                             f"got {sorted(self.idp_groups)}")
        return self


class TrainingSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    gpu_instance_types: Sequence[str] = Field(default=("g5.xlarge",), min_length=1)
    max_vcpus: int = Field(default=64, ge=1, le=4096)


class PipelineSettings(BaseModel):
    """The ML lifecycle's job stages (ingestion, features, training, release) on the training compute. Required: every
    environment runs its pipeline through them, so each stage's image must be named, pinned by digest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    images: PipelineImages = Field(description="Container image of each job stage, ``<repository>@sha256:<64 hex>``.")


class ServingCaller(BaseModel):
    """A machine client of the serving endpoint: its token scopes and who may read its client secret."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    operations: Sequence[str] = Field(min_length=1)
    persona: str | None = Field(default=None, description="Persona whose role reads the secret. Default: none.")
    principals: Sequence[str] = Field(default=(), description="Other role ARNs that may read the secret.")


class InferenceSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    instance_type: str = "g5.xlarge"
    image_id: str
    min_size: int = Field(default=1, ge=0)
    max_size: int = Field(default=4, ge=1)
    target_port: int = Field(default=8443, ge=1024, le=65535)


class ServingSettings(BaseModel):
    """Private, mutually authenticated, token-checked, rate-limited serving."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    certificate: ImportedCertificate | PrivateCaCertificate
    client_ca_bundle_file: Path
    client_revocation_list_file: Path | None = None
    inference: InferenceSettings
    callers: Mapping[str, ServingCaller] = Field(default_factory=dict)
    token_ttl_minutes: int = Field(default=15, ge=5)
    inference_rate_limit: int = Field(default=2000, ge=100, description="Requests per client IP per 5 minutes.")
    anomaly_band_width: float = Field(default=2.0, gt=0)

    @model_validator(mode="after")
    def _callers_name_personas(self) -> ServingSettings:
        unknown = sorted(name for name, caller in self.callers.items()
                         if caller.persona is not None and caller.persona not in PERSONAS)
        if unknown:
            raise ValueError(f"callers {unknown} name a persona that is not one of {sorted(PERSONAS)}")
        return self


class BedrockSettings(BaseModel):
    """AWS-hosted models through the Bedrock runtime interface endpoint, always through the guardrail."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_arns: Sequence[str] = Field(min_length=1)
    guardrail: GuardrailPolicy = Field(default_factory=GuardrailPolicy)
    training_vpc: bool = Field(default=False, description="Training jobs may invoke too. Default: serving only.")
    invocation_spike_per_5_minutes: int = Field(default=1000, ge=1)
    guardrail_interventions_per_5_minutes: int = Field(default=10, ge=1)


class ExternalModelApiSettings(BaseModel):
    """External model APIs by domain allow-list (ModelEgress in the serving VPC), for the named workloads only.

    The named workloads (``inference_fleet``: the serving inference fleet) are launched in the egress-workload subnets
    with the egress security group; everything else stays in the private subnets with no route out. The serving
    VPC's DNS Firewall answers exactly these domains besides the AWS service names (the training VPC's does not)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed_domains: Sequence[AllowedDomain] = Field(min_length=1, description="api.example.com or .example.com.")
    cidr_block: Annotated[str, AfterValidator(egress_cidr_block)] = Field(
        description="Private /16../24 inside the serving VPC, above its private subnets.")
    workloads: Sequence[EgressWorkloadName] = Field(min_length=1, description="Who may use the egress path.")
    dropped_packets_threshold: int = Field(default=1, ge=1, description="Default: every dropped packet alarms.")


class AlertSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    email_addresses: Sequence[str] = ()
    sqs_queue_arns: Sequence[str] = ()


class QuarantineSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    window_minutes: int = Field(default=60, ge=5, le=10080)
    guardduty_min_severity: float = Field(default=7.0, ge=1.0, le=8.9)


class PlatformFunctions(BaseModel):
    """The deployment packages of the platform's functions. Default: built from this installed package."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quarantine: FunctionCode
    jwks_publisher: FunctionCode
    run_recorder: FunctionCode

    @classmethod
    def from_packages(cls, packages: Mapping[str, FunctionPackage]) -> PlatformFunctions:
        def code(name: str) -> FunctionCode:
            return FunctionCode(path=packages[name].path, sha256_hex=packages[name].sha256_hex)
        return cls(quarantine=code("quarantine"), jwks_publisher=code("jwks-publisher"),
                   run_recorder=code("run-recorder"))


class OrganizationMembership(BaseModel):
    """The AWS Organization the platform's account is a member of: its VPC endpoints then enforce the organisation
    perimeter (:class:`zero_trust_ai.private_network.PrivateNetworkProps`, ``organization_id``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    management_account_id: str = Field(pattern=r"^\d{12}$", description="The organization's management account.")
    organization_id: str | None = Field(
        default=None, pattern=r"^o-[a-z0-9]{10,32}$",
        description="The organization's id. Default: read at plan time from AWS Organizations (data source "
        "aws_organizations_organization: DescribeOrganization answers in every member account), and the plan fails "
        "unless that organization's management account is management_account_id -- an account outside the "
        "organization, or in another one, never gets an endpoint policy naming a wrong id.")
    log_archive_account_id: str | None = Field(
        default=None, pattern=r"^\d{12}$",
        description="The organization's log-archive account. Set: the trail, the VPC flow logs (to S3) and the "
        "serving load balancer's access logs are delivered into the archive the organization stack builds there "
        "for this environment (names from zero_trust_ai.delegated_accounts.DelegatedArchive), which no principal of "
        "this account can delete from or re-admit; everything else stays in the account's own log archive. "
        "Default: none -- the account's own log archive receives everything.")
    security_tooling_account_id: str | None = Field(
        default=None, pattern=r"^\d{12}$",
        description="The organization's security-tooling account, delegated administrator of GuardDuty and "
        "Security Hub. Set: the platform creates neither (the administrator enables them in this account; "
        ":class:`zero_trust_ai.threat_detection.ThreatDetectionProps`, ``administrator_account_id``). Default: "
        "none -- the platform enables its own.")

    @model_validator(mode="after")
    def _delegated_accounts_are_others(self) -> OrganizationMembership:
        for field in ("log_archive_account_id", "security_tooling_account_id"):
            if getattr(self, field) is not None and getattr(self, field) == self.management_account_id:
                raise ValueError(f"organization.{field} {self.management_account_id} is the management account: "
                                 "name the organization's own log-archive / security-tooling member account")
        return self


class ZeroTrustAiPlatformProps(BaseModel):
    """Props of :class:`ZeroTrustAiPlatform`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,22}$", description="Prefix of every name (ELB names: short).")
    account_id: str = Field(pattern=r"^\d{12}$")
    region: PlatformRegion = Field(description="A region of the aws partition (zero_trust_ai.validation).")
    availability_zones: Sequence[str] = Field(min_length=2, max_length=6)
    network: NetworkSettings
    identity: IdentitySettings
    serving: ServingSettings
    pipeline: PipelineSettings = Field(description="The pipeline stages' images (required: no default image).")
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    quarantine: QuarantineSettings = Field(default_factory=QuarantineSettings)
    bedrock: BedrockSettings | None = Field(default=None, description="Model APIs. Default: none.")
    external_model_apis: ExternalModelApiSettings | None = Field(
        default=None, description="External model APIs by domain allow-list. Default: none -- no egress at all.")
    functions: PlatformFunctions | None = Field(default=None, description="Default: built from this package.")
    emulator: EmulatorAccommodations | None = Field(default=None, description="Default: a real AWS account.")
    organization: OrganizationMembership | None = Field(
        default=None, description="The organization the account is a member of. Default: none (a single account, "
        "whose endpoints are bound to the account).")

    @model_validator(mode="after")
    def _member_not_management(self) -> ZeroTrustAiPlatformProps:
        if self.organization is not None and self.organization.management_account_id == self.account_id:
            raise ValueError(f"organization.management_account_id {self.account_id} is the platform's own account: "
                             "the management account is never a member (no SCP or RCP applies there); deploy the "
                             "platform to a member account")
        organization = self.organization
        if organization is not None:
            for field in ("log_archive_account_id", "security_tooling_account_id"):
                if getattr(organization, field) == self.account_id:
                    raise ValueError(f"organization.{field} {self.account_id} is the platform's own account: a "
                                     "delegated account is another member (leave it unset for the single-account "
                                     "layout)")
        return self


AccessMode = Literal["read", "write", "read_write", "deny"]


@dataclass(frozen=True)
class DataAccess:
    """One row of the access table: an identity's access to one data-lake bucket below ``prefix``."""

    bucket: str
    mode: AccessMode
    prefix: str
    reason: str | None = None  # a deny says why

    def __post_init__(self) -> None:
        if (self.mode == "deny") != bool(self.reason):
            raise ValueError(f"{self.bucket} {self.prefix!r}: a deny (and only a deny) carries its reason")


# The seed's access table (controls.md, step 2), extended to the workload identities: data, applied by
# ``ZeroTrustAiPlatform._grant_data_access``. A deny must say why (DataAccess.__post_init__).
TRAINING_ACCESS = (
    DataAccess("features", "read", "features/"),
    DataAccess("training", "read", "training/"),
    DataAccess("validation", "deny", "", VALIDATION_DENY_REASON),
    DataAccess("models", "write", "models/"),
)
ACCESS_TABLE: Mapping[str, tuple[DataAccess, ...]] = {
    "training_job": TRAINING_ACCESS,
    "training_compute_job": TRAINING_ACCESS,  # also the pipeline's training stage (MlPipeline reuses the role)
    # serving loads a model only through its release manifest (releases/), then the bound model (models/)
    "inference": (DataAccess("models", "read", "models/"), DataAccess("models", "read", "releases/")),
    # the pipeline stages (zero_trust_ai.runtime.pipeline.contract.STAGES names the same reads and writes)
    "pipeline_ingestion": (DataAccess("raw", "write", "raw/"),),
    "pipeline_features": (DataAccess("raw", "read", "raw/"), DataAccess("features", "write", "features/")),
    "pipeline_release": (DataAccess("models", "read", "models/"), DataAccess("models", "write", "releases/")),
    "data_engineer": (DataAccess("raw", "read_write", "raw/"), DataAccess("features", "read", "features/")),
    "model_trainer": TRAINING_ACCESS,
    "model_deployer": (DataAccess("models", "read", "models/"),),
}


class ZeroTrustAiPlatform(PlatformConstruct):
    """The zero-trust AI platform of one environment. Attributes expose each tier for outputs and extension."""

    implements: ClassVar[tuple[str, ...]] = ()
    composition_root: ClassVar[bool] = True

    def __init__(self, scope: Construct, id: str, *, props: ZeroTrustAiPlatformProps) -> None:
        super().__init__(scope, id)
        self.props = props
        prefix, region, account = props.name_prefix, props.region, props.account_id
        emulator = props.emulator
        disposable = emulator is not None
        gaps = dict(emulator.capability_gaps) if emulator else {}
        self.capability_gaps: Mapping[Capability, str] = gaps
        functions = props.functions or PlatformFunctions.from_packages(function_packages())

        self.organization_id = self._organization_id(props.organization)
        self.keys = keys = PlatformKeys(self, "keys", props=PlatformKeysProps(name_prefix=prefix, account_id=account))
        # The principal running terraform (the role behind its session): it stores deploy-time data under two
        # keys, only through the services that hold it. Key administration stays with the account (IAM).
        deployer = DataAwsIamSessionContext(self, "deployer", arn=DataAwsCallerIdentity(self, "caller").arn)
        self.deployment_principal = deployer.issuer_arn
        keys.logs.grant_deployment_use(self.deployment_principal, services=["s3", "lambda"], region=region)
        keys.models.grant_deployment_use(self.deployment_principal, services=["s3", "ssm", "secretsmanager"],
                                         region=region)
        self.log_archive = log_archive = LogArchive(
            self, "log_archive",
            props=LogArchiveProps(name_prefix=prefix, account_id=account, region=region,
                                  object_lock_days=props.logging.archive_object_lock_days, force_destroy=disposable,
                                  eventbridge_notifications=not disposable,
                                  # delegated: the flow logs go to the log-archive account (_evidence_destinations)
                                  accepts_flow_logs=self._log_archive_account is None),
            logs_key=keys.logs,
        )
        self.evidence = self._evidence_destinations(log_archive)
        self.data_lake = DataLake(
            self, "data_lake",
            props=DataLakeProps(name_prefix=prefix, account_id=account, force_destroy=disposable,
                                model_registry_lock_days=props.logging.archive_object_lock_days,
                                eventbridge_notifications=not disposable),
            keys=keys, access_log_bucket=log_archive.access_logs,
        )
        self.networks = networks = self._networks(prefix, keys, self.evidence)
        training_network, serving_network = networks["training_network"], networks["serving_network"]

        # Each identity gets its row of the access table as soon as it exists (the order of its statements).
        # Training job workload role (SageMaker): reads features + training data, denied validation, writes models.
        self.training_job_role = training_job = WorkloadRole(
            self, "training_job_role",
            props=WorkloadRoleProps(
                role_name=f"{prefix}-training-job", grant_name="TrainingJob", service="sagemaker.amazonaws.com",
                account_id=account, source_arn_pattern=f"arn:aws:sagemaker:{region}:{account}:training-job/*",
                max_session_duration=props.identity.session_duration_seconds,
                description="Assumed by SageMaker training jobs of this platform only"),
        )
        self._grant_data_access("training_job", training_job)
        keys.signing.grant_sign(training_job)
        training_job.bind_data_access_to_networks([training_network.vpc_id])

        self.training_compute = compute = TrainingCompute(
            self, "training_compute",
            props=TrainingComputeProps(name_prefix=prefix, region=region, account_id=account,
                                       instance_types=props.training.gpu_instance_types,
                                       max_vcpus=props.training.max_vcpus,
                                       # the GPU definition runs as the pipeline's training identity: same image
                                       image=props.pipeline.images.training,
                                       log_retention_days=props.logging.retention_days,
                                       ignore_tag_specification_drift_reason=emulator.launch_template_tag_drift_reason
                                       if emulator else None),
            network=training_network, training_key=keys.training, logs_key=keys.logs,
        )
        self._grant_data_access("training_compute_job", compute.job_role)
        keys.signing.grant_sign(compute.job_role)
        compute.job_role.bind_data_access_to_networks([training_network.vpc_id])

        # Inference instances (serving VPC): read registered models, verify their signed manifests.
        self.inference_role = inference = WorkloadRole(
            self, "inference_role",
            props=WorkloadRoleProps(
                role_name=f"{prefix}-inference", grant_name="Inference", service="ec2.amazonaws.com",
                account_id=account, max_session_duration=props.identity.session_duration_seconds,
                description="Model-serving instances in the serving VPC",
                source_conditions_opt_out_reason=EC2_INSTANCE_PROFILE_REASON),
        )
        self._grant_data_access("inference", inference)
        # serving loads only *released* models: it trusts the release signature, not the trainer's
        keys.release_signing.grant_verify(inference)
        inference.bind_data_access_to_networks([serving_network.vpc_id])

        # People: the five personas (SAML federation, MFA proven by the IdP, the shared boundary).
        self.identities = identities = PlatformIdentities(
            self, "identities",
            props=PlatformIdentitiesProps(name_prefix=prefix, region=region, account_id=account,
                                          federation=props.identity.federation, idp_groups=props.identity.idp_groups,
                                          max_session_duration=props.identity.session_duration_seconds),
        )
        self._grant_data_access("data_engineer", identities.data_engineer)
        self._grant_data_access("model_trainer", identities.model_trainer)
        self._compose_trainer(identities.model_trainer, training_job, training_network)
        self._grant_data_access("model_deployer", identities.model_deployer)
        self._compose_deployer(identities.model_deployer)
        self._compose_auditor_and_break_glass()

        self.dns_firewall: DnsFirewall | None = None
        if Capability.DNS_FIREWALL not in gaps:
            self.dns_firewall = DnsFirewall(self, "dns_firewall", props=DnsFirewallProps(name_prefix=prefix,
                                                                                           region=region),
                                            networks=list(networks.values()))
        self.alert_topic = self._compose_monitoring(functions.quarantine)
        self.model_egress = self._compose_model_egress()
        self._compose_serving(functions.jwks_publisher)
        self._compose_model_apis(serving_roles=[inference], training_roles=[training_job, compute.job_role])
        self._compose_pipeline(functions.run_recorder)
        # terraform refreshes every bucket (HeadBucket = s3:ListBucket): the deploying principal may list them all
        for bucket in self.node.find_all():
            if isinstance(bucket, SecureBucket) and not bucket.props.principal_perimeter_opt_out_reason:
                bucket.admit_to_listing(self.deployment_principal, reason="terraform's refresh of the bucket "
                                        "(HeadBucket) is an s3:ListBucket; the deployer reads no objects")

    def _compose_pipeline(self, run_recorder_code: FunctionCode) -> None:
        """Seed steps 3 and 4: the lifecycle's job stages as workloads (their rows of the access table), and the
        run recorder that writes what each of their jobs ran to the log archive."""
        props, emulator = self.props, self.props.emulator
        training_network = self.networks["training_network"]
        self.pipeline = pipeline = MlPipeline(self, "ml_pipeline", props=MlPipelineProps(
            name_prefix=props.name_prefix, region=props.region, account_id=props.account_id,
            images=props.pipeline.images, max_session_duration=props.identity.session_duration_seconds),
            compute=self.training_compute, data_lake=self.data_lake, keys=self.keys, network=training_network)
        for stage in ("ingestion", "features", "release"):
            self._grant_data_access(f"pipeline_{stage}", pipeline.stage_roles[stage])
        self.run_recorder = RunRecorder(self, "run_recorder", props=RunRecorderProps(
            name_prefix=props.name_prefix, account_id=props.account_id, region=props.region,
            log_retention_days=props.logging.retention_days,
            code_signing_opt_out_reason=self.capability_gaps.get(Capability.LAMBDA_CODE_SIGNING),
            ignore_dead_letter_config_drift_reason=emulator.dead_letter_config_drift_reason if emulator else None),
            code=run_recorder_code, key=self.keys.logs, artifacts=self.artifacts, alert_topic=self.alert_topic,
            archive=self.log_archive.archive, job_queue_arns=pipeline.job_queue_arns)

    def _grant_data_access(self, name: str, identity: WorkloadRole | PersonaRole) -> None:
        """Apply the identity's row of :data:`ACCESS_TABLE` through the buckets' grants."""
        for grant in ACCESS_TABLE[name]:
            bucket = self.data_lake.buckets[grant.bucket]
            if grant.mode == "read":
                bucket.grant_read(identity, prefix=grant.prefix)
            elif grant.mode == "write":
                bucket.grant_write(identity, prefix=grant.prefix)
            elif grant.mode == "read_write":
                bucket.grant_read_write(identity, prefix=grant.prefix)
            else:
                bucket.deny(identity, prefix=grant.prefix, reason=grant.reason or "")

    def _organization_id(self, organization: OrganizationMembership | None) -> str | None:
        """The id the endpoint policies name: the configured one, else the organization AWS reports for this account,
        checked against the configured management account before anything is planned."""
        if organization is None:
            return None
        if organization.organization_id is not None:
            return organization.organization_id
        management = organization.management_account_id
        self.organization = DataAwsOrganizationsOrganization(self, "organization", lifecycle=TerraformResourceLifecycle(
            postcondition=[Postcondition(
                condition=f'${{self.master_account_id == "{management}"}}',
                error_message=f"This account is not a member of the organization whose management account is "
                              f"{management}: its VPC endpoint policies would name another organisation's id.")]))
        return self.organization.id

    def _evidence_destinations(self, log_archive: LogArchive) -> EvidenceDestinations:
        """Where the trail, the flow logs and the load balancer's access logs go: the organization's log-archive
        account when the membership names one (its archive for this environment, by the contract's names), else this
        account's log archive. The only place the layout is decided; the writers take the result."""
        props, log_archive_account = self.props, self._log_archive_account
        if log_archive_account is None:
            return LocalEvidence(log_archive=log_archive, logs_key=self.keys.logs)
        return DelegatedEvidence(self, "delegated_archive", archive=DelegatedArchive(
            name_prefix=props.name_prefix, workload_account_id=props.account_id,
            log_archive_account_id=log_archive_account, region=props.region))

    @property
    def _log_archive_account(self) -> str | None:
        """The organization's log-archive account this environment delivers to, if it names one."""
        organization = self.props.organization
        return None if organization is None else organization.log_archive_account_id

    def _networks(self, prefix: str, keys: PlatformKeys, evidence: EvidenceDestinations) -> dict[str, PrivateNetwork]:
        props = self.props
        networks = {}
        for network_id, cidr in (("training_network", props.network.training_vpc_cidr),
                                 ("serving_network", props.network.serving_vpc_cidr)):
            networks[network_id] = PrivateNetwork(
                self, network_id,
                props=PrivateNetworkProps(
                    name=f"{prefix}-{network_id.split('_')[0]}", cidr_block=cidr,
                    availability_zones=props.availability_zones,
                    subnet_prefix_length=props.network.subnet_prefix_length, region=props.region,
                    account_id=props.account_id, allowed_bucket_patterns=[f"{prefix}-*"],
                    interface_endpoints=DEFAULT_INTERFACE_ENDPOINTS
                    + (BATCH_INTERFACE_ENDPOINTS if network_id == "training_network" else ("ssm",)),
                    log_retention_days=props.logging.retention_days, organization_id=self.organization_id),
                flow_log_archive=evidence.flow_log_bucket, logs_key=keys.logs,
            )
        return networks

    def _compose_trainer(self, trainer: PersonaRole, training_job: WorkloadRole, network: PrivateNetwork) -> None:
        """The model trainer signs what it trains, starts training jobs and passes only the training job role."""
        region, account, prefix = self.props.region, self.props.account_id, self.props.name_prefix
        self.keys.signing.grant_sign(trainer)
        trainer.grant_actions("StartTrainingJobs", actions.SAGEMAKER_TRAINING,
                              [f"arn:aws:sagemaker:{region}:{account}:training-job/{prefix}-*"])
        training_job.grant_pass_role(trainer)
        self._require_isolated_training_jobs(trainer, network, self.keys.training)

    def _compose_deployer(self, deployer: PersonaRole) -> None:
        """The model deployer releases and routes: verify what training signed, sign the release that serving trusts
        (a separate key), update routing and invoke endpoints."""
        region, account, prefix = self.props.region, self.props.account_id, self.props.name_prefix
        self.keys.signing.grant_verify(deployer)
        self.keys.release_signing.grant_sign(deployer)
        self.keys.release_signing.grant_verify(deployer)
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

    def _compose_auditor_and_break_glass(self) -> None:
        region, account, prefix = self.props.region, self.props.account_id, self.props.name_prefix
        identities = self.identities
        # security auditor: read-only logs and findings
        auditor = identities.security_auditor
        self.log_archive.archive.grant_read(auditor)
        self.log_archive.access_logs.grant_read(auditor)
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

    def _compose_monitoring(self, quarantine_code: FunctionCode) -> AlertTopic:
        """Seed step 6: trail, detections, threat detection, alert topic and automated quarantine."""
        props, keys, emulator = self.props, self.keys, self.props.emulator
        region, account, prefix = props.region, props.account_id, props.name_prefix
        gaps = self.capability_gaps
        alert_topic = AlertTopic(self, "alert_topic", props=AlertTopicProps(
            topic_name=f"{prefix}-alerts", account_id=account, region=region,
            email_addresses=props.alerts.email_addresses, sqs_queue_arns=props.alerts.sqs_queue_arns),
            key=keys.logs)
        data_buckets = list(self.data_lake.buckets.values())
        self.trail = trail = AuditTrail(self, "audit_trail", props=AuditTrailProps(
            trail_name=trail_name(prefix), account_id=account, region=region,
            log_retention_days=props.logging.retention_days),
            destination=self.evidence, logs_key=keys.logs, data_buckets=data_buckets)
        alarms = SecurityAlarms(self, "security_alarms", props=SecurityAlarmsProps(name_prefix=prefix),
                                log_group_name=trail.log_group.name, alert_topic=alert_topic,
                                data_buckets=data_buckets, break_glass_role_arn=self.identities.break_glass.role_arn)
        organization = props.organization
        self.threat_detection = ThreatDetection(self, "threat_detection", props=ThreatDetectionProps(
            region=region, security_hub_opt_out_reason=gaps.get(Capability.SECURITY_HUB_STANDARDS),
            administrator_account_id=organization.security_tooling_account_id if organization else None))
        self.artifacts = artifacts = SecureBucket(self, "artifacts", props=SecureBucketProps(
            bucket_name=f"{prefix}-artifacts-{account}", owner_account_id=account, encryption_key=keys.logs,
            access_log_bucket=self.log_archive.access_logs, force_destroy=emulator is not None,
            eventbridge_notifications=emulator is None))
        artifacts.admit_to_perimeter(self.deployment_principal, reason="terraform uploads the function packages; "
                                     "Signer and Lambda read them with the deploying principal's permissions")
        evidence_roles = [trail.delivery_role.role_arn, *[net.flow_log_role.role_arn for net in self.networks.values()]]
        quarantine = QuarantineFunction(
            self, "quarantine",
            props=QuarantineFunctionProps(
                name_prefix=prefix, account_id=account, region=region,
                window_minutes=props.quarantine.window_minutes,
                guardduty_min_severity=props.quarantine.guardduty_min_severity,
                log_retention_days=props.logging.retention_days,
                code_signing_opt_out_reason=gaps.get(Capability.LAMBDA_CODE_SIGNING),
                ignore_dead_letter_config_drift_reason=emulator.dead_letter_config_drift_reason if emulator else None),
            code=quarantine_code,
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
        return alert_topic

    def _compose_serving(self, jwks_code: FunctionCode) -> None:
        """Seed step 5: private, mutually authenticated, token-checked, rate-limited, watched serving."""
        props, keys, emulator = self.props, self.keys, self.props.emulator
        serving = props.serving
        region, account, prefix = props.region, props.account_id, props.name_prefix
        gaps = self.capability_gaps
        self.token_issuer = issuer = TokenIssuer(self, "token_issuer", props=TokenIssuerProps(
            name_prefix=prefix, account_id=account, region=region, token_ttl_minutes=serving.token_ttl_minutes,
            callers={name: caller.operations for name, caller in serving.callers.items()},
            deletion_protection=emulator is None,
            secret_recovery_window_days=0 if emulator else 30), key=keys.models)
        issuer.grant_read_settings(self.inference_role)  # includes the published JWKS under the same path
        JwksPublisher(self, "jwks_publisher", props=JwksPublisherProps(
            name_prefix=prefix, account_id=account, region=region,
            parameter_name=f"{issuer.parameter_path}{PARAM_JWKS}", log_retention_days=props.logging.retention_days,
            code_signing_opt_out_reason=gaps.get(Capability.LAMBDA_CODE_SIGNING),
            ignore_dead_letter_config_drift_reason=emulator.dead_letter_config_drift_reason if emulator else None),
            jwks_url=f"{issuer.issuer}/.well-known/jwks.json", code=jwks_code,
            key=keys.logs, artifacts=self.artifacts, alert_topic=self.alert_topic)
        for name, caller in serving.callers.items():
            if caller.persona:
                issuer.grant_client_secret(name, getattr(self.identities, caller.persona))
            if caller.principals:
                issuer.allow_client_secret_principals(name, caller.principals)
        trust_bucket = SecureBucket(self, "serving_trust", props=SecureBucketProps(
            bucket_name=f"{prefix}-serving-trust-{account}", owner_account_id=account, encryption_key=keys.models,
            access_log_bucket=self.log_archive.access_logs, force_destroy=emulator is not None,
            eventbridge_notifications=emulator is None))
        trust_bucket.admit_to_perimeter(self.deployment_principal, reason="terraform uploads the client CA bundle and "
                                        "ELB reads it with the deploying principal's permissions (CreateTrustStore)")
        network = self.networks["serving_network"]
        self.load_balancer = load_balancer = ServingLoadBalancer(
            self, "serving_load_balancer",
            props=ServingLoadBalancerProps(
                name_prefix=prefix, account_id=account, region=region,
                client_cidrs=[props.network.serving_vpc_cidr], target_port=serving.inference.target_port,
                certificate=serving.certificate, client_ca_bundle_file=serving.client_ca_bundle_file,
                client_revocation_list_file=serving.client_revocation_list_file,
                rate_limit_per_5_minutes=serving.inference_rate_limit,
                log_retention_days=props.logging.retention_days,
                deletion_protection=emulator is None,
                mutual_tls_opt_out_reason=gaps.get(Capability.MUTUAL_TLS_TRUST_STORE)),
            network=network, evidence=self.evidence, trust_bucket=trust_bucket, key=keys.models,
            logs_key=keys.logs,
        )
        InferenceFleet(self, "inference_fleet", props=InferenceFleetProps(
            name_prefix=prefix, account_id=account, instance_type=serving.inference.instance_type,
            image_id=serving.inference.image_id,
            min_size=serving.inference.min_size, max_size=serving.inference.max_size,
            target_port=serving.inference.target_port, token_settings_path=issuer.parameter_path,
            ignore_tag_specification_drift_reason=emulator.launch_template_tag_drift_reason if emulator else None),
            network=network, load_balancer=load_balancer, role=self.inference_role, volume_key=keys.models,
            egress=self.egress_for("inference_fleet"))
        ServingAlarms(self, "serving_alarms", props=ServingAlarmsProps(
            name_prefix=prefix, band_width=serving.anomaly_band_width,
            static_max_requests=float(serving.inference_rate_limit * 10)),
            load_balancer=load_balancer, alert_topic=self.alert_topic)

    def _compose_model_egress(self) -> ModelEgress | None:
        """External model APIs: the serving VPC's only way out, by domain allow-list, off unless configured. Under the
        emulator's NETWORK_FIREWALL capability switch nothing of it is created -- no firewall means no egress at all,
        never an unfiltered one -- and the switch is named in the stack's outputs."""
        props = self.props
        external = props.external_model_apis
        if external is None or Capability.NETWORK_FIREWALL in self.capability_gaps:
            return None
        network = self.networks["serving_network"]
        egress = ModelEgress(self, "model_egress", props=ModelEgressProps(
            name_prefix=f"{props.name_prefix}-serving", region=props.region, account_id=props.account_id,
            cidr_block=external.cidr_block, allowed_domains=external.allowed_domains,
            dropped_packets_threshold=external.dropped_packets_threshold,
            delete_protection_opt_out_reason="an emulated environment is created and destroyed by every test run"
            if props.emulator is not None else None),
            network=network, log_archive=self.log_archive.archive, logs_key=self.keys.logs,
            alert_topic=self.alert_topic, deployment_principal_arn=self.deployment_principal)
        if self.dns_firewall is not None:
            # DNS Firewall answers the allowed names in the serving VPC only (the firewall decides who gets out)
            self.dns_firewall.allow_domains(egress.allowed_domains, network=network)
        return egress

    def egress_for(self, workload: str) -> ModelEgress | None:
        """The egress path ``workload`` may use, if the configuration names it (``external_model_apis.workloads``)."""
        external = self.props.external_model_apis
        if self.model_egress is None or external is None or workload not in external.workloads:
            return None
        return self.model_egress

    def _compose_model_apis(self, *, serving_roles: list[WorkloadRole], training_roles: list[WorkloadRole]) -> None:
        """AWS-hosted models through the Bedrock runtime endpoint, off unless configured."""
        props = self.props
        self.model_gateway: ModelGateway | None = None
        bedrock = props.bedrock
        if bedrock is None:
            return
        grants = {"serving_network": serving_roles, **({"training_network": training_roles}
                                                       if bedrock.training_vpc else {})}
        self.model_gateway = gateway = ModelGateway(self, "model_gateway", props=ModelGatewayProps(
            name_prefix=props.name_prefix, region=props.region, account_id=props.account_id,
            model_arns=bedrock.model_arns, guardrail=bedrock.guardrail, log_retention_days=props.logging.retention_days,
            invocation_spike_per_5_minutes=bedrock.invocation_spike_per_5_minutes,
            guardrail_interventions_per_5_minutes=bedrock.guardrail_interventions_per_5_minutes,
            band_width=props.serving.anomaly_band_width,
            guardrail_opt_out_reason=self.capability_gaps.get(Capability.BEDROCK_GUARDRAIL)),
            networks=[self.networks[name] for name in grants], log_archive=self.log_archive, logs_key=self.keys.logs,
            alert_topic=self.alert_topic)
        for name, roles in grants.items():
            for role in roles:
                gateway.grant_invoke(role, network=self.networks[name])

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
