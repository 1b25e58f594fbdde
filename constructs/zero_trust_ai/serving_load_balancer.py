"""ServingLoadBalancer: the private, mutually authenticated, rate-limited front door of model serving."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from cdktf import AssetType, Fn, TerraformAsset, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerMutualAuthentication,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.lb_trust_store import LbTrustStore
from cdktf_cdktf_provider_aws.lb_trust_store_revocation import LbTrustStoreRevocation
from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.security_group_rule import SecurityGroupRule
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclDefaultActionAllow,
    Wafv2WebAclRule,
    Wafv2WebAclRuleAction,
    Wafv2WebAclRuleActionBlock,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleOverrideActionNone,
    Wafv2WebAclRuleVisibilityConfig,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.delegated_accounts import load_balancer_log_prefix
from zero_trust_ai.encrypted_log_group import EncryptedLogGroup, EncryptedLogGroupProps
from zero_trust_ai.evidence_destinations import EvidenceDestinations
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.private_network import PrivateNetwork
from zero_trust_ai.secure_bucket import SecureBucket
from zero_trust_ai.validation import OptOutReason, PrivateRange, RetentionDays

# TLS 1.3 only (no TLS 1.2 fallback): ELB's strictest predefined policy.
TLS13_POLICY = "ELBSecurityPolicy-TLS13-1-3-2021-06"
# AWS managed rule groups that suit a JSON inference API (no CMS/SQL-specific groups).
MANAGED_RULE_GROUPS = ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet",
                       "AWSManagedRulesKnownBadInputsRuleSet")


class ImportedCertificate(BaseModel):
    """PEM files read by terraform at apply time (paths relative to the stack directory)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    certificate_file: str
    private_key_file: str


class PrivateCaCertificate(BaseModel):
    """A certificate issued by an ACM private CA."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    certificate_authority_arn: str
    domain_name: str


class ServingLoadBalancerProps(BaseModel):
    """Props of :class:`ServingLoadBalancer`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,22}$", description="Short: ELB names are <= 32 characters.")
    account_id: str = Field(pattern=r"^\d{12}$")
    region: str
    client_cidrs: Sequence[PrivateRange] = Field(
        min_length=1, description="Private (RFC 1918) ranges that may open HTTPS connections.")
    target_port: int = Field(ge=1024, le=65535)
    certificate: ImportedCertificate | PrivateCaCertificate
    client_ca_bundle_file: Path = Field(description="PEM client CA bundle; packaged into the stack as an asset.")
    client_revocation_list_file: Path | None = Field(default=None, description="Default: no revocation list.")
    rate_limit_per_5_minutes: int = Field(ge=100, description="WAF rate-based rule: requests per client IP.")
    log_retention_days: RetentionDays = Field(description="A retention CloudWatch accepts (>= 365 days).")
    deletion_protection: bool = Field(default=True, description="Default: on.")
    mutual_tls_opt_out_reason: OptOutReason | None = Field(
        default=None,
        description="Why the listener runs without a trust store (emulator gap only). Default: mTLS verify.",
    )


class ServingLoadBalancer(PlatformConstruct):
    """Internal ALB in the serving VPC's private subnets:

    * HTTPS only (no port-80 listener at all), TLS 1.3 policy, invalid header fields dropped, strictest
      desync mitigation, access logs where ``evidence`` admits them (this account's log archive or the
      organization's, :mod:`zero_trust_ai.evidence_destinations`), deletion protection;
    * mutual TLS in ``verify`` mode against an ELB trust store whose CA bundle (and optional revocation
      list) lives in a private, KMS-encrypted, versioned bucket -- a client without a certificate from
      that CA never completes the handshake;
    * a WAFv2 web ACL: a rate-based rule (limit from config) ahead of the AWS managed IP-reputation,
      common and known-bad-inputs rule groups; WAF logs go to an encrypted log group with the
      ``Authorization`` header redacted (tokens never reach a log).
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-SRV-1',)

    def __init__(self, scope: Construct, id: str, *, props: ServingLoadBalancerProps, network: PrivateNetwork,
                 evidence: EvidenceDestinations, trust_bucket: SecureBucket, key: PlatformKey,
                 logs_key: PlatformKey) -> None:
        super().__init__(scope, id)
        self.props = props
        prefix = props.name_prefix
        self.security_group = SecurityGroup(
            self, "security_group", name=f"{prefix}-serving-alb", vpc_id=network.vpc_id,
            description="Serving ALB: HTTPS from the configured private client ranges only",
            tags={"Name": f"{prefix}-serving-alb"},
        )
        # One kind of rule resource for this group (its egress rule, added by InferenceFleet, references
        # the targets' group, so none of its rules can be inline).
        SecurityGroupRule(self, "https_from_clients", type="ingress", security_group_id=self.security_group.id,
                          description="HTTPS (mutual TLS) from private clients", protocol="tcp",
                          from_port=443, to_port=443, cidr_blocks=list(props.client_cidrs))

        # the name both sides of a delegated archive derive (zero_trust_ai.delegated_accounts)
        access_logs = evidence.admit_load_balancer_logs(prefix=load_balancer_log_prefix(prefix))
        self.load_balancer = Lb(
            self, "load_balancer", name=f"{prefix}-serving", internal=True, load_balancer_type="application",
            subnets=network.subnet_ids, security_groups=[self.security_group.id],
            drop_invalid_header_fields=True, desync_mitigation_mode="strictest",
            enable_deletion_protection=props.deletion_protection, idle_timeout=60,
            access_logs=LbAccessLogs(bucket=access_logs.bucket_name, prefix=access_logs.prefix, enabled=True),
            depends_on=list(access_logs.depends_on) or None,
        )
        self.target_group = LbTargetGroup(
            self, "target_group", name=f"{prefix}-inference", port=props.target_port, protocol="HTTPS",
            target_type="instance", vpc_id=network.vpc_id, deregistration_delay="30",
            health_check=LbTargetGroupHealthCheck(enabled=True, protocol="HTTPS", path="/healthz", matcher="200",
                                                  interval=15, healthy_threshold=2, unhealthy_threshold=3),
        )
        self.certificate = self._certificate(props.certificate)
        mutual = self._trust_store(props, trust_bucket, key)
        self.listener = LbListener(
            self, "https_listener", load_balancer_arn=self.load_balancer.arn, port=443, protocol="HTTPS",
            ssl_policy=TLS13_POLICY, certificate_arn=self.certificate.arn,
            default_action=[LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)],
            mutual_authentication=mutual,
        )
        self._web_acl(props, logs_key)

    @property
    def arn_suffix(self) -> str:
        return self.load_balancer.arn_suffix

    # -- TLS --------------------------------------------------------------------------------------
    def _certificate(self, certificate: ImportedCertificate | PrivateCaCertificate) -> AcmCertificate:
        replace_first = TerraformResourceLifecycle(create_before_destroy=True)
        if isinstance(certificate, PrivateCaCertificate):
            return AcmCertificate(self, "certificate", domain_name=certificate.domain_name,
                                  certificate_authority_arn=certificate.certificate_authority_arn,
                                  lifecycle=replace_first)
        return AcmCertificate(self, "certificate", certificate_body=Fn.file(certificate.certificate_file),
                              private_key=Fn.file(certificate.private_key_file), lifecycle=replace_first)

    def _trust_store(self, props: ServingLoadBalancerProps, bucket: SecureBucket,
                     key: PlatformKey) -> LbListenerMutualAuthentication | None:
        if props.mutual_tls_opt_out_reason is not None:
            self.trust_store = None
            return None
        # Assets travel with the synthesized stack (cdktf.out/stacks/<env>/assets), hashed by content.
        bundle = TerraformAsset(self, "client_ca_bundle_asset", path=str(props.client_ca_bundle_file),
                                type=AssetType.FILE)
        self.ca_bundle = S3Object(
            self, "client_ca_bundle", bucket=bucket.bucket_name, key="mtls/client-ca-bundle.pem",
            source=bundle.path, source_hash=bundle.asset_hash, kms_key_id=key.key_arn,
            content_type="application/x-pem-file", depends_on=bucket.ready_for_writes,
        )
        revocation = None
        if props.client_revocation_list_file:
            crl = TerraformAsset(self, "client_revocation_list_asset", path=str(props.client_revocation_list_file),
                                 type=AssetType.FILE)
            revocation = S3Object(
                self, "client_revocation_list", bucket=bucket.bucket_name, key="mtls/client-ca.crl",
                source=crl.path, source_hash=crl.asset_hash, kms_key_id=key.key_arn,
                depends_on=bucket.ready_for_writes,
            )
        self.trust_store = LbTrustStore(
            self, "trust_store", name=f"{props.name_prefix}-clients",
            ca_certificates_bundle_s3_bucket=bucket.bucket_name, ca_certificates_bundle_s3_key=self.ca_bundle.key,
            ca_certificates_bundle_s3_object_version=self.ca_bundle.version_id,
        )
        if revocation is not None:
            LbTrustStoreRevocation(self, "trust_store_revocation", trust_store_arn=self.trust_store.arn,
                                   revocations_s3_bucket=bucket.bucket_name, revocations_s3_key=revocation.key,
                                   revocations_s3_object_version=revocation.version_id)
        return LbListenerMutualAuthentication(mode="verify", trust_store_arn=self.trust_store.arn,
                                              ignore_client_certificate_expiry=False)

    # -- WAF --------------------------------------------------------------------------------------
    def _web_acl(self, props: ServingLoadBalancerProps, logs_key: PlatformKey) -> None:
        prefix = props.name_prefix

        def visibility(metric: str) -> dict[str, Any]:
            return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}

        rules = [Wafv2WebAclRule(
            name="rate-limit-per-client", priority=0,
            action=Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock()),
            statement={"rate_based_statement": {"limit": props.rate_limit_per_5_minutes, "aggregate_key_type": "IP",
                                                 "evaluation_window_sec": 300}},
            visibility_config=Wafv2WebAclRuleVisibilityConfig(**visibility(f"{prefix}-rate-limit")),
        )]
        for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1):
            rules.append(Wafv2WebAclRule(
                name=group, priority=priority,
                override_action=Wafv2WebAclRuleOverrideAction(none=Wafv2WebAclRuleOverrideActionNone()),
                statement={"managed_rule_group_statement": {
                    "name": group, "vendor_name": "AWS",
                    # inference payloads (prompts, feature vectors) routinely exceed the 8 KB body limit
                    **({"rule_action_override": [{"name": "SizeRestrictions_BODY",
                                                  "action_to_use": {"count": {}}}]}
                       if group == "AWSManagedRulesCommonRuleSet" else {})}},
                visibility_config=Wafv2WebAclRuleVisibilityConfig(**visibility(f"{prefix}-{group}")),
            ))
        self.web_acl = Wafv2WebAcl(
            self, "web_acl", name=f"{prefix}-serving", scope="REGIONAL",
            description="Rate limit and managed protections in front of model serving",
            default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
            rule=rules, visibility_config=Wafv2WebAclVisibilityConfig(**visibility(f"{prefix}-serving")),
        )
        Wafv2WebAclAssociation(self, "web_acl_association", resource_arn=self.load_balancer.arn,
                               web_acl_arn=self.web_acl.arn)
        self.waf_log_group = EncryptedLogGroup(
            self, "waf_log_group",
            props=EncryptedLogGroupProps(name=f"aws-waf-logs-{prefix}-serving", region=props.region,
                                         account_id=props.account_id, retention_in_days=props.log_retention_days),
            key=logs_key,
        )
        Wafv2WebAclLoggingConfiguration(
            self, "web_acl_logging", resource_arn=self.web_acl.arn,
            log_destination_configs=[self.waf_log_group.log_group.arn],
            redacted_fields=[Wafv2WebAclLoggingConfigurationRedactedFields(
                single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name="authorization"))],
        )
