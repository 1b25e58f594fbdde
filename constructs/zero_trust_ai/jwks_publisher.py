"""JwksPublisher: brings the token issuer's signing keys to serving targets that have no egress."""

from __future__ import annotations

from typing import ClassVar

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct
from pydantic import Field

from zero_trust_ai import actions
from zero_trust_ai.alert_topic import AlertTopic
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.policy import Statement
from zero_trust_ai.runtime.jwks_publisher import handler  # the environment contract (names only)
from zero_trust_ai.secure_bucket import SecureBucket
from zero_trust_ai.signed_function import FunctionCode, FunctionOptOuts, SignedFunction, SignedFunctionProps
from zero_trust_ai.validation import RetentionDays


class JwksPublisherProps(FunctionOptOuts):
    """Props of :class:`JwksPublisher`."""

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    account_id: str = Field(pattern=r"^\d{12}$")
    region: str
    parameter_name: str = Field(pattern=r"^/[\w./-]+$", description="Where the JWKS is published (SSM).")
    log_retention_days: RetentionDays = Field(description="A retention CloudWatch accepts (>= 365 days).")
    schedule_expression: str = Field(default="rate(15 minutes)", description="Default: every 15 minutes.")


class JwksPublisher(SignedFunction):
    """Cognito serves its JWKS only on the public internet (no PrivateLink for it), and the serving VPC has
    no egress. This signed function, outside any VPC, copies the issuer's JWKS into an SSM parameter on a
    schedule; the token validator on the targets reads it through the SSM endpoint
    (``ssm_jwks_fetch``). It can write only that parameter; failures page the alert topic. Until the first
    run the parameter holds no keys, so validation fails closed."""

    implements: ClassVar[tuple[str, ...]] = ('ZT-SRV-1',)

    def __init__(self, scope: Construct, id: str, *, props: JwksPublisherProps, jwks_url: str, code: FunctionCode,
                 key: PlatformKey, artifacts: SecureBucket, alert_topic: AlertTopic) -> None:
        super().__init__(scope, id, code=code, key=key, artifacts=artifacts, props=SignedFunctionProps(
            name_prefix=props.name_prefix, short_name="jwks-publisher", grant_name="JwksPublisher",
            description="Copies the serving token issuer's JWKS into SSM for targets without egress",
            account_id=props.account_id, region=props.region, log_retention_days=props.log_retention_days,
            reserved_concurrency=1, timeout_seconds=30,
            ignore_dead_letter_config_drift_reason=props.ignore_dead_letter_config_drift_reason,
            code_signing_opt_out_reason=props.code_signing_opt_out_reason))
        # Public keys, not secrets: a String parameter; its value belongs to the function from now on.
        self.parameter = SsmParameter(
            self, "jwks", name=props.parameter_name, type="String", tier="Standard", value='{"keys":[]}',
            description="JWKS of the serving token issuer, published by the jwks-publisher function",
            lifecycle=TerraformResourceLifecycle(ignore_changes=["value"]),
        )
        parameter_arn = f"arn:aws:ssm:{props.region}:{props.account_id}:parameter{props.parameter_name}"
        self.role.add_to_policy(Statement(sid="PublishJwks", effect="Allow", actions=actions.JWKS_PUBLISH,
                                          resources=[parameter_arn]))
        self.deploy({handler.ENV_JWKS_URL: jwks_url, handler.ENV_PARAMETER_NAME: props.parameter_name}, alert_topic)
        rule = CloudwatchEventRule(self, "schedule", name=f"{props.name_prefix}-jwks-publisher",
                                   description="Refresh the published JWKS (key rotation)",
                                   schedule_expression=props.schedule_expression)
        self.invoke_from_rule("schedule", rule, alert_topic)
