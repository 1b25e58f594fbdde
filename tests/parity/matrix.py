"""The generated parity corpus: requests built from a synthesized, resolved stack (tests/resolved_policies.py).

Nothing here names a platform resource: principals, buckets, keys, endpoints and the values tried in conditions all
come from the stack, so the matrix follows the policies as they change.

- S3: every role (as a session carrying the session tags its policies ask for; also as the bare role ARN the drill
  passes, and as a session without those tags) x every data bucket x GetObject,
  GetObjectVersion, PutObject, ListBucket, DeleteObject, DeleteObjectVersion x {outside with TLS, outside without
  TLS, through each S3 VPC endpoint with TLS (aws:SourceVpce / aws:SourceVpc set, endpoint policy applied)}; the
  other buckets: GetObject / PutObject from outside, TLS or not.
- KMS: the bucket's key for the same role: kms:Decrypt / kms:GenerateDataKey as S3 makes them (kms:ViaService) and
  as direct calls (outside / through each KMS endpoint, TLS or not); every key x every concrete action its key policy
  names x every role.
- Trust: every role's trust policy x the principals it names (sessions of named roles, the role ARNs, services,
  federated providers, a session of the named account) plus strangers x MFA / source-identity / source-account
  contexts.
- Other resource policies (secrets, queues, topics): every role and every service they name x the actions they name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

from blueprint.drill.policy_eval import Request
from tests.parity.harness import Case
from tests.resolved_policies import Bucket, Endpoint, Key, ResolvedStack, Role

S3_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject",
              "s3:DeleteObjectVersion")
NOW = "2026-11-25T12:00:00Z"
ISSUED = "2026-11-25T11:55:00Z"
PUBLIC_IP = "203.0.113.10"
FULL_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                                       "Resource": "*"}]}
SCP_FULL_ACCESS = {"Version": "2012-10-17", "Statement": [{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*",
                                                           "Resource": "*"}]}
FOREIGN_ACCOUNT = "999999999999"
# KMS actions tried against each key policy (those it names): the data plane and the riskiest administration
KMS_SAMPLE = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
              "kms:ReEncryptFrom", "kms:Sign", "kms:Verify", "kms:GetPublicKey", "kms:DescribeKey", "kms:CreateGrant",
              "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey")


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


def _tls(on: bool) -> dict[str, str]:
    return {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"} if on else {"aws:SecureTransport": "false"}


def _network(stack: ResolvedStack, endpoint: Endpoint | None) -> dict[str, str]:
    if endpoint is None:
        return {"aws:SourceIp": PUBLIC_IP}
    return {"aws:SourceVpce": endpoint.id, "aws:SourceVpc": endpoint.vpc_id, "aws:VpcSourceIp": "10.0.1.25"}


def _session_context(role: Role, stack: ResolvedStack, tagged: bool = True) -> dict[str, Any]:
    """A session of the role: its tags, and (``tagged``) the session tags its own policies ask for (what the
    identity provider sets, e.g. an MFA tag), as aws:PrincipalTag/*."""
    context: dict[str, Any] = {"aws:CurrentTime": NOW, "aws:TokenIssueTime": ISSUED, "aws:ViaAWSService": "false"}
    for key, value in role.tags.items():
        context[f"aws:PrincipalTag/{key}"] = value
    if tagged:
        context.update(_session_tags(role))
    return context


def _session_tags(role: Role) -> dict[str, str]:
    """aws:PrincipalTag/* values the role's boundary and identity policies compare with (the first value each)."""
    tags: dict[str, str] = {}
    for document in [role.boundary or {}, *role.identity_policies]:
        for statement in document.get("Statement", []):
            for operator, pairs in (statement.get("Condition") or {}).items():
                if not str(operator).lower().rpartition(":")[2].startswith("string"):
                    continue
                for key, values in pairs.items():
                    listed = _as_list(values)
                    if str(key).lower().startswith("aws:principaltag/") and listed:
                        tags.setdefault(str(key), _instance(str(listed[0])))
    return tags


def _levels(stack: ResolvedStack) -> dict[str, Any]:
    """SCPs/RCPs of the stack, attached at one level next to the default full-access policy."""
    out: dict[str, Any] = {}
    if stack.scps:
        out["scps"] = [[SCP_FULL_ACCESS, *stack.scps]]
    if stack.rcps:
        out["rcps"] = [list(stack.rcps)]
    return out


def _prefix(stack: ResolvedStack, bucket: Bucket) -> str:
    """A key prefix the identity policies grant in this bucket (the first one found), else "parity"."""
    pattern = re.compile(re.escape(bucket.arn) + r"/([^*/?$]+)/")
    for role in stack.roles.values():
        for document in role.identity_policies:
            for statement in document.get("Statement", []):
                for resource in _as_list(statement.get("Resource")):
                    match = pattern.match(str(resource))
                    if match:
                        return match.group(1)
    return "parity"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def endpoints_for(stack: ResolvedStack, service: str) -> list[Endpoint]:
    return sorted((e for e in stack.endpoints.values() if e.service == service), key=lambda e: e.logical_id)


def s3_cases(stack: ResolvedStack) -> Iterator[Case]:
    s3_endpoints: list[Endpoint | None] = [None, *endpoints_for(stack, "s3")]
    data = sorted((b for b in stack.buckets.values() if b.path.startswith("data_lake/")), key=lambda b: b.path)
    others = sorted((b for b in stack.buckets.values() if not b.path.startswith("data_lake/")), key=lambda b: b.path)
    for role in sorted(stack.roles.values(), key=lambda r: r.logical_id):
        for bucket in data + others:
            networks = s3_endpoints if bucket in data else [None]
            for action in S3_ACTIONS if bucket in data else ("s3:GetObject", "s3:PutObject"):
                for endpoint in networks:
                    for tls in (True, False) if endpoint is None else (True,):  # plain HTTP: once, from outside
                        forms = ["session"] + (["role", "untagged-session"]
                                               if endpoint is None and tls and bucket in data else [])
                        for form in forms:
                            yield _s3_case(stack, role, bucket, action, endpoint, tls, form)


def _s3_case(stack: ResolvedStack, role: Role, bucket: Bucket, action: str, endpoint: Endpoint | None, tls: bool,
             form: str) -> Case:
    prefix = _prefix(stack, bucket)
    key = stack.bucket_key(bucket)
    context: dict[str, Any] = {**_session_context(role, stack, tagged=form != "untagged-session"),
                               **_network(stack, endpoint), **_tls(tls),
                               "s3:authType": "REST-HEADER", "s3:signatureversion": "AWS4-HMAC-SHA256"}
    resource = f"{bucket.arn}/{prefix}/parity-object.bin"
    if action == "s3:ListBucket":
        resource = bucket.arn
        context["s3:prefix"] = f"{prefix}/"
    if action in ("s3:GetObjectVersion", "s3:DeleteObjectVersion"):
        context["s3:versionid"] = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
    if action == "s3:PutObject":
        context["s3:x-amz-content-sha256"] = hashlib.sha256(b"parity").hexdigest()
        if key is not None:
            context["s3:x-amz-server-side-encryption"] = "aws:kms"
            context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = key.arn
    principal = role.arn if form == "role" else role.session_arn()
    where = endpoint.logical_id if endpoint else "outside"
    return Case(
        f"matrix/{stack.env}/s3/{role.name}/{bucket.name}/{action}/{where}/{'tls' if tls else 'plain'}/{form}",
        Request(principal, action, resource, context, resource_account=stack.account),
        identity_policies=list(role.identity_policies), boundary=role.boundary,
        resource_policies=[bucket.policy] if bucket.policy else [],
        endpoint_policies=[endpoint.policy or FULL_ACCESS] if endpoint else [], **_levels(stack),
    )


def kms_cases(stack: ResolvedStack) -> Iterator[Case]:
    kms_endpoints: list[Endpoint | None] = [None, *endpoints_for(stack, "kms")]
    data = sorted((b for b in stack.buckets.values() if b.path.startswith("data_lake/")), key=lambda b: b.path)
    roles = sorted(stack.roles.values(), key=lambda r: r.logical_id)
    for role in roles:
        for bucket in data:
            key = stack.bucket_key(bucket)
            if key is None:
                continue
            for action in ("kms:Decrypt", "kms:GenerateDataKey"):
                via_s3 = {"kms:ViaService": f"s3.{stack.region}.amazonaws.com", "kms:CallerAccount": stack.account,
                          "kms:EncryptionContext:aws:s3:arn": bucket.arn, "aws:SecureTransport": "true",
                          "aws:ViaAWSService": "true"}
                yield _kms_case(stack, role, key, action, via_s3, None, f"via-s3/{bucket.name}")
                for endpoint in kms_endpoints:
                    for tls in (True, False) if endpoint is None else (True,):
                        context = {**_network(stack, endpoint), "aws:SecureTransport": "true" if tls else "false",
                                   "kms:CallerAccount": stack.account}
                        where = endpoint.logical_id if endpoint else "outside"
                        yield _kms_case(stack, role, key, action, context, endpoint,
                                        f"direct/{bucket.name}/{where}/{'tls' if tls else 'plain'}")
    # every key x every concrete action its policy names x (the roles it names, one role it does not, the deploying
    # principal) x (a direct call, a call through each service it names in kms:ViaService)
    deployer = Role("deployer", "", stack.resolver.deployer_role, stack.resolver.deployer_role_arn, {},
                    identity_policies=[{"Version": "2012-10-17",
                                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}])
    for key in sorted(stack.keys.values(), key=lambda k: k.logical_id):
        text = str(key.policy)
        named = [r for r in roles if r.arn in text]
        outsider = [r for r in roles if r.arn not in text][:1]
        named_actions = {a for s in (key.policy or {}).get("Statement", []) for a in _as_list(s.get("Action"))
                         if isinstance(a, str)}
        actions = sorted((named_actions & set(KMS_SAMPLE)) | {"kms:Decrypt", "kms:PutKeyPolicy"})
        services = sorted(_harvest(key.policy, "kms:viaservice"))
        for role in [*named, *outsider, deployer]:
            for action in actions:
                for service in [None, *services]:
                    context: dict[str, Any] = {"aws:SecureTransport": "true", "kms:CallerAccount": stack.account}
                    if service:
                        context["kms:ViaService"] = service
                        context["aws:ViaAWSService"] = "true"
                    yield _kms_case(stack, role, key, action, context, None, f"key-policy/{service or 'direct'}")


def _kms_case(stack: ResolvedStack, role: Role, key: Key, action: str, extra: dict[str, Any],
              endpoint: Endpoint | None, tag: str) -> Case:
    context = {**_session_context(role, stack), **extra}
    return Case(
        f"matrix/{stack.env}/kms/{role.name}/{key.logical_id}/{action}/{tag}",
        Request(role.session_arn(), action, key.arn, context),
        identity_policies=list(role.identity_policies), boundary=role.boundary,
        resource_policies=[key.policy] if key.policy else [],
        endpoint_policies=[endpoint.policy or FULL_ACCESS] if endpoint else [], **_levels(stack),
    )


def _harvest(document: dict[str, Any] | None, key: str) -> set[str]:
    """Every value a policy compares ``key`` with (condition keys are case-insensitive)."""
    found: set[str] = set()
    for statement in (document or {}).get("Statement", []):
        for pairs in (statement.get("Condition") or {}).values():
            for name, values in pairs.items():
                if name.lower() == key:
                    found |= {str(v) for v in _as_list(values)}
    return found


def _instance(pattern: str) -> str:
    """A value that a wildcard pattern matches."""
    return pattern.replace("*", "parity").replace("?", "x")


def trust_cases(stack: ResolvedStack) -> Iterator[Case]:
    for role in sorted(stack.roles.values(), key=lambda r: r.logical_id):
        statements = role.trust.get("Statement", [])
        actions = sorted({a for s in statements for a in _as_list(s.get("Action")) if isinstance(a, str)
                          and a.lower().startswith("sts:") and "*" not in a}) or ["sts:AssumeRole"]
        callers: list[tuple[str, str, list[dict[str, Any]]]] = []  # (tag, principal, identity policies)
        assume_any = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:*",
                                                               "Resource": "*"}]}]
        for statement in statements:
            principal = statement.get("Principal", {})
            entries = [("AWS", "*")] if principal == "*" else [
                (k, str(v)) for k, vs in principal.items() for v in _as_list(vs)]
            for kind, value in entries:
                if kind == "AWS" and ":role/" in value:
                    account, name = value.split(":")[4], value.rsplit("/", 1)[-1]
                    callers.append(("named-session", f"arn:aws:sts::{account}:assumed-role/{name}/alice", []))
                    callers.append(("named-role", value, []))
                elif kind == "AWS":
                    account = value if value.isdigit() else value.split(":")[4] if value.count(":") >= 4 else ""
                    caller = f"arn:aws:sts::{account or stack.account}:assumed-role/parity-caller/alice"
                    callers.append(("account-session", caller, []))
                    callers.append(("account-session-with-identity", caller, assume_any))
                else:
                    callers.append((kind.lower(), value, []))
        callers.append(("stranger", f"arn:aws:sts::{stack.account}:assumed-role/parity-stranger/mallory", assume_any))
        callers.append(("foreign", f"arn:aws:sts::{FOREIGN_ACCOUNT}:assumed-role/parity-foreign/mallory", assume_any))
        seen: set[tuple[str, str]] = set()
        for tag, principal, identity in callers:
            if (tag, principal) in seen:
                continue
            seen.add((tag, principal))
            service = tag == "service"
            federated = tag == "federated"
            for action in _trust_actions(actions, service, federated, principal):
                for label, context in _trust_contexts(role, stack, service, federated, action):
                    yield Case(
                        f"matrix/{stack.env}/trust/{role.name}/{tag}/{principal.rsplit('/', 1)[-1]}-"
                        f"{_short(principal)}/{action}/{label}",
                        Request(principal, action, role.arn, context),
                        identity_policies=identity, resource_policies=[role.trust] if role.trust else [],
                        **(_levels(stack) if not service and not federated else {}),
                    )


def _trust_actions(actions: list[str], service: bool, federated: bool, principal: str) -> list[str]:
    if service:
        return ["sts:AssumeRole"]
    if federated:
        return ["sts:AssumeRoleWithSAML" if ":saml-provider/" in principal else "sts:AssumeRoleWithWebIdentity"]
    return [a for a in actions if not a.lower().startswith("sts:assumerolewith")] or ["sts:AssumeRole"]


def _trust_contexts(role: Role, stack: ResolvedStack, service: bool, federated: bool,
                    action: str) -> list[tuple[str, dict[str, Any]]]:
    if service:
        contexts: list[tuple[str, dict[str, Any]]] = [
            ("no-source", {}), ("own-account", {"aws:SourceAccount": stack.account}),
            ("other-account", {"aws:SourceAccount": FOREIGN_ACCOUNT}),
        ]
        for i, arn in enumerate(sorted(_harvest(role.trust, "aws:sourcearn"))):
            contexts.append((f"source-arn-{i}", {"aws:SourceAccount": stack.account, "aws:SourceArn": _instance(arn)}))
        return contexts
    if federated:
        matching: dict[str, Any] = {}
        for statement in role.trust.get("Statement", []):
            for pairs in (statement.get("Condition") or {}).values():
                for name, values in pairs.items():
                    listed = _as_list(values)
                    if listed:
                        matching[name] = _instance(str(listed[0]))
        return [("no-claims", {}), ("matching-claims", matching)]
    out = []
    for mfa_label, mfa in (("no-mfa", {}), ("fresh-mfa", {"aws:MultiFactorAuthPresent": "true",
                                                          "aws:MultiFactorAuthAge": "60"}),
                           ("stale-mfa", {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "86400"})):
        for source_label, source in (("no-source-identity", {}), ("source-identity", {"sts:SourceIdentity": "alice"})):
            extra: dict[str, Any] = dict(source)
            if action.lower() == "sts:tagsession":
                # the service authorization reference gives sts:TagSession the tag keys, not sts:SourceIdentity
                extra = {"aws:TagKeys": ["project"], "aws:RequestTag/project": "ztai"}
            out.append((f"{mfa_label}/{source_label}", {**mfa, **extra, "aws:CurrentTime": NOW,
                                                        "aws:SecureTransport": "true"}))
    return out


def resource_policy_cases(stack: ResolvedStack) -> Iterator[Case]:
    """Secrets, queues, topics: every role and every service named x the concrete actions named, TLS or not."""
    roles = sorted(stack.roles.values(), key=lambda r: r.logical_id)
    for policy in sorted(stack.resource_policies, key=lambda p: p.logical_id):
        statements = policy.policy.get("Statement", [])
        actions = sorted({a for s in statements for a in _as_list(s.get("Action")) if isinstance(a, str)
                          and "*" not in a and "?" not in a})
        services = sorted({str(v) for s in statements if isinstance(s.get("Principal"), dict)
                           for v in _as_list(s["Principal"].get("Service"))})
        service_name = policy.resource_arn.split(":")[2] if policy.resource_arn.startswith("arn:") else ""
        for action in actions:
            if action.split(":")[0].lower() != service_name:
                continue
            for tls in (True, False):
                base = {"aws:SecureTransport": "true" if tls else "false", "aws:CurrentTime": NOW}
                label = "tls" if tls else "plain"
                for role in roles:
                    yield Case(
                        f"matrix/{stack.env}/resource/{policy.logical_id}/{role.name}/{action}/{label}",
                        Request(role.session_arn(), action, policy.resource_arn,
                                {**_session_context(role, stack), **base}),
                        identity_policies=list(role.identity_policies), boundary=role.boundary,
                        resource_policies=[policy.policy], **_levels(stack),
                    )
                for service in services:
                    for source_label, source in (("own", {"aws:SourceAccount": stack.account}),
                                                 ("foreign", {"aws:SourceAccount": FOREIGN_ACCOUNT}),
                                                 *[(f"arn-{i}", {"aws:SourceAccount": stack.account,
                                                                 "aws:SourceArn": _instance(a)})
                                                   for i, a in enumerate(sorted(_harvest(policy.policy,
                                                                                         "aws:sourcearn")))]):
                        yield Case(
                            f"matrix/{stack.env}/resource/{policy.logical_id}/{service}/{action}/{label}/{source_label}",
                            Request(service, action, policy.resource_arn, {**base, **source}),
                            resource_policies=[policy.policy],
                        )


def cases(stack: ResolvedStack) -> list[Case]:
    return [*s3_cases(stack), *kms_cases(stack), *trust_cases(stack), *resource_policy_cases(stack)]
