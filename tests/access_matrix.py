"""Who can do what to each data bucket and its key, computed from every identity, bucket, endpoint and key policy.

    matrix = compute(resolve_stack(stack, config, env))
    matrix.effective[("training", "training", "s3:GetObject")]   # -> frozenset of principal labels
    matrix.identity[...], matrix.bucket[...], matrix.key[("training", "kms:Decrypt", "via-s3")]

Every decision is made by ``blueprint.drill.policy_eval`` (AWS's evaluation logic: explicit Deny wins, ``*``/``?``
wildcards, case-insensitive actions, ARN patterns segment by segment, boundaries, endpoint policies, KMS key
policies required). The principals are every role of the stack plus probes that stand for everybody else:

* ``account:platform-named-role`` -- a role of the account named like the platform's roles (``ztai-<env>-probe``),
  so that any ARN *pattern* in a grant or in an exception of a Deny that admits more than the named roles admits it;
* ``account:other-role`` -- any other role of the account; ``account:root`` -- the account's root user;
* ``foreign-account`` -- a role of another account; ``anonymous`` -- an unauthenticated caller.

Each probe holds an administrator identity policy (``*`` on ``*``): what stops it must be a resource-side policy.
Each principal asks in the most favourable way it can (TLS 1.3, a signed payload hash, create-only uploads under the
bucket's key, the session tags its identity provider sets, from outside and through every S3 gateway endpoint of
the stack): a principal is listed for an action when *any* of those requests is allowed.

Layers, each a separate proof:

* ``effective`` -- identity policies + boundary + bucket policy (+ endpoint policy), and for object reads and writes
  the KMS call S3 makes as the caller (forward access session, kms:ViaService s3) on the bucket's key;
* ``identity`` -- the stack roles' identity policies and boundary alone (no resource policy): the grants;
* ``bucket`` -- the bucket policy alone, every principal holding the administrator identity policy: who the bucket
  itself lets through ("nobody but the granted principals", whatever IAM allows);
* ``key`` -- the key policy alone, same administrator identity: who the key lets use it for data, via S3 (with the
  bucket's encryption context) and directly.

Action lists are written here from the S3 and KMS service authorization references, not imported from the code.
Nothing here names a platform resource but the ``data_lake/<domain>/bucket`` construct paths.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from blueprint.drill.policy_eval import Decision, Request, evaluate
from tests.resolved_policies import Bucket, Endpoint, Key, ResolvedStack, Role

# S3 object actions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html)
S3_CONTENT_READ = ("s3:GetObject", "s3:GetObjectVersion")
S3_METADATA_READ = ("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes", "s3:GetObjectTagging",
                    "s3:GetObjectVersionTagging", "s3:GetObjectAcl", "s3:GetObjectVersionAcl",
                    "s3:GetObjectRetention", "s3:GetObjectLegalHold", "s3:GetObjectTorrent",
                    "s3:GetObjectVersionTorrent", "s3:GetObjectVersionForReplication", "s3:ListMultipartUploadParts")
S3_WRITE = ("s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:PutObjectAcl",
            "s3:PutObjectVersionAcl", "s3:AbortMultipartUpload", "s3:RestoreObject", "s3:DeleteObject",
            "s3:DeleteObjectTagging")
# destroying history or lifting a lock: never anyone's on the model registry
S3_VERSION_DESTRUCTION = ("s3:DeleteObjectVersion", "s3:DeleteObjectVersionTagging", "s3:PutObjectRetention",
                          "s3:PutObjectLegalHold")
# Not asked: s3:ReplicateObject / ReplicateDelete / ReplicateTags are authorized for the replication role S3 itself
# assumes (no caller's request uses them), and s3:BypassGovernanceRetention only widens a DeleteObjectVersion or
# PutObjectRetention request, which is asked.
S3_OBJECT_ACTIONS = S3_CONTENT_READ + S3_METADATA_READ + S3_WRITE + S3_VERSION_DESTRUCTION
S3_LIST = ("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads")
S3_DATA_ACTIONS = S3_OBJECT_ACTIONS + S3_LIST
# KMS data plane (https://docs.aws.amazon.com/kms/latest/developerguide/kms-cryptography.html#cryptographic-operations)
KMS_DATA_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext", "kms:ReEncryptFrom",
                    "kms:ReEncryptTo", "kms:CreateGrant", "kms:GenerateMac", "kms:Sign", "kms:DeriveSharedSecret")
# what S3 asks KMS for, as the caller, when it serves an object action on an SSE-KMS bucket
KMS_LEG = {"s3:GetObject": "kms:Decrypt", "s3:GetObjectVersion": "kms:Decrypt", "s3:PutObject": "kms:GenerateDataKey"}

ACCOUNT_PLATFORM_ROLE = "account:platform-named-role"
ACCOUNT_OTHER_ROLE = "account:other-role"
ACCOUNT_ROOT = "account:root"
FOREIGN = "foreign-account"
ANONYMOUS = "anonymous"
PROBES = (ACCOUNT_PLATFORM_ROLE, ACCOUNT_OTHER_ROLE, ACCOUNT_ROOT, FOREIGN, ANONYMOUS)
FOREIGN_ACCOUNT = "999999999999"
ADMINISTRATOR = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
NOW, ISSUED = "2026-11-25T12:00:00Z", "2026-11-25T11:55:00Z"
OTHER_PREFIX = "elsewhere"

Cell = tuple[str, str, str]  # (bucket domain, key prefix, action)


@dataclass(frozen=True)
class Principal:
    label: str
    arn: str
    identity: tuple[Mapping[str, Any], ...]
    boundary: Mapping[str, Any] | None
    context: Mapping[str, Any]
    probe: bool


@dataclass(frozen=True)
class Position:
    label: str
    context: Mapping[str, Any]
    endpoint: Mapping[str, Any] | None  # the endpoint policy the request passes through


@dataclass
class AccessMatrix:
    domains: dict[str, Bucket]
    prefixes: dict[str, tuple[str, ...]]  # domain -> key prefixes evaluated
    principals: tuple[str, ...]
    effective: dict[Cell, frozenset[str]] = field(default_factory=dict)
    identity: dict[Cell, frozenset[str]] = field(default_factory=dict)
    bucket: dict[Cell, frozenset[str]] = field(default_factory=dict)
    key: dict[tuple[str, str, str], frozenset[str]] = field(default_factory=dict)  # (domain, action, via)
    reasons: dict[tuple[str, Cell, str], str] = field(default_factory=dict)  # (layer, cell, principal) -> reason

    def who(self, layer: str, domain: str, prefix: str, actions: Iterable[str]) -> frozenset[str]:
        """Principals allowed at least one of ``actions`` on ``domain``/``prefix`` in ``layer``."""
        table: dict[Cell, frozenset[str]] = getattr(self, layer)
        return frozenset().union(*(table[(domain, prefix, a)] for a in actions))

    def table(self, layer: str, actions: Sequence[str] = (*S3_CONTENT_READ, "s3:PutObject")) -> dict[
            str, dict[str, set[str]]]:
        """principal -> "<domain>/<prefix>" -> {"read", "write"} for the content reads and PutObject of ``layer``."""
        out: dict[str, dict[str, set[str]]] = {p: {} for p in self.principals}
        for (domain, prefix, action), allowed in getattr(self, layer).items():
            if action not in actions:
                continue
            kind = "write" if action == "s3:PutObject" else "read"
            for principal in allowed:
                out.setdefault(principal, {}).setdefault(f"{domain}/{prefix}", set()).add(kind)
        return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


@lru_cache(maxsize=4096)
def _action_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
                      re.IGNORECASE)


def _statement_names(statement: Mapping[str, Any], action: str) -> bool:
    """Whether a statement's Action / NotAction applies to ``action`` (AWS matching: case-insensitive, * and ?)."""
    if "Action" in statement:
        return any(_action_regex(str(p)).fullmatch(action) for p in _as_list(statement["Action"]))
    if "NotAction" in statement:
        return not any(_action_regex(str(p)).fullmatch(action) for p in _as_list(statement["NotAction"]))
    return False


_SIGNATURES: dict[tuple[int, str], tuple[bool, ...]] = {}
_NETWORK_KEYS = ("aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip", "aws:sourceip", "aws:ec2instancesourcevpc")
_MENTIONS: dict[int, bool] = {}


def _signature(action: str, documents: Sequence[Mapping[str, Any] | None]) -> tuple[bool, ...]:
    """Which statements of ``documents`` name ``action``: two actions with one signature get one decision (the
    action enters AWS's evaluation only through Action / NotAction matching)."""
    out: tuple[bool, ...] = ()
    for document in documents:
        if not document:
            continue
        key = (id(document), action)
        found = _SIGNATURES.get(key)
        if found is None:
            found = tuple(_statement_names(s, action) for s in _as_list(document.get("Statement")))
            _SIGNATURES[key] = found
        out += (*found, False)  # a separator keeps documents apart
    return out


def _reads_network(documents: Sequence[Mapping[str, Any] | None]) -> bool:
    """Whether any document has a condition on where the request comes from (then every position is asked; else
    a request through an endpoint is never allowed more than the same request from outside)."""
    for document in documents:
        if not document:
            continue
        mentioned = _MENTIONS.get(id(document))
        if mentioned is None:
            text = json.dumps(document).lower()
            mentioned = any(k in text for k in _NETWORK_KEYS)
            _MENTIONS[id(document)] = mentioned
        if mentioned:
            return True
    return False


def label_of(role: Role) -> str:
    """``identities/data_engineer/role`` -> ``identities/data_engineer``; ``training_job_role/role`` ->
    ``training_job_role`` (the labels of the seed's access table)."""
    return role.path.removesuffix("/role")


def _session_tags(role: Role) -> dict[str, str]:
    """What a session of the role carries: its IAM tags and the session tags its own policies compare with (set by
    the identity provider, e.g. the MFA tag), as aws:PrincipalTag/*; a person's source identity."""
    context: dict[str, str] = {f"aws:PrincipalTag/{k}": v for k, v in role.tags.items()}
    for document in [role.boundary or {}, *role.identity_policies]:
        for statement in _as_list(document.get("Statement")):
            for operator, pairs in (statement.get("Condition") or {}).items():
                if not str(operator).lower().rpartition(":")[2].startswith("string"):
                    continue
                for key, values in pairs.items():
                    listed = _as_list(values)
                    if str(key).lower().startswith("aws:principaltag/") and listed and "${" not in str(listed[0]):
                        context.setdefault(str(key), str(listed[0]).replace("*", "x").replace("?", "x"))
    if role.tags.get("ztai:kind") == "human":
        context["aws:SourceIdentity"] = "alice@example.com"
    return context


def principals(stack: ResolvedStack) -> list[Principal]:
    found = []
    # AWS puts the organization of a member account's principals into every request (aws:PrincipalOrgID)
    member = {"aws:PrincipalOrgID": stack.organization_id} if stack.organization_id else {}
    for role in sorted(stack.roles.values(), key=lambda r: r.path):
        context = {**_session_tags(role), "aws:PrincipalArn": role.arn, **member}
        found.append(Principal(label_of(role), role.session_arn("matrix"), tuple(role.identity_policies),
                               role.boundary, context, probe=False))
    names = [r.name for r in stack.roles.values()]
    common = _common_prefix(names)
    p, a = stack.partition, stack.account
    for label, arn in ((ACCOUNT_PLATFORM_ROLE, f"arn:{p}:iam::{a}:role/{common}probe"),
                       (ACCOUNT_OTHER_ROLE, f"arn:{p}:iam::{a}:role/Administrator"),
                       (FOREIGN, f"arn:{p}:iam::{FOREIGN_ACCOUNT}:role/Administrator")):
        session = arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/matrix"
        org = {} if label == FOREIGN else member  # the foreign account is outside the organization
        found.append(Principal(label, session, (ADMINISTRATOR,), None, {"aws:PrincipalArn": arn, **org}, probe=True))
    found.append(Principal(ACCOUNT_ROOT, f"arn:{p}:iam::{a}:root", (ADMINISTRATOR,), None, dict(member), probe=True))
    found.append(Principal(ANONYMOUS, "*", (), None, {}, probe=True))
    return found


def _common_prefix(names: Sequence[str]) -> str:
    """The platform's role-name prefix up to its last '-' (``ztai-prod-``), or '' when the names share none."""
    if not names:
        return ""
    first, last = min(names), max(names)
    i = 0
    while i < min(len(first), len(last)) and first[i] == last[i]:
        i += 1
    shared = first[:i]
    return shared[: shared.rfind("-") + 1] if "-" in shared else ""


def positions(stack: ResolvedStack) -> list[Position]:
    """From outside the VPCs, and through every S3 gateway endpoint of the stack (its VPC as aws:SourceVpc)."""
    found = [Position("outside", {"aws:SourceIp": "203.0.113.10"}, None)]
    for endpoint in sorted(stack.endpoints.values(), key=lambda e: e.path):
        if endpoint.service == "s3":
            found.append(_through(endpoint))
    return found


def _through(endpoint: Endpoint) -> Position:
    return Position(endpoint.path, {"aws:SourceVpce": endpoint.id, "aws:SourceVpc": endpoint.vpc_id,
                                    "aws:VpcSourceIp": "10.0.1.25"}, endpoint.policy or ADMINISTRATOR)


def data_buckets(stack: ResolvedStack) -> dict[str, Bucket]:
    """domain -> bucket, for every ``data_lake/<domain>/bucket``."""
    return {b.path.split("/")[1]: b for b in stack.buckets.values()
            if b.path.startswith("data_lake/") and b.path.endswith("/bucket")}


def prefixes_granted(stack: ResolvedStack, bucket: Bucket) -> tuple[str, ...]:
    """The first path segments any identity or resource policy of the stack names inside ``bucket`` (the prefixes
    worth asking about), plus one nobody names."""
    pattern = re.compile(re.escape(bucket.arn) + r"/([^*/?$]+)/")
    found: set[str] = set()
    documents: list[Mapping[str, Any] | None] = [bucket.policy]
    for role in stack.roles.values():
        documents += role.identity_policies
    for document in documents:
        for statement in _as_list((document or {}).get("Statement")):
            for resource in _as_list(statement.get("Resource")):
                match = pattern.match(str(resource))
                if match:
                    found.add(match.group(1))
    return (*sorted(found), OTHER_PREFIX)


def _request_context(principal: Principal, position: Position, bucket: Bucket, key: Key | None, action: str,
                     prefix: str) -> tuple[str, dict[str, Any]]:
    context: dict[str, Any] = {
        "aws:SecureTransport": "true", "s3:TlsVersion": "1.3", "aws:CurrentTime": NOW, "aws:ViaAWSService": "false",
        "s3:authType": "REST-HEADER", "s3:signatureversion": "AWS4-HMAC-SHA256",
        "s3:x-amz-content-sha256": hashlib.sha256(b"matrix").hexdigest(), **position.context, **principal.context,
    }
    if principal.arn != "*":
        context["aws:TokenIssueTime"] = ISSUED
    if action in S3_LIST:
        context["s3:prefix"] = f"{prefix}/"
        return bucket.arn, context
    if "Version" in action:
        context["s3:versionid"] = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
    if action == "s3:PutObject":
        context["s3:if-none-match"] = "*"
        context["s3:ObjectCreationOperation"] = "true"
        if key is not None:
            context["s3:x-amz-server-side-encryption"] = "aws:kms"
            context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = key.arn
    return f"{bucket.arn}/{prefix}/matrix-object.bin", context


def _via_s3(stack: ResolvedStack, principal: Principal, bucket: Bucket) -> dict[str, Any]:
    """The context of the KMS call S3 makes as the caller (https://docs.aws.amazon.com/kms/latest/developerguide/
    services-s3.html): session properties travel, network keys do not."""
    carried = {k: v for k, v in principal.context.items()
               if k.startswith("aws:PrincipalTag/") or k in ("aws:SourceIdentity", "aws:PrincipalArn")}
    return {"kms:ViaService": f"s3.{stack.region}.amazonaws.com", "aws:ViaAWSService": "true",
            "kms:CallerAccount": stack.account, "aws:SecureTransport": "true", "aws:CurrentTime": NOW,
            "kms:EncryptionContext:aws:s3:arn": bucket.arn, **carried}


def _direct(stack: ResolvedStack, principal: Principal) -> dict[str, Any]:
    return {"kms:CallerAccount": stack.account, "aws:SecureTransport": "true", "aws:CurrentTime": NOW,
            "aws:ViaAWSService": "false", "aws:SourceIp": "203.0.113.10", **principal.context}


class _Evaluator:
    """Decisions memoised by (layer, principal, position, resource, context shape, statement signature)."""

    def __init__(self, stack: ResolvedStack) -> None:
        self.stack = stack
        self.memo: dict[tuple[Any, ...], Decision] = {}
        self.evaluations = 0

    def decide(self, memo_key: tuple[Any, ...], request: Request, **policies: Any) -> Decision:
        found = self.memo.get(memo_key)
        if found is None:
            self.evaluations += 1
            found = evaluate(request, **policies)
            self.memo[memo_key] = found
        return found


def _shape(action: str) -> str:
    return "list" if action in S3_LIST else "put" if action == "s3:PutObject" else (
        "version" if "Version" in action else "object")


def compute(stack: ResolvedStack, ask: Mapping[str, Iterable[str]] | None = None) -> AccessMatrix:
    """The matrix of ``stack``; ``ask``: domain -> key prefixes to ask about besides those the policies name."""
    buckets = data_buckets(stack)
    everyone = principals(stack)
    where = positions(stack)
    ev = _Evaluator(stack)
    prefixes = {domain: tuple(sorted({*prefixes_granted(stack, bucket), *(ask or {}).get(domain, ())}))
                for domain, bucket in buckets.items()}
    matrix = AccessMatrix(buckets, prefixes, tuple(p.label for p in everyone))
    for domain, bucket in sorted(buckets.items()):
        key = stack.bucket_key(bucket)
        for prefix in prefixes[domain]:
            for action in S3_DATA_ACTIONS:
                cell = (domain, prefix, action)
                effective, identity, through_bucket = set(), set(), set()
                for principal in everyone:
                    if _allowed(ev, matrix, "effective", cell, principal, where, bucket, key, action, prefix):
                        effective.add(principal.label)
                    if not principal.probe and _allowed(ev, matrix, "identity", cell, principal, where, bucket, key,
                                                        action, prefix):
                        identity.add(principal.label)
                    if _allowed(ev, matrix, "bucket", cell, principal, where, bucket, key, action, prefix):
                        through_bucket.add(principal.label)
                matrix.effective[cell] = frozenset(effective)
                matrix.identity[cell] = frozenset(identity)
                matrix.bucket[cell] = frozenset(through_bucket)
        for action in KMS_DATA_ACTIONS:
            for via in ("via-s3", "direct"):
                users = set()
                for principal in everyone:
                    if key is None:
                        continue
                    context = _via_s3(stack, principal, bucket) if via == "via-s3" else _direct(stack, principal)
                    memo = ("key", principal.label, via, key.logical_id, bucket.logical_id if via == "via-s3" else "",
                            _signature(action, [key.policy]))
                    decision = ev.decide(memo, Request(principal.arn, action, key.arn, context),
                                         identity_policies=[ADMINISTRATOR], resource_policies=_docs(key.policy))
                    if decision.allowed:
                        users.add(principal.label)
                matrix.key[(domain, action, via)] = frozenset(users)
    return matrix


def _docs(document: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    return [document] if document else []


def _allowed(ev: _Evaluator, matrix: AccessMatrix, layer: str, cell: Cell, principal: Principal,
             where: Sequence[Position], bucket: Bucket, key: Key | None, action: str, prefix: str) -> bool:
    stack = ev.stack
    for number, position in enumerate(where):
        resource, context = _request_context(principal, position, bucket, key, action, prefix)
        if stack.organization_id:  # the data buckets are the member account's: of its organization
            context.setdefault("aws:ResourceOrgID", stack.organization_id)
        identity: Sequence[Mapping[str, Any]] = principal.identity
        boundary = principal.boundary
        resource_policies = _docs(bucket.policy)
        endpoint = [position.endpoint] if position.endpoint else []
        if layer == "identity":
            resource_policies, endpoint = [], []
        elif layer == "bucket":
            identity, boundary, endpoint = (ADMINISTRATOR,), None, []
        documents = [*identity, boundary, *resource_policies, *endpoint]
        if number and not _reads_network([*identity, boundary, *resource_policies]):
            break  # the outside request was refused and nothing here looks at the network: no endpoint helps
        memo = (layer, principal.label, position.label, resource, prefix, _shape(action),
                _signature(action, documents))
        decision = ev.decide(memo, Request(principal.arn, action, resource, context,
                                           resource_account=stack.account),
                             identity_policies=list(identity), resource_policies=resource_policies,
                             boundary=boundary, endpoint_policies=endpoint)
        if not decision.allowed:
            matrix.reasons.setdefault((layer, cell, principal.label), decision.reason)
            continue
        if layer == "effective" and key is not None and action in KMS_LEG:
            leg = KMS_LEG[action]
            leg_memo = ("effective-kms", principal.label, key.logical_id, bucket.logical_id,
                        _signature(leg, [*principal.identity, principal.boundary, key.policy]))
            via_key = ev.decide(leg_memo, Request(principal.arn, leg, key.arn, _via_s3(stack, principal, bucket)),
                                identity_policies=list(principal.identity), resource_policies=_docs(key.policy),
                                boundary=principal.boundary)
            if not via_key.allowed:
                matrix.reasons.setdefault((layer, cell, principal.label), f"bucket key: {via_key.reason}")
                continue
        return True
    return False


def _harvest(document: Mapping[str, Any] | None) -> tuple[list[str], dict[str, str]]:
    """(kms:ViaService values, the request-controlled condition values) a key policy compares with: what a caller
    going through that service, naming that encryption context, would present."""
    services: set[str] = set()
    values: dict[str, str] = {}
    for statement in _as_list((document or {}).get("Statement")):
        for pairs in (statement.get("Condition") or {}).values():
            for key, raw in pairs.items():
                lowered = str(key).lower()
                listed = [str(v) for v in _as_list(raw)]
                if lowered == "kms:viaservice":
                    services.update(listed)
                elif lowered.startswith(("kms:encryptioncontext:", "kms:grantisforawsresource",
                                         "kms:encryptioncontextkeys")) and listed:
                    values.setdefault(str(key), listed[0].replace("*", "x").replace("?", "x"))
    return sorted(services), values


def probe_key_uses(stack: ResolvedStack) -> dict[str, set[tuple[str, str, str]]]:
    """key path -> {(probe, action, via)} for every key of the stack: which KMS data-plane actions a probe (any other
    principal of the account, the root user, another account, anonymous; each with an administrator identity
    policy) may perform, directly or through any service the key policy names."""
    probes = [p for p in principals(stack) if p.probe]
    out: dict[str, set[tuple[str, str, str]]] = {}
    for key in sorted(stack.keys.values(), key=lambda k: k.path):
        services, values = _harvest(key.policy)
        found: set[tuple[str, str, str]] = set()
        for probe in probes:
            for via in ["direct", *services]:
                context: dict[str, Any] = {"kms:CallerAccount": stack.account, "aws:SecureTransport": "true",
                                           "aws:CurrentTime": NOW, **values, **probe.context}
                context["aws:ViaAWSService"] = "false" if via == "direct" else "true"
                if via != "direct":
                    context["kms:ViaService"] = via
                decided: dict[tuple[bool, ...], bool] = {}
                for action in KMS_DATA_ACTIONS:
                    signature = _signature(action, [key.policy])
                    if signature not in decided:
                        decided[signature] = evaluate(
                            Request(probe.arn, action, key.arn, context), identity_policies=list(probe.identity),
                            resource_policies=_docs(key.policy)).allowed
                    if decided[signature]:
                        found.add((probe.label, action, via))
        out[key.path] = found
    return out
