"""DnsFirewall: Route 53 Resolver DNS Firewall that answers only the AWS service names the private VPCs need."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from cdktf_cdktf_provider_aws.route53_resolver_firewall_config import Route53ResolverFirewallConfig
from cdktf_cdktf_provider_aws.route53_resolver_firewall_domain_list import Route53ResolverFirewallDomainList
from cdktf_cdktf_provider_aws.route53_resolver_firewall_rule import Route53ResolverFirewallRule
from cdktf_cdktf_provider_aws.route53_resolver_firewall_rule_group import Route53ResolverFirewallRuleGroup
from cdktf_cdktf_provider_aws.route53_resolver_firewall_rule_group_association import (
    Route53ResolverFirewallRuleGroupAssociation,
)
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field, field_validator

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.private_network import PrivateNetwork

# DNS Firewall rule priorities: the allow-list is evaluated first, the catch-all block last.
ALLOW_PRIORITY = 100
BLOCK_PRIORITY = 1000
# Association priorities per VPC (100..9900, lowest first): a VPC's own extra allow-list (allow_domains) is evaluated
# before the shared rule group, so it can only add answers for that VPC.
# https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_AssociateFirewallRuleGroup.html
NETWORK_ALLOW_ASSOCIATION_PRIORITY = 100
SHARED_ASSOCIATION_PRIORITY = 101


def aws_service_domains(region: str) -> list[str]:
    """Names a no-egress VPC resolves: the regional AWS service endpoints (interface endpoints with private DNS,
    the S3 gateway endpoint, ECR layers) and the VPC's own EC2 host names."""
    internal = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return sorted({f"*.{region}.amazonaws.com", f"{region}.amazonaws.com", internal, f"*.{internal}"})


class DnsFirewallProps(BaseModel):
    """Props of :class:`DnsFirewall`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    region: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    allowed_domains: Sequence[str] = Field(
        default=(),
        description="Domains every platform VPC may resolve. Default: the region's AWS service domains "
        "(:func:`aws_service_domains`). Every other name gets an empty answer (NODATA).",
    )

    @field_validator("allowed_domains")
    @classmethod
    def _no_catch_all(cls, values: Sequence[str]) -> Sequence[str]:
        if any(value.strip() in ("*", "*.") for value in values):
            raise ValueError("allowed_domains must not contain '*': that would re-open DNS to every domain")
        return values


class DnsFirewall(PlatformConstruct):
    """DNS out of a no-egress VPC is still a channel: a workload can leak data in the names it looks up (the
    authoritative server of an attacker's domain sees every query). The Resolver firewall answers only the
    allow-listed AWS names and blocks everything else, fails closed when the firewall itself is unavailable,
    and its association is mutation-protected.
    https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-dns-firewall-overview.html
    """

    implements: ClassVar[tuple[str, ...]] = ("ZT-NET-4",)

    def __init__(self, scope: Construct, id: str, *, props: DnsFirewallProps,
                 networks: Sequence[PrivateNetwork]) -> None:
        super().__init__(scope, id)
        if not networks:
            raise ValueError("DnsFirewall: give at least one network to protect")
        self.props = props
        self.networks = list(networks)
        self.network_allowed_domains: dict[str, list[str]] = {}  # network construct id -> its extra names
        self.allowed_domains = sorted(props.allowed_domains or aws_service_domains(props.region))
        self.allowed = Route53ResolverFirewallDomainList(
            self, "allowed_domains", name=f"{props.name_prefix}-aws-service-domains", domains=self.allowed_domains)
        self.everything = Route53ResolverFirewallDomainList(
            self, "all_domains", name=f"{props.name_prefix}-all-domains", domains=["*"])
        self.rule_group = Route53ResolverFirewallRuleGroup(self, "rule_group", name=f"{props.name_prefix}-dns")
        Route53ResolverFirewallRule(
            self, "allow_aws_services", name="allow-aws-service-domains", action="ALLOW",
            firewall_domain_list_id=self.allowed.id, firewall_rule_group_id=self.rule_group.id,
            priority=ALLOW_PRIORITY)
        Route53ResolverFirewallRule(
            self, "block_everything_else", name="block-every-other-domain", action="BLOCK", block_response="NODATA",
            firewall_domain_list_id=self.everything.id, firewall_rule_group_id=self.rule_group.id,
            priority=BLOCK_PRIORITY)
        for network in networks:
            name = network.node.id
            Route53ResolverFirewallRuleGroupAssociation(
                self, f"{name}_association", name=f"{props.name_prefix}-{name.replace('_', '-')}-dns",
                firewall_rule_group_id=self.rule_group.id, vpc_id=network.vpc_id,
                priority=SHARED_ASSOCIATION_PRIORITY,
                mutation_protection="ENABLED")
            # If the firewall cannot answer, queries fail (closed) instead of passing unfiltered.
            Route53ResolverFirewallConfig(self, f"{name}_fail_closed", resource_id=network.vpc_id,
                                          firewall_fail_open="DISABLED")

    def allow_domains(self, domains: Sequence[str], *, network: PrivateNetwork) -> None:
        """Let ``network`` -- and no other VPC -- resolve ``domains`` too, e.g. the ``allowed_domains`` of its
        :class:`~zero_trust_ai.model_egress.ModelEgress`, so the names its firewall passes can be resolved.

        Entries use Network Firewall's domain-list forms (validated by
        :func:`~zero_trust_ai.model_egress.allowed_domain`): ``api.example.com`` stays exact; ``.example.com`` (the
        domain and every subdomain) becomes DNS Firewall's ``example.com`` and ``*.example.com``. The names go into a
        rule group of their own, associated with this VPC only at priority 100, before the shared group (101), so the
        other VPCs' answers are unchanged. Call it once per network."""
        from zero_trust_ai.model_egress import allowed_domain  # model_egress does not import this module

        if not any(candidate is network for candidate in self.networks):
            raise ValueError(f"allow_domains(): {network.construct_path} is not protected by {self.construct_path}; "
                             "pass it in ``networks`` first")
        name = network.node.id
        if name in self.network_allowed_domains:
            raise ValueError(f"allow_domains(): {network.construct_path} already has its allow-list; pass every "
                             "domain in one call")
        if not domains:
            raise ValueError("allow_domains(): give at least one domain")
        dns_forms: set[str] = set()
        for domain in domains:
            allowed_domain(domain)
            if domain.startswith("."):
                dns_forms |= {domain[1:], f"*{domain}"}
            else:
                dns_forms.add(domain)
        listed = sorted(dns_forms)
        self.network_allowed_domains[name] = listed
        prefix = f"{self.props.name_prefix}-{name.replace('_', '-')}"
        domain_list = Route53ResolverFirewallDomainList(
            self, f"{name}_egress_domains", name=f"{prefix}-egress-domains", domains=listed)
        rule_group = Route53ResolverFirewallRuleGroup(self, f"{name}_egress_rule_group", name=f"{prefix}-egress-dns")
        # External APIs are commonly CNAMEs into a CDN (api.example.com -> x.cdn.net). By default DNS Firewall inspects
        # every name of the redirection chain against the lists, so the CDN name would hit the block-everything rule
        # and the allowed name would never resolve; trusting the chain of *these* names only is what the allow-list
        # means. The connection is still decided by name at the Network Firewall (ModelEgress).
        # https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_CreateFirewallRule.html
        Route53ResolverFirewallRule(
            self, f"{name}_allow_egress_domains", name="allow-egress-domains", action="ALLOW",
            firewall_domain_list_id=domain_list.id, firewall_rule_group_id=rule_group.id, priority=ALLOW_PRIORITY,
            firewall_domain_redirection_action="TRUST_REDIRECTION_DOMAIN")
        Route53ResolverFirewallRuleGroupAssociation(
            self, f"{name}_egress_association", name=f"{prefix}-egress-dns", firewall_rule_group_id=rule_group.id,
            vpc_id=network.vpc_id, priority=NETWORK_ALLOW_ASSOCIATION_PRIORITY, mutation_protection="ENABLED")
