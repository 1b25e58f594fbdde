"""Model APIs (issue 19): Bedrock invocations and external egress, decided on the *synthesized* rules of a cloud
environment that configures them.

The emulator implements no Bedrock guardrail, Network Firewall or DNS Firewall (stacks/config/emulator_gaps.py), and
`local` configures no model API, so the drill synthesizes the first repository environment that has both
``serving.model_apis.bedrock`` and ``serving.model_apis.external`` (staging) and evaluates what it would deploy:

* Bedrock: the inference / training roles' identity policies and the bedrock-runtime endpoint policy, with
  ``blueprint.drill.policy_eval`` and the request context a real ``bedrock:InvokeModel`` through the endpoint carries
  (``aws:SourceVpce``/``aws:SourceVpc`` of the endpoint; ``bedrock:GuardrailIdentifier`` only when the caller sets the
  ``X-Amzn-Bedrock-GuardrailIdentifier`` header, as ``<guardrail ARN>:<version>``);
* egress: the route tables of the workload's subnets (a route to the firewall endpoint, then NAT, then the internet
  gateway), HOME_NET of the rule group, the allow-list with Network Firewall's documented domain-list semantics
  (``zero_trust_ai.model_egress.egress_decision``), and the VPC's DNS Firewall rule groups in association order.

Terraform references that only AWS resolves (guardrail ARN and version, endpoint and VPC ids) are replaced by
deterministic stand-ins; every verdict says which environment's synthesized rules decided it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blueprint.drill.policy_eval import Decision, Request, evaluate

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_REFERENCE = re.compile(r"\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_]+)\.([a-z_]+)\}")
OTHER_MODEL = "anthropic.claude-3-opus-20240229-v1:0"
ATTACKER_DOMAIN = "exfil.attacker.example"


def how(env: str) -> str:
    return (f"evaluated from the synthesized rules of {env} (the emulator has no Bedrock guardrails, Network "
            "Firewall or DNS Firewall, and `local` configures no model API)")


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


@dataclass
class SynthesizedRules:
    """One synthesized stack, its references resolved to stand-ins, queried by construct path."""

    env: str
    stack: dict[str, Any]
    account: str
    region: str
    external: Any
    bedrock: Any

    def body(self, type_name: str, logical: str) -> dict[str, Any]:
        return dict(self.stack["resource"][type_name][logical])

    def by_path(self, type_name: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """construct path below the platform -> (logical id, body)."""
        found = {}
        for logical, body in self.stack["resource"].get(type_name, {}).items():
            path = str(body["//"]["metadata"]["path"]).split("/", 2)[2]
            found[path] = (logical, body)
        return found

    def resolve(self, text: str) -> str:
        def stand_in(match: re.Match[str]) -> str:
            _, type_name, logical, attr = match.groups()
            body = self.stack["resource"].get(type_name, {}).get(logical, {})
            if type_name == "aws_iam_role":
                return (f"arn:aws:iam::{self.account}:role/{body['name']}" if attr == "arn" else str(body["name"]))
            if type_name == "aws_bedrock_guardrail" and attr == "guardrail_arn":
                return f"arn:aws:bedrock:{self.region}:{self.account}:guardrail/{_digest(logical, length=12)}"
            if type_name == "aws_bedrock_guardrail_version" and attr == "version":
                return "1"
            if type_name in ("aws_vpc_endpoint", "aws_vpc", "aws_subnet", "aws_route_table") and attr == "id":
                prefix = {"aws_vpc_endpoint": "vpce", "aws_vpc": "vpc", "aws_subnet": "subnet",
                          "aws_route_table": "rtb"}[type_name]
                return f"{prefix}-{_digest(logical)}"
            if type_name == "aws_s3_bucket" and attr == "arn":
                return f"arn:aws:s3:::{body.get('bucket', logical)}"
            if type_name == "aws_kms_key" and attr == "arn":
                return f"arn:aws:kms:{self.region}:{self.account}:key/{_digest(logical, length=32)}"
            return f"ztai-stand-in:{type_name}.{logical}.{attr}"
        return _REFERENCE.sub(stand_in, text)

    def document(self, text: str) -> dict[str, Any]:
        return dict(json.loads(self.resolve(text)))

    def role_policies(self, role_path: str) -> tuple[str, list[dict[str, Any]]]:
        logical, role = self.by_path("aws_iam_role")[role_path]
        arn = f"arn:aws:iam::{self.account}:role/{role['name']}"
        documents = [self.document(body["policy"]) for _, body in self.by_path("aws_iam_role_policy").values()
                     if body["role"] == f"${{aws_iam_role.{logical}.id}}"]
        return arn, documents

    def ref(self, type_name: str, path: str, attr: str = "id") -> str:
        return self.resolve(f"${{{type_name}.{self.by_path(type_name)[path][0]}.{attr}}}")


def synthesized_environment(only: str | None = None) -> SynthesizedRules:
    """Synthesize the first repository environment (or ``only``) that configures both model APIs."""
    from stacks.config.loader import load_all
    from stacks.synth import synthesize

    environments = load_all(PROJECT_ROOT / "environments")
    chosen = next(e for e in environments if (only is None or e.name == only) and not e.config.is_emulated
                  and e.config.serving.model_apis.bedrock and e.config.serving.model_apis.external)
    with tempfile.TemporaryDirectory(prefix="ztai-drill-") as outdir:
        synthesize([chosen], Path(outdir) / "cdktf.out")
        stack = json.loads((Path(outdir) / "cdktf.out" / "stacks" / chosen.name / "cdk.tf.json").read_text(
            encoding="utf-8"))
    model_apis = chosen.config.serving.model_apis
    return SynthesizedRules(chosen.name, stack, chosen.config.account_id, chosen.config.region, model_apis.external,
                            model_apis.bedrock)


# -- Bedrock ---------------------------------------------------------------------------------------------------------
def bedrock_attempts(rules: SynthesizedRules, record: Callable[..., None]) -> None:
    env = rules.env
    model = rules.bedrock.model_arns[0]
    other = f"arn:aws:bedrock:{rules.region}::foundation-model/{OTHER_MODEL}"
    endpoint_path = "model_gateway/serving_network_bedrock_runtime"
    _, endpoint = rules.by_path("aws_vpc_endpoint")[endpoint_path]
    endpoint_policy = rules.document(endpoint["policy"])
    endpoint_id = rules.ref("aws_vpc_endpoint", endpoint_path)
    serving_vpc = rules.ref("aws_vpc", "serving_network/vpc")
    guardrail = (f"{rules.ref('aws_bedrock_guardrail', 'model_gateway/guardrail', 'guardrail_arn')}:"
                 f"{rules.ref('aws_bedrock_guardrail_version', 'model_gateway/guardrail_version', 'version')}")
    # What a real InvokeModel through the serving VPC's bedrock-runtime endpoint carries, from the inference
    # instances' role session (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
    through_endpoint = {"aws:SecureTransport": "true", "aws:SourceVpce": endpoint_id, "aws:SourceVpc": serving_vpc,
                        "aws:PrincipalAccount": rules.account, "aws:ViaAWSService": "false"}
    with_guardrail = {**through_endpoint, "bedrock:GuardrailIdentifier": guardrail}

    def invoke(role_path: str, resource: str, context: dict[str, Any]) -> Decision:
        arn, identity = rules.role_policies(role_path)
        return evaluate(Request(arn, "bedrock:InvokeModel", resource, {**context, "aws:PrincipalArn": arn}),
                        identity_policies=identity, resource_policies=[], endpoint_policies=[endpoint_policy]
                        if context.get("aws:SourceVpce") == endpoint_id else [])

    tag = f"model APIs ({env}): "
    record(f"{tag}serving role invokes the configured model with the guardrail, through its endpoint", "ALLOW",
           invoke("inference_role/role", model, with_guardrail), how(env))
    record(f"{tag}serving role invokes a model not on the list ({OTHER_MODEL})", "DENY",
           invoke("inference_role/role", other, with_guardrail), how(env))
    record(f"{tag}serving role invokes the configured model without the guardrail header", "DENY",
           invoke("inference_role/role", model, through_endpoint), how(env))
    record(f"{tag}serving role invokes naming the guardrail's DRAFT instead of its published version", "DENY",
           invoke("inference_role/role", model, {**with_guardrail, "bedrock:GuardrailIdentifier":
                                                  guardrail.rsplit(":", 1)[0] + ":DRAFT"}), how(env))
    record(f"{tag}serving role's credentials invoke from outside its endpoint (public Bedrock endpoint)", "DENY",
           invoke("inference_role/role", model, {"aws:SecureTransport": "true", "aws:PrincipalAccount": rules.account,
                                                  "bedrock:GuardrailIdentifier": guardrail}), how(env))
    if not rules.bedrock.training_vpc:
        for role_path, who in (("training_job_role/role", "training job role"),
                               ("training_compute/job_role/role", "training compute job role")):
            record(f"{tag}the {who} invokes Bedrock (the configuration gives training no model)",
                   "DENY", invoke(role_path, model, {**with_guardrail, "aws:SourceVpce": "vpce-0training000000000",
                                                     "aws:SourceVpc": rules.ref("aws_vpc", "training_network/vpc")}),
                   how(env))


# -- egress ----------------------------------------------------------------------------------------------------------
def _dns_match(entry: str, name: str) -> bool:
    """Route 53 Resolver DNS Firewall domain-list entries: ``*`` everything, ``*.example.com`` its subdomains,
    anything else itself (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-dns-firewall-domain-lists.html)."""
    if entry == "*":
        return True
    if entry.startswith("*."):
        return name.endswith(entry[1:])
    return name == entry


def resolve_decision(rules: SynthesizedRules, network: str, name: str) -> Decision:
    """The VPC's DNS Firewall: rule groups by association priority, rules by priority, first match decides."""
    vpc = f"${{aws_vpc.{rules.by_path('aws_vpc')[f'{network}/vpc'][0]}.id}}"
    associations = sorted((a for _, a in rules.by_path("aws_route53_resolver_firewall_rule_group_association").values()
                           if a["vpc_id"] == vpc), key=lambda a: a["priority"])
    lists = {f"${{aws_route53_resolver_firewall_domain_list.{k}.id}}": v for k, v in
             rules.stack["resource"].get("aws_route53_resolver_firewall_domain_list", {}).items()}
    all_rules = list(rules.stack["resource"].get("aws_route53_resolver_firewall_rule", {}).values())
    for association in associations:
        group = association["firewall_rule_group_id"]
        group_rules = sorted((r for r in all_rules if r["firewall_rule_group_id"] == group),
                             key=lambda r: r["priority"])
        for rule in group_rules:
            domains = lists[rule["firewall_domain_list_id"]]["domains"]
            if any(_dns_match(d, name) for d in domains):
                allowed = rule["action"] == "ALLOW"
                return Decision(allowed, f"DNS Firewall of {network}: rule {rule['name']!r} ({rule['action']}"
                                f"{'' if allowed else ', ' + rule.get('block_response', '')}) of association "
                                f"{association['name']!r} (priority {association['priority']}) matches {name!r}")
    return Decision(True, f"no DNS Firewall rule matches {name!r} in {network}")


def connect_decision(rules: SynthesizedRules, subnet_paths: list[str], host: str) -> Decision:
    """HTTPS to ``host`` from the subnets of a workload: route out, firewall (HOME_NET + allow-list), NAT, IGW."""
    from zero_trust_ai.model_egress import egress_decision

    subnets = rules.by_path("aws_subnet")
    tables: dict[str, list[str]] = {}
    for _, association in rules.by_path("aws_route_table_association").values():
        tables.setdefault(association["subnet_id"], []).append(association["route_table_id"])
    routes = [r for _, r in rules.by_path("aws_route").values()]
    (_, group), = rules.by_path("aws_networkfirewall_rule_group").values()
    home = [ipaddress.ip_network(c) for s in group["rule_group"]["rule_variables"]["ip_sets"]
            if s["key"] == "HOME_NET" for c in s["ip_set"]["definition"]]
    targets = group["rule_group"]["rules_source"]["rules_source_list"]["targets"]
    # after the firewall: each firewall subnet's default route goes to a NAT gateway, each NAT subnet's to the IGW
    to_nat = [r for r in routes if r["destination_cidr_block"] == "0.0.0.0/0" and "nat_gateway_id" in r]
    to_igw = [r for r in routes if str(r.get("gateway_id", "")).startswith("${aws_internet_gateway.")]
    reasons = []
    for path in subnet_paths:
        logical, subnet = subnets[path]
        subnet_ref = f"${{aws_subnet.{logical}.id}}"
        table_refs = tables.get(subnet_ref, [])
        default = [r for r in routes
                   if r["route_table_id"] in table_refs and r["destination_cidr_block"] == "0.0.0.0/0"]
        if not default:
            return Decision(False, f"no route out of {path} ({subnet['cidr_block']}): its route table holds only the "
                            "VPC's local route and the S3 gateway endpoint's prefix list")
        (route,) = default
        if "aws_networkfirewall_firewall." not in str(route.get("vpc_endpoint_id", "")):
            return Decision(False, f"{path} routes 0.0.0.0/0 somewhere other than the firewall: {route}")
        if not any(ipaddress.ip_network(subnet["cidr_block"]).subnet_of(n) for n in home):  # type: ignore[arg-type]
            return Decision(False, f"{path} is outside HOME_NET: no pass rule matches its traffic")
        if not to_nat or not to_igw:
            return Decision(False, f"{path} -> firewall endpoint, but nothing routes on to a NAT and internet gateway")
        allowed, why = egress_decision(targets, host)
        if not allowed:
            return Decision(False, f"{path} -> firewall endpoint: {why}")
        reasons.append(f"{path} -> firewall endpoint ({why}) -> NAT -> internet gateway")
    return Decision(True, "; ".join(reasons))


def egress_attempts(rules: SynthesizedRules, record: Callable[..., None]) -> None:
    env = rules.env
    tag = f"model APIs ({env}): "
    (_, fleet), = rules.by_path("aws_autoscaling_group").values()
    subnet_paths = {f"${{aws_subnet.{logical}.id}}": path for path, (logical, _) in rules.by_path("aws_subnet").items()}
    fleet_subnets = [subnet_paths[s] for s in fleet["vpc_zone_identifier"]]
    allowed_exact = next(d for d in rules.external.allowed_domains if not d.startswith("."))
    allowed_suffix = next((d for d in rules.external.allowed_domains if d.startswith(".")), None)
    private_serving = sorted(p for p in subnet_paths.values() if p.startswith("serving_network/"))
    training = sorted(p for p in subnet_paths.values() if p.startswith("training_network/"))
    # resolution (DNS Firewall) and connection (routes + Network Firewall), as a workload would try them
    record(f"{tag}a serving workload resolves a domain not on the allow-list ({ATTACKER_DOMAIN})", "DENY",
           resolve_decision(rules, "serving_network", ATTACKER_DOMAIN), how(env))
    record(f"{tag}the inference fleet connects to a domain not on the allow-list ({ATTACKER_DOMAIN})", "DENY",
           connect_decision(rules, fleet_subnets, ATTACKER_DOMAIN), how(env))
    lookalike = f"{allowed_exact}.{ATTACKER_DOMAIN}"
    record(f"{tag}the inference fleet connects to a look-alike name ({lookalike})", "DENY",
           connect_decision(rules, fleet_subnets, lookalike), how(env))
    record(f"{tag}the inference fleet resolves an allowed domain ({allowed_exact})", "ALLOW",
           resolve_decision(rules, "serving_network", allowed_exact), how(env))
    record(f"{tag}the inference fleet connects to an allowed domain ({allowed_exact})", "ALLOW",
           connect_decision(rules, fleet_subnets, allowed_exact), how(env))
    if allowed_suffix is not None:
        sub = f"eu{allowed_suffix}"
        record(f"{tag}the inference fleet connects to a subdomain of an allowed suffix ({sub})", "ALLOW",
               connect_decision(rules, fleet_subnets, sub), how(env))
    record(f"{tag}a non-egress serving workload (private subnets) connects to an allowed domain", "DENY",
           connect_decision(rules, private_serving, allowed_exact), how(env))
    record(f"{tag}a training workload connects to an allowed domain", "DENY",
           connect_decision(rules, training, allowed_exact), how(env))
    record(f"{tag}a training workload resolves an allowed domain (its VPC's DNS Firewall has no egress list)", "DENY",
           resolve_decision(rules, "training_network", allowed_exact), how(env))


def model_api_attempts(record: Callable[..., None], *, only: str | None = None) -> None:
    rules = synthesized_environment(only)
    bedrock_attempts(rules, record)
    egress_attempts(rules, record)
