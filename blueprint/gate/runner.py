"""The policy gate: checkov over every environment's synthesized JSON, mapped back to constructs.

* one offline checkov run (``--skip-download``) over all ``cdktf.out/stacks/<env>/cdk.tf.json`` files plus
  the project's own checks in ``policy/checks``, in two renderings of the same document:

  - ``terraform_json``: the file as synthesized. cdktf writes every IAM/KMS/S3/SQS/SNS policy as a JSON
    *string*, and checkov's terraform_json parser hands checks that string unparsed: some checks parse it
    themselves, others cannot read it and pass anyway (CKV_AWS_33 passed on a key policy granting
    ``{"AWS": "*"}``, issue 22) or return UNKNOWN, which checkov drops from its report;
  - ``terraform_plan``: a static plan rendered from the same document (no terraform, no credentials;
    ``render_plan``). checkov's plan parser decodes the policy attributes of the resource types it knows into
    objects, so the checks above read them. It runs no lifecycle checks, which the first rendering covers.

  A check fails a resource when it fails in either rendering;
* a *broken twin* is scanned in the same run (``broken_twin``): a copy of the largest environment in which
  every resource is made insecure (policies open to every principal and action, network rules open to the
  internet, flags flipped, KMS keys removed, ...), plus an empty resource of every type. A check that passes
  a resource's broken copy and does not fail the empty one cannot tell a broken resource from a sound one:
  its passes on that resource are *vacuous* in that rendering. A pass counts only when at least one
  rendering in which the check can read its input passed; a result that passed only vacuously is reported
  as vacuous, not passed, and fails the gate unless the register explains it;
* each failed check is mapped from ``aws_x.<logical id>`` to its construct path (the ``//`` metadata
  cdktf writes) and to the Python source file that created it (``constructs.json`` from synthesis);
* failures are matched against the one suppression register (``policy/suppressions.yaml``); anything
  not suppressed fails the gate;
* writes a human summary, JSON, SARIF 2.1.0 and JUnit XML under ``reports/policy-gate/``.
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import yaml

from stacks.paths import below_root

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REGISTER = PROJECT_ROOT / "policy" / "suppressions.yaml"
CUSTOM_CHECKS = PROJECT_ROOT / "policy" / "checks"
MIN_REASON_CHARS = 40

AS_SYNTHESIZED = "terraform_json"
STATIC_PLAN = "terraform_plan"
RENDERINGS = (AS_SYNTHESIZED, STATIC_PLAN)
TWIN = "(broken twin)"
PLAN_FILE = "plan.json"  # must not end in .tf.json: the terraform_json runner would scan it too


@dataclass(frozen=True)
class Suppression:
    check: str
    construct: str
    reason: str
    environments: tuple[str, ...] = ()

    def matches(self, finding: Finding) -> bool:
        if finding.check_id != self.check:
            return False
        if self.environments and finding.environment not in self.environments:
            return False
        return fnmatch.fnmatchcase(finding.construct_path, self.construct)


@dataclass
class Finding:
    check_id: str
    check_name: str
    environment: str
    resource: str  # aws_x.logical_id
    construct_path: str  # path below the stack, e.g. training_network/endpoint_sg
    source_file: str
    guideline: str | None = None
    suppressed_by: str | None = None
    renderings: tuple[str, ...] = ()  # failed in (failures) / passed only vacuously in (vacuous results)

    @property
    def display(self) -> str:
        return f"{self.environment}/{self.construct_path}"


@dataclass(frozen=True)
class Blindness:
    """A check that passes a broken and does not fail an empty resource of one type, in one rendering."""

    check_id: str
    resource_type: str
    rendering: str
    covered_by: tuple[str, ...]  # renderings in which the same check reads the same resources


@dataclass
class GateResult:
    environments: list[str]
    passed: int
    passed_by_environment: dict[str, int] = field(default_factory=dict)
    failures: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    vacuous: list[Finding] = field(default_factory=list)  # passed only where the check cannot read its input
    vacuous_explained: list[Finding] = field(default_factory=list)  # ... with a reason in the register
    blind_spots: list[Blindness] = field(default_factory=list)
    # (check, resource type) -> the renderings that produced results for it, where that is not all of them:
    # checkov returns UNKNOWN (and reports nothing) for e.g. the IAM checks on JSON-string policies
    one_rendering: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    unused_suppressions: list[Suppression] = field(default_factory=list)
    seconds: float = 0.0
    checkov_seconds: float = 0.0
    twin_of: str | None = None
    twin_cached: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures and not self.vacuous


class RegisterError(ValueError):
    pass


def load_register(path: Path = REGISTER) -> list[Suppression]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise RegisterError(f"{path}: must be a YAML list of suppressions")
    entries = []
    for index, item in enumerate(data):
        where = f"{path.name}[{index}]"
        if not isinstance(item, dict) or set(item) - {"check", "construct", "reason", "environments"}:
            raise RegisterError(f"{where}: allowed keys are check, construct, reason, environments")
        for key in ("check", "construct", "reason"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise RegisterError(f"{where}: '{key}' is required")
        if len(item["reason"].strip()) < MIN_REASON_CHARS:
            raise RegisterError(f"{where}: the reason must be at least a sentence ({MIN_REASON_CHARS}+ characters)")
        entries.append(
            Suppression(
                check=item["check"],
                construct=item["construct"],
                reason=" ".join(item["reason"].split()),
                environments=tuple(item.get("environments") or ()),
            )
        )
    return entries


def _stack_files(outdir: Path, environments: Sequence[str] | None) -> dict[str, Path]:
    files = {p.parent.name: p for p in sorted((outdir / "stacks").glob("*/cdk.tf.json"))}
    if environments:
        files = {name: path for name, path in files.items() if name in environments}
    if not files:
        raise FileNotFoundError(f"no synthesized stacks under {outdir}/stacks; run the synth first")
    return files


def checkov_executable() -> str:
    configured = os.environ.get("ZTAI_CHECKOV")
    if configured:
        return configured
    local = PROJECT_ROOT / ".tools" / "checkov" / "bin" / "checkov"
    return str(local) if local.exists() else "checkov"


# -- the static plan rendering ---------------------------------------------------------------------------
_INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
_ADDRESS = re.compile(r"\b((?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+)(\.[A-Za-z0-9_]+)?")


def _references(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, str):
        for expression in _INTERPOLATION.findall(value):
            for address, attribute in _ADDRESS.findall(expression):
                found += [address + attribute, address] if attribute else [address]
    elif isinstance(value, dict):
        for item in value.values():
            found += _references(item)
    elif isinstance(value, list):
        for item in value:
            found += _references(item)
    return found


def render_plan(document: Mapping[str, Any]) -> dict[str, Any]:
    """The synthesized document as ``terraform show -json`` of a plan would show it, without terraform.

    Attribute values are copied as synthesized (interpolations stay ``${...}`` strings, as in the
    terraform_json rendering, and the ``//`` metadata stays so checks can see construct paths); the
    configuration carries each attribute's references so checkov's graph joins resources as it does for
    the synthesized file. checkov's plan parser then decodes policy attributes into objects.
    """
    planned: list[dict[str, Any]] = []
    configured: list[dict[str, Any]] = []
    for section, mode in (("resource", "managed"), ("data", "data")):
        for type_name, resources in document.get(section, {}).items():
            for name, body in resources.items():
                address = f"{type_name}.{name}" if mode == "managed" else f"data.{type_name}.{name}"
                values = {k: v for k, v in body.items() if k not in ("depends_on", "provider", "count", "for_each")}
                planned.append({"address": address, "mode": mode, "type": type_name, "name": name,
                                "provider_name": "registry.terraform.io/hashicorp/aws", "values": values})
                expressions = {}
                for key, value in values.items():
                    refs = sorted(set(_references(value)))
                    if refs and key != "//":
                        expressions[key] = {"references": refs}
                configured.append({"address": address, "mode": mode, "type": type_name, "name": name,
                                   "expressions": expressions})
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {"resources": planned}},
        "configuration": {"root_module": {"resources": configured}},
    }


# -- the broken twin --------------------------------------------------------------------------------------
_FOREIGN_ACCOUNT = "210987654321"
_GITHUB_OIDC = f"arn:aws:iam::{_FOREIGN_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
_OPEN_IPV4, _OPEN_IPV6 = "0.0.0.0/0", "::/0"
# Every statement is what some check looks for; order matters for checks that stop at the first statement
# (CKV_AWS_72 reads only Statement[0]; CKV_AWS_393 passes at the first non-GitHub principal). The Deny is
# narrow on purpose: cloudsplaining subtracts denied actions, and a Deny of "*" would hide the Allows.
HOSTILE_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "TwinEveryone", "Effect": "Allow",
         "Principal": {"AWS": "*", "Service": "*", "Federated": _GITHUB_OIDC}, "Action": "*", "Resource": "*"},
        {"Sid": "TwinAnonymous", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
        {"Sid": "TwinForeignAccount", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{_FOREIGN_ACCOUNT}:root"},
         "Action": "*", "Resource": "*"},
        {"Sid": "TwinLockout", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:PutBucketPolicy",
         "Resource": "*"},
    ],
}
_OPEN_SG_RULE = {"description": "twin", "from_port": 0, "to_port": 65535, "protocol": "-1",
                 "cidr_blocks": [_OPEN_IPV4], "ipv6_cidr_blocks": [_OPEN_IPV6]}
_OPEN_NACL_RULE = {"rule_no": 1, "action": "allow", "protocol": "-1", "from_port": 0, "to_port": 0,
                   "cidr_block": _OPEN_IPV4}
_OPEN_ROUTE = {"cidr_block": _OPEN_IPV4, "gateway_id": "${aws_internet_gateway.ztai_twin.id}",
               "instance_id": "i-0ztaitwin", "vpc_peering_connection_id": "pcx-0ztaitwin"}
_ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
_IAM_FULL_ACCESS = "arn:aws:iam::aws:policy/IAMFullAccess"
_LEAKED_SECRET = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                  "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
# Resource types whose policies cloudsplaining expands action by action: "*" costs ~0.3 s per check and
# statement, so only one resource of each of these types is broken.
_EXPENSIVE_TYPES = frozenset({"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy",
                              "aws_ssoadmin_permission_set_inline_policy"})
_META = frozenset({"//", "depends_on", "provider", "count", "for_each"})
# removed at any depth: encryption keys, logging, alarms, guards whose absence is the insecure default
_REMOVED = frozenset({"kms_key_id", "kms_master_key_id", "kms_key_arn", "kms_key", "key_id", "kms_key_identifier",
                      "kms_encryption_key", "trust_store_arn", "dead_letter_config", "reserved_concurrent_executions",
                      "code_signing_config_arn", "source_arn", "source_account", "tracing_config",
                      "access_logs", "logging", "cloud_watch_logs_group_arn", "cloud_watch_logs_role_arn",
                      "alarm_actions", "ok_actions", "insufficient_data_actions", "retention_in_days",
                      "web_acl_arn", "logging_config", "token_validity_units", "mutual_authentication",
                      "abort_incomplete_multipart_upload", "tag", "tags", "health_check",
                      "rotation_rules", "rotation_lambda_arn", "vpc_config", "redrive_policy",
                      "kms_data_key_reuse_period_seconds", "sqs_managed_sse_enabled"})
_STRINGS: dict[str, dict[str, str]] = {
    "ssl_policy": {"*": "ELBSecurityPolicy-2016-08"},
    "mode": {"verify": "off", "COMPLIANCE": "GOVERNANCE", "Active": "PassThrough"},
    "http_tokens": {"required": "optional"},
    "http_endpoint": {"disabled": "enabled"},
    "version": {"*": "$Latest"},
    "sse_algorithm": {"*": "NONE"},
    "desync_mitigation_mode": {"*": "monitor"},
    "action": {"deny": "allow", "DENY": "ALLOW"},
    "rule_action": {"deny": "allow"},
    "policy_arn": {"*": _ADMIN_POLICY},
    "principal": {"*": "*"},
    "runtime": {"*": "python2.7"},
    "status": {"Enabled": "Disabled", "ENABLED": "DISABLED"},
    "state": {"ENABLED": "DISABLED"},
    "domain_name": {"*": "*.example.com"},
    "protocol": {"tcp": "-1", "udp": "-1", "icmp": "-1", "6": "-1", "17": "-1"},
}
_NUMBERS = {"from_port": 0, "to_port": 65535, "http_put_response_hop_limit": 64, "access_token_validity": 1440,
            "days": 1, "deletion_window_in_days": 7}
# set on every broken resource of a type: insecure values of attributes the synthesized resources omit
_INJECTED: dict[str, dict[str, Any]] = {
    "aws_s3_bucket": {"acl": "public-read-write", "policy": json.dumps(HOSTILE_POLICY)},
    "aws_sqs_queue": {"policy": json.dumps(HOSTILE_POLICY)},
    "aws_sns_topic": {"policy": json.dumps(HOSTILE_POLICY)},
    "aws_kms_key": {"is_enabled": False},
    "aws_acm_certificate": {"options": {"certificate_transparency_logging_preference": "DISABLED"}},
    "aws_cloudwatch_metric_alarm": {"actions_enabled": False},
    "aws_iam_role": {"managed_policy_arns": [_ADMIN_POLICY, _IAM_FULL_ACCESS]},
    "aws_lambda_function": {"environment": {"variables": _LEAKED_SECRET}},
    "aws_launch_template": {"user_data": f"export AWS_SECRET_ACCESS_KEY={_LEAKED_SECRET['AWS_SECRET_ACCESS_KEY']}",
                            "network_interfaces": [{"associate_public_ip_address": True}]},
    "aws_lb_target_group": {"protocol": "HTTP"},
    "aws_route_table": {"route": [_OPEN_ROUTE]},
    # a standalone route (ModelEgress writes aws_route): to all traffic, through a NAT instance and a peering
    "aws_route": {"destination_cidr_block": _OPEN_IPV4, "instance_id": _OPEN_ROUTE["instance_id"],
                  "vpc_peering_connection_id": _OPEN_ROUTE["vpc_peering_connection_id"]},
    "aws_default_route_table": {"route": [_OPEN_ROUTE]},
    "aws_security_group": {"ingress": [_OPEN_SG_RULE], "egress": [_OPEN_SG_RULE]},
    "aws_default_security_group": {"ingress": [_OPEN_SG_RULE], "egress": [_OPEN_SG_RULE]},
    "aws_network_acl": {"ingress": [_OPEN_NACL_RULE], "egress": [_OPEN_NACL_RULE]},
    "aws_default_network_acl": {"ingress": [_OPEN_NACL_RULE], "egress": [_OPEN_NACL_RULE]},
    "aws_security_group_rule": {"from_port": 0, "to_port": 65535, "protocol": "-1", "cidr_blocks": [_OPEN_IPV4],
                                "ipv6_cidr_blocks": [_OPEN_IPV6]},
    "aws_network_acl_rule": {"rule_action": "allow", "protocol": "-1", "from_port": 0, "to_port": 0,
                             "cidr_block": _OPEN_IPV4, "egress": False},
}
# appended to a block list of every broken resource of a type
_APPENDED: dict[str, dict[str, list[Any]]] = {
    "aws_wafv2_web_acl": {"rule": [{"name": "ztai-twin-no-action", "priority": 999,
                                    "statement": {"geo_match_statement": {"country_codes": ["AQ"]}},
                                    "visibility_config": {"cloudwatch_metrics_enabled": False, "metric_name": "twin",
                                                          "sampled_requests_enabled": False}}]},
}
_DROPPED: dict[str, tuple[str, ...]] = {
    "aws_security_group_rule": ("source_security_group_id", "self", "prefix_list_ids"),
}
# extra broken resources: what one copy cannot be at once (AdministratorAccess and IAMFullAccess attached),
# or a subject that lives in a connected resource (a function's URL)
_COMPANIONS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "aws_iam_role_policy_attachment": [("aws_iam_role_policy_attachment",
                                        {"role": "{name}", "policy_arn": _IAM_FULL_ACCESS})],
    "aws_lb": [("aws_lb_listener", {"load_balancer_arn": "${{aws_lb.{logical}.arn}}", "port": 80, "protocol": "HTTP",
                                     "default_action": {"type": "forward", "target_group_arn": "arn:twin"}})],
    # a plain-HTTP target group behind a plain-HTTP listener (CKV_AWS_378 passes HTTP behind TLS listeners)
    "aws_lb_target_group": [("aws_lb_target_group", {"protocol": "HTTP", "port": 80, "vpc_id": "vpc-0ztaitwin"}),
                            ("aws_lb_listener", {"load_balancer_arn": "arn:twin", "port": 8080, "protocol": "HTTP",
                                                 "default_action": {"type": "forward", "target_group_arn":
                                                                    "${{aws_lb_target_group.ztai_twin_0_{logical}.arn}}"}})],
    "aws_lambda_function": [("aws_lambda_function_url",
                             {"function_name": "${{aws_lambda_function.{logical}.function_name}}",
                              "authorization_type": "NONE", "cors": {"allow_origins": ["*"], "allow_methods": ["*"]}})],
}


def _hostile(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        if "Statement" in value:
            return copy.deepcopy(HOSTILE_POLICY)
        return {k: (v if k in _META else _hostile(v, k)) for k, v in value.items() if k not in _REMOVED}
    if isinstance(value, list):
        if key in ("cidr_blocks", "cidr_ipv4"):
            return [_OPEN_IPV4]
        if key in ("ipv6_cidr_blocks", "cidr_ipv6"):
            return [_OPEN_IPV6]
        if key == "allowed_oauth_flows":
            return ["code", "implicit", "client_credentials"]
        return [_hostile(item, key) for item in value]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return _NUMBERS.get(key, value)
    if isinstance(value, str):
        decoded = _decode_json(value)
        if decoded is not None:
            return json.dumps(_hostile(decoded, key))
        if key in ("cidr_block", "cidr_ipv4", "destination_cidr_block"):
            return _OPEN_IPV4
        if key in ("ipv6_cidr_block", "cidr_ipv6"):
            return _OPEN_IPV6
        table = _STRINGS.get(key, {})
        return table.get(value, table.get("*", value))
    return value


def _decode_json(value: str) -> Any:
    text = value.strip()
    if not text.startswith(("{", "[")):
        return None
    try:
        decoded = json.loads(text)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict | list) else None


def _break_resource(type_name: str, body: Mapping[str, Any]) -> dict[str, Any]:
    dropped = _REMOVED | set(_DROPPED.get(type_name, ()))
    broken = {k: (v if k in _META else _hostile(v, k)) for k, v in body.items() if k not in dropped}
    broken.update(copy.deepcopy(_INJECTED.get(type_name, {})))
    for key, items in _APPENDED.get(type_name, {}).items():
        current = broken.get(key, [])
        broken[key] = [*(current if isinstance(current, list) else [current]), *copy.deepcopy(items)]
    if type_name == "aws_kms_key" and "policy" not in body:
        broken["policy"] = json.dumps(HOSTILE_POLICY)
    return broken


def _fill(template: Any, logical: str, name: str) -> Any:
    if isinstance(template, dict):
        return {k: _fill(v, logical, name) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, logical, name) for v in template]
    return template.format(logical=logical, name=name) if isinstance(template, str) else template


@dataclass
class Twin:
    document: dict[str, Any]
    base: str  # the environment it copies
    broken: dict[str, set[str]]  # type -> "type.logical" of its broken resources (copies and companions)
    empty: dict[str, str]  # type -> "type.logical" of its empty resource


def broken_twin(documents: Mapping[str, Mapping[str, Any]]) -> Twin:
    """A copy of the largest environment with every resource broken, plus an empty resource of every type.

    Types that exist only in other environments are copied in (broken). Of the types in
    ``_EXPENSIVE_TYPES`` only the first resource is kept (broken); nothing refers to them.
    """
    base = max(sorted(documents), key=lambda name: sum(len(r) for r in documents[name].get("resource", {}).values()))
    twin = copy.deepcopy(dict(documents[base]))
    resources: dict[str, dict[str, Any]] = twin.setdefault("resource", {})
    for name in sorted(documents):
        for type_name, bodies in documents[name].get("resource", {}).items():
            if type_name not in resources:
                first = sorted(bodies)[0]
                resources[type_name] = {first: copy.deepcopy(bodies[first])}
    result = Twin(document=twin, base=base, broken={}, empty={})
    companions: list[tuple[str, str, dict[str, Any]]] = []
    for type_name in sorted(resources):
        bodies = resources[type_name]
        for index, logical_id in enumerate(sorted(bodies)):
            if type_name in _EXPENSIVE_TYPES and index:
                del bodies[logical_id]
                continue
            original = bodies[logical_id]
            bodies[logical_id] = _break_resource(type_name, original)
            result.broken.setdefault(type_name, set()).add(f"{type_name}.{logical_id}")
            if index == 0:
                for number, (companion_type, template) in enumerate(_COMPANIONS.get(type_name, [])):
                    name = str(original.get("role") or original.get("function_name") or logical_id)
                    companions.append((companion_type, f"ztai_twin_{number}_{logical_id}",
                                       _fill(template, logical_id, name)))
        empty_id = f"ztai_twin_empty_{type_name}"
        bodies[empty_id] = {}
        result.empty[type_name] = f"{type_name}.{empty_id}"
    for companion_type, logical_id, body in companions:
        resources.setdefault(companion_type, {})[logical_id] = body
        result.broken.setdefault(companion_type, set()).add(f"{companion_type}.{logical_id}")
    return result


# -- one checkov run --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    label: str  # environment, or TWIN
    rendering: str
    check_id: str
    check_name: str
    resource: str  # type.logical (provider.x for provider checks)
    result: str  # PASSED / FAILED
    guideline: str | None = None


@dataclass
class Scan:
    records: list[Record]
    twin: Twin | None
    seconds: float
    twin_cached: bool = False


def run_checkov(files: Sequence[Path], *, checks: Sequence[str] | None = None) -> list[dict[str, Any]]:
    command = [
        checkov_executable(),
        "--framework",
        *RENDERINGS,
        "--skip-download",
        "--compact",
        "--output",
        "json",
        "--soft-fail",
    ]
    if CUSTOM_CHECKS.is_dir():
        command += ["--external-checks-dir", str(CUSTOM_CHECKS)]
    if checks:
        command += ["--check", ",".join(checks)]
    for path in files:
        command += ["--file", str(path)]
    env = {
        **os.environ,
        "BC_SKIP_MAPPING": "TRUE",
        "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
        "LOG_LEVEL": "ERROR",
        "PYTHONWARNINGS": "ignore",
    }
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0 or not completed.stdout.strip():
        raise RuntimeError(f"checkov failed (exit {completed.returncode}): {completed.stderr[-2000:]}")
    report = json.loads(completed.stdout)
    reports = report if isinstance(report, list) else [report]
    for item in reports:
        if item.get("results", {}).get("parsing_errors") or item.get("summary", {}).get("parsing_errors"):
            raise RuntimeError(f"checkov could not parse {item['results'].get('parsing_errors')}")
    return reports


def scan(documents: Mapping[str, Path], workdir: Path, *, checks: Sequence[str] | None = None,
         twin: bool = True) -> Scan:
    """One checkov run over ``documents`` (label -> cdk.tf.json) in both renderings, plus the broken twin.

    The twin's verdicts depend only on its document, the checks and checkov, so they are cached under that
    key (``twin_cache_dir()``): an unchanged stack does not pay for its twin again.
    """
    loaded = {label: json.loads(path.read_text(encoding="utf-8")) for label, path in documents.items()}
    inputs: dict[str, tuple[str, str]] = {}  # resolved file -> (label, rendering)
    types: dict[str, dict[str, str]] = {}  # label -> logical id -> resource type
    for label, path in documents.items():
        plan = workdir / _slug(label) / PLAN_FILE
        plan.parent.mkdir(parents=True, exist_ok=True)
        plan.write_text(json.dumps(render_plan(loaded[label])), encoding="utf-8")
        inputs[str(path.resolve())] = (label, AS_SYNTHESIZED)
        inputs[str(plan.resolve())] = (label, STATIC_PLAN)
        types[label] = _logical_types(loaded[label])
    made = broken_twin(loaded) if twin and loaded else None
    cached: list[Record] | None = None
    cache_file: Path | None = None
    if made is not None:
        twin_text = json.dumps(made.document, sort_keys=True)
        cache_file = twin_cache_dir() / f"twin-{_twin_key(twin_text, checks)}.json"
        cached = _read_cache(cache_file)
        if cached is None:
            twin_json = workdir / "twin" / "cdk.tf.json"
            twin_json.parent.mkdir(parents=True, exist_ok=True)
            twin_json.write_text(twin_text, encoding="utf-8")
            twin_plan = workdir / "twin" / PLAN_FILE
            twin_plan.write_text(json.dumps(render_plan(made.document)), encoding="utf-8")
            inputs[str(twin_json.resolve())] = (TWIN, AS_SYNTHESIZED)
            inputs[str(twin_plan.resolve())] = (TWIN, STATIC_PLAN)
            types[TWIN] = _logical_types(made.document)
    started = time.perf_counter()
    reports = run_checkov([Path(p) for p in inputs], checks=checks)
    seconds = time.perf_counter() - started
    records = []
    for report in reports:
        results = report.get("results", {})
        for key, verdict in (("passed_checks", "PASSED"), ("failed_checks", "FAILED")):
            for item in results.get(key, []):
                label, rendering = _input_of(item, inputs)
                records.append(Record(label=label, rendering=rendering, check_id=item["check_id"],
                                      check_name=item.get("check_name", ""),
                                      resource=_resource_address(item["resource"], types[label]),
                                      result=verdict, guideline=item.get("guideline")))
    if cache_file is not None:
        if cached is None:
            _write_cache(cache_file, [r for r in records if r.label == TWIN])
        else:
            records += cached
    return Scan(records=records, twin=made, seconds=seconds, twin_cached=cached is not None)


def twin_cache_dir() -> Path:
    configured = os.environ.get("ZTAI_GATE_CACHE")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "ztai-policy-gate"


def _twin_key(twin_text: str, checks: Sequence[str] | None) -> str:
    digest = hashlib.sha256(twin_text.encode())
    digest.update(json.dumps(sorted(checks or [])).encode())
    digest.update(Path(__file__).read_bytes())  # the renderings and the twin rules
    for module in sorted(CUSTOM_CHECKS.glob("*.py")):
        digest.update(module.name.encode() + module.read_bytes())
    executable = shutil.which(checkov_executable()) or checkov_executable()
    digest.update(str(Path(executable).resolve()).encode())
    tool = Path(executable).resolve().parent.parent
    for marker in [Path(executable), *sorted(tool.glob("lib/python*/site-packages/checkov/version.py"))]:
        if marker.exists():
            digest.update(f"{marker}:{marker.stat().st_mtime_ns}:{marker.stat().st_size}".encode())
    return digest.hexdigest()[:32]


def _read_cache(path: Path) -> list[Record] | None:
    try:
        return [Record(**item) for item in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        return None


def _write_cache(path: Path, records: Sequence[Record]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps([asdict(r) for r in records]), encoding="utf-8")
    partial.replace(path)


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", label)


def _logical_types(document: Mapping[str, Any]) -> dict[str, str]:
    return {name: type_name for type_name, bodies in document.get("resource", {}).items() for name in bodies}


def _resource_address(reported: str, types: Mapping[str, str]) -> str:
    # checkov's terraform_json runner names Python-check results `resource.<logical id>`; cdktf logical ids
    # are unique per stack, so the id resolves to its type.
    if reported.startswith("resource."):
        logical_id = reported.removeprefix("resource.")
        return f"{types[logical_id]}.{logical_id}" if logical_id in types else reported
    return reported


def _input_of(item: Mapping[str, Any], inputs: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    for key in ("file_abs_path", "file_path"):
        value = item.get(key)
        if value and str(Path(value).resolve()) in inputs:
            return inputs[str(Path(value).resolve())]
    raise RuntimeError(f"cannot tell which input {item.get('file_abs_path')} belongs to")


def blind_checks(records: Iterable[Record], twin: Twin) -> set[tuple[str, str, str]]:
    """(rendering, check, resource type): the check passes a broken resource of the type and fails none of
    them, nor the type's empty resource, in that rendering. It cannot tell a broken resource of that type
    from a sound one there, so its passes on the type carry no information."""
    outcome: dict[tuple[str, str, str], set[str]] = {}
    for record in records:
        if record.label != TWIN:
            continue
        type_name = record.resource.split(".", 1)[0]
        if record.resource in twin.broken.get(type_name, set()) or record.resource == twin.empty.get(type_name):
            outcome.setdefault((record.rendering, record.check_id, type_name), set()).add(
                f"{'empty' if record.resource == twin.empty.get(type_name) else 'broken'}:{record.result}")
    return {key for key, seen in outcome.items() if "broken:PASSED" in seen and not any(
        item.endswith(":FAILED") for item in seen)}


# -- the gate ---------------------------------------------------------------------------------------------
def _index(path: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """logical id -> construct path (from `//` metadata), and construct path -> source info."""
    document = json.loads(path.read_text(encoding="utf-8"))
    logical: dict[str, str] = {}
    for section in ("resource", "data"):
        for type_name, resources in document.get(section, {}).items():
            for logical_id, body in resources.items():
                meta = body.get("//", {}).get("metadata", {})
                key = f"{type_name}.{logical_id}" if section == "resource" else f"data.{type_name}.{logical_id}"
                logical[key] = meta.get("path", logical_id)
                # checkov names some findings `resource.<logical id>` without the type; cdktf logical
                # ids are unique per stack, so the bare id resolves too.
                logical.setdefault(f"#{logical_id}", key)
    sidecar = path.parent / "constructs.json"
    sources = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}
    return logical, sources


def _source_for(construct_path: str, sources: dict[str, dict[str, str]]) -> str:
    """The nearest enclosing construct defined in this project (not a provider class)."""
    parts = construct_path.split("/")
    while parts:
        info = sources.get("/".join(parts))
        if info and not info["source"].startswith("<"):
            return info["source"]
        parts.pop()
    return "?"


def evaluate(
    outdir: Path, *, environments: Sequence[str] | None = None, register: Sequence[Suppression] | None = None,
    twin: bool = True,
) -> GateResult:
    started = time.perf_counter()
    files = _stack_files(outdir, environments)
    suppressions = list(load_register() if register is None else register)
    with tempfile.TemporaryDirectory(prefix="ztai-gate-") as work:
        scanned = scan(files, Path(work), twin=twin)
    result = classify(scanned, {name: _index(path) for name, path in files.items()}, suppressions)
    result.seconds = time.perf_counter() - started
    return result


def classify(scanned: Scan, indexes: Mapping[str, tuple[dict[str, str], dict[str, dict[str, str]]]],
             suppressions: Sequence[Suppression]) -> GateResult:
    """Merge the renderings of every (environment, check, resource) result and sort it into passed,
    failed/suppressed and vacuous/explained; a pass counts only if a rendering that can read it passed."""
    blind = blind_checks(scanned.records, scanned.twin) if scanned.twin else set()
    result = GateResult(environments=sorted(indexes), passed=0, checkov_seconds=scanned.seconds,
                        twin_of=scanned.twin.base if scanned.twin else None, twin_cached=scanned.twin_cached)
    grouped: dict[tuple[str, str, str], dict[str, Record]] = {}
    for record in scanned.records:
        if record.label != TWIN:
            grouped.setdefault((record.label, record.check_id, record.resource), {})[record.rendering] = record
    used: set[int] = set()
    readable: dict[tuple[str, str], set[str]] = {}  # (check, type) -> renderings that read it
    unreadable: dict[tuple[str, str], set[str]] = {}  # (check, type) -> renderings blind to it
    for (env, check_id, resource), by_rendering in sorted(grouped.items()):
        type_name = resource.split(".", 1)[0]
        failed = tuple(r for r, rec in sorted(by_rendering.items()) if rec.result == "FAILED")
        blind_in = tuple(r for r, rec in sorted(by_rendering.items())
                         if rec.result == "PASSED" and (r, check_id, type_name) in blind)
        for rendering in by_rendering:
            (unreadable if rendering in blind_in else readable).setdefault((check_id, type_name), set()).add(rendering)
        if not failed and len(blind_in) < len(by_rendering):
            result.passed += 1
            result.passed_by_environment[env] = result.passed_by_environment.get(env, 0) + 1
            continue
        record = by_rendering[failed[0] if failed else blind_in[0]]
        finding = _finding(record, env, indexes[env], failed or blind_in)
        for number, suppression in enumerate(suppressions):
            if suppression.matches(finding):
                finding.suppressed_by = suppression.reason
                used.add(number)
                break
        if failed:
            (result.suppressed if finding.suppressed_by else result.failures).append(finding)
        else:
            (result.vacuous_explained if finding.suppressed_by else result.vacuous).append(finding)
    for key in sorted(readable.keys() | unreadable.keys()):
        seen = readable.get(key, set()) | unreadable.get(key, set())
        if seen != set(RENDERINGS):
            result.one_rendering[key] = tuple(sorted(seen))
    for (check_id, type_name), renderings in sorted(unreadable.items()):
        for rendering in sorted(renderings):
            covered = tuple(sorted(readable.get((check_id, type_name), set()) - {rendering}))
            result.blind_spots.append(Blindness(check_id, type_name, rendering, covered))
    # an entry scoped to environments none of which was gated here (the organization stack's, when only the
    # workload stacks were synthesized) cannot be judged stale by this run
    gated = set(result.environments)
    result.unused_suppressions = [s for n, s in enumerate(suppressions) if n not in used
                                  and (not s.environments or gated & set(s.environments))]
    return result


def _finding(record: Record, env: str, index: tuple[dict[str, str], dict[str, dict[str, str]]],
             renderings: tuple[str, ...]) -> Finding:
    logical, sources = index
    resource = logical.get(f"#{record.resource}", record.resource)
    full_path = logical.get(resource, resource)
    construct_path = below_root(full_path) if full_path.startswith(f"{env}/") else full_path
    return Finding(
        check_id=record.check_id,
        check_name=record.check_name,
        environment=env,
        resource=resource,
        construct_path=construct_path,
        source_file=_source_for(full_path, sources),
        guideline=record.guideline,
        renderings=renderings,
    )


# -- reports ------------------------------------------------------------------------------------------
def summary_text(result: GateResult) -> str:
    lines = [
        f"policy gate: {'PASS' if result.ok else 'FAIL'} -- environments {', '.join(result.environments)}; "
        f"{result.passed} passed, {len(result.failures)} failed, {len(result.suppressed)} suppressed, "
        f"{len(result.vacuous) + len(result.vacuous_explained)} vacuous ({len(result.vacuous_explained)} explained) "
        f"(register: policy/suppressions.yaml) in {result.seconds:.1f}s (checkov {result.checkov_seconds:.1f}s)"
    ]
    for env in result.environments:
        failed = sum(1 for f in result.failures if f.environment == env)
        suppressed = sum(1 for f in result.suppressed if f.environment == env)
        vacuous = sum(1 for f in result.vacuous + result.vacuous_explained if f.environment == env)
        lines.append(f"  {env}: {result.passed_by_environment.get(env, 0)} passed, {failed} failed, "
                     f"{suppressed} suppressed, {vacuous} vacuous")
    if result.twin_of is None:
        lines.append("  vacuity: not measured (no broken twin)")
    else:
        covered = [b for b in result.blind_spots if b.covered_by]
        lines.append(
            f"  vacuity: broken twin of {result.twin_of}{' (cached verdicts)' if result.twin_cached else ''}; "
            f"renderings {' + '.join(RENDERINGS)}; {len(result.blind_spots)} check/type pairs blind in a rendering, "
            f"{len(covered)} of them read by another"
        )
        for blind in result.blind_spots:
            where = f"read in {', '.join(blind.covered_by)}" if blind.covered_by else "read in no rendering"
            lines.append(f"    blind {blind.check_id} {blind.resource_type} in {blind.rendering}: {where}")
        by_rendering: dict[tuple[str, ...], list[str]] = {}
        for (check_id, type_name), renderings in sorted(result.one_rendering.items()):
            by_rendering.setdefault(renderings, []).append(f"{check_id} {type_name}")
        for renderings, pairs in sorted(by_rendering.items()):
            lines.append(f"    results only from {', '.join(renderings)} ({len(pairs)}): {', '.join(pairs)}")
    for finding in sorted(result.failures, key=lambda f: (f.environment, f.construct_path, f.check_id)):
        lines.append(
            f"  FAIL {finding.check_id} {finding.display}  ({finding.source_file}; {finding.resource})"
            f"\n       {finding.check_name}"
        )
    for finding in sorted(result.vacuous, key=lambda f: (f.environment, f.construct_path, f.check_id)):
        lines.append(
            f"  VACUOUS {finding.check_id} {finding.display}  ({finding.source_file}; {finding.resource})"
            f"\n       passed only in {', '.join(finding.renderings)}, which passes a broken copy too: "
            f"{finding.check_name}"
        )
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for kind, findings in (("suppressed", result.suppressed), ("vacuous (explained)", result.vacuous_explained)):
        for finding in findings:
            grouped.setdefault((kind, finding.check_id, finding.construct_path), []).append(finding.environment)
    for (kind, check, path), envs in sorted(grouped.items()):
        lines.append(f"  {kind} {check} {path} [{', '.join(sorted(envs))}]")
    return "\n".join(lines)


def write_reports(result: GateResult, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "summary": directory / "summary.txt",
        "json": directory / "results.json",
        "sarif": directory / "results.sarif",
        "junit": directory / "junit.xml",
    }
    paths["summary"].write_text(summary_text(result) + "\n", encoding="utf-8")
    paths["json"].write_text(
        json.dumps(
            {
                "ok": result.ok,
                "environments": result.environments,
                "passed": result.passed,
                "failures": [asdict(f) for f in result.failures],
                "suppressed": [asdict(f) for f in result.suppressed],
                "vacuous": [asdict(f) for f in result.vacuous],
                "vacuous_explained": [asdict(f) for f in result.vacuous_explained],
                "blind_spots": [asdict(b) for b in result.blind_spots],
                "twin_of": result.twin_of,
                "checkov_seconds": result.checkov_seconds,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    paths["sarif"].write_text(json.dumps(_sarif(result), indent=2) + "\n", encoding="utf-8")
    paths["junit"].write_text(_junit(result), encoding="utf-8")
    return paths


def _sarif(result: GateResult) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    vacuous = {id(f) for f in result.vacuous + result.vacuous_explained}
    for finding in result.failures + result.suppressed + result.vacuous + result.vacuous_explained:
        rules.setdefault(
            finding.check_id,
            {
                "id": finding.check_id,
                "name": finding.check_id,
                "shortDescription": {"text": finding.check_name},
                **({"helpUri": finding.guideline} if finding.guideline else {}),
            },
        )
        prefix = "vacuous pass (the check also passes a broken copy): " if id(finding) in vacuous else ""
        entry: dict[str, Any] = {
            "ruleId": finding.check_id,
            "level": "error",
            "message": {"text": f"{prefix}{finding.check_name}: {finding.display} ({finding.resource})"},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": finding.source_file}},
                    "logicalLocations": [{"fullyQualifiedName": finding.display, "kind": "resource"}],
                }
            ],
        }
        if finding.suppressed_by:
            entry["suppressions"] = [{"kind": "external", "justification": finding.suppressed_by}]
        results.append(entry)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "ztai-policy-gate (checkov)", "rules": list(rules.values())}},
                "results": results,
            }
        ],
    }


def _case_name(finding: Finding, kind: str = "") -> str:
    return quoteattr(f"{finding.check_id} {finding.construct_path}{kind}")


def _junit(result: GateResult) -> str:
    cases = []
    for finding in result.failures:
        cases.append(
            f"  <testcase classname={quoteattr(finding.environment)} name={_case_name(finding)}>"
            f"<failure message={quoteattr(finding.check_name)}>{escape(finding.source_file)}</failure></testcase>"
        )
    for finding in result.vacuous:
        cases.append(
            f"  <testcase classname={quoteattr(finding.environment)} name={_case_name(finding, ' (vacuous)')}>"
            f"<failure message={quoteattr('passes a broken copy too: ' + finding.check_name)}>"
            f"{escape(finding.source_file)}</failure></testcase>"
        )
    for finding in result.suppressed:
        cases.append(
            f"  <testcase classname={quoteattr(finding.environment)} name={_case_name(finding)}>"
            f"<skipped message={quoteattr(finding.suppressed_by or '')}/></testcase>"
        )
    for finding in result.vacuous_explained:
        cases.append(
            f"  <testcase classname={quoteattr(finding.environment)} name={_case_name(finding, ' (vacuous)')}>"
            f"<skipped message={quoteattr(finding.suppressed_by or '')}/></testcase>"
        )
    cases.append(f'  <testcase classname="policy-gate" name="passed checks ({result.passed})"/>')
    failures = len(result.failures) + len(result.vacuous)
    skipped = len(result.suppressed) + len(result.vacuous_explained)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="policy-gate" tests="{len(cases)}" '
        f'failures="{failures}" skipped="{skipped}">\n'
        + "\n".join(cases)
        + "\n</testsuite>\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="checkov policy gate over the synthesized environments")
    parser.add_argument("--outdir", type=Path, default=PROJECT_ROOT / "cdktf.out")
    parser.add_argument("--reports", type=Path, default=PROJECT_ROOT / "reports" / "policy-gate")
    parser.add_argument("--environments", default=None, help="comma-separated subset")
    args = parser.parse_args(argv)
    envs = [e for e in (args.environments or "").split(",") if e] or None
    result = evaluate(args.outdir, environments=envs)
    write_reports(result, args.reports)
    print(summary_text(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
