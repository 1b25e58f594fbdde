"""AlertTopic: the KMS-encrypted SNS topic every security and serving alarm notifies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.policy import PolicyDocument, Statement

# What a publishing service needs on the topic's key (SNS encrypts with a data key per message).
KMS_PUBLISHER = ("kms:Decrypt", "kms:GenerateDataKey")


class AlertTopicProps(BaseModel):
    """Props of :class:`AlertTopic`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic_name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,256}$")
    account_id: str = Field(pattern=r"^\d{12}$")
    region: str
    email_addresses: Sequence[str] = Field(default=(), description="Email subscribers. Default: none.")
    sqs_queue_arns: Sequence[str] = Field(default=(), description="SQS subscribers (e.g. a SOAR). Default: none.")


class AlertTopic(PlatformConstruct):
    """An SNS topic encrypted with ``key``. Publishing is allowed only to this account's CloudWatch alarms
    and EventBridge rules (``allow_*`` methods); everything else, and any request without TLS, is refused."""

    implements: ClassVar[tuple[str, ...]] = ('ZT-LOG-1',)

    def __init__(self, scope: Construct, id: str, *, props: AlertTopicProps, key: PlatformKey) -> None:
        super().__init__(scope, id)
        self.props = props
        self.key = key
        self.topic = SnsTopic(self, "topic", name=props.topic_name, kms_master_key_id=key.key_arn,
                              display_name="zero-trust AI platform alerts")
        self.policy = PolicyDocument([
            Statement(sid="DenyPublishWithoutTls", effect="Deny", principals={"AWS": "*"}, actions=["sns:Publish"],
                      resources=[self.topic.arn], conditions={"Bool": {"aws:SecureTransport": "false"}}),
            # No statement for the account itself: in the same account an identity-policy Allow suffices for SNS
            # (the topic policy is not required), and an unconditioned root grant would open the topic to every
            # principal whose IAM policy names sns:* (CKV_AWS_385).
        ])
        SnsTopicPolicy(self, "policy", arn=self.topic.arn, policy=self.policy.lazy_json())
        for index, address in enumerate(props.email_addresses):
            SnsTopicSubscription(self, f"email_{index}", topic_arn=self.topic.arn, protocol="email", endpoint=address)
        for index, queue in enumerate(props.sqs_queue_arns):
            SnsTopicSubscription(self, f"sqs_{index}", topic_arn=self.topic.arn, protocol="sqs", endpoint=queue,
                                 raw_message_delivery=True)
        self.allow_cloudwatch_alarms()

    @property
    def topic_arn(self) -> str:
        return self.topic.arn

    def allow_cloudwatch_alarms(self) -> None:
        """CloudWatch alarms of this account (only) may publish."""
        region, account = self.props.region, self.props.account_id
        self._allow("CloudWatchAlarms", "cloudwatch.amazonaws.com",
                    {"StringEquals": {"aws:SourceAccount": account},
                     "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:*"}})

    def allow_eventbridge_rule(self, label: str, rule_arn: str) -> None:
        """One EventBridge rule (by ARN) may publish."""
        self._allow(f"EventBridge{label}", "events.amazonaws.com",
                    {"StringEquals": {"aws:SourceAccount": self.props.account_id},
                     "ArnEquals": {"aws:SourceArn": rule_arn}})

    def _allow(self, label: str, service: str, conditions: dict[str, dict[str, str]]) -> None:
        self.policy.add(Statement(sid=f"Publish{label}", effect="Allow", principals={"Service": service},
                                  actions=["sns:Publish"], resources=[self.topic.arn], conditions=conditions))
        # Every grant is bound to this topic through the encryption context SNS always sends
        # (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html); EventBridge sends no source
        # context to KMS (the topic policy scopes it by rule ARN), CloudWatch does.
        key_conditions: dict[str, dict[str, str]] = {
            # by name, not ``self.topic.arn``: the topic is encrypted with the key (a reference would be a cycle)
            "StringEquals": {"kms:EncryptionContext:aws:sns:topicArn":
                             f"arn:aws:sns:{self.props.region}:{self.props.account_id}:{self.props.topic_name}"}}
        if service != "events.amazonaws.com":
            key_conditions["StringEquals"]["aws:SourceAccount"] = self.props.account_id
        self.key.grant_service(sid=f"AlertTopic{label}", service=service, key_actions=KMS_PUBLISHER,
                               conditions=key_conditions)
