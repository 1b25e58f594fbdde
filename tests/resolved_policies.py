"""The synthesized stack's IAM policies with their Terraform references resolved to concrete values.

    stack = resolve_stack(synthesized.stack("local"), synthesized.environments["local"].config)
    stack.roles["identities_model_trainer_role_CA501BA4"].identity_policies   # inline + customer-managed docs
    stack.buckets[...].policy, stack.buckets[...].key                          # bucket policy and its KMS key
    stack.keys[...].policy, stack.endpoints[...].policy, stack.resource_policies, stack.scps / stack.rcps

References (``${aws_s3_bucket.X.arn}``, ``${aws_iam_role.X.arn}``, ``${aws_kms_key.X.arn}``, ``${data.aws_caller_
identity.X.account_id}``...) become the values AWS would assign: names and ARNs from the resource's own attributes,
the account and region from the environment's config, and deterministic stand-ins for values only AWS picks (key ids,
VPC / subnet / endpoint ids). ``Resolver.synthetic`` lists every stand-in. ``$${...}`` (an IAM policy variable
escaped for Terraform) becomes ``${...}``. Anything else (a Terraform function call) raises ``Unresolvable``.
Reusable for an access matrix: nothing here knows the platform's resource names.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from stacks.paths import below_root

REFERENCE = re.compile(r"^(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)((?:\[\d+\]\.?[a-z0-9_]*)*)$")


class Unresolvable(ValueError):
    pass


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


PARITY_ORGANIZATION_ID = "o-parity0000"  # the organization id of a member account's stack (an invented one)


@dataclass
class Resolver:
    stack: dict[str, Any]
    account: str
    region: str
    partition: str = "aws"
    synthetic: set[str] = field(default_factory=set)  # "type.name.attr" resolved to an invented value
    deployer_role: str = "parity-deployer"  # the role whose session runs terraform (data.aws_caller_identity.arn)

    @property
    def deployer_session(self) -> str:
        return f"arn:{self.partition}:sts::{self.account}:assumed-role/{self.deployer_role}/terraform"

    @property
    def deployer_role_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{self.deployer_role}"

    def body(self, type_name: str, name: str) -> dict[str, Any]:
        try:
            return dict(self.stack["resource"][type_name][name])
        except KeyError as missing:
            raise Unresolvable(f"no resource {type_name}.{name}") from missing

    # -- one attribute --------------------------------------------------------------------------------------------
    def attribute(self, type_name: str, name: str, attr: str, data: bool = False) -> Any:
        if data:
            return self._data(type_name, name, attr)
        body = self.body(type_name, name)
        p, r, a = self.partition, self.region, self.account
        own = self._own_name(type_name, name, body)
        fake = _digest(type_name, name)

        def invented(value: Any) -> Any:
            self.synthetic.add(f"{type_name}.{name}.{attr}")
            return value

        formats: dict[str, dict[str, Any]] = {
            "aws_s3_bucket": {"arn": f"arn:{p}:s3:::{own}", "id": own, "bucket": own},
            "aws_iam_role": {"arn": f"arn:{p}:iam::{a}:role{body.get('path') or '/'}{own}", "id": own, "name": own},
            "aws_iam_policy": {"arn": f"arn:{p}:iam::{a}:policy{body.get('path') or '/'}{own}", "name": own},
            "aws_iam_instance_profile": {"arn": f"arn:{p}:iam::{a}:instance-profile{body.get('path') or '/'}{own}",
                                         "id": own, "name": own},
            "aws_sns_topic": {"arn": f"arn:{p}:sns:{r}:{a}:{own}", "name": own},
            "aws_sqs_queue": {"arn": f"arn:{p}:sqs:{r}:{a}:{own}", "name": own,
                              "url": f"https://sqs.{r}.amazonaws.com/{a}/{own}"},
            "aws_cloudwatch_log_group": {"arn": f"arn:{p}:logs:{r}:{a}:log-group:{own}", "name": own, "id": own},
            "aws_cloudwatch_event_rule": {"arn": self._rule_arn(body, own), "name": own, "id": own},
            "aws_lambda_function": {"arn": f"arn:{p}:lambda:{r}:{a}:function:{own}", "function_name": own},
            "aws_cloudtrail": {"arn": f"arn:{p}:cloudtrail:{r}:{a}:trail/{own}", "name": own},
            "aws_scheduler_schedule_group": {"arn": f"arn:{p}:scheduler:{r}:{a}:schedule-group/{own}", "name": own},
            "aws_ssm_parameter": {"arn": f"arn:{p}:ssm:{r}:{a}:parameter/{own.lstrip('/')}", "name": own},
            "aws_batch_compute_environment": {"arn": f"arn:{p}:batch:{r}:{a}:compute-environment/{own}"},
            "aws_signer_signing_profile": {"arn": f"arn:{p}:signer:{r}:{a}:/signing-profiles/{own}", "name": own},
            "aws_kms_alias": {"arn": f"arn:{p}:kms:{r}:{a}:{own}", "name": own},
            "aws_s3_object": {"key": body.get("key"), "bucket": body.get("bucket")},
        }
        if type_name in formats and attr in formats[type_name] and formats[type_name][attr] is not None:
            value = formats[type_name][attr]
            return self.resolve(value) if isinstance(value, str) and "${" in value else value
        if type_name == "aws_kms_key":
            key_id = str(uuid.UUID(_digest(type_name, name, length=32)))
            return invented({"arn": f"arn:{p}:kms:{r}:{a}:key/{key_id}", "key_id": key_id, "id": key_id}[attr])
        if type_name == "aws_secretsmanager_secret" and attr in ("arn", "id"):
            return invented(f"arn:{p}:secretsmanager:{r}:{a}:secret:{own}-{fake[:6]}")
        if type_name == "aws_cognito_user_pool":
            pool = f"{r}_{fake[:9]}"
            return invented({"id": pool, "arn": f"arn:{p}:cognito-idp:{r}:{a}:userpool/{pool}"}[attr])
        if type_name in ("aws_lb", "aws_lb_target_group") and attr in ("arn", "arn_suffix", "id"):
            suffix = f"{'app' if type_name == 'aws_lb' else 'targetgroup'}/{own}/{fake[:16]}"
            kind = "loadbalancer/" if type_name == "aws_lb" else ""
            arn = f"arn:{p}:elasticloadbalancing:{r}:{a}:{kind}{suffix}"
            return invented(suffix if attr == "arn_suffix" else arn)
        if type_name == "aws_signer_signing_profile" and attr == "version_arn":
            return invented(f"arn:{p}:signer:{r}:{a}:/signing-profiles/{own}/{fake[:10]}")
        ids = {"aws_vpc": "vpc", "aws_subnet": "subnet", "aws_security_group": "sg", "aws_vpc_endpoint": "vpce",
               "aws_route_table": "rtb", "aws_launch_template": "lt", "aws_internet_gateway": "igw",
               "aws_network_acl": "acl", "aws_organizations_policy": "p",
               "aws_organizations_organizational_unit": "ou"}
        if attr == "id" and type_name in ids:
            return invented(f"{ids[type_name]}-{fake}")
        if attr == "prefix_list_id":
            return invented(f"pl-{fake[:8]}")
        if attr in ("default_network_acl_id", "default_route_table_id", "default_security_group_id"):
            return invented(f"{attr.split('_')[1][:3]}-{fake}")
        if attr in ("name", "id") and own:
            return own
        if attr == "arn":
            service = type_name.split("_")[1]
            return invented(f"arn:{p}:{service}:{r}:{a}:{type_name.split('_', 2)[-1]}/{own or fake}")
        return invented(f"{type_name}-{name}-{attr}-{fake[:8]}")

    def _data(self, type_name: str, name: str, attr: str) -> Any:
        body = dict(self.stack.get("data", {}).get(type_name, {}).get(name, {}))
        if type_name == "aws_caller_identity" and attr in ("arn", "user_id"):
            self.synthetic.add(f"data.{type_name}.{name}.{attr}")
            return self.deployer_session if attr == "arn" else f"AROAPARITY:{self.deployer_role}"
        if type_name == "aws_iam_session_context":
            arn = str(self.resolve(body.get("arn", self.deployer_session)))
            match = re.match(r"^arn:([^:]+):sts::(\d+):assumed-role/([^/]+)/(.+)$", arn)
            issuer = f"arn:{match[1]}:iam::{match[2]}:role/{match[3]}" if match else arn
            if match and arn == self.deployer_session:
                issuer = self.deployer_role_arn  # (a role path would be kept by AWS; the stand-in role has none)
            values = {"arn": arn, "issuer_arn": issuer, "issuer_name": issuer.rsplit("/", 1)[-1],
                      "session_name": match[4] if match else "", "issuer_id": f"AROAPARITY{_digest(issuer)[:8]}"}
            if attr not in values:
                raise Unresolvable(f"data.{type_name}.{name}.{attr}")
            return values[attr]
        if type_name == "aws_organizations_organization" and attr == "id":
            # what DescribeOrganization answers in a member account (the postcondition checks the management account)
            self.synthetic.add(f"data.{type_name}.{name}.{attr}")
            return PARITY_ORGANIZATION_ID
        values = {
            "aws_caller_identity": {"account_id": self.account, "id": self.account},
            "aws_region": {"name": self.region, "id": self.region, "region": self.region},
            "aws_partition": {
                "partition": self.partition, "id": self.partition,
                "dns_suffix": "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com",
            },
        }
        try:
            return values[type_name][attr]
        except KeyError as missing:
            raise Unresolvable(f"data.{type_name}.{name}.{attr}") from missing

    def _own_name(self, type_name: str, name: str, body: dict[str, Any]) -> str:
        for key in ("bucket", "name", "function_name", "name_prefix", "bucket_prefix"):
            value = body.get(key)
            if isinstance(value, str):
                return str(self.resolve(value)) if "${" in value else value
        return ""

    def _rule_arn(self, body: dict[str, Any], own: str) -> str:
        bus = body.get("event_bus_name")
        path = f"rule/{bus}/{own}" if bus and bus != "default" else f"rule/{own}"
        return f"arn:{self.partition}:events:{self.region}:{self.account}:{path}"

    # -- expressions and documents --------------------------------------------------------------------------------
    def reference(self, expression: str) -> Any:
        match = REFERENCE.match(expression.strip())
        if not match:
            raise Unresolvable(f"not a plain reference: ${{{expression}}}")
        data, type_name, name, attr, index = match.groups()
        if index:
            raise Unresolvable(f"indexed reference: ${{{expression}}}")
        return self.attribute(type_name, name, attr, data=bool(data))

    def resolve(self, value: Any) -> Any:
        """Every string inside ``value`` with its references replaced."""
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, str) or "${" not in value:
            return value
        out: list[str] = []
        i = 0
        while i < len(value):
            if value.startswith("$${", i):  # Terraform escape: a literal ${ (an IAM policy variable)
                out.append("${")
                i += 3
            elif value.startswith("${", i):
                end = value.find("}", i)
                if end < 0:
                    raise Unresolvable(value)
                out.append(str(self.reference(value[i + 2 : end])))
                i = end + 1
            else:
                out.append(value[i])
                i += 1
        return "".join(out)

    def document(self, value: Any) -> dict[str, Any] | None:
        """A policy attribute (JSON string or object) as a resolved policy document."""
        if value in (None, ""):
            return None
        parsed = json.loads(value) if isinstance(value, str) else value
        return dict(self.resolve(parsed))

    def target(self, expression: Any) -> tuple[str, str] | None:
        """(type, name) of a whole-string reference like ``${aws_s3_bucket.X.id}``."""
        if not isinstance(expression, str):
            return None
        if not expression.startswith("${"):
            return None
        match = REFERENCE.match(expression.removeprefix("${").removesuffix("}"))
        return (match.group(2), match.group(3)) if match and not match.group(1) else None


# -- the resolved stack -------------------------------------------------------------------------------------------


@dataclass
class Role:
    logical_id: str
    path: str
    name: str
    arn: str
    trust: dict[str, Any]
    identity_policies: list[dict[str, Any]] = field(default_factory=list)
    aws_managed_policy_arns: list[str] = field(default_factory=list)  # contents not available offline
    boundary: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)  # a session of the role carries them as aws:PrincipalTag/*

    def session_arn(self, session: str = "parity") -> str:
        account = self.arn.split(":")[4]
        return f"arn:{self.arn.split(':')[1]}:sts::{account}:assumed-role/{self.name}/{session}"


@dataclass
class Bucket:
    logical_id: str
    path: str
    name: str
    arn: str
    policy: dict[str, Any] | None
    key: str | None  # logical id of the aws_kms_key encrypting it by default


@dataclass
class Key:
    logical_id: str
    path: str
    arn: str
    policy: dict[str, Any] | None


@dataclass
class Endpoint:
    logical_id: str
    path: str
    id: str
    vpc_id: str
    service_name: str
    type: str
    policy: dict[str, Any] | None

    @property
    def service(self) -> str:
        """The service part of the endpoint's service name (com.amazonaws.us-east-1.s3 -> s3)."""
        return self.service_name.split(".", 3)[-1]


@dataclass
class ResourcePolicy:
    type_name: str  # the policy resource type, e.g. aws_secretsmanager_secret_policy
    logical_id: str
    resource_arn: str
    policy: dict[str, Any]


@dataclass
class OrgPolicy:
    logical_id: str
    kind: str  # SERVICE_CONTROL_POLICY | RESOURCE_CONTROL_POLICY
    policy: dict[str, Any]
    targets: list[str]


@dataclass
class ResolvedStack:
    env: str
    account: str
    region: str
    partition: str
    resolver: Resolver
    roles: dict[str, Role]
    buckets: dict[str, Bucket]
    keys: dict[str, Key]
    endpoints: dict[str, Endpoint]
    resource_policies: list[ResourcePolicy]
    org_policies: list[OrgPolicy]
    # a member account's organization (the stack reads it: data aws_organizations_organization), else None
    organization_id: str | None = None

    def bucket_key(self, bucket: Bucket) -> Key | None:
        return self.keys.get(bucket.key) if bucket.key else None

    @property
    def scps(self) -> list[dict[str, Any]]:
        return [o.policy for o in self.org_policies if o.kind == "SERVICE_CONTROL_POLICY"]

    @property
    def rcps(self) -> list[dict[str, Any]]:
        return [o.policy for o in self.org_policies if o.kind == "RESOURCE_CONTROL_POLICY"]


def _path(body: dict[str, Any]) -> str:
    return below_root(str(body.get("//", {}).get("metadata", {}).get("path", "")))


_RESOURCE_POLICY_TARGETS = {  # policy resource type -> (attribute naming the resource, attribute of the target)
    "aws_secretsmanager_secret_policy": ("secret_arn", "arn"),
    "aws_sqs_queue_policy": ("queue_url", "arn"),
    "aws_sns_topic_policy": ("arn", "arn"),
    "aws_ecr_repository_policy": ("repository", "arn"),
    "aws_cloudwatch_log_resource_policy": (None, None),
    "aws_lambda_permission": (None, None),  # not a policy document
}


def resolve_stack(stack: dict[str, Any], config: Any, env: str = "") -> ResolvedStack:
    """All policies of one synthesized stack, resolved. ``config``: the environment's config (account_id, region)."""
    region = str(config.region)
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    resolver = Resolver(stack, str(config.account_id), region, partition)
    resources: dict[str, dict[str, Any]] = stack.get("resource", {})

    managed = {n: resolver.document(body.get("policy")) for n, body in resources.get("aws_iam_policy", {}).items()}
    roles: dict[str, Role] = {}
    for name, body in resources.get("aws_iam_role", {}).items():
        boundary = resolver.target(body.get("permissions_boundary"))
        role = Role(
            name, _path(body), str(resolver.attribute("aws_iam_role", name, "name")),
            str(resolver.attribute("aws_iam_role", name, "arn")),
            resolver.document(body.get("assume_role_policy")) or {},
            boundary=managed.get(boundary[1]) if boundary and boundary[0] == "aws_iam_policy" else None,
            tags={str(k): str(v) for k, v in dict(resolver.resolve(body.get("tags") or {})).items()},
        )
        for inline in _as_list(body.get("inline_policy")):
            document = resolver.document(inline.get("policy")) if isinstance(inline, dict) else None
            if document:
                role.identity_policies.append(document)
        for arn in _as_list(body.get("managed_policy_arns")):
            _attach(role, arn, resolver, managed)
        if body.get("permissions_boundary") and role.boundary is None:
            raise Unresolvable(f"boundary of {name}: {body.get('permissions_boundary')}")
        roles[name] = role

    def role_of(expression: Any) -> Role:
        ref = resolver.target(expression)
        if ref and ref[0] == "aws_iam_role":
            return roles[ref[1]]
        for role in roles.values():
            if expression in (role.name, role.arn):
                return role
        raise Unresolvable(f"role {expression!r}")

    for body in resources.get("aws_iam_role_policy", {}).values():
        document = resolver.document(body.get("policy"))
        if document:
            role_of(body["role"]).identity_policies.append(document)
    for body in resources.get("aws_iam_role_policy_attachment", {}).values():
        _attach(role_of(body["role"]), body["policy_arn"], resolver, managed)
    for body in resources.get("aws_iam_policy_attachment", {}).values():
        for role in _as_list(body.get("roles")):
            _attach(role_of(role), body["policy_arn"], resolver, managed)

    keys = {
        name: Key(name, _path(body), str(resolver.attribute("aws_kms_key", name, "arn")),
                  resolver.document(body.get("policy")))
        for name, body in resources.get("aws_kms_key", {}).items()
    }
    bucket_policy: dict[str, dict[str, Any] | None] = {}
    for body in resources.get("aws_s3_bucket_policy", {}).values():
        ref = resolver.target(body.get("bucket"))
        if ref:
            bucket_policy[ref[1]] = resolver.document(body.get("policy"))
    bucket_key: dict[str, str] = {}
    for body in resources.get("aws_s3_bucket_server_side_encryption_configuration", {}).values():
        ref = resolver.target(body.get("bucket"))
        for rule in _as_list(body.get("rule")):
            default = (rule or {}).get("apply_server_side_encryption_by_default") or {}
            key_ref = resolver.target(default.get("kms_master_key_id"))
            if ref and key_ref and key_ref[0] == "aws_kms_key":
                bucket_key[ref[1]] = key_ref[1]
    buckets = {
        name: Bucket(name, _path(body), str(resolver.attribute("aws_s3_bucket", name, "bucket")),
                     str(resolver.attribute("aws_s3_bucket", name, "arn")), bucket_policy.get(name),
                     bucket_key.get(name))
        for name, body in resources.get("aws_s3_bucket", {}).items()
    }
    endpoints = {
        name: Endpoint(
            name, _path(body), str(resolver.attribute("aws_vpc_endpoint", name, "id")),
            str(resolver.resolve(body.get("vpc_id", ""))), str(resolver.resolve(body["service_name"])),
            str(body.get("vpc_endpoint_type", "Gateway")), resolver.document(body.get("policy")),
        )
        for name, body in resources.get("aws_vpc_endpoint", {}).items()
    }
    policies: list[ResourcePolicy] = []
    for type_name, (attr, target_attr) in _RESOURCE_POLICY_TARGETS.items():
        if attr is None:
            continue
        for name, body in resources.get(type_name, {}).items():
            ref = resolver.target(body.get(attr))
            arn = resolver.attribute(ref[0], ref[1], str(target_attr)) if ref else resolver.resolve(body.get(attr))
            document = resolver.document(body.get("policy"))
            if document:
                policies.append(ResourcePolicy(type_name, name, str(arn), document))
    org: list[OrgPolicy] = []
    for name, body in resources.get("aws_organizations_policy", {}).items():
        attachments = resources.get("aws_organizations_policy_attachment", {}).values()
        targets = [str(resolver.resolve(b.get("target_id"))) for b in attachments
                   if resolver.target(b.get("policy_id")) == ("aws_organizations_policy", name)]
        document = resolver.document(body.get("content"))
        if document:
            org.append(OrgPolicy(name, str(body.get("type", "SERVICE_CONTROL_POLICY")), document, targets))
    member = bool(stack.get("data", {}).get("aws_organizations_organization"))
    return ResolvedStack(env, resolver.account, region, partition, resolver, roles, buckets, keys, endpoints,
                         policies, org, PARITY_ORGANIZATION_ID if member else None)


def _attach(role: Role, arn: Any, resolver: Resolver, managed: dict[str, dict[str, Any] | None]) -> None:
    ref = resolver.target(arn)
    if ref and ref[0] == "aws_iam_policy":
        document = managed.get(ref[1])
        if document:
            role.identity_policies.append(document)
        return
    role.aws_managed_policy_arns.append(str(resolver.resolve(arn)))
