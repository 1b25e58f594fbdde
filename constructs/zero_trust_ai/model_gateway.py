"""ModelGateway: AWS-hosted foundation models through a Bedrock runtime VPC endpoint, with a required guardrail,
invocation logging to the archive and alarms -- the sanctioned way to call a model API without any egress."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.bedrock_guardrail import (
    BedrockGuardrail,
    BedrockGuardrailContentPolicyConfig,
    BedrockGuardrailContentPolicyConfigFiltersConfig,
    BedrockGuardrailSensitiveInformationPolicyConfig,
    BedrockGuardrailSensitiveInformationPolicyConfigPiiEntitiesConfig,
    BedrockGuardrailTopicPolicyConfig,
    BedrockGuardrailTopicPolicyConfigTopicsConfig,
)
from cdktf_cdktf_provider_aws.bedrock_guardrail_version import BedrockGuardrailVersion
from cdktf_cdktf_provider_aws.bedrock_model_invocation_logging_configuration import (
    BedrockModelInvocationLoggingConfiguration,
    BedrockModelInvocationLoggingConfigurationLoggingConfig,
    BedrockModelInvocationLoggingConfigurationLoggingConfigCloudwatchConfig,
    BedrockModelInvocationLoggingConfigurationLoggingConfigS3Config,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zero_trust_ai import actions, validation
from zero_trust_ai.alert_topic import AlertTopic
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.encrypted_log_group import EncryptedLogGroup, EncryptedLogGroupProps
from zero_trust_ai.log_archive import LogArchive
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.policy import PolicyDocument, Statement, require_statements
from zero_trust_ai.private_network import PrivateNetwork
from zero_trust_ai.validation import RetentionDays, TrustOptOutReason
from zero_trust_ai.workload_role import WorkloadRole, WorkloadRoleProps

# arn:<partition>:bedrock:<region>::foundation-model/<provider>.<model>[:<version>] (defined in validation)
FOUNDATION_MODEL_ARN = validation.FOUNDATION_MODEL_ARN

ContentFilterType = Literal["SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK"]
FilterStrength = Literal["NONE", "LOW", "MEDIUM", "HIGH"]
# The PII entity types Bedrock Guardrails detect (CreateGuardrail, GuardrailPiiEntityConfig.type).
PiiEntityType = Literal[
    "ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
    "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY", "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD", "PHONE",
    "PIN", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER", "US_BANK_ROUTING_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER", "US_SOCIAL_SECURITY_NUMBER",
    "VEHICLE_IDENTIFICATION_NUMBER"]

# The guardrail metrics (https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-guardrails-cw-metrics.html):
# namespace AWS/Bedrock/Guardrails, metric InvocationsIntervened, and among the page's dimension sets
# "GuardrailArn, GuardrailVersion" -- one set of two dimensions. A CloudWatch alarm matches only a metric published
# with exactly its dimensions, so the intervention alarm names both (an ARN-only alarm would watch a series that never
# exists and, with missing data not breaching, stay OK forever).
GUARDRAIL_NAMESPACE = "AWS/Bedrock/Guardrails"
MODEL_NAMESPACE = "AWS/Bedrock"


class ContentFilter(BaseModel):
    """One content filter of the guardrail."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ContentFilterType
    input_strength: FilterStrength = Field(default="HIGH", description="Default: HIGH.")
    output_strength: FilterStrength = Field(
        default="HIGH", description="Default: HIGH (PROMPT_ATTACK: must be NONE, it applies to prompts only).")

    @model_validator(mode="after")
    def _prompt_attack_is_input_only(self) -> ContentFilter:
        if self.type == "PROMPT_ATTACK" and self.output_strength != "NONE":
            raise ValueError("the PROMPT_ATTACK filter applies to prompts only: set output_strength: NONE")
        if self.input_strength == "NONE" and self.output_strength == "NONE":
            raise ValueError(f"content filter {self.type} filters nothing (both strengths NONE): remove it or "
                             "raise a strength")
        return self


class DeniedTopic(BaseModel):
    """A topic the guardrail refuses, in prompts and in answers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[0-9a-zA-Z_ !?.-]{1,100}$")
    definition: str = Field(min_length=10, max_length=200, description="What the topic is, in one sentence.")
    examples: Sequence[str] = Field(default=(), max_length=5, description="Example phrases. Default: none.")

    @field_validator("examples")
    @classmethod
    def _short_examples(cls, values: Sequence[str]) -> Sequence[str]:
        if any(not 1 <= len(value) <= 100 for value in values):
            raise ValueError("each example phrase must have 1..100 characters")
        return values


class PiiEntity(BaseModel):
    """What the guardrail does when it finds one kind of personal or secret data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: PiiEntityType
    action: Literal["BLOCK", "ANONYMIZE"]


def _default_filters() -> tuple[ContentFilter, ...]:
    return (*(ContentFilter(type=kind) for kind in ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT")),
            ContentFilter(type="PROMPT_ATTACK", output_strength="NONE"))


def _default_pii() -> tuple[PiiEntity, ...]:
    return (PiiEntity(type="AWS_ACCESS_KEY", action="BLOCK"), PiiEntity(type="AWS_SECRET_KEY", action="BLOCK"),
            PiiEntity(type="PASSWORD", action="BLOCK"), PiiEntity(type="CREDIT_DEBIT_CARD_NUMBER", action="BLOCK"),
            PiiEntity(type="EMAIL", action="ANONYMIZE"), PiiEntity(type="PHONE", action="ANONYMIZE"),
            PiiEntity(type="NAME", action="ANONYMIZE"))


class GuardrailPolicy(BaseModel):
    """The guardrail every invocation must name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    content_filters: Sequence[ContentFilter] = Field(
        default_factory=_default_filters, min_length=1,
        description="Default: every category at HIGH (prompt attacks on input).")
    denied_topics: Sequence[DeniedTopic] = Field(default=(), max_length=30, description="Default: none.")
    pii_entities: Sequence[PiiEntity] = Field(
        default_factory=_default_pii,
        description="Default: AWS keys, passwords and card numbers blocked; e-mail, phone and names anonymized.")
    blocked_input_message: str = Field(default="This request is not allowed by the platform's model guardrail.",
                                       min_length=1, max_length=500)
    blocked_output_message: str = Field(default="The answer was withheld by the platform's model guardrail.",
                                        min_length=1, max_length=500)

    @model_validator(mode="after")
    def _each_once(self) -> GuardrailPolicy:
        groups: tuple[tuple[str, list[str]], ...] = (
            ("content filter", [str(f.type) for f in self.content_filters]),
            ("denied topic", [t.name for t in self.denied_topics]),
            ("PII entity", [str(p.type) for p in self.pii_entities]))
        for what, names in groups:
            twice = sorted({name for name in names if names.count(name) > 1})
            if twice:
                raise ValueError(f"{what} {', '.join(twice)} listed twice: list each once")
        return self


class ModelGatewayProps(BaseModel):
    """Props of :class:`ModelGateway`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    region: str = Field(pattern=validation.REGION_PATTERN)
    account_id: str = Field(pattern=r"^\d{12}$")
    model_arns: Sequence[str] = Field(min_length=1, description="Foundation models that may be invoked.")
    guardrail: GuardrailPolicy = Field(default_factory=GuardrailPolicy, description="Default: GuardrailPolicy().")
    log_retention_days: RetentionDays = Field(default=365, description="Retention of the invocation log group.")
    invocation_spike_per_5_minutes: int = Field(
        default=1000, ge=1, description="Static alarm threshold of invocations per model per 5 minutes.")
    guardrail_interventions_per_5_minutes: int = Field(
        default=10, ge=1, description="Alarm when the guardrail intervenes more often per 5 minutes. Default: 10.")
    band_width: float = Field(default=2.0, gt=0, le=10, description="Anomaly band of invocations (std. deviations).")
    guardrail_opt_out_reason: TrustOptOutReason | None = Field(
        default=None,
        description="Why no guardrail resource is created (an emulator capability switch); invocations must then "
        "still name a guardrail of this account. Default: the guardrail is created and required by ARN:version.")

    @field_validator("model_arns")
    @classmethod
    def _foundation_models(cls, values: Sequence[str]) -> Sequence[str]:
        for value in values:
            if not FOUNDATION_MODEL_ARN.fullmatch(value):
                raise ValueError(f"{value!r} is not a foundation-model ARN "
                                 "(arn:aws:bedrock:<region>::foundation-model/<provider>.<model>)")
        if len(set(values)) != len(values):
            raise ValueError("a model ARN is listed twice")
        return values

    @model_validator(mode="after")
    def _same_region(self) -> ModelGatewayProps:
        for value in self.model_arns:
            match = FOUNDATION_MODEL_ARN.fullmatch(value)
            if match and match.group("region") != self.region:
                raise ValueError(f"{value!r} is in region {match.group('region')}, the endpoint in {self.region}: a "
                                 "VPC endpoint reaches its own region's models only")
        return self


class ModelGateway(PlatformConstruct):
    """Model APIs without egress (docs/controls.md, "Model APIs"):

    * a ``bedrock-runtime`` interface endpoint in each given network, behind that network's endpoint security
      group, whose endpoint policy allows only InvokeModel / InvokeModelWithResponseStream on ``model_arns`` and
      only for the roles granted through :meth:`grant_invoke` (``aws:PrincipalArn``);
    * a guardrail (content filters, denied topics, PII handling) and a published version of it; the granted
      roles may invoke only when the request names that version (``bedrock:GuardrailIdentifier`` =
      ``<guardrail ARN>:<version>``), and an explicit Deny refuses every other or missing identifier;
    * model invocation logging (account- and region-wide) to the log archive (SSE-KMS, Object Lock) and to an
      encrypted log group, delivered by a role only Bedrock of this account can assume;
    * alarms on guardrail interventions and on invocation spikes per model (static and learned band), notifying
      ``alert_topic``.
    https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-id.html
    """

    implements: ClassVar[tuple[str, ...]] = ("ZT-MDL-1",)

    def __init__(self, scope: Construct, id: str, *, props: ModelGatewayProps, networks: Sequence[PrivateNetwork],
                 log_archive: LogArchive, logs_key: PlatformKey, alert_topic: AlertTopic) -> None:
        super().__init__(scope, id)
        if not networks:
            raise ValueError("ModelGateway: give at least one network for the bedrock-runtime endpoint")
        self.props = props
        region, account = props.region, props.account_id
        self.model_arns = list(props.model_arns)
        self.guardrail: BedrockGuardrail | None = None
        if props.guardrail_opt_out_reason is None:
            self.guardrail = self._guardrail(props.guardrail)
            # A version is an immutable snapshot of the guardrail: without the trigger, a changed guardrail policy
            # would only update DRAFT while the roles keep requiring the old version (and its old filters).
            self.guardrail_version = BedrockGuardrailVersion(
                self, "guardrail_version", guardrail_arn=self.guardrail.guardrail_arn,
                description="Version the platform's roles must name",
                # a bare address: handed the resource itself, cdktf writes "${...}", which terraform refuses here
                lifecycle=TerraformResourceLifecycle(replace_triggered_by=[
                    f"{self.guardrail.terraform_resource_type}.{self.guardrail.friendly_unique_id}"]))
            self.guardrail_identifier = f"{self.guardrail.guardrail_arn}:{self.guardrail_version.version}"
        else:
            self.guardrail_identifier = f"arn:aws:bedrock:{region}:{account}:guardrail/*"

        # -- endpoints: one policy per network, naming the roles granted there (rendered at synth time) --
        self._granted: dict[str, list[str]] = {}
        self.endpoints: dict[str, VpcEndpoint] = {}
        for network in networks:
            name = network.node.id
            self._granted[name] = []
            document = PolicyDocument()
            document.add_late(functools.partial(self._endpoint_statement, name))
            document.add_late(functools.partial(self._endpoint_guardrail_statement, name))
            require_statements(self, document, f"bedrock-runtime endpoint of {name} (grant_invoke a role there)")
            self.endpoints[name] = VpcEndpoint(
                self, f"{name}_bedrock_runtime", vpc_id=network.vpc_id,
                service_name=f"com.amazonaws.{region}.bedrock-runtime", vpc_endpoint_type="Interface",
                private_dns_enabled=True, subnet_ids=network.subnet_ids,
                security_group_ids=[network.endpoint_security_group.id], policy=document.lazy_json(),
                tags={"Name": f"{network.props.name}-bedrock-runtime"})
        self._networks = {network.node.id: network for network in networks}

        # -- invocation logging: archive (S3, SSE-KMS with the logs key) and an encrypted log group --
        source = {"StringEquals": {"aws:SourceAccount": account},
                  "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{region}:{account}:*"}}
        prefix = f"AWSLogs/{account}/BedrockModelInvocationLogs/"
        log_archive.archive.allow_service_delivery(
            sid="BedrockInvocationLogs", service="bedrock.amazonaws.com", prefix=prefix, source_account=account,
            source_arn=f"arn:aws:bedrock:{region}:{account}:*")
        logs_key.grant_service(sid="BedrockInvocationLogsEncrypt", service="bedrock.amazonaws.com",
                               key_actions=actions.KMS_BEDROCK_LOG_DELIVERY, conditions=source)
        self.log_group = EncryptedLogGroup(self, "invocation_log_group", key=logs_key, props=EncryptedLogGroupProps(
            name=f"/ztai/bedrock-invocations/{props.name_prefix}", region=region, account_id=account,
            retention_in_days=props.log_retention_days))
        self.delivery_role = WorkloadRole(self, "invocation_log_role", props=WorkloadRoleProps(
            role_name=f"{props.name_prefix}-bedrock-invocation-logs", grant_name="BedrockInvocationLogs",
            service="bedrock.amazonaws.com", account_id=account,
            source_arn_pattern=f"arn:aws:bedrock:{region}:{account}:*",
            description="Bedrock model invocation log delivery into its CloudWatch Logs group"))
        self.delivery_role.add_to_policy(Statement(
            sid="DeliverInvocationLogs", effect="Allow", actions=actions.LOGS_WRITE,
            resources=[f"{self.log_group.arn}:log-stream:*"]))
        self.invocation_logging = BedrockModelInvocationLoggingConfiguration(
            self, "invocation_logging",
            logging_config=BedrockModelInvocationLoggingConfigurationLoggingConfig(
                text_data_delivery_enabled=True, image_data_delivery_enabled=True,
                embedding_data_delivery_enabled=True, video_data_delivery_enabled=True,
                s3_config=BedrockModelInvocationLoggingConfigurationLoggingConfigS3Config(
                    bucket_name=log_archive.archive.bucket_name, key_prefix=prefix.rstrip("/")),
                cloudwatch_config=BedrockModelInvocationLoggingConfigurationLoggingConfigCloudwatchConfig(
                    log_group_name=self.log_group.log_group_name, role_arn=self.delivery_role.role_arn)),
            depends_on=[log_archive.archive.bucket_policy, self.log_group.log_group])

        self._alarms(props, alert_topic)

    def _guardrail(self, policy: GuardrailPolicy) -> BedrockGuardrail:
        topics = None
        if policy.denied_topics:
            topics = [BedrockGuardrailTopicPolicyConfig(topics_config=[
                BedrockGuardrailTopicPolicyConfigTopicsConfig(name=t.name, definition=t.definition, type="DENY",
                                                              examples=list(t.examples) or None)
                for t in policy.denied_topics])]
        pii = None
        if policy.pii_entities:
            pii = [BedrockGuardrailSensitiveInformationPolicyConfig(pii_entities_config=[
                BedrockGuardrailSensitiveInformationPolicyConfigPiiEntitiesConfig(type=p.type, action=p.action)
                for p in policy.pii_entities])]
        return BedrockGuardrail(
            self, "guardrail", name=f"{self.props.name_prefix}-models",
            description="Required on every model invocation of the platform's roles",
            blocked_input_messaging=policy.blocked_input_message,
            blocked_outputs_messaging=policy.blocked_output_message,
            content_policy_config=[BedrockGuardrailContentPolicyConfig(filters_config=[
                BedrockGuardrailContentPolicyConfigFiltersConfig(
                    type=f.type, input_strength=f.input_strength, output_strength=f.output_strength)
                for f in policy.content_filters])],
            topic_policy_config=topics, sensitive_information_policy_config=pii)

    def _endpoint_statement(self, network: str) -> Statement | None:
        principals = self._granted[network]
        if not principals:
            return None
        return Statement(
            sid="GrantedRolesInvokeConfiguredModels", effect="Allow", principals={"AWS": "*"},
            actions=actions.BEDROCK_INVOKE, resources=self.model_arns,
            conditions={"StringEquals": {"aws:PrincipalAccount": self.props.account_id},
                        "ArnEquals": {"aws:PrincipalArn": list(principals)}})

    def _endpoint_guardrail_statement(self, network: str) -> Statement | None:
        """An invocation that names a guardrail is also authorized for ``bedrock:ApplyGuardrail`` on it
        (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions.html). AWS does not document
        whether that second authorization is checked against the endpoint policy too; if it is and the endpoint
        omitted it, every guarded call through the endpoint would be refused. Same principals, that guardrail only."""
        principals = self._granted[network]
        if not principals or self.guardrail is None:
            return None
        return Statement(
            sid="GrantedRolesApplyTheGuardrail", effect="Allow", principals={"AWS": "*"},
            actions=actions.BEDROCK_APPLY_GUARDRAIL, resources=[self.guardrail.guardrail_arn],
            conditions={"StringEquals": {"aws:PrincipalAccount": self.props.account_id},
                        "ArnEquals": {"aws:PrincipalArn": list(principals)}})

    def grant_invoke(self, role: WorkloadRole, *, network: PrivateNetwork) -> None:
        """Let ``role`` invoke the configured models through the endpoint in ``network`` -- only with the
        guardrail named in the request (an Allow that requires it, and a Deny for any other or none)."""
        name = network.node.id
        if name not in self._granted:
            raise ValueError(f"ModelGateway: no bedrock-runtime endpoint in {name}; add the network first")
        if role.role_arn not in self._granted[name]:
            self._granted[name].append(role.role_arn)
        operator = "StringEquals" if self.guardrail is not None else "ArnLike"
        negated = "StringNotEquals" if self.guardrail is not None else "ArnNotLike"
        role.add_to_policy(Statement(
            sid="InvokeModelsWithTheGuardrail", effect="Allow", actions=actions.BEDROCK_INVOKE,
            resources=self.model_arns,
            conditions={operator: {"bedrock:GuardrailIdentifier": self.guardrail_identifier}}))
        role.add_to_policy(Statement(
            sid="NoInvocationWithoutTheGuardrail", effect="Deny", actions=actions.BEDROCK_INVOKE, resources=["*"],
            conditions={negated: {"bedrock:GuardrailIdentifier": self.guardrail_identifier}}))
        # stolen credentials are useless outside the VPC: invocations only through this network's endpoint
        role.add_to_policy(Statement(
            sid="InvokeModelsOnlyThroughThePlatformEndpoint", effect="Deny", actions=actions.BEDROCK_INVOKE,
            resources=["*"], conditions={"StringNotEqualsIfExists": {
                "aws:SourceVpce": self.endpoints[name].id}}))
        if self.guardrail is not None:
            role.add_to_policy(Statement(sid="ApplyTheGuardrail", effect="Allow",
                                         actions=actions.BEDROCK_APPLY_GUARDRAIL,
                                         resources=[self.guardrail.guardrail_arn]))

    def _alarms(self, props: ModelGatewayProps, alert_topic: AlertTopic) -> None:
        common: dict[str, Any] = {"evaluation_periods": 1, "treat_missing_data": "notBreaching",
                                  "alarm_actions": [alert_topic.topic_arn], "ok_actions": [alert_topic.topic_arn]}
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        if self.guardrail is not None:
            self.alarms["guardrail"] = CloudwatchMetricAlarm(
                self, "guardrail_interventions", alarm_name=f"{props.name_prefix}-bedrock-guardrail-interventions",
                alarm_description="The model guardrail intervened more often than expected (prompt attacks, "
                "denied topics, leaked secrets)",
                namespace=GUARDRAIL_NAMESPACE, metric_name="InvocationsIntervened", statistic="Sum", period=300,
                dimensions={"GuardrailArn": self.guardrail.guardrail_arn,
                            "GuardrailVersion": self.guardrail_version.version},
                comparison_operator="GreaterThanOrEqualToThreshold",
                threshold=props.guardrail_interventions_per_5_minutes, **common)
        for index, arn in enumerate(self.model_arns):
            match = FOUNDATION_MODEL_ARN.fullmatch(arn)
            assert match is not None  # validated by the props
            dimensions = {"ModelId": match.group("model_id")}
            self.alarms[f"spike_{index}"] = CloudwatchMetricAlarm(
                self, f"invocation_spike_{index}", alarm_name=f"{props.name_prefix}-bedrock-invocations-{index}-static",
                alarm_description=f"Invocations of {match.group('model_id')} above the static guard rail",
                namespace=MODEL_NAMESPACE, metric_name="Invocations", statistic="Sum", period=300,
                dimensions=dimensions, comparison_operator="GreaterThanThreshold",
                threshold=props.invocation_spike_per_5_minutes, **common)
            self.alarms[f"anomaly_{index}"] = CloudwatchMetricAlarm(
                self, f"invocation_anomaly_{index}",
                alarm_name=f"{props.name_prefix}-bedrock-invocations-{index}-anomaly",
                alarm_description=f"Invocations of {match.group('model_id')} outside their learned band",
                comparison_operator="GreaterThanUpperThreshold", threshold_metric_id="band",
                metric_query=[
                    CloudwatchMetricAlarmMetricQuery(id="observed", return_data=True,
                                                     metric=CloudwatchMetricAlarmMetricQueryMetric(
                                                         namespace=MODEL_NAMESPACE, metric_name="Invocations",
                                                         period=300, stat="Sum", dimensions=dimensions)),
                    CloudwatchMetricAlarmMetricQuery(
                        id="band", return_data=True, label="Invocations (expected)",
                        expression=f"ANOMALY_DETECTION_BAND(observed, {props.band_width})"),
                ],
                **{**common, "evaluation_periods": 3})
