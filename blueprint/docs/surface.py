"""Attack-surface map generated from an environment's synthesized Terraform JSON (seed steps 1 and 8).

Nothing here is drawn by hand: components and every allowed (or explicitly denied) flow are read from
the synthesized resources -- security groups, VPC endpoints, IAM and bucket policies, key policies,
flow-log and access-log delivery, trust policies. Outputs per environment under ``docs/attack-surface/``:

* ``<env>.md``  -- components, who-talks-to-whom (with data kind and guarding control), the persona x
  resource access matrix, and anything reachable from outside the VPCs (there should be nothing);
* ``<env>-overview.svg``/``.png`` -- the seed's components and the trust boundaries between them, and
  ``<env>.svg``/``.png`` -- every component and flow; both laid out by Graphviz (``blueprint.docs.picture``),
  hover a box or arrow in the SVG for its detail. The ``.md`` embeds the overview as a Mermaid diagram.

``python -m blueprint.docs.surface`` regenerates them from ``cdktf.out``; ``tests/test_surface.py`` fails when
the committed files differ from what the code produces (drift).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks.paths import below_root, is_platform_stack

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOCS = PROJECT_ROOT / "docs" / "attack-surface"
REF = re.compile(r"\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)\.[a-z_]+\}")

DATA_KIND = {
    "raw": "raw data",
    "features": "features",
    "training": "training data",
    "validation": "validation data",
    "models": "model artifacts",
    "archive": "logs (trail, flow)",
    "access_logs": "access logs",
}
COLUMNS = ("external", "identity", "network", "compute", "data", "key", "logs")
COLUMN_TITLES = {
    "external": "Principals outside the platform",
    "identity": "Roles",
    "network": "Networks",
    "compute": "Compute",
    "data": "Data (S3)",
    "key": "KMS keys",
    "logs": "Log sinks",
}


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    column: str
    detail: str = ""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    access: str  # e.g. "read training/*", "HTTPS 443", "deliver flow logs"
    data: str
    control: str
    effect: str = "allow"  # allow | deny


@dataclass
class SurfaceMap:
    environment: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    exposures: list[str] = field(default_factory=list)

    def add(self, node: Node) -> str:
        self.nodes.setdefault(node.id, node)
        return node.id

    def connect(self, edge: Edge) -> None:
        if edge not in self.edges:
            self.edges.append(edge)


def _path(body: dict[str, Any]) -> str:
    return below_root(str(body["//"]["metadata"]["path"]))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


PINNED_IMAGE = re.compile(r"[^@\s]+@sha256:[0-9a-f]{64}")


def build(environment: str, stack: dict[str, Any]) -> SurfaceMap:
    """Derive components and flows from one synthesized stack."""
    resources: dict[str, dict[str, Any]] = stack.get("resource", {})
    surface = SurfaceMap(environment)
    by_logical: dict[str, tuple[str, dict[str, Any]]] = {}
    for type_name, items in resources.items():
        for logical, body in items.items():
            by_logical[logical] = (type_name, body)

    def ref_target(expression: Any) -> tuple[str, str, dict[str, Any]] | None:
        match = REF.search(str(expression))
        if not match or match.group(2) not in by_logical:
            return None
        type_name, body = by_logical[match.group(2)]
        return type_name, match.group(2), body

    # -- data, keys, logs --------------------------------------------------------------------------
    bucket_node: dict[str, str] = {}
    for logical, body in resources.get("aws_s3_bucket", {}).items():
        short = _path(body).split("/")[-2]
        node_id = f"bucket:{short}"
        bucket_node[logical] = node_id
        column = "logs" if _path(body).startswith("log_archive/") else "data"
        lock = " | Object Lock" if body.get("object_lock_enabled") else ""
        surface.add(Node(node_id, f"s3: {short}", column, f"{body['bucket']}{lock}"))
    key_node: dict[str, str] = {}
    for logical, body in resources.get("aws_kms_key", {}).items():
        short = _path(body).split("/")[-2]
        key_node[logical] = f"key:{short}"
        usage = "sign/verify" if body.get("key_usage") == "SIGN_VERIFY" else "encrypt, rotation on"
        surface.add(Node(f"key:{short}", f"kms: {short}", "key", usage))
    for body in resources.get("aws_cloudwatch_log_group", {}).values():
        surface.add(
            Node(f"logs:{body['name']}", f"log group {body['name']}", "logs", f"KMS, {body['retention_in_days']} days")
        )
    bucket_key: dict[str, str] = {}
    for body in resources.get("aws_s3_bucket_server_side_encryption_configuration", {}).values():
        bucket = ref_target(body["bucket"])
        rule = body["rule"][0]["apply_server_side_encryption_by_default"]
        if bucket:
            key = ref_target(rule.get("kms_master_key_id"))
            bucket_key[bucket[1]] = f"KMS {key_node[key[1]].split(':')[1]}" if key else "SSE-S3"

    # -- networks -----------------------------------------------------------------------------------
    vpc_node: dict[str, str] = {}
    for logical, body in resources.get("aws_vpc", {}).items():
        name = _path(body).split("/")[0]
        vpc_node[logical] = f"vpc:{name}"
        in_vpc = [s for s in resources.get("aws_subnet", {}).values() if logical in str(s["vpc_id"])]
        subnets = [s for s in in_vpc if not str(s.get("tags", {}).get("tier", "")).startswith("egress-")]
        egress = len(in_vpc) - len(subnets)
        gateways = [g for g in resources.get("aws_internet_gateway", {}).values() if logical in str(g["vpc_id"])]
        endpoints = sorted(
            e["service_name"].split(".")[-1]
            if e["vpc_endpoint_type"] == "Gateway"
            else ".".join(e["service_name"].split(".")[3:])
            for e in resources.get("aws_vpc_endpoint", {}).values()
            if logical in str(e["vpc_id"])
        )
        surface.add(
            Node(
                f"vpc:{name}",
                f"{name.replace('_', ' ')} {body['cidr_block']}",
                "network",
                f"{len(subnets)} private subnets, "
                + (f"{egress} egress subnets (Network Firewall allow-list, NAT, IGW: outbound only)"
                   if egress or gateways else "no IGW/NAT")
                + f"; endpoints: {', '.join(endpoints)}",
            )
        )
    for body in resources.get("aws_security_group", {}).values():
        path = _path(body)
        vpc = ref_target(body["vpc_id"])
        network = vpc_node[vpc[1]] if vpc else "vpc:?"
        node_id = f"sg:{path}"
        surface.add(Node(node_id, f"{path.split('_')[0]} sg {path.split('/')[-1]}", "network", network.split(":")[1]))
        for rule in body.get("ingress", []):
            sources = ", ".join(rule.get("cidr_blocks") or []) or "referenced groups"
            surface.connect(
                Edge(network, node_id, f"tcp {rule['from_port']}", "API calls", f"ingress from {sources} only (TLS)")
            )
            if set(rule.get("cidr_blocks") or []) & {"0.0.0.0/0"} or set(rule.get("ipv6_cidr_blocks") or []) & {"::/0"}:
                surface.exposures.append(f"security group {path} admits the internet on port {rule['from_port']}")
        for rule in body.get("egress", []):
            for group in rule.get("security_groups") or []:
                peer = ref_target(group)
                if peer:
                    surface.connect(
                        Edge(
                            node_id,
                            f"sg:{_path(peer[2])}",
                            f"tcp {rule['from_port']}",
                            "AWS API calls",
                            "TLS to VPC endpoints",
                        )
                    )
            if rule.get("prefix_list_ids"):
                surface.connect(
                    Edge(
                        node_id,
                        "aws:s3-gateway",
                        f"tcp {rule['from_port']}",
                        "objects",
                        "TLS via S3 gateway endpoint (platform buckets only)",
                    )
                )
    if any(e["vpc_endpoint_type"] == "Gateway" for e in resources.get("aws_vpc_endpoint", {}).values()):
        surface.add(Node("aws:s3-gateway", "S3 gateway endpoints", "network", "policy: platform buckets, this account"))
    sanctioned = _sanctioned_egress(resources)
    for kind in ("aws_internet_gateway", "aws_nat_gateway", "aws_eip"):
        for logical in resources.get(kind, {}):
            if logical not in sanctioned:
                surface.exposures.append(f"{kind} {logical} gives a path to the internet")
    for body in resources.get("aws_subnet", {}).values():
        if body.get("map_public_ip_on_launch"):
            surface.exposures.append(f"subnet {_path(body)} assigns public IPs")

    # flow logs
    for body in resources.get("aws_flow_log", {}).values():
        vpc = ref_target(body["vpc_id"])
        destination = ref_target(body["log_destination"])
        remote = _remote_bucket(surface, body["log_destination"]) if body["log_destination_type"] == "s3" else None
        if vpc and remote:
            surface.connect(Edge(vpc_node[vpc[1]], remote, "deliver flow logs", "network metadata",
                                 "log delivery service, this account's sources only (the archive's policy)"))
            continue
        if not (vpc and destination):
            continue
        if destination[0] == "aws_s3_bucket":
            surface.connect(
                Edge(
                    vpc_node[vpc[1]],
                    bucket_node[destination[1]],
                    "deliver flow logs",
                    "network metadata",
                    f"log delivery service, {bucket_key.get(destination[1], '')}",
                )
            )
        else:
            surface.connect(
                Edge(
                    vpc_node[vpc[1]],
                    f"logs:{destination[2]['name']}",
                    "deliver flow logs",
                    "network metadata",
                    "flow-log role (SourceArn), KMS logs",
                )
            )
    # access logging
    for body in resources.get("aws_s3_bucket_logging", {}).values():
        logged, sink = ref_target(body["bucket"]), ref_target(body["target_bucket"])
        if logged and sink:
            surface.connect(
                Edge(
                    bucket_node[logged[1]],
                    bucket_node[sink[1]],
                    "server access logs",
                    "access logs",
                    "logging.s3 scoped by SourceArn",
                )
            )

    # -- compute ------------------------------------------------------------------------------------
    for body in resources.get("aws_batch_compute_environment", {}).values():
        node_id = f"compute:{body['compute_environment_name']}"
        compute = body["compute_resources"]
        surface.add(
            Node(
                node_id,
                f"batch {body['compute_environment_name']}",
                "compute",
                f"{', '.join(compute['instance_type'])}; IMDSv2; encrypted volumes",
            )
        )
        for group in compute.get("security_group_ids", []):
            peer = ref_target(group)
            if peer:
                surface.connect(Edge(node_id, f"sg:{_path(peer[2])}", "runs in", "training jobs", "private subnets"))
    for body in resources.get("aws_batch_job_definition", {}).values():
        container = json.loads(body["container_properties"])
        role = ref_target(container.get("jobRoleArn"))
        # each job definition (the pipeline stages, issue 17) on its own edge: its image (pinned by digest?) and command
        pinned = "image pinned by digest" if PINNED_IMAGE.fullmatch(str(container.get("image"))) else \
            "image NOT pinned by digest (tag)"
        for compute_env in resources.get("aws_batch_compute_environment", {}).values():
            if role:
                surface.connect(
                    Edge(
                        f"compute:{compute_env['compute_environment_name']}",
                        f"role:{_path(role[2]).rsplit('/', 1)[0]}",
                        f"job {body['name']} assumes",
                        "credentials",
                        f"ecs-tasks trust, SourceArn; {pinned}; {' '.join(container.get('command', []))}",
                    )
                )
            group = container.get("logConfiguration", {}).get("options", {}).get("awslogs-group")
            if group:
                surface.connect(
                    Edge(
                        f"compute:{compute_env['compute_environment_name']}",
                        f"logs:{group}",
                        "job output",
                        "every command's output",
                        "KMS logs",
                    )
                )

    # -- identities ---------------------------------------------------------------------------------
    role_node: dict[str, str] = {}
    for logical, body in resources.get("aws_iam_role", {}).items():
        path = _path(body).rsplit("/", 1)[0]
        role_node[logical] = f"role:{path}"
        kind = body.get("tags", {}).get("ztai:kind", "role")
        label = path.split("/")[-1] if path.startswith("identities/") else path
        surface.add(
            Node(
                f"role:{path}",
                label.replace("_", " ").replace("/", " / "),
                "identity",
                f"{kind}, max session {body['max_session_duration']} s",
            )
        )
        trust = json.loads(body["assume_role_policy"])
        for statement in trust["Statement"]:
            principal = statement.get("Principal", {})
            condition = statement.get("Condition", {})
            for arn in _as_list(principal.get("AWS")):
                external = f"principal:{arn}"
                surface.add(Node(external, arn.split(":", 5)[-1], "external", arn.split(":")[4]))
                mfa = "MFA" if "aws:MultiFactorAuthPresent" in json.dumps(condition) else "NO MFA"
                age = condition.get("NumericLessThan", {}).get("aws:MultiFactorAuthAge")
                surface.connect(
                    Edge(
                        external,
                        f"role:{path}",
                        "assume role",
                        "session credentials",
                        f"{mfa} (age < {age} s), source identity" if age else mfa,
                    )
                )
            for provider in _as_list(principal.get("Federated")):
                if statement.get("Action") != "sts:AssumeRoleWithSAML":
                    continue  # the companion statement (source identity, session tags) is not another path
                external = f"principal:{provider}"
                surface.add(Node(external, provider.split(":", 5)[-1], "external", "identity provider"))
                surface.connect(Edge(external, f"role:{path}", "assume role (SAML)", "session credentials",
                                     "IdP MFA session tag (boundary), source identity"))
            for service in _as_list(principal.get("Service")):
                node_id = f"service:{service}"
                surface.add(Node(node_id, service.replace(".amazonaws.com", ""), "external", "AWS service"))
                scoped = "SourceAccount+SourceArn" if "aws:SourceArn" in json.dumps(condition) else "instance profile"
                surface.connect(Edge(node_id, f"role:{path}", "assume role", "session credentials", scoped))
    for body in resources.get("aws_iam_role_policy", {}).values():
        role = ref_target(body["role"])
        if not role:
            continue
        grantee = role_node[role[1]]
        for statement in json.loads(body["policy"])["Statement"]:
            effect = statement["Effect"].lower()
            actions = _as_list(statement.get("Action"))
            for resource in _as_list(statement.get("Resource")):
                target = ref_target(resource)
                if target and target[0] == "aws_s3_bucket" and ("s3:GetObject" in actions or "s3:PutObject" in actions):
                    prefix = str(resource).split("}", 1)[1].lstrip("/") or "*"
                    verbs = [v for v, a in (("read", "s3:GetObject"), ("write", "s3:PutObject")) if a in actions]
                    guard = (
                        "explicit Deny in identity policy"
                        if effect == "deny"
                        else f"TLS>=1.2, {bucket_key.get(target[1], '')}"
                    )
                    surface.connect(
                        Edge(
                            grantee,
                            bucket_node[target[1]],
                            f"{'/'.join(verbs)} {prefix}",
                            DATA_KIND.get(bucket_node[target[1]].split(":")[1], "objects"),
                            guard,
                            effect,
                        )
                    )
                elif target and target[0] == "aws_kms_key":
                    verbs = sorted({a.split(":")[1] for a in actions if a != "kms:DescribeKey"})
                    surface.connect(
                        Edge(grantee, key_node[target[1]], " ".join(verbs), "keys", "key policy + IAM", effect)
                    )
    # explicit denies in bucket policies
    for body in resources.get("aws_s3_bucket_policy", {}).values():
        bucket = ref_target(body["bucket"])
        if not bucket:
            continue
        for statement in json.loads(body["policy"])["Statement"]:
            principal = statement.get("Principal", {})
            aws_principal = principal.get("AWS") if isinstance(principal, dict) else None
            if statement["Effect"] == "Allow" and aws_principal == "*":
                surface.exposures.append(f"bucket {bucket_node[bucket[1]]} allows any principal")
            role = ref_target(aws_principal) if aws_principal else None
            if statement["Effect"] == "Deny" and role and role[0] == "aws_iam_role":
                surface.connect(
                    Edge(
                        role_node[role[1]],
                        bucket_node[bucket[1]],
                        "any object action",
                        DATA_KIND.get(bucket_node[bucket[1]].split(":")[1], "objects"),
                        "explicit Deny in bucket policy",
                        "deny",
                    )
                )
    _serving_and_response(resources, surface, ref_target, bucket_node, role_node)
    _model_api_egress(resources, surface)
    surface.edges.sort(key=lambda e: (e.source, e.target, e.effect, e.access))
    return surface


def _remote_bucket(surface: SurfaceMap, value: Any) -> str | None:
    """A literal bucket name or ARN (no reference) is a bucket of another account -- the organization's log archive
    (zero_trust_ai.evidence_destinations.DelegatedEvidence), whose own policies admit this account's writers."""
    if not isinstance(value, str) or "${" in value:
        return None
    name = value.removeprefix("arn:aws:s3:::")
    return surface.add(Node(f"remote:{name}", f"log-archive account: s3 {name}", "logs",
                            "another account's archive: its policies admit this writer; nobody here can delete"))


def _logical(expression: Any) -> str | None:
    match = REF.search(str(expression))
    return match.group(2) if match else None


def _routes(resources: dict[str, dict[str, Any]]) -> list[tuple[str | None, dict[str, Any]]]:
    """(route table logical id, route) of every standalone route and inline route-table route."""
    found = [(_logical(r["route_table_id"]), r) for r in resources.get("aws_route", {}).values()]
    for logical, table in resources.get("aws_route_table", {}).items():
        found += [(logical, r) for r in _as_list(table.get("route"))]
    return found


def _subnets_of_table(resources: dict[str, dict[str, Any]], table: str | None) -> set[str]:
    return {str(_logical(a["subnet_id"])) for a in resources.get("aws_route_table_association", {}).values()
            if _logical(a["route_table_id"]) == table}


def _sanctioned_egress(resources: dict[str, dict[str, Any]]) -> set[str]:
    """Internet and NAT gateways (and the NAT's Elastic IPs) that only an inspected, outbound-only path reaches: the
    VPC has a Network Firewall whose policy drops what no rule passes; every route to the internet gateway comes from
    subnets holding nothing but NAT gateways; every route to a NAT gateway comes from the firewall's own subnets; the
    addresses belong to those NAT gateways only. Anything else stays an exposure."""
    firewalls = resources.get("aws_networkfirewall_firewall", {})
    policies = resources.get("aws_networkfirewall_firewall_policy", {})
    dropping = {_logical(f["vpc_id"]) for f in firewalls.values()
                if "aws:drop_established" in _as_list(policies.get(str(_logical(f["firewall_policy_arn"])), {})
                                                      .get("firewall_policy", {}).get("stateful_default_actions"))}
    firewall_subnets = {str(_logical(m["subnet_id"])) for f in firewalls.values()
                        for m in _as_list(f.get("subnet_mapping"))}
    nats = resources.get("aws_nat_gateway", {})
    nat_subnets = {str(_logical(n["subnet_id"])) for n in nats.values()}
    routes = _routes(resources)
    sanctioned: set[str] = set()
    for logical, gateway in resources.get("aws_internet_gateway", {}).items():
        sources = [t for t, r in routes if _logical(r.get("gateway_id")) == logical]
        if _logical(gateway["vpc_id"]) in dropping and all(
                _subnets_of_table(resources, t) and _subnets_of_table(resources, t) <= nat_subnets for t in sources):
            sanctioned.add(logical)
    for logical, nat in nats.items():
        sources = [t for t, r in routes if _logical(r.get("nat_gateway_id")) == logical]
        upstream = [r for t, r in routes if t is not None and str(_logical(nat["subnet_id"])) in
                    _subnets_of_table(resources, t) and r.get("destination_cidr_block") == "0.0.0.0/0"]
        if sources and all(_subnets_of_table(resources, t) and _subnets_of_table(resources, t) <= firewall_subnets
                           for t in sources) and upstream and all(_logical(r.get("gateway_id")) in sanctioned
                                                                    for r in upstream):
            sanctioned.add(logical)
    for logical, address in resources.get("aws_eip", {}).items():
        owners = [n for n, body in nats.items() if _logical(body.get("allocation_id")) == logical]
        if owners and all(n in sanctioned for n in owners) and not address.get("instance") \
                and not address.get("network_interface"):
            sanctioned.add(logical)
    return sanctioned


def _model_api_egress(resources: dict[str, dict[str, Any]], surface: SurfaceMap) -> None:
    """External model APIs (ModelEgress): an edge to the outside per allowed domain, from each workload whose subnets
    route 0.0.0.0/0 to the firewall and lie in its rule group's HOME_NET."""
    groups = resources.get("aws_networkfirewall_rule_group", {})
    if not groups or not resources.get("aws_networkfirewall_firewall"):
        return
    routes = _routes(resources)
    to_firewall = {t for t, r in routes if r.get("destination_cidr_block") == "0.0.0.0/0"
                   and "aws_networkfirewall_firewall." in str(r.get("vpc_endpoint_id", ""))}
    egress_subnets = {s for t in to_firewall for s in _subnets_of_table(resources, t)}
    subnets = resources.get("aws_subnet", {})
    for group in groups.values():
        source = group["rule_group"]["rules_source"].get("rules_source_list") or {}
        if source.get("generated_rules_type") != "ALLOWLIST":
            continue
        home = [c for v in _as_list(group["rule_group"].get("rule_variables", {}).get("ip_sets"))
                if v["key"] == "HOME_NET" for c in v["ip_set"]["definition"]]
        for body in resources.get("aws_autoscaling_group", {}).values():
            placed = {str(_logical(s)) for s in _as_list(body.get("vpc_zone_identifier"))}
            if not placed or not placed <= egress_subnets or not all(
                    subnets.get(s, {}).get("cidr_block") in home for s in placed):
                continue
            for domain in sorted(source["targets"]):
                node_id = surface.add(Node(f"api:{domain}", domain, "external",
                                           "external model API (allow-listed domain)"))
                surface.connect(Edge(f"compute:{body['name']}", node_id,
                                     f"HTTPS 443 ({'/'.join(sorted(source['target_types']))})", "model API requests",
                                     "Network Firewall allow-list (default drop + alert), DNS Firewall, NAT: "
                                     "outbound only"))


def _serving_and_response(
    resources: dict[str, dict[str, Any]],
    surface: SurfaceMap,
    ref_target: Any,
    bucket_node: dict[str, str],
    role_node: dict[str, str],
) -> None:
    """Load balancer, inference fleet, token issuer, trail, detections and the quarantine function."""
    # standalone security-group rules (the serving tier uses them for its cross-references)
    cidr_rules = [(body, cidr) for body in resources.get("aws_vpc_security_group_ingress_rule", {}).values()
                  for cidr in _as_list(body.get("cidr_ipv4") or body.get("cidr_ipv6"))]
    cidr_rules += [(body, cidr) for body in resources.get("aws_security_group_rule", {}).values()
                   if body["type"] == "ingress"
                   for cidr in _as_list(body.get("cidr_blocks")) + _as_list(body.get("ipv6_cidr_blocks"))]
    for body, cidr in cidr_rules:
        group = ref_target(body["security_group_id"])
        if group:
            node_id = f"sg:{_path(group[2])}"
            surface.add(Node(f"clients:{cidr}", f"clients {cidr}", "external", "private range"))
            surface.connect(Edge(f"clients:{cidr}", node_id, f"tcp {body['from_port']}", "inference requests",
                                 f"ingress from {cidr} only"))
            if cidr in ("0.0.0.0/0", "::/0"):
                surface.exposures.append(f"security group {_path(group[2])} admits the internet on port "
                                         f"{body['from_port']}")
    for body in resources.get("aws_security_group_rule", {}).values():
        group, peer = ref_target(body["security_group_id"]), ref_target(body.get("source_security_group_id"))
        if group and peer:
            source, target_ = (peer, group) if body["type"] == "ingress" else (group, peer)
            surface.connect(Edge(f"sg:{_path(source[2])}", f"sg:{_path(target_[2])}", f"tcp {body['from_port']}",
                                 "inference requests", "security-group reference only"))
    tokens = ""
    for body in resources.get("aws_cognito_user_pool_client", {}).values():
        tokens = f"bearer token <= {body['access_token_validity']} min"
    issuer = next(iter(resources.get("aws_cognito_user_pool", {}).values()), None)
    if issuer:
        clients = len(resources.get("aws_cognito_user_pool_client", {}))
        surface.add(Node("issuer:tokens", "token issuer (Cognito)", "identity",
                         f"client credentials, {clients} app clients, scopes per operation; {tokens}"))
    for logical, body in resources.get("aws_lb", {}).items():
        node_id = f"lb:{body['name']}"
        listeners = [lb for lb in resources.get("aws_lb_listener", {}).values() if logical in lb["load_balancer_arn"]]
        mtls = all(lb.get("mutual_authentication", {}).get("mode") == "verify" for lb in listeners)
        rate = next((r["statement"]["rate_based_statement"]["limit"]
                     for acl in resources.get("aws_wafv2_web_acl", {}).values() for r in acl["rule"]
                     if "rate_based_statement" in r["statement"]), None)
        surface.add(Node(node_id, f"{'internal' if body['internal'] else 'INTERNET-FACING'} ALB {body['name']}",
                         "compute", f"HTTPS 443 TLS 1.3; mTLS {'verify' if mtls else 'OFF (emulator gap)'}; "
                         f"WAF rate {rate}/5 min"))
        if not body["internal"]:
            surface.exposures.append(f"load balancer {body['name']} is internet-facing")
        for listener in listeners:
            if listener["protocol"] != "HTTPS":
                surface.exposures.append(f"load balancer {body['name']} listens on {listener['protocol']}")
        for group in body.get("security_groups", []):
            peer = ref_target(group)
            if peer:
                guard = ("mutual TLS (client CA trust store)" if mtls else "TLS only (no client certificates)")
                surface.connect(Edge(f"sg:{_path(peer[2])}", node_id, "HTTPS 443", "inference requests",
                                     f"{guard} + {tokens or 'bearer token'} + WAF"))
        if issuer:
            surface.connect(Edge("issuer:tokens", node_id, "signs tokens", "scopes invoke / update-routing",
                                 "validator checks issuer, audience, scope, expiry"))
        logs = ref_target(body.get("access_logs", {}).get("bucket"))
        remote = _remote_bucket(surface, body.get("access_logs", {}).get("bucket"))
        if logs or remote:
            surface.connect(Edge(node_id, bucket_node[logs[1]] if logs else str(remote), "access logs",
                                 "request logs", "ELB log delivery, own prefix only"))
    for body in resources.get("aws_autoscaling_group", {}).values():
        node_id = f"compute:{body['name']}"
        surface.add(Node(node_id, f"asg {body['name']}", "compute", "IMDSv2; encrypted volumes; no public IP"))
        for lb in resources.get("aws_lb", {}).values():
            surface.connect(Edge(f"lb:{lb['name']}", node_id, "HTTPS target port", "inference requests",
                                 "security group admits only the ALB"))
        template = ref_target(body["launch_template"]["id"])
        profile = ref_target(template[2].get("iam_instance_profile", {}).get("arn")) if template else None
        role = ref_target(str(profile[2]["role"]).replace(".name}", ".arn}")) if profile else None
        if role:
            surface.connect(Edge(node_id, role_node[role[1]], "instances assume", "credentials", "instance profile"))
    for body in resources.get("aws_cloudtrail", {}).values():
        node_id = f"trail:{body['name']}"
        surface.add(Node(node_id, f"cloudtrail {body['name']}", "logs",
                         "multi-region, validated, KMS; management + data-lake data events"))
        archive = ref_target(body["s3_bucket_name"])
        remote = _remote_bucket(surface, body["s3_bucket_name"])
        if archive:
            surface.connect(Edge(node_id, bucket_node[archive[1]], "deliver trail", "API activity",
                                 "cloudtrail scoped by SourceArn, KMS logs"))
        elif remote:
            surface.connect(Edge(node_id, remote, "deliver trail", "API activity",
                                 "cloudtrail scoped by SourceArn (the archive's policy), KMS archive key"))
        group = ref_target(str(body["cloud_watch_logs_group_arn"]).removesuffix(":*"))
        if group:
            surface.connect(Edge(node_id, f"logs:{group[2]['name']}", "stream events", "API activity",
                                 "delivery role (SourceArn)"))
            alarms = len(resources.get("aws_cloudwatch_log_metric_filter", {}))
            surface.add(Node("alerts:topic", "alert topic (SNS, KMS)", "logs", f"{alarms} detections + serving alarms"))
            surface.connect(Edge(f"logs:{group[2]['name']}", "alerts:topic", "metric filters -> alarms",
                                 "detections", "CloudWatch alarms"))
    for body in resources.get("aws_lambda_function", {}).values():
        node_id = f"function:{body['function_name']}"
        signed = "signed code" if body.get("code_signing_config_arn") else "UNSIGNED (emulator gap)"
        surface.add(Node(node_id, f"lambda {body['function_name']}", "compute",
                         f"{signed}; DLQ; reserved concurrency {body.get('reserved_concurrent_executions')}"))
        surface.add(Node("events:rules", "EventBridge rules", "logs", "GuardDuty findings, security alarms"))
        surface.connect(Edge("events:rules", node_id, "invoke", "findings / alarm changes",
                             "lambda permission per rule (SourceArn)"))
        variables = body["environment"]["variables"]
        if "RUN_RECORD_BUCKET" in variables:  # the run recorder (issue 17, seed step 4)
            for environment in resources.get("aws_batch_compute_environment", {}).values():
                surface.connect(Edge(f"compute:{environment['compute_environment_name']}", "events:rules",
                                     "Batch Job State Change", "job command, image, environment",
                                     "rule scoped to this platform's job queues"))
            archive = next((node for logical, node in bucket_node.items()
                            if logical in str(variables["RUN_RECORD_BUCKET"])), None)
            if archive:
                surface.connect(Edge(node_id, archive, "write run-records/<jobId>/<status>.json", "run records",
                                     "create-only (If-None-Match), Object Lock, KMS logs"))
        if "MANAGED_ROLE_PREFIX" in variables:
            prefix = variables["MANAGED_ROLE_PREFIX"]
            surface.add(Node(f"roles:{prefix}*", f"platform roles {prefix}*", "identity",
                             "except break-glass, auditor, evidence delivery and the function's own roles"))
            surface.connect(Edge(node_id, f"roles:{prefix}*", "attach deny-all + revoke sessions", "quarantine",
                                 "explicit Deny on protected roles; scheduled release", "deny"))
        if "JWKS_URL" in variables and issuer:
            surface.connect(Edge("issuer:tokens", node_id, "HTTPS (public JWKS)", "public keys",
                                 "function outside the VPCs; writes one SSM parameter"))
            for fleet in resources.get("aws_autoscaling_group", {}).values():
                surface.connect(Edge(node_id, f"compute:{fleet['name']}", "SSM parameter (via endpoint)",
                                     "public keys", "targets read the JWKS through the SSM endpoint"))


# -- markdown -----------------------------------------------------------------------------------------
def render_markdown(surface: SurfaceMap) -> str:
    env = surface.environment
    lines = [
        f"# Attack surface: `{env}`",
        "",
        "Generated by `python -m blueprint.docs.surface` from `cdktf.out/stacks/"
        f"{env}/cdk.tf.json`; do not edit. Pictures: [overview]({env}-overview.svg), "
        f"[every component and flow]({env}.svg).",
        "",
        "## Overview",
        "",
        "Trust zones as boxes; an arrow points where the data moves (a read runs from the bucket to the reader);",
        "dotted arrows ending in x are explicit denies. The tables below have every flow.",
        "",
        "```mermaid",
        _picture().to_mermaid(_picture().overview(surface)).rstrip("\n"),
        "```",
        "",
        "## Reachable from outside the VPCs",
        "",
    ]
    outbound = sorted(n.label for n in surface.nodes.values() if n.id.startswith("api:"))
    lines += [f"- **{item}**" for item in surface.exposures] or [
        "Nothing: no public IP, no security-group rule or bucket policy open to the world; the only internet and NAT "
        f"gateways carry the outbound-only egress path to the allow-listed model APIs ({', '.join(outbound)}) "
        "through Network Firewall." if outbound else
        "Nothing: no internet or NAT gateway, no public IP, no security-group rule or bucket policy open to the world."
    ]
    lines += ["", "## Components", "", "| component | kind | detail |", "|---|---|---|"]
    for node in sorted(surface.nodes.values(), key=lambda n: (COLUMNS.index(n.column), n.id)):
        lines.append(f"| {node.label} | {COLUMN_TITLES[node.column]} | {node.detail} |")
    lines += [
        "",
        "## Who talks to whom",
        "",
        "| from | to | access | data | guarded by | effect |",
        "|---|---|---|---|---|---|",
    ]
    for edge in surface.edges:
        lines.append(
            f"| {surface.nodes[edge.source].label if edge.source in surface.nodes else edge.source} | "
            f"{surface.nodes[edge.target].label if edge.target in surface.nodes else edge.target} | "
            f"{edge.access} | {edge.data} | {edge.control} | "
            f"{'**DENY**' if edge.effect == 'deny' else 'allow'} |"
        )
    lines += ["", "## Persona x resource access matrix", ""]
    roles = sorted(n for n in surface.nodes if n.startswith("role:"))
    buckets = sorted(n for n in surface.nodes if n.startswith("bucket:"))
    lines.append("| role | " + " | ".join(surface.nodes[b].label for b in buckets) + " |")
    lines.append("|---|" + "---|" * len(buckets))
    for role in roles:
        cells = []
        for bucket in buckets:
            found = [e for e in surface.edges if e.source == role and e.target == bucket]
            if any(e.effect == "deny" for e in found):
                cells.append("**DENY**")
            else:
                cells.append("<br>".join(sorted(e.access for e in found)) or "-")
        lines.append(f"| {surface.nodes[role].label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _picture() -> Any:
    from blueprint.docs import picture  # imports this module: load it on first use

    return picture


def generate(outdir: Path, docs: Path = DOCS, environments: Sequence[str] | None = None) -> list[Path]:
    docs.mkdir(parents=True, exist_ok=True)
    written = []
    for stack_file in sorted((outdir / "stacks").glob("*/cdk.tf.json")):
        env = stack_file.parent.name
        if environments and env not in environments:
            continue
        stack = json.loads(stack_file.read_text(encoding="utf-8"))
        if not is_platform_stack(stack):
            continue  # the organization stacks: no workloads, no flows (their map is the guardrails' tests)
        surface = build(env, stack)
        path = docs / f"{env}.md"
        path.write_text(render_markdown(surface), encoding="utf-8")
        written.append(path)
        written += _picture().write(surface, docs)
    return written


def main(argv: Iterable[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="generate the attack-surface map from cdktf.out")
    parser.add_argument("--outdir", type=Path, default=PROJECT_ROOT / "cdktf.out")
    args = parser.parse_args(list(argv) if argv is not None else None)
    for path in generate(args.outdir):
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
