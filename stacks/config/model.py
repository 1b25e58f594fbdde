"""Typed, validated environment configuration (``environments/<env>.yaml``).

This is the only place configuration enters the toolkit: ``stacks.config.loader`` parses a file into
:class:`EnvironmentConfig`, ``main.py`` hands the validated model to the stack, and constructs only
ever receive typed props. Every model forbids unknown fields so a typo fails loudly instead of being
silently ignored.

Validators raise :class:`FieldProblem` (or, for the rules shared with the construct props, the library's
``zero_trust_ai.validation.InvalidInput`` it derives from) so the loader can report the exact field, the bad
value and the fix.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import ipaddress
import json
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from zero_trust_ai import validation
from zero_trust_ai.delegated_accounts import DEFAULT_ACCOUNT_ACCESS_ROLE
from zero_trust_ai.personas import PERSONA_NAMES, PersonaName
from zero_trust_ai.validation import CLOUDWATCH_RETENTION_DAYS as CLOUDWATCH_RETENTION_DAYS
from zero_trust_ai.validation import (
    FOUNDATION_MODEL_ARN,
    MAX_TOKEN_TTL_MINUTES,
    REGION_PATTERN,
    AccountId,
    BucketName,
    IdpGroup,
    InvalidInput,
    SamlProviderArn,
    SessionTagKey,
    TokenTtlMinutes,
)
from zero_trust_ai.validation import GPU_INSTANCE_PATTERN as GPU_INSTANCE_PATTERN
from zero_trust_ai.validation import MAX_SESSION_SECONDS as MAX_SESSION_SECONDS
from zero_trust_ai.validation import PRIVATE_RANGES as PRIVATE_RANGES

# The rules (and the constants above, kept importable from here) live in the library: zero_trust_ai.validation.
# Construct props check the same inputs with the same messages; this module adds what only a file can get wrong.


class FieldProblem(InvalidInput):
    """A validation failure of the configuration that knows which (sub)field is wrong and how to fix it (the
    library's rules raise its base, :class:`~zero_trust_ai.validation.InvalidInput`, which the loader reports
    the same way)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, validate_default=True)


# The emulator's account (moto's default). An `emulator` section is only accepted together with it, so a
# cloud environment (a real account) can never be switched to the emulator's relaxed controls.
EMULATOR_ACCOUNT_ID = "123456789012"

# Partitions the blueprint deploys to. Their region lists come from botocore's endpoint data (installed
# with boto3), so a region that matches the pattern but does not exist (eu-west-4) is refused here, not
# at `terraform apply`.
SUPPORTED_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


@functools.cache
def known_regions() -> dict[str, str]:
    """Region name -> partition, for every region botocore's data lists in ``SUPPORTED_PARTITIONS``
    (``endpoints.json`` and the newer ``partitions.json``; the ``*-global`` pseudo-regions excluded)."""
    data = importlib.resources.files("botocore") / "data"
    regions: dict[str, str] = {}
    for document, id_key in (("endpoints.json", "partition"), ("partitions.json", "id")):
        for partition in json.loads((data / document).read_text(encoding="utf-8"))["partitions"]:
            if partition.get(id_key) in SUPPORTED_PARTITIONS:
                for region in partition.get("regions", {}):
                    if not region.endswith("-global"):
                        regions.setdefault(region, partition[id_key])
    return regions


def _real_region(value: str) -> str:
    regions = known_regions()
    if value not in regions:
        close = difflib.get_close_matches(value, sorted(regions), n=3, cutoff=0.7)
        raise FieldProblem(
            f"{value!r} is not a region of the AWS partitions {', '.join(SUPPORTED_PARTITIONS)} "
            "(botocore's endpoint data lists every existing region)",
            fix=f"use an existing region, e.g. {', '.join(close) if close else 'eu-west-1 or us-east-1'}",
        )
    return value


Region = Annotated[str, Field(pattern=REGION_PATTERN), AfterValidator(_real_region)]
# The platform's own region: an existing region, and one of the partition the constructs are written for.
PlatformRegion = Annotated[Region, AfterValidator(validation.platform_region)]

# The characters AWS accepts in tag keys and values across services.
TAG_TEXT = re.compile(r"[\w .:/=+\-@]*")

PrincipalArn = Annotated[
    str,
    Field(
        pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$",
        description="IAM role allowed to assume a persona (e.g. an SSO permission-set role). Account roots "
        "(which delegate to every principal of the account) and IAM users are not allowed.",
    ),
]


class NetworkConfig(_Model):
    """Address plan for the two segmented VPCs."""

    training_vpc_cidr: str = Field(description="Private CIDR of the training VPC (no internet path).")
    serving_vpc_cidr: str = Field(description="Private CIDR of the serving VPC; must not overlap training.")
    subnet_prefix_length: int = Field(
        default=20, ge=16, le=28, description="Prefix length of each private subnet (one per AZ)."
    )

    @field_validator("training_vpc_cidr", "serving_vpc_cidr")
    @classmethod
    def _cidr_is_private(cls, value: str) -> str:
        return validation.private_cidr(value)

    @model_validator(mode="after")
    def _segmented_and_sized(self) -> NetworkConfig:
        validation.disjoint_networks(
            {"training_vpc_cidr": self.training_vpc_cidr, "serving_vpc_cidr": self.serving_vpc_cidr},
            fix="pick non-overlapping ranges, e.g. 10.10.0.0/16 for training and 10.20.0.0/16 for serving")
        for name in ("training_vpc_cidr", "serving_vpc_cidr"):
            validation.subnet_prefix_fits(name, ipaddress.ip_network(getattr(self, name)), self.subnet_prefix_length)
        return self

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(self.training_vpc_cidr), ipaddress.ip_network(self.serving_vpc_cidr)]

    def subnet_capacity(self) -> int:
        """How many subnets of ``subnet_prefix_length`` the smaller VPC can hold."""
        smallest = max(
            ipaddress.ip_network(self.training_vpc_cidr).prefixlen,
            ipaddress.ip_network(self.serving_vpc_cidr).prefixlen,
        )
        return 2 ** (self.subnet_prefix_length - smallest)


# <repository>@sha256:<64 hex>: the rule of the library's PipelineImages (zero_trust_ai.ml_pipeline)
DIGEST_PINNED_IMAGE = re.compile(r"[^@\s]+@sha256:[0-9a-f]{64}")


class PipelineImagesConfig(_Model):
    """The container image of each pipeline job stage, pinned by digest (a tag can be moved to other bytes)."""

    ingestion: str = Field(description="Image of the ingestion stage, <repository>@sha256:<64 hex>.")
    features: str = Field(description="Image of the feature-engineering stage, <repository>@sha256:<64 hex>.")
    training: str = Field(description="Image of the training stage, <repository>@sha256:<64 hex>.")
    release: str = Field(description="Image of the release stage, <repository>@sha256:<64 hex>.")

    @field_validator("ingestion", "features", "training", "release")
    @classmethod
    def _pinned_by_digest(cls, value: str) -> str:
        if not DIGEST_PINNED_IMAGE.fullmatch(value):
            raise FieldProblem(f"image {value!r} is not pinned by digest (a tag can be moved to other bytes)",
                               fix="name the image by its digest: <repository>@sha256:<64 lowercase hex digits>")
        return value


class PipelineConfig(_Model):
    """The ML lifecycle's job stages (ingestion, features, training, release) on the training compute."""

    images: PipelineImagesConfig = Field(description="Container image of each job stage, pinned by digest.")


class TrainingConfig(_Model):
    """GPU training compute."""

    pipeline: PipelineConfig = Field(description="The pipeline stages' images (required: every environment runs them).")
    gpu_instance_types: list[str] = Field(
        min_length=1, description="Instance types the training compute may launch (GPU/accelerator only)."
    )
    max_vcpus: int = Field(default=64, ge=1, le=4096, description="Upper bound of the Batch compute environment.")

    @field_validator("gpu_instance_types")
    @classmethod
    def _gpu_only(cls, values: list[str]) -> list[str]:
        for index, value in enumerate(values):
            try:
                validation.gpu_instance_type(value)
            except InvalidInput as problem:
                raise problem.at(index) from None
        if len(set(values)) != len(values):
            raise FieldProblem("instance types are listed twice", fix="list each instance type once")
        return values


class PersonaConfig(_Model):
    """Who may assume one human persona role: the members of one identity-provider group, through SAML."""

    idp_group: IdpGroup = Field(
        description="The IdP group whose members the identity provider lets assume this persona's role (the IdP "
        "maps it to the role ARN in its SAML assertion); tagged on the role and shown in the attack-surface map."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_role_principals(cls, data: object) -> object:
        if isinstance(data, dict) and "principals" in data:
            raise FieldProblem(
                "role principals cannot assume a persona: their sessions carry no MFA context (STS sets "
                "aws:MultiFactorAuthPresent only for IAM users passing an MFA device), so an MFA-requiring trust "
                "policy could never be met",
                fix="remove principals, set idp_group and configure identity.federation (SAML; the IdP enforces MFA)",
                field=("principals",),
            )
        return data


class SamlFederationConfig(_Model):
    """SAML federation from the organisation's identity provider (the supported human path)."""

    type: Literal["saml"] = "saml"
    provider_arn: SamlProviderArn = Field(
        description="ARN of the IAM SAML provider of your IdP, in this environment's account.",
    )
    mfa_session_tag: SessionTagKey = Field(
        default="ztai-mfa",
        description="Session tag (SAML attribute https://aws.amazon.com/SAML/Attributes/PrincipalTag:<tag>) the "
        "IdP sets to `true` only for a sign-in with MFA. Every request of a session without it is denied.",
    )


class PersonasConfig(_Model):
    """Every persona the platform defines; each must be configured explicitly."""

    data_engineer: PersonaConfig
    model_trainer: PersonaConfig
    model_deployer: PersonaConfig
    security_auditor: PersonaConfig
    break_glass: PersonaConfig


# one field per persona of the library, in its order (the environment schema documents each by name)
if tuple(PersonasConfig.model_fields) != PERSONA_NAMES:
    raise RuntimeError(f"PersonasConfig lists {tuple(PersonasConfig.model_fields)}, the library {PERSONA_NAMES}")


class IdentityConfig(_Model):
    """How people sign in, and session bounds for every role."""

    federation: SamlFederationConfig = Field(description="The identity provider people sign in through.")
    session_duration_seconds: int = Field(
        default=3600, description="Maximum session of every role, in seconds (900..3600)."
    )
    personas: PersonasConfig

    @model_validator(mode="before")
    @classmethod
    def _no_mfa_age(cls, data: object) -> object:
        if isinstance(data, dict) and "mfa_max_age_seconds" in data:
            raise FieldProblem(
                "a federated session carries no aws:MultiFactorAuthAge, so this bound could never be checked by AWS",
                fix="remove it; the identity provider enforces MFA, and sessions last at most "
                "session_duration_seconds (<= 3600)",
                field=("mfa_max_age_seconds",),
            )
        return data

    @field_validator("session_duration_seconds")
    @classmethod
    def _ephemeral(cls, value: int) -> int:
        return validation.session_duration_seconds(value)


class LoggingConfig(_Model):
    """Central logging."""

    retention_days: int = Field(default=365, description="CloudWatch Logs retention in days (at least 365).")
    archive_object_lock_days: int = Field(
        default=365, ge=1, le=36500, description="Object Lock (governance/compliance) retention of the log archive."
    )

    @field_validator("retention_days")
    @classmethod
    def _retained_a_year(cls, value: int) -> int:
        return validation.cloudwatch_retention_days(value)


class AlertsConfig(_Model):
    """Where alarms go."""

    email_addresses: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = Field(
        default_factory=list, description="Email subscribers of the alert topic."
    )
    sns_topic_subscribers: list[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:.+$")]] = Field(
        default_factory=list, description="SQS queue ARNs subscribed to the alert topic (e.g. a SOAR)."
    )

    @model_validator(mode="after")
    def _somebody_listens(self) -> AlertsConfig:
        if not self.email_addresses and not self.sns_topic_subscribers:
            raise FieldProblem(
                "no alert destination is configured, so alarms would reach nobody",
                fix="add at least one address under alerts.email_addresses",
                field=("email_addresses",),
            )
        return self


def _inside_project(value: str) -> str:
    if value.startswith("/") or ".." in value.split("/"):
        raise FieldProblem(f"path {value!r} leaves the project",
                           fix="give a path relative to the project root, without '..' (e.g. environments/pki/x.pem)")
    return value


class ProjectPathMarker:
    """Marks a :data:`RepoPath` field. The model can only check the text; ``stacks.config.loader`` finds every
    marked field, resolves it against the project root (symbolic links included) and refuses it when the
    real file lies outside the project."""


RepoPath = Annotated[
    str,
    Field(pattern=r"^[\w./-]+$", description="Path relative to the project root (no `..`)."),
    AfterValidator(_inside_project),
    ProjectPathMarker(),
]
ServingOperation = Literal["invoke", "update-routing"]


class ImportedCertificateConfig(_Model):
    """A server certificate imported into ACM from PEM files (the `local` environment: generated by
    ``blueprint emulator start`` into ``.emulator/pki``, never committed)."""

    type: Literal["imported"] = "imported"
    certificate_file: RepoPath = Field(description="PEM certificate of the listener (read by terraform at apply).")
    private_key_file: RepoPath = Field(description="PEM private key (read by terraform at apply; never committed).")


class PrivateCaCertificateConfig(_Model):
    """A server certificate issued by an ACM private CA (dev, staging, prod)."""

    type: Literal["private_ca"] = "private_ca"
    certificate_authority_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority/[0-9a-f-]+$",
        description="ARN of the ACM private CA that issues the listener certificate.",
    )
    domain_name: str = Field(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$", description="DNS name of the serving endpoint.")


class InferenceFleetConfig(_Model):
    """The inference targets behind the load balancer."""

    instance_type: str = Field(default="g5.xlarge", pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
    image_id: str = Field(
        default="resolve:ssm:/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-amazon-linux-2023/"
        "latest/ami-id",
        pattern=r"^(ami-[0-9a-f]{8,17}|resolve:ssm:/[\w/.-]+)$",
        description="AMI id, or `resolve:ssm:<public parameter>`. Default: the latest AWS Deep Learning base AMI.",
    )
    min_size: int = Field(default=1, ge=0, le=100)
    max_size: int = Field(default=4, ge=1, le=500)
    target_port: int = Field(default=8443, ge=1024, le=65535, description="HTTPS port of the model server.")

    @model_validator(mode="after")
    def _sizes(self) -> InferenceFleetConfig:
        if self.min_size > self.max_size:
            raise FieldProblem(f"min_size {self.min_size} is larger than max_size {self.max_size}",
                               fix="set min_size <= max_size", field=("min_size",))
        return self


class CallerConfig(_Model):
    """A calling role of the serving tier: one client-credentials app client, scoped to its operations.
    Its client id and secret go to a Secrets Manager secret that only the named roles can read."""

    operations: list[ServingOperation] = Field(min_length=1, description="Operations = token scopes.")
    persona: PersonaName | None = Field(default=None, description="Platform persona whose role reads the secret.")
    principals: list[PrincipalArn] = Field(
        default_factory=list, description="Other roles (e.g. an application's) that read the client secret."
    )

    @model_validator(mode="after")
    def _usable(self) -> CallerConfig:
        if len(set(self.operations)) != len(self.operations):
            raise FieldProblem("an operation is listed twice", fix="list each operation once",
                               field=("operations",))
        if self.persona is None and not self.principals:
            raise FieldProblem("no role may read this caller's client secret, so it could never get a token",
                               fix="set persona (e.g. model_deployer) or principals (role ARNs)", field=("persona",))
        return self


def _default_callers() -> dict[str, CallerConfig]:
    return {"model-deployer": CallerConfig(operations=["invoke", "update-routing"], persona="model_deployer")}


# -- model APIs (serving.model_apis) ---------------------------------------------------------------------------
GuardrailStrength = Literal["NONE", "LOW", "MEDIUM", "HIGH"]
ContentFilterName = Literal["SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK"]
PiiAction = Literal["BLOCK", "ANONYMIZE"]
PiiEntityName = Literal[
    "ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
    "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY", "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD", "PHONE",
    "PIN", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER", "US_BANK_ROUTING_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER", "US_SOCIAL_SECURITY_NUMBER",
    "VEHICLE_IDENTIFICATION_NUMBER"]


class ContentFilterConfig(_Model):
    """Strengths of one guardrail content filter."""

    input_strength: GuardrailStrength = Field(default="HIGH", description="Filter on prompts. Default: HIGH.")
    output_strength: GuardrailStrength = Field(default="HIGH", description="Filter on answers. Default: HIGH.")


def _default_content_filters() -> dict[ContentFilterName, ContentFilterConfig]:
    return {"SEXUAL": ContentFilterConfig(), "VIOLENCE": ContentFilterConfig(), "HATE": ContentFilterConfig(),
            "INSULTS": ContentFilterConfig(), "MISCONDUCT": ContentFilterConfig(),
            "PROMPT_ATTACK": ContentFilterConfig(output_strength="NONE")}


class DeniedTopicConfig(_Model):
    """A topic the guardrail refuses in prompts and answers."""

    definition: str = Field(min_length=10, max_length=200, description="What the topic is, in one sentence.")
    examples: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=5, description="Example phrases. Default: none.")


def _default_pii() -> dict[PiiEntityName, PiiAction]:
    return {"AWS_ACCESS_KEY": "BLOCK", "AWS_SECRET_KEY": "BLOCK", "PASSWORD": "BLOCK",
            "CREDIT_DEBIT_CARD_NUMBER": "BLOCK", "EMAIL": "ANONYMIZE", "PHONE": "ANONYMIZE", "NAME": "ANONYMIZE"}


class GuardrailConfig(_Model):
    """The Bedrock guardrail every model invocation of the platform's roles must name."""

    content_filters: dict[ContentFilterName, ContentFilterConfig] = Field(
        default_factory=lambda: _default_content_filters(), min_length=1,
        description="Content filter per category. Default: every category HIGH (PROMPT_ATTACK on prompts only).")
    denied_topics: dict[Annotated[str, Field(pattern=r"^[0-9a-zA-Z_ !?.-]{1,100}$")], DeniedTopicConfig] = Field(
        default_factory=dict, max_length=30, description="Topics refused, by name. Default: none.")
    pii_entities: dict[PiiEntityName, PiiAction] = Field(
        default_factory=lambda: _default_pii(),
        description="Sensitive-information handling per entity type. Default: AWS keys, passwords and card numbers "
        "blocked; e-mail addresses, phone numbers and names anonymized.")

    @field_validator("content_filters")
    @classmethod
    def _filters_filter(cls, value: dict[str, ContentFilterConfig]) -> dict[str, ContentFilterConfig]:
        for kind, strengths in value.items():
            if kind == "PROMPT_ATTACK" and strengths.output_strength != "NONE":
                raise FieldProblem("the PROMPT_ATTACK filter applies to prompts only",
                                   fix="set output_strength: NONE for PROMPT_ATTACK", field=(kind, "output_strength"))
            if strengths.input_strength == "NONE" and strengths.output_strength == "NONE":
                raise FieldProblem(f"content filter {kind} filters nothing (both strengths NONE)",
                                   fix=f"remove {kind} or raise one of its strengths", field=(kind,))
        return value


class BedrockConfig(_Model):
    """AWS-hosted foundation models through a Bedrock runtime VPC endpoint (no egress)."""

    model_arns: list[str] = Field(
        description="Foundation models the serving role may invoke (at least one), e.g. "
        "arn:aws:bedrock:<region>::foundation-model/anthropic.claude-3-haiku-20240307-v1:0 (the environment's "
        "region: an endpoint reaches its own region only).")
    training_vpc: bool = Field(
        default=False, description="Also put an endpoint in the training VPC, for the training job roles. "
        "Default: serving VPC only.")
    guardrail: GuardrailConfig = Field(default_factory=lambda: GuardrailConfig(),
                                       description="Default: GuardrailConfig's defaults.")
    invocation_spike_per_5_minutes: int = Field(
        default=1000, ge=1, le=10_000_000, description="Static alarm threshold of invocations per model per 5 "
        "minutes (beside a learned anomaly band). Default: 1000.")
    guardrail_interventions_per_5_minutes: int = Field(
        default=10, ge=1, le=1_000_000, description="Alarm when the guardrail intervenes this often per 5 minutes. "
        "Default: 10.")

    @field_validator("model_arns")
    @classmethod
    def _foundation_models(cls, values: list[str]) -> list[str]:
        if not values:
            raise FieldProblem("no model is listed, so the endpoint and the grants would allow nothing",
                               fix="list at least one foundation-model ARN, or remove the bedrock section "
                               "(model APIs off)")
        for index, value in enumerate(values):
            if not FOUNDATION_MODEL_ARN.fullmatch(value):
                raise FieldProblem(f"{value!r} is not a foundation-model ARN",
                                   fix="use arn:aws:bedrock:<region>::foundation-model/<provider>.<model>, e.g. "
                                   "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
                                   field=(index,))
            if values.index(value) != index:
                raise FieldProblem(f"model {value!r} is listed twice", fix="list each model once", field=(index,))
        return values


class ExternalModelApisConfig(_Model):
    """Model APIs outside AWS (e.g. api.openai.com), reachable only by name, only from the named workloads, through
    AWS Network Firewall in the serving VPC (ModelEgress). The named workloads -- today the serving inference fleet,
    ``inference_fleet`` -- are launched in the egress-workload subnets with the egress security group; no other
    workload of either VPC has a route out."""

    allowed_domains: list[str] = Field(
        max_length=50, description="The only names the workloads may reach (TLS SNI for HTTPS, Host for HTTP): an "
        "exact lowercase name (api.openai.com) or a leading dot for a domain and all its subdomains (.example.com). "
        "No wildcards, IP addresses or upper case; at most 50 (the rule group's capacity).")
    cidr_block: str = Field(
        description="Private block (/16../24) inside the serving VPC, above its private subnets, from which the "
        "egress-workload, firewall and NAT subnets are cut, e.g. the VPC's top /20 (10.140.240.0/20).")
    workloads: list[str] = Field(
        description=f"Workloads that may use the egress path, by name: {', '.join(validation.EGRESS_WORKLOAD_NAMES)} "
        "(the serving inference fleet). Only these are placed in the egress-workload subnets.")
    dropped_packets_threshold: int = Field(
        default=1, ge=1, le=1_000_000, description="Dropped packets per zone per 5 minutes that raise the blocked-"
        "attempt alarm. Default: 1 (every blocked attempt is an alert).")

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, values: list[str]) -> list[str]:
        if not values:
            raise FieldProblem("no domain is listed, so the egress path would allow nothing",
                               fix="list at least one domain, or remove the external section (external APIs off)")
        for index, value in enumerate(values):
            try:
                validation.allowed_domain(value)
            except InvalidInput as problem:
                raise problem.at(index) from None
            if values.index(value) != index:
                raise FieldProblem(f"domain {value!r} is listed twice", fix="list each domain once", field=(index,))
        return values

    @field_validator("cidr_block")
    @classmethod
    def _egress_block(cls, value: str) -> str:
        return validation.egress_cidr_block(value)

    @field_validator("workloads")
    @classmethod
    def _known_workloads(cls, values: list[str]) -> list[str]:
        known = validation.EGRESS_WORKLOAD_NAMES
        if not values:
            raise FieldProblem("no workload is named, so nothing could use the egress path",
                               fix=f"name the workloads that call the external APIs, e.g. [{known[0]}]")
        for index, value in enumerate(values):
            if value not in known:
                raise FieldProblem(f"{value!r} is not a workload the platform can place on the egress path",
                                   fix=f"use one of: {', '.join(known)}", field=(index,))
            if values.index(value) != index:
                raise FieldProblem(f"workload {value!r} is listed twice", fix="list each workload once",
                                   field=(index,))
        return values


class ModelApisConfig(_Model):
    """Sanctioned ways to call model APIs without opening egress."""

    bedrock: BedrockConfig | None = Field(
        default=None, description="AWS-hosted foundation models. Default: off -- no Bedrock endpoint, guardrail or "
        "invoke grant exists, so no workload can call a model API.")
    external: ExternalModelApisConfig | None = Field(
        default=None, description="External model APIs by domain allow-list. Default: off -- no internet gateway, "
        "NAT gateway, firewall or route out exists in any VPC.")


class ServingConfig(_Model):
    """Private model serving."""

    inference_rate_limit: int = Field(
        default=2000, ge=100, le=2_000_000_000, description="WAF rate limit per client IP per 5 minutes."
    )
    token_ttl_minutes: TokenTtlMinutes = Field(
        default=MAX_TOKEN_TTL_MINUTES, description="Access-token lifetime (5..15 minutes)."
    )
    certificate: ImportedCertificateConfig | PrivateCaCertificateConfig = Field(
        discriminator="type", description="Server certificate of the HTTPS listener."
    )
    client_ca_bundle_file: RepoPath = Field(
        description="PEM bundle of the CA certificate(s) that sign client certificates (mutual TLS trust store)."
    )
    client_revocation_list_file: RepoPath | None = Field(
        default=None, description="PEM/DER certificate revocation list of that CA. Default: none."
    )
    callers: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{2,40}$")], CallerConfig] = Field(
        default_factory=lambda: _default_callers(),
        description="Calling roles: one client-credentials app client each, with its operations as scopes.",
    )
    inference: InferenceFleetConfig = Field(default_factory=lambda: InferenceFleetConfig())
    anomaly_band_width: float = Field(
        default=2.0, gt=0, le=10, description="Standard deviations of the anomaly-detection band."
    )
    model_apis: ModelApisConfig = Field(default_factory=lambda: ModelApisConfig(),
                                        description="Model APIs for the workloads. Default: none (all off).")

    @field_validator("callers")
    @classmethod
    def _somebody_calls(cls, value: dict[str, CallerConfig]) -> dict[str, CallerConfig]:
        if not value:
            raise FieldProblem("no calling role is configured, so nobody could obtain a token",
                               fix="add e.g. callers: {model-deployer: {operations: [invoke], "
                               "persona: model_deployer}}")
        return value


class QuarantineConfig(_Model):
    """Automated response."""

    window_minutes: int = Field(default=60, ge=5, le=10080, description="How long a quarantined role stays locked.")
    guardduty_min_severity: float = Field(
        default=7.0, ge=1.0, le=8.9, description="Lowest GuardDuty finding severity that triggers quarantine."
    )


class S3BackendConfig(_Model):
    """Remote state in S3 with native locking (Terraform >= 1.10)."""

    type: Literal["s3"] = "s3"
    bucket: BucketName = Field(description="State bucket name.")
    key_prefix: str = Field(default="ai-platform", pattern=r"^[\w./-]+$", description="Prefix of the state key.")
    region: Region = Field(description="Region of the state bucket (same partition as the environment).")
    encrypt: bool = Field(default=True, description="Server-side encryption of the state object (must be true).")
    use_lockfile: bool = Field(default=True, description="S3 native state locking (must be true).")
    kms_key_id: str | None = Field(default=None, description="KMS key ARN for the state object; default: SSE-S3.")
    emulated: bool = Field(
        default=False,
        description="Keep the state in the local emulator's S3 (only with an `emulator` section): proves the "
        "S3 backend and its lockfile locking without a cloud account.",
    )

    @field_validator("encrypt", "use_lockfile")
    @classmethod
    def _must_be_on(cls, value: bool) -> bool:
        if not value:
            raise FieldProblem("remote state must be encrypted and locked", fix="set it to true")
        return value


class LocalBackendConfig(_Model):
    """State in a local file (only for the emulator environment)."""

    type: Literal["local"] = "local"


class EmulatorConfig(_Model):
    """The local AWS emulator (moto server) the `local` environment deploys to."""

    endpoint: str = Field(
        pattern=r"^http://(127\.0\.0\.1|localhost):\d{2,5}$",
        description="Emulator endpoint; loopback only so nothing outside the laptop can reach it.",
    )
    max_retries: int = Field(default=1, ge=0, le=5, description="AWS provider retries (low, so gaps fail fast).")
    credentials_file: RepoPath = Field(
        default=".emulator/credentials",
        description="Shared-credentials file with the emulator's dummy profile, relative to the project root.",
    )


Backend = Annotated[S3BackendConfig | LocalBackendConfig, Field(discriminator="type")]


class DelegatedAccountsConfig(_Model):
    """The organization's accounts that this environment's evidence and findings go to (README "Delegated
    accounts"). Each must be the account of the same name in the organization file's ``security_accounts``."""

    log_archive: AccountId | None = Field(
        default=None,
        description="The log-archive account: the trail, the VPC flow logs and the load balancer's access logs "
        "deliver into an archive there (built by the organization stack), which this account cannot delete from. "
        "Default: none -- the environment's own archive.")
    security_tooling: AccountId | None = Field(
        default=None,
        description="The security-tooling account: GuardDuty and Security Hub are administered from it, where the "
        "findings of every member aggregate; this environment's stack then creates neither (the administrator "
        "enables them). Default: none -- the environment runs its own.")

    @model_validator(mode="after")
    def _names_one(self) -> DelegatedAccountsConfig:
        if self.log_archive is None and self.security_tooling is None:
            raise FieldProblem("delegated_accounts names no account",
                               fix="name log_archive and/or security_tooling, or remove the section "
                               "(the single-account layout)")
        return self


class EnvironmentConfig(_Model):
    """One deployable environment. The environment's name is its file name (``prod.yaml`` -> ``prod``)."""

    account_id: AccountId
    region: PlatformRegion = Field(description="AWS region of the aws partition, e.g. eu-west-1 (the constructs "
                                   "write aws-partition ARNs only).")
    availability_zones: list[str] = Field(min_length=2, max_length=6, description="AZs for the private subnets.")
    network: NetworkConfig
    training: TrainingConfig
    identity: IdentityConfig
    logging: LoggingConfig = Field(default_factory=lambda: LoggingConfig())
    alerts: AlertsConfig
    serving: ServingConfig
    quarantine: QuarantineConfig = Field(default_factory=lambda: QuarantineConfig())
    tags: dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]] = Field(
        default_factory=dict, description="Tags applied to every resource through the provider's default_tags."
    )
    backend: Backend
    delegated_accounts: DelegatedAccountsConfig | None = Field(
        default=None,
        description="The organization's log-archive and security-tooling accounts this environment delivers to "
        "(cloud environments of an organization file only). Default: none -- the single-account layout, every "
        "control in the environment's own account.")
    emulator: EmulatorConfig | None = Field(
        default=None,
        description="Set only for an environment deployed to the local emulator. It points the provider at the "
        "emulator and switches off controls the emulator lacks (mutual TLS trust store, code signing, Security "
        f"Hub, deletion protection; buckets get force_destroy), so it is refused unless account_id is "
        f"{EMULATOR_ACCOUNT_ID} (the emulator's) and the backend is `local` or `s3` with `emulated: true`. "
        "Default: none (a cloud environment).",
    )

    def _emulator_only_without_a_cloud(self) -> None:
        """The emulator rule: an `emulator` section is accepted only for an environment that has no real
        account and no real state backend, so copying it into a cloud environment cannot drop a control."""
        if self.emulator is None:
            return
        real = []
        if self.account_id != EMULATOR_ACCOUNT_ID:
            real.append(f"account_id is {self.account_id!r}")
        if isinstance(self.backend, S3BackendConfig) and not self.backend.emulated:
            real.append(f"the backend is the S3 bucket {self.backend.bucket!r}")
        if real:
            raise FieldProblem(
                "an emulator section points the provider at 127.0.0.1 and switches off mutual TLS, code "
                "signing, Security Hub and deletion protection, so it is refused for an environment with a "
                f"real account or backend, and here {' and '.join(real)}",
                fix="remove the emulator section (a cloud environment never has one); an emulator-only "
                f"environment has account_id \"{EMULATOR_ACCOUNT_ID}\" and backend {{type: local}} "
                "(or s3 with emulated: true), as environments/local.yaml",
                field=("emulator",),
            )

    @field_validator("tags")
    @classmethod
    def _tags_aws_accepts(cls, tags: dict[str, str]) -> dict[str, str]:
        for key, value in tags.items():
            if key.lower().startswith(("aws:", "ztai:")):
                raise FieldProblem(f"tag key {key!r} uses a reserved prefix (aws: is AWS's, ztai: the platform's)",
                                   fix="choose a key without the aws: or ztai: prefix", field=(key,))
            for text in (key, value):
                if not TAG_TEXT.fullmatch(text):
                    raise FieldProblem(f"{text!r} has characters AWS does not accept in tags",
                                       fix="use letters, digits, spaces and _ . : / = + - @ only", field=(key,))
        return tags

    @field_validator("availability_zones")
    @classmethod
    def _unique_azs(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise FieldProblem("an availability zone is listed twice", fix="list each AZ once")
        return values

    @model_validator(mode="after")
    def _consistent(self) -> EnvironmentConfig:
        for index, zone in enumerate(self.availability_zones):
            try:
                validation.zone_in_region(zone, self.region)
            except InvalidInput as problem:
                raise problem.at("availability_zones", index) from None
        validation.subnets_for_zones(self.network.networks(), self.network.subnet_prefix_length,
                                     len(self.availability_zones), field=("network", "subnet_prefix_length"))
        if isinstance(self.backend, S3BackendConfig) and self.backend.emulated and self.emulator is None:
            raise FieldProblem(
                "an emulated state backend needs the emulator environment",
                fix="remove backend.emulated, or add an emulator section (local environment only)",
                field=("backend", "emulated"),
            )
        if isinstance(self.backend, LocalBackendConfig) and self.emulator is None:
            raise FieldProblem(
                "a local state file is only allowed for the emulator environment",
                fix="configure backend: {type: s3, bucket: ..., region: ..., encrypt: true, use_lockfile: true}",
                field=("backend", "type"),
            )
        self._emulator_only_without_a_cloud()
        if self.delegated_accounts is not None and self.emulator is not None:
            raise FieldProblem(
                "the emulator cannot run the delegated layout: moto gives the accounts it creates random ids and "
                "cannot adopt one by id, and its Security Hub and Organizations refuse an administrator that is "
                "not such a member (stacks/config/emulator_gaps.py, 'Delegated accounts')",
                fix="remove delegated_accounts from the emulator environment (it stays single-account); "
                "the delegated layout is for the cloud environments of environments/organization.yaml",
                field=("delegated_accounts",))
        if isinstance(self.backend, S3BackendConfig):
            partition, state_partition = known_regions()[self.region], known_regions()[self.backend.region]
            if partition != state_partition:
                raise FieldProblem(
                    f"the state bucket's region {self.backend.region!r} is in partition {state_partition}, the "
                    f"environment's region {self.region!r} in {partition}; one set of credentials cannot reach both",
                    fix=f"keep the state bucket in a region of partition {partition}",
                    field=("backend", "region"),
                )
        self._models_in_this_region()
        self._egress_in_the_serving_vpc()
        provider = self.identity.federation.provider_arn
        if provider.split(":")[4] != self.account_id:
            raise FieldProblem(
                f"SAML provider {provider!r} is outside account {self.account_id}; a role can only trust an "
                "identity provider of its own account",
                fix=f"create the SAML provider in account {self.account_id} and use its ARN",
                field=("identity", "federation", "provider_arn"),
            )
        return self

    def _models_in_this_region(self) -> None:
        bedrock = self.serving.model_apis.bedrock
        if bedrock is None:
            return
        partition = known_regions()[self.region]
        for index, arn in enumerate(bedrock.model_arns):
            match = FOUNDATION_MODEL_ARN.fullmatch(arn)
            assert match is not None  # checked by BedrockConfig
            if match.group("region") != self.region or match.group("partition") != partition:
                raise FieldProblem(
                    f"model {arn!r} is in region {match.group('region')} ({match.group('partition')}), the "
                    f"environment in {self.region} ({partition}); the Bedrock VPC endpoint reaches only its own "
                    "region's models, and another region would need egress",
                    fix=f"use the model's ARN in {self.region}: arn:{partition}:bedrock:{self.region}::"
                    f"foundation-model/{match.group('model_id')}",
                    field=("serving", "model_apis", "bedrock", "model_arns", index))

    def _egress_in_the_serving_vpc(self) -> None:
        external = self.serving.model_apis.external
        if external is None:
            return
        field = ("serving", "model_apis", "external")
        network = self.network
        try:
            validation.egress_block_in_vpc(
                external.cidr_block, vpc_cidr=network.serving_vpc_cidr,
                private_subnets=validation.private_subnet_cidrs(network.serving_vpc_cidr, network.subnet_prefix_length,
                                                                len(self.availability_zones)),
                network="the serving VPC")
        except InvalidInput as problem:
            raise problem.at(*field) from None
        if len(self.availability_zones) > validation.EGRESS_MAX_ZONES:
            raise FieldProblem(
                f"{len(self.availability_zones)} availability zones; the egress path has "
                f"{validation.EGRESS_MAX_ZONES} zone slots (one firewall endpoint and NAT gateway per zone)",
                fix=f"use at most {validation.EGRESS_MAX_ZONES} availability zones, or remove the external section",
                field=("availability_zones",))

    @property
    def is_emulated(self) -> bool:
        return self.emulator is not None


class WorkloadOrganization(_Model):
    """The cloud organization whose file names an environment among its workloads (set by the loader)."""

    source: str = Field(description="The organization file, e.g. environments/organization.yaml.")
    management_account_id: AccountId
    existing_organization_id: str | None = Field(
        default=None, description="The adopted organization's id; none: the stacks read it from AWS Organizations.")
    log_archive_account_id: AccountId | None = Field(
        default=None, description="The log-archive account the environment delivers to (delegated_accounts, "
        "checked against the organization file). Default: none -- its own archive.")
    security_tooling_account_id: AccountId | None = Field(
        default=None, description="The security-tooling account that administers its GuardDuty and Security Hub "
        "(delegated_accounts, checked against the organization file). Default: none.")


class LoadedEnvironment(_Model):
    """A validated environment together with where it came from."""

    name: str
    source: str
    config: EnvironmentConfig
    organization: WorkloadOrganization | None = Field(
        default=None, description="The cloud organization the environment's account is a member of (its endpoint "
        "policies then enforce the organisation perimeter). Default: none -- a single-account environment; also "
        "every emulated one, whose stack runs in the emulator's management account, never in a member account.")


# -- the organization (environments/organization.yaml) --------------------------------------------------------------

# Global services whose requests go to one (us-east-1) endpoint whatever the workload's region: the region allow-list
# SCP exempts them (aws-samples/service-control-policy-examples, Region-controls). kms:* and config:* of that example
# are left out on purpose: both are regional, and a key or recorder in an unapproved region is what the control stops.
DEFAULT_GLOBAL_SERVICE_ACTIONS = (
    "account:*", "aws-portal:*", "budgets:*", "ce:*", "cloudfront:*", "cur:*", "directconnect:*",
    "ec2:DescribeRegions", "globalaccelerator:*", "health:*", "iam:*", "networkmanager:*", "organizations:*",
    "pricing:*", "route53:*", "route53domains:*", "s3:GetAccountPublic*", "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints", "s3:PutAccountPublic*", "shield:*", "sts:*", "support:*",
    "trustedadvisor:*", "waf:*", "wafv2:*",
)
# Roles of every workload environment that deliver evidence or guard the platform (the stacks name them
# ztai-<env>-<suffix>): CloudTrail and flow-log delivery, the quarantine function and its release role, and the
# people who respond (security auditor, break-glass).
DEFAULT_PROTECTED_ROLE_NAMES = (
    "ztai-*-trail-to-cloudwatch", "ztai-*-flow-logs", "ztai-*-quarantine-*", "ztai-*-security-auditor",
    "ztai-*-break-glass",
)
# The platform's permissions boundaries (ztai-<env>-human-boundary, ztai-<env>-break-glass-boundary).
DEFAULT_PROTECTED_POLICY_NAMES = ("ztai-*-boundary",)
PerimeterService = Literal["s3", "kms", "sts", "sqs", "secretsmanager"]
DEFAULT_PERIMETER_SERVICES: tuple[PerimeterService, ...] = ("s3", "kms", "sts", "sqs", "secretsmanager")
# Organizations' own limits (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html):
# 5,120 characters per SCP/RCP. The list bounds of GuardrailsConfig/DataPerimeterConfig keep every policy below it
# whatever the values (tests/test_invariants_organization.py builds the policies at these bounds).
MAX_ORGANIZATION_POLICY_CHARACTERS = 5120
ORGANIZATION_FILE = re.compile(r"^organization(-[a-z0-9-]{1,30})?$")

IamNamePattern = Annotated[str, Field(
    pattern=r"^[\w+=,.@*?-]{1,64}$",
    description="An IAM role or policy name; `*` and `?` are wildcards (ArnLike), e.g. ztai-*-break-glass.")]
OuName = Annotated[str, Field(pattern=r"^[\w .+=@&()-]{1,128}$", description="Organizational unit name.")]
AccountName = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[\w .+=@&,()/-]+$")]
EmailAddress = Annotated[str, Field(min_length=6, max_length=64, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
ServiceActionPattern = Annotated[str, Field(pattern=r"^[a-z0-9-]+:[A-Za-z0-9*?]+$", max_length=64)]


class MemberAccountConfig(_Model):
    """One member account of the organization."""

    account_id: AccountId | None = Field(
        default=None,
        description="Id of an existing account: it is adopted (imported into the state before the first deploy by "
        "`python -m blueprint.deploy.organization adopt <file>`), never created; only its placement and tags are "
        "managed. Required for the workload accounts of a cloud organization (it must equal "
        "the environment file's account_id). Default: a new account is created (the emulator always creates them).",
    )
    name: AccountName = Field(description="Account name (as shown in Organizations).")
    email: EmailAddress = Field(description="Root e-mail address of the account (unique per AWS account).")


class OrganizationalUnitsConfig(_Model):
    """Names of the top-level OUs (AWS SRA layout). Workload accounts go one level deeper, into one OU per
    environment (named after it) below `workloads`."""

    security: OuName = Field(default="Security", description="Log-archive and security-tooling accounts.")
    infrastructure: OuName = Field(default="Infrastructure", description="Shared network and tooling accounts.")
    workloads: OuName = Field(default="Workloads", description="One child OU per workload environment.")

    @model_validator(mode="after")
    def _distinct(self) -> OrganizationalUnitsConfig:
        names = [self.security, self.infrastructure, self.workloads]
        if len({n.lower() for n in names}) != len(names):
            raise FieldProblem(f"OU names {names} are not distinct", fix="give the three OUs different names",
                               field=("workloads",))
        return self


SECURITY_ACCOUNT_ROLES = ("log_archive", "security_tooling")


class SecurityAccountsConfig(_Model):
    """The accounts workload accounts cannot touch (placed in the security OU)."""

    log_archive: MemberAccountConfig | None = Field(
        default=None, description="The log-archive account. Default: none yet (each workload keeps its own archive).")
    security_tooling: MemberAccountConfig | None = Field(
        default=None, description="The security-tooling (audit) account. Default: none yet.")
    access_role_name: IamNamePattern = Field(
        default=DEFAULT_ACCOUNT_ACCESS_ROLE,
        description="The role the organization stack assumes in the log-archive and security-tooling accounts to "
        "build what environments delegate to them (the archive; GuardDuty's and Security Hub's administration). "
        f"Default: {DEFAULT_ACCOUNT_ACCESS_ROLE}, which AWS Organizations creates in every account it creates; an "
        "adopted account must have it (or name its own).")

    def accounts(self) -> dict[str, MemberAccountConfig]:
        """The configured accounts by role (``log_archive``, ``security_tooling``)."""
        return {role: account for role in SECURITY_ACCOUNT_ROLES
                if (account := getattr(self, role)) is not None}

    @field_validator("access_role_name")
    @classmethod
    def _one_role(cls, value: str) -> str:
        if any(ch in value for ch in "*?"):
            raise FieldProblem(f"{value!r} is a pattern, but the stack assumes one role",
                               fix=f"name the role, e.g. {DEFAULT_ACCOUNT_ACCESS_ROLE}")
        return value


class GuardrailsConfig(_Model):
    """Parameters of the service control policies (every statement is explained in README.md,
    "Organisation guardrails")."""

    allowed_regions: list[Region] = Field(
        min_length=1, max_length=20, description="Regions any member account may use; every other region is denied "
        "(global services excepted). Must contain every workload environment's region.")
    global_service_actions: list[ServiceActionPattern] = Field(
        default_factory=lambda: list(DEFAULT_GLOBAL_SERVICE_ACTIONS), max_length=60,
        description="Actions exempt from the region allow-list because their service has one global endpoint. "
        "Default: the aws-samples Region-controls list without kms:* and config:* (both regional).")
    break_glass_role_names: list[IamNamePattern] = Field(
        default_factory=lambda: ["ztai-*-break-glass"], max_length=5,
        description="Roles that may schedule KMS key deletion and disable the security services (incident "
        "response). Default: every environment's break-glass persona role.")
    deployer_role_names: list[IamNamePattern] = Field(
        default_factory=lambda: ["ztai-platform-deployer"], max_length=5,
        description="Roles your pipeline runs terraform with in the member accounts: they may change the security "
        "services' configuration and the protected roles (they deploy them), never disable or delete them. "
        "Default: ztai-platform-deployer.")
    protected_role_names: list[IamNamePattern] = Field(
        default_factory=lambda: list(DEFAULT_PROTECTED_ROLE_NAMES), min_length=1, max_length=12,
        description="The platform's guardrail and evidence roles: only the deployer roles may change them. Default: "
        "trail and flow-log delivery, quarantine, security auditor and break-glass roles of every environment.")
    protected_policy_names: list[IamNamePattern] = Field(
        default_factory=lambda: list(DEFAULT_PROTECTED_POLICY_NAMES), max_length=8,
        description="Managed policies only the deployer roles may change. Default: the permissions boundaries.")

    @field_validator("allowed_regions", "break_glass_role_names", "deployer_role_names", "protected_role_names",
                     "protected_policy_names", "global_service_actions")
    @classmethod
    def _listed_once(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise FieldProblem("a value is listed twice", fix="list each value once")
        return values

    @field_validator("break_glass_role_names", "deployer_role_names")
    @classmethod
    def _someone_exempt(cls, values: list[str]) -> list[str]:
        if not values:
            raise FieldProblem("no role is named, so nobody could ever respond to an incident or deploy",
                               fix="name at least one role, e.g. ztai-*-break-glass")
        return values

    @field_validator("break_glass_role_names", "deployer_role_names", "protected_role_names",
                     "protected_policy_names")
    @classmethod
    def _named(cls, values: list[str]) -> list[str]:
        for index, value in enumerate(values):
            if value.strip("*?") == "":
                raise FieldProblem(f"{value!r} matches every name: as an exemption it would exempt everyone, as a "
                                   "protection it would freeze every role", fix="name the roles, e.g. "
                                   "ztai-*-break-glass", field=(index,))
        return values


class DataPerimeterConfig(_Model):
    """Parameters of the resource control policy (the identity perimeter of aws-samples/data-perimeter-policy-
    examples, resource_control_policies/identity_perimeter_rcp.json)."""

    services: list[PerimeterService] = Field(
        default_factory=lambda: list(DEFAULT_PERIMETER_SERVICES),
        description="Services whose resources only the organisation's principals (aws:PrincipalOrgID) and AWS "
        "services acting for it (aws:SourceOrgID) may use. Default: s3, kms, sts, sqs, secretsmanager.")
    trusted_accounts: list[AccountId] = Field(
        default_factory=list, max_length=20,
        description="Accounts outside the organisation whose principals (or, for services, on whose behalf) may still "
        "use its resources, e.g. a partner. The regional Elastic Load Balancing log-delivery accounts of the "
        "allowed regions are always added (ALB access logs). Default: none.")

    @field_validator("services", "trusted_accounts")
    @classmethod
    def _listed_once(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise FieldProblem("a value is listed twice", fix="list each value once")
        return values

    @field_validator("services")
    @classmethod
    def _fences_something(cls, values: list[str]) -> list[str]:
        if not values:
            raise FieldProblem("no service is fenced, so the data perimeter would protect nothing",
                               fix=f"list services, e.g. {list(DEFAULT_PERIMETER_SERVICES)}")
        return values


class OrganizationConfig(_Model):
    """The AWS Organization the workload environments live in (``environments/organization.yaml``): OUs, member
    accounts, service control policies and resource control policies, deployed from the management account."""

    management_account_id: AccountId = Field(
        description="The management account (Organizations' API runs here; SCPs and RCPs never apply to it, so no "
        "workload may live in it).")
    region: PlatformRegion = Field(description="Region of the provider in the management account (aws partition).")
    existing_organization_id: str | None = Field(
        default=None, pattern=r"^o-[a-z0-9]{10,32}$",
        description="Id of the organization the management account already has: it is adopted (imported like the "
        "accounts) with its settings managed from here. Default: the stack creates the organization.")
    organizational_units: OrganizationalUnitsConfig = Field(default_factory=lambda: OrganizationalUnitsConfig())
    workloads: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")], MemberAccountConfig] = Field(
        min_length=1, description="The account of each workload environment, by environment name "
        "(environments/<name>.yaml); placed in <workloads OU>/<name>.")
    security_accounts: SecurityAccountsConfig = Field(default_factory=lambda: SecurityAccountsConfig())
    guardrails: GuardrailsConfig
    data_perimeter: DataPerimeterConfig = Field(default_factory=lambda: DataPerimeterConfig())
    tags: dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]] = Field(
        default_factory=dict, description="Tags applied to every resource through the provider's default_tags.")
    backend: Backend
    emulator: EmulatorConfig | None = Field(
        default=None,
        description="Set only for an organization deployed to the local emulator (environments/organization-local."
        f"yaml): refused unless management_account_id is {EMULATOR_ACCOUNT_ID} and the backend is `local` (or s3 "
        "with `emulated: true`). The emulator creates every account (no account_id, no existing_organization_id). "
        "Default: none (a cloud organization).",
    )

    @field_validator("tags")
    @classmethod
    def _tags_aws_accepts(cls, tags: dict[str, str]) -> dict[str, str]:
        return EnvironmentConfig._tags_aws_accepts(tags)  # the same rules as an environment's tags

    def member_accounts(self) -> dict[tuple[str, ...], MemberAccountConfig]:
        """Every member account by its field path (``("workloads", "dev")``, ``("security_accounts", ...)``)."""
        accounts: dict[tuple[str, ...], MemberAccountConfig] = {
            ("workloads", name): account for name, account in self.workloads.items()}
        for name, account in self.security_accounts.accounts().items():
            accounts[("security_accounts", name)] = account
        return accounts

    @model_validator(mode="after")
    def _consistent(self) -> OrganizationConfig:
        if isinstance(self.backend, S3BackendConfig) and self.backend.emulated and self.emulator is None:
            raise FieldProblem("an emulated state backend needs the emulator organization",
                               fix="remove backend.emulated, or add an emulator section (organization-local only)",
                               field=("backend", "emulated"))
        if isinstance(self.backend, LocalBackendConfig) and self.emulator is None:
            raise FieldProblem(
                "a local state file is only allowed for the emulator organization",
                fix="configure backend: {type: s3, bucket: ..., region: ..., encrypt: true, use_lockfile: true}",
                field=("backend", "type"))
        if self.emulator is not None:
            self._emulator_only_without_a_cloud()
        accounts = self.member_accounts()
        seen: dict[str, tuple[str, ...]] = {}
        for path, account in accounts.items():
            if account.account_id is None:
                if self.emulator is None and path[0] == "workloads":
                    raise FieldProblem(
                        f"the account of workload environment {path[1]!r} has no account_id; a cloud organization "
                        "adopts the account the environment already deploys to",
                        fix=f"set account_id to the account_id of environments/{path[1]}.yaml",
                        field=(*path, "account_id"))
                continue
            if account.account_id == self.management_account_id:
                raise FieldProblem(
                    f"account {account.account_id} is the management account; SCPs and RCPs never apply to the "
                    "management account, so nothing there would be guarded",
                    fix="use a member account (one per environment; the management account runs only Organizations)",
                    field=(*path, "account_id"))
            if account.account_id in seen:
                raise FieldProblem(
                    f"account {account.account_id} is also {'.'.join(seen[account.account_id])}; an account sits "
                    "in exactly one OU", fix="give each environment and security account its own account",
                    field=(*path, "account_id"))
            seen[account.account_id] = path
        emails: dict[str, tuple[str, ...]] = {}
        for path, account in accounts.items():
            if account.email.lower() in emails:
                raise FieldProblem(f"e-mail {account.email!r} is also used by {'.'.join(emails[account.email.lower()])}"
                                   "; AWS requires a unique root e-mail per account",
                                   fix="give every account its own e-mail address", field=(*path, "email"))
            emails[account.email.lower()] = path
        partitions = {known_regions()[r] for r in (self.region, *self.guardrails.allowed_regions)}
        if len(partitions) > 1:
            raise FieldProblem(f"region {self.region!r} and the allowed regions span partitions {sorted(partitions)}; "
                               "an organization lives in one partition",
                               fix="keep the region and every allowed region in one partition",
                               field=("guardrails", "allowed_regions"))
        return self

    def _emulator_only_without_a_cloud(self) -> None:
        """The emulator rule of :class:`EnvironmentConfig`, for the organization: an `emulator` section only where
        nothing real exists (the emulator's account, no real backend, nothing adopted)."""
        real = []
        if self.management_account_id != EMULATOR_ACCOUNT_ID:
            real.append(f"management_account_id is {self.management_account_id!r}")
        if isinstance(self.backend, S3BackendConfig) and not self.backend.emulated:
            real.append(f"the backend is the S3 bucket {self.backend.bucket!r}")
        if self.existing_organization_id is not None:
            real.append(f"it adopts the existing organization {self.existing_organization_id!r}")
        adopted = [".".join(path) for path, account in self.member_accounts().items() if account.account_id]
        if adopted:
            real.append(f"it adopts existing accounts ({', '.join(adopted)})")
        if real:
            raise FieldProblem(
                "an emulator section points the provider at 127.0.0.1, so it is refused for an organization with a "
                f"real account, backend or adopted resources, and here {' and '.join(real)}",
                fix="remove the emulator section (a cloud organization never has one); an emulator organization has "
                f"management_account_id \"{EMULATOR_ACCOUNT_ID}\", backend {{type: local}}, and no account_id or "
                "existing_organization_id (the emulator creates them), as environments/organization-local.yaml",
                field=("emulator",))

    @property
    def is_emulated(self) -> bool:
        return self.emulator is not None


class EnvironmentDelegation(_Model):
    """A workload environment of the organization that delivers to its delegated accounts (set by the loader from
    the environment file's ``delegated_accounts``, after checking them against ``security_accounts``)."""

    environment: str
    account_id: AccountId
    region: str
    object_lock_days: int = Field(description="COMPLIANCE retention of its archive (logging.archive_object_lock_days).")
    log_archive: bool = Field(description="Its trail, flow logs and access logs go to the log-archive account.")
    security_tooling: bool = Field(description="Its GuardDuty and Security Hub are administered by the "
                                   "security-tooling account.")


class LoadedOrganization(_Model):
    """A validated organization file together with where it came from (its name is the stack's)."""

    name: str
    source: str
    config: OrganizationConfig
    delegations: list[EnvironmentDelegation] = Field(
        default_factory=list, description="The workload environments that delegate (the archive the stack builds "
        "in the log-archive account for each). Default: none.")
