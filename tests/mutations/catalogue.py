"""Semantic mutations of the controls, applied to the synthesized JSON (``cdktf.out/stacks/<env>/cdk.tf.json``).

Each mutation is a small named function that breaks one control the way a plausible code change would (a widened
grant, a dropped action, a narrowed principal, a switch turned off) and returns how many places it changed. It is
tagged with the control ids it breaks (``zero_trust_ai.controls``) and names the environments where it must find
something to change: a mutation that changes nothing there fails the harness (it would pass vacuously).

``tests`` narrows the catching set for the controls that *are* a tool (the map, the gate, the drill): such a
mutation counts only when that tool's own test catches it. Otherwise any non-snapshot test that reads the
synthesized JSON may catch it (tests/mutations/harness.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from stacks.paths import below_root

ENVIRONMENTS = ("dev", "local", "prod", "staging")
CLOUD = ("dev", "prod", "staging")  # local has emulator capability switches (mTLS, DNS Firewall, code signing)
# staging and prod name delegated_accounts (README "Delegated accounts"): their evidence goes to the log-archive
# account and the security-tooling account administers GuardDuty and Security Hub; dev and local run their own
DELEGATING = ("prod", "staging")
OWN_THREAT_DETECTION = ("dev", "local")
ISSUE_22 = "issue 22 probe"  # the classes that survived the independent probe


@dataclass
class Target:
    """One environment's stack being mutated."""

    env: str
    stack: dict[str, Any]
    account: str
    region: str

    def resources(self, type_name: str) -> dict[str, dict[str, Any]]:
        return dict(self.stack.get("resource", {}).get(type_name, {}))

    def at(self, type_name: str, path: str) -> dict[str, Any] | None:
        """The resource of ``type_name`` at construct path ``path`` (below the stack), or None."""
        for body in self.resources(type_name).values():
            if below_root(str(body.get("//", {}).get("metadata", {}).get("path", ""))) == path:
                return body
        return None

    def logical(self, type_name: str, path: str) -> str | None:
        for logical, body in self.resources(type_name).items():
            if below_root(str(body.get("//", {}).get("metadata", {}).get("path", ""))) == path:
                return logical
        return None

    def ref(self, type_name: str, path: str, attr: str = "arn") -> str | None:
        logical = self.logical(type_name, path)
        return f"${{{type_name}.{logical}.{attr}}}" if logical else None

    def add(self, type_name: str, logical: str, body: dict[str, Any]) -> int:
        self.stack.setdefault("resource", {}).setdefault(type_name, {})[logical] = {
            "//": {"metadata": {"path": f"{self.env}/mutation/{logical}", "uniqueId": logical}}, **body}
        return 1

    def remove(self, type_name: str, path: str) -> int:
        logical = self.logical(type_name, path)
        if logical is None:
            return 0
        del self.stack["resource"][type_name][logical]
        return 1


@contextmanager
def document(body: dict[str, Any] | None, key: str = "policy") -> Iterator[dict[str, Any]]:
    """A policy attribute (a JSON string as cdktf writes it) parsed for editing and written back."""
    if body is None or not isinstance(body.get(key), str):
        yield {}
        return
    parsed = json.loads(body[key])
    yield parsed
    body[key] = json.dumps(parsed, separators=(",", ":"))


def by_sid(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(s.get("Sid")): s for s in doc.get("Statement", [])}


def drop_sid(doc: dict[str, Any], sid: str) -> int:
    before = len(doc.get("Statement", []))
    doc["Statement"] = [s for s in doc.get("Statement", []) if s.get("Sid") != sid]
    return before - len(doc["Statement"])


def image_by_tag(t: Target, path: str) -> int:
    """The Batch job definition at ``path`` names its image by the ``:latest`` tag instead of its digest."""
    body = t.at("aws_batch_job_definition", path)
    if body is None:
        return 0
    container = json.loads(body["container_properties"])
    container["image"] = container["image"].split("@", 1)[0] + ":latest"
    body["container_properties"] = json.dumps(container, separators=(",", ":"))
    return 1


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Mutation:
    id: str
    controls: tuple[str, ...]
    description: str
    apply: Callable[[Target], int]
    environments: tuple[str, ...] = ENVIRONMENTS
    tests: tuple[str, ...] = ()  # pytest node ids that must catch it; () = the harness's catching set
    origin: str = ""


CATALOGUE: list[Mutation] = []


def mutation(controls: tuple[str, ...], *, environments: tuple[str, ...] = ENVIRONMENTS, tests: tuple[str, ...] = (),
             origin: str = "") -> Callable[[Callable[[Target], int]], Callable[[Target], int]]:
    def register(function: Callable[[Target], int]) -> Callable[[Target], int]:
        CATALOGUE.append(Mutation(function.__name__.replace("_", "-"), controls,
                                  " ".join((function.__doc__ or "").split()), function, environments, tests, origin))
        return function
    return register


# == the seven classes that survived the probe (issue 22) =============================================================

@mutation(("ZT-IAM-2", "ZT-DATA-4"), origin=ISSUE_22)
def engineer_reads_every_platform_bucket_by_arn_pattern(t: Target) -> int:
    """An account-wide s3:GetObject + kms:Decrypt grant to the data engineer on every platform bucket, by ARN
    pattern (``arn:aws:s3:::ztai-<env>-*/*``, every key of the account)."""
    with document(t.at("aws_iam_role_policy", "identities/data_engineer/policy")) as doc:
        if not doc:
            return 0
        doc["Statement"].append({"Sid": "ReadEverything", "Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"],
                                 "Resource": [f"arn:aws:s3:::ztai-{t.env}-*/*",
                                              f"arn:aws:kms:{t.region}:{t.account}:key/*"]})
    return 1


@mutation(("ZT-DATA-4", "ZT-KMS-1"), origin=ISSUE_22)
def key_policy_grant_to_everyone(t: Target) -> int:
    """The training key's data-plane grant to a training role gets the principal {"AWS": "*"}."""
    with document(t.at("aws_kms_key", "keys/training/key")) as doc:
        for statement in doc.get("Statement", []):
            aws = as_list((statement.get("Principal") or {}).get("AWS"))
            if statement["Effect"] == "Allow" and any("aws_iam_role." in str(a) for a in aws) and \
                    "kms:Decrypt" in as_list(statement["Action"]):
                statement["Principal"] = {"AWS": "*"}
                return 1
    return 0


@mutation(("ZT-DATA-1",), origin=ISSUE_22)
def tls_deny_narrowed_to_a_service(t: Target) -> int:
    """The raw bucket's Deny of non-TLS requests applies only to one AWS service instead of everyone."""
    with document(t.at("aws_s3_bucket_policy", "data_lake/raw/policy")) as doc:
        statement = by_sid(doc).get("DenyInsecureTransport")
        if statement is None:
            return 0
        statement["Principal"] = {"Service": "s3.amazonaws.com"}
    return 1


@mutation(("ZT-DATA-1",), origin=ISSUE_22)
def tls_deny_on_a_dead_prefix(t: Target) -> int:
    """The raw bucket's Deny of non-TLS requests covers only a prefix nobody uses (still two resources)."""
    with document(t.at("aws_s3_bucket_policy", "data_lake/raw/policy")) as doc:
        statement = by_sid(doc).get("DenyInsecureTransport")
        if statement is None:
            return 0
        arn = str(as_list(statement["Resource"])[0]).removesuffix("/*")
        statement["Resource"] = [f"{arn}/unused", f"{arn}/unused/*"]
    return 1


@mutation(("ZT-DATA-2",), origin=ISSUE_22)
def validation_deny_without_get_object_version(t: Target) -> int:
    """s3:GetObjectVersion dropped from the validation bucket's Deny of every training identity."""
    changed = 0
    with document(t.at("aws_s3_bucket_policy", "data_lake/validation/policy")) as doc:
        for statement in doc.get("Statement", []):
            actions = as_list(statement.get("Action"))
            if statement["Effect"] == "Deny" and statement.get("Principal") != {"AWS": "*"} and \
                    "s3:GetObjectVersion" in actions:
                statement["Action"] = [a for a in actions if a != "s3:GetObjectVersion"]
                changed += 1
    return changed


@mutation(("ZT-IAM-2",), origin=ISSUE_22)
def boundary_allows_role_policy_changes(t: Target) -> int:
    """iam:PutRolePolicy and iam:AttachRolePolicy dropped from the permissions boundary's escalation Deny."""
    with document(t.at("aws_iam_policy", "identities/boundary/policy")) as doc:
        statement = by_sid(doc).get("NeverEscalateOrEscape")
        if statement is None:
            return 0
        actions = as_list(statement["Action"])
        statement["Action"] = [a for a in actions if a not in ("iam:PutRolePolicy", "iam:AttachRolePolicy")]
        return len(actions) - len(statement["Action"])


@mutation(("ZT-IAM-1",), origin=ISSUE_22 + " (MFA age: now the IdP's MFA session tag)")
def boundary_without_the_mfa_session_deny(t: Target) -> int:
    """The boundary's Deny of every session the identity provider did not mark as MFA is removed."""
    with document(t.at("aws_iam_policy", "identities/boundary/policy")) as doc:
        return drop_sid(doc, "OnlyMfaSessionsOfTheIdentityProvider")


@mutation(("ZT-IAM-1", "ZT-IAM-3"), origin=ISSUE_22 + " (MFA age: now the session length)")
def persona_sessions_of_twelve_hours(t: Target) -> int:
    """The model deployer's role allows 12-hour sessions."""
    role = t.at("aws_iam_role", "identities/model_deployer/role")
    if role is None:
        return 0
    role["max_session_duration"] = 43200
    return 1


# == ZT-MAP-1 attack-surface map ======================================================================================

@mutation(("ZT-MAP-1",), tests=("tests/test_surface.py::test_nothing_is_reachable_from_outside",))
def serving_vpc_gets_an_internet_gateway(t: Target) -> int:
    """An internet gateway attached to the serving VPC: the generated map must show it as reachable from outside."""
    vpc = t.ref("aws_vpc", "serving_network/vpc", "id")
    return t.add("aws_internet_gateway", "mutation_igw", {"vpc_id": vpc}) if vpc else 0


@mutation(("ZT-MAP-1", "ZT-NET-1"), tests=("tests/test_surface.py::test_nothing_is_reachable_from_outside",))
def load_balancer_admits_the_internet(t: Target) -> int:
    """The serving load balancer's security group admits 443 from 0.0.0.0/0: the map must report the exposure."""
    rule = t.at("aws_security_group_rule", "serving_load_balancer/https_from_clients")
    if rule is None or not rule.get("cidr_blocks"):
        return 0
    rule["cidr_blocks"] = ["0.0.0.0/0"]
    return 1


@mutation(("ZT-IAM-2",))
def trainer_reads_raw_data(t: Target) -> int:
    """The model trainer gains a read of raw/* (identity side only: the raw bucket's perimeter still stops it)."""
    raw = t.ref("aws_s3_bucket", "data_lake/raw/bucket")
    with document(t.at("aws_iam_role_policy", "identities/model_trainer/policy")) as doc:
        if not doc or raw is None:
            return 0
        doc["Statement"].append({"Sid": "ReadRawRaw", "Effect": "Allow", "Action": ["s3:GetObject"],
                                 "Resource": f"{raw}/raw/*"})
    return 1


# == ZT-IAM-1 people ==================================================================================================

@mutation(("ZT-IAM-1",))
def persona_trusts_the_account(t: Target) -> int:
    """The model trainer's role also trusts the account (any role session with sts:AssumeRole, no MFA context)."""
    with document(t.at("aws_iam_role", "identities/model_trainer/role"), "assume_role_policy") as doc:
        if not doc:
            return 0
        doc["Statement"].append({"Sid": "AccountAdmins", "Effect": "Allow", "Action": "sts:AssumeRole",
                                 "Principal": {"AWS": f"arn:aws:iam::{t.account}:root"}})
    return 1


@mutation(("ZT-IAM-1",))
def persona_without_source_identity(t: Target) -> int:
    """The data engineer's trust no longer requires the IdP to set a source identity."""
    with document(t.at("aws_iam_role", "identities/data_engineer/role"), "assume_role_policy") as doc:
        statement = by_sid(doc).get("PeopleThroughTheIdentityProvider")
        if statement is None or "Null" not in statement.get("Condition", {}):
            return 0
        del statement["Condition"]["Null"]
    return 1


@mutation(("ZT-IAM-1", "ZT-IAM-2"))
def persona_without_boundary(t: Target) -> int:
    """The security auditor's role loses its permissions boundary."""
    role = t.at("aws_iam_role", "identities/security_auditor/role")
    if role is None or "permissions_boundary" not in role:
        return 0
    del role["permissions_boundary"]
    return 1


@mutation(("ZT-IAM-1",))
def an_iam_user_with_an_access_key(t: Target) -> int:
    """An IAM user with a long-lived access key appears."""
    t.add("aws_iam_user", "mutation_user", {"name": f"ztai-{t.env}-ci"})
    return t.add("aws_iam_access_key", "mutation_key", {"user": "${aws_iam_user.mutation_user.name}"})


# == ZT-IAM-2 least privilege =========================================================================================

@mutation(("ZT-IAM-2",))
def trainer_grant_with_a_wildcard_action(t: Target) -> int:
    """The training job's read of training/* becomes s3:Get* (a wildcard action grant)."""
    with document(t.at("aws_iam_role_policy", "training_job_role/policy")) as doc:
        statement = by_sid(doc).get("ReadTrainingTraining")
        if statement is None:
            return 0
        statement["Action"] = "s3:Get*"
    return 1


@mutation(("ZT-IAM-2",))
def trainer_reads_the_whole_features_bucket(t: Target) -> int:
    """The model trainer's features grant widens from features/* to the whole bucket."""
    with document(t.at("aws_iam_role_policy", "identities/model_trainer/policy")) as doc:
        statement = by_sid(doc).get("ReadFeaturesFeatures")
        if statement is None:
            return 0
        statement["Resource"] = str(statement["Resource"]).replace("/features/*", "/*")
    return 1


@mutation(("ZT-IAM-2",))
def engineer_writes_features(t: Target) -> int:
    """The data engineer may write features/* (the seed: read-only features)."""
    features = t.ref("aws_s3_bucket", "data_lake/features/bucket")
    with document(t.at("aws_iam_role_policy", "identities/data_engineer/policy")) as doc:
        if not doc or features is None:
            return 0
        doc["Statement"].append({"Sid": "WriteFeatures", "Effect": "Allow", "Action": ["s3:PutObject"],
                                 "Resource": f"{features}/features/*"})
    return 1


# == ZT-IAM-3 workloads ===============================================================================================

@mutation(("ZT-IAM-3",))
def workload_trust_without_source_arn(t: Target) -> int:
    """The SageMaker training role trusts any SageMaker resource of the account (no aws:SourceArn)."""
    with document(t.at("aws_iam_role", "training_job_role/role"), "assume_role_policy") as doc:
        for statement in doc.get("Statement", []):
            if "ArnLike" in statement.get("Condition", {}):
                del statement["Condition"]["ArnLike"]
                return 1
    return 0


@mutation(("ZT-IAM-3",))
def workload_trusts_two_services(t: Target) -> int:
    """The inference role trusts Lambda as well as EC2."""
    with document(t.at("aws_iam_role", "inference_role/role"), "assume_role_policy") as doc:
        for statement in doc.get("Statement", []):
            if "Service" in statement.get("Principal", {}):
                statement["Principal"]["Service"] = [*as_list(statement["Principal"]["Service"]),
                                                     "lambda.amazonaws.com"]
                return 1
    return 0


@mutation(("ZT-IAM-3",))
def workload_sessions_of_two_hours(t: Target) -> int:
    """The Batch job role allows 2-hour sessions."""
    role = t.at("aws_iam_role", "training_compute/job_role/role")
    if role is None:
        return 0
    role["max_session_duration"] = 7200
    return 1


# == ZT-DATA-1 buckets ================================================================================================

@mutation(("ZT-DATA-1",))
def old_tls_accepted(t: Target) -> int:
    """The features bucket accepts TLS 1.0 and 1.1 (the TLS-version Deny compares with 1.0)."""
    with document(t.at("aws_s3_bucket_policy", "data_lake/features/policy")) as doc:
        statement = by_sid(doc).get("DenyOutdatedTls")
        if statement is None:
            return 0
        statement["Condition"] = {"NumericLessThan": {"s3:TlsVersion": "1.0"}}
    return 1


@mutation(("ZT-DATA-1",))
def public_access_block_lifted(t: Target) -> int:
    """The models bucket no longer restricts public bucket policies."""
    models = t.ref("aws_s3_bucket", "data_lake/models/bucket", "id")
    for body in t.resources("aws_s3_bucket_public_access_block").values():
        if body.get("bucket") == models:
            body["restrict_public_buckets"] = False
            return 1
    return 0


@mutation(("ZT-DATA-1",))
def versioning_suspended(t: Target) -> int:
    """The training bucket's versioning is suspended."""
    training = t.ref("aws_s3_bucket", "data_lake/training/bucket", "id")
    for body in t.resources("aws_s3_bucket_versioning").values():
        if body.get("bucket") == training:
            body["versioning_configuration"] = {"status": "Suspended"}
            return 1
    return 0


@mutation(("ZT-DATA-1",))
def bucket_without_its_customer_managed_key(t: Target) -> int:
    """The validation bucket falls back to SSE-S3 (no customer-managed key)."""
    validation = t.ref("aws_s3_bucket", "data_lake/validation/bucket", "id")
    for body in t.resources("aws_s3_bucket_server_side_encryption_configuration").values():
        if body.get("bucket") == validation:
            body["rule"] = [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]
            return 1
    return 0


@mutation(("ZT-DATA-1",))
def bucket_acls_enabled(t: Target) -> int:
    """The raw bucket's object ownership allows ACLs (ObjectWriter)."""
    raw = t.ref("aws_s3_bucket", "data_lake/raw/bucket", "id")
    for body in t.resources("aws_s3_bucket_ownership_controls").values():
        if body.get("bucket") == raw:
            body["rule"] = {"object_ownership": "ObjectWriter"}
            return 1
    return 0


@mutation(("ZT-DATA-1",))
def bucket_access_logging_off(t: Target) -> int:
    """The features bucket's server access logging is removed."""
    features = t.ref("aws_s3_bucket", "data_lake/features/bucket", "id")
    for logical, body in t.resources("aws_s3_bucket_logging").items():
        if body.get("bucket") == features:
            del t.stack["resource"]["aws_s3_bucket_logging"][logical]
            return 1
    return 0


# == ZT-DATA-2 validation =============================================================================================

@mutation(("ZT-DATA-2",))
def trainer_identity_deny_of_validation_removed(t: Target) -> int:
    """The model trainer's own policy no longer denies validation/* (the bucket's Deny stays)."""
    with document(t.at("aws_iam_role_policy", "identities/model_trainer/policy")) as doc:
        return sum(drop_sid(doc, sid) for sid in list(by_sid(doc)) if sid.startswith("DenyValidation"))


@mutation(("ZT-DATA-2",))
def validation_bucket_forgets_the_batch_job(t: Target) -> int:
    """The validation bucket's Deny naming the Batch training job is removed (the identity-side Deny stays)."""
    with document(t.at("aws_s3_bucket_policy", "data_lake/validation/policy")) as doc:
        return drop_sid(doc, "DenyBatchTrainingJobValidationAll")


# == ZT-DATA-3 integrity ==============================================================================================

@mutation(("ZT-DATA-3",))
def registry_without_object_lock(t: Target) -> int:
    """The model registry loses Object Lock."""
    bucket = t.at("aws_s3_bucket", "data_lake/models/bucket")
    if bucket is None or not bucket.get("object_lock_enabled"):
        return 0
    bucket["object_lock_enabled"] = False
    return 1 + t.remove("aws_s3_bucket_object_lock_configuration", "data_lake/models/object_lock")


@mutation(("ZT-DATA-3",))
def manifest_signing_key_made_symmetric(t: Target) -> int:
    """The manifest-signing key becomes a symmetric encryption key (no asymmetric signature to verify)."""
    key = t.at("aws_kms_key", "keys/manifest_signing/key")
    if key is None:
        return 0
    key.update({"key_usage": "ENCRYPT_DECRYPT", "customer_master_key_spec": "SYMMETRIC_DEFAULT"})
    return 1


@mutation(("ZT-DATA-3",))
def streaming_unsigned_uploads_accepted(t: Target) -> int:
    """The raw bucket refuses only UNSIGNED-PAYLOAD, not the streaming trailer form SDKs send by default."""
    with document(t.at("aws_s3_bucket_policy", "data_lake/raw/policy")) as doc:
        statement = by_sid(doc).get("DenyUnsignedPayloadUploads")
        if statement is None:
            return 0
        statement["Condition"] = {"StringLike": {"s3:x-amz-content-sha256": ["UNSIGNED-PAYLOAD"]}}
    return 1


@mutation(("ZT-DATA-3",))
def uploads_without_payload_hash_accepted(t: Target) -> int:
    """The training bucket accepts uploads that carry no payload hash at all."""
    with document(t.at("aws_s3_bucket_policy", "data_lake/training/policy")) as doc:
        return drop_sid(doc, "DenyUploadsWithoutPayloadHash")


# == ZT-KMS-1 keys ====================================================================================================

@mutation(("ZT-KMS-1",))
def key_rotation_off(t: Target) -> int:
    """The raw key's rotation is switched off."""
    key = t.at("aws_kms_key", "keys/raw/key")
    if key is None:
        return 0
    key["enable_key_rotation"] = False
    return 1


@mutation(("ZT-KMS-1", "ZT-DATA-4"))
def root_statement_gets_kms_star(t: Target) -> int:
    """The features key's account-root statement becomes kms:*."""
    with document(t.at("aws_kms_key", "keys/features/key")) as doc:
        statement = by_sid(doc).get("AccountRootAdmin")
        if statement is None:
            return 0
        statement["Action"] = "kms:*"
    return 1


@mutation(("ZT-KMS-1",))
def two_domains_share_one_key(t: Target) -> int:
    """The features bucket is encrypted under the raw domain's key."""
    features = t.ref("aws_s3_bucket", "data_lake/features/bucket", "id")
    raw_key = t.ref("aws_kms_key", "keys/raw/key")
    for body in t.resources("aws_s3_bucket_server_side_encryption_configuration").values():
        if body.get("bucket") == features and raw_key:
            body["rule"][0]["apply_server_side_encryption_by_default"]["kms_master_key_id"] = raw_key
            return 1
    return 0


# == ZT-NET-1 network segmentation ====================================================================================

@mutation(("ZT-NET-1",))
def training_subnet_assigns_public_ips(t: Target) -> int:
    """A training subnet assigns public IPs on launch."""
    for body in t.resources("aws_subnet").values():
        if "/training_network/" in str(body["//"]["metadata"]["path"]):
            body["map_public_ip_on_launch"] = True
            return 1
    return 0


@mutation(("ZT-NET-1",))
def endpoint_security_group_open_to_the_world(t: Target) -> int:
    """The serving VPC's endpoint security group admits 443 from 0.0.0.0/0."""
    group = t.at("aws_security_group", "serving_network/endpoint_sg")
    if group is None or not group.get("ingress"):
        return 0
    group["ingress"][0] = {**group["ingress"][0], "cidr_blocks": ["0.0.0.0/0"]}
    return 1


@mutation(("ZT-NET-1",))
def default_security_group_not_empty(t: Target) -> int:
    """The training VPC's default security group admits its own members on every port."""
    for body in t.resources("aws_default_security_group").values():
        if "training_network" in str(body["//"]["metadata"]["path"]):
            body["ingress"] = [{"from_port": 0, "to_port": 0, "protocol": "-1", "self": True}]
            return 1
    return 0


@mutation(("ZT-NET-1",))
def interface_endpoint_for_any_account(t: Target) -> int:
    """The training VPC's STS endpoint policy no longer limits callers to the account."""
    with document(t.at("aws_vpc_endpoint", "training_network/endpoint_sts")) as doc:
        for statement in doc.get("Statement", []):
            if "Condition" in statement:
                del statement["Condition"]
                return 1
    return 0


@mutation(("ZT-NET-1",))
def nacl_admits_ssh_from_anywhere(t: Target) -> int:
    """The training subnets' network ACL admits port 22 from 0.0.0.0/0."""
    nacl = t.at("aws_network_acl", "training_network/private_nacl")
    if nacl is None:
        return 0
    nacl["ingress"] = [*nacl["ingress"], {"action": "allow", "cidr_block": "0.0.0.0/0", "from_port": 22,
                                          "to_port": 22, "protocol": "6", "rule_no": 50, "icmp_code": None,
                                          "icmp_type": None, "ipv6_cidr_block": None}]
    return 1


@mutation(("ZT-NET-1",))
def s3_endpoint_reaches_every_bucket(t: Target) -> int:
    """The training VPC's S3 gateway endpoint allows every bucket, not the platform's."""
    with document(t.at("aws_vpc_endpoint", "training_network/s3_gateway")) as doc:
        statement = by_sid(doc).get("PlatformBucketsOnly") or by_sid(doc).get("OrgPrincipalsToOrgBuckets")
        if statement is None:
            return 0
        statement["Resource"] = ["arn:aws:s3:::*", "arn:aws:s3:::*/*"]
    return 1


# == ZT-NET-2 flow logs ===============================================================================================

@mutation(("ZT-NET-2",))
def serving_flow_log_to_the_archive_removed(t: Target) -> int:
    """The serving VPC's flow log to the log archive is removed."""
    return t.remove("aws_flow_log", "serving_network/flow_log")


@mutation(("ZT-NET-2",))
def flow_log_records_rejects_only(t: Target) -> int:
    """The training VPC's CloudWatch flow log records rejected traffic only."""
    body = t.at("aws_flow_log", "training_network/flow_log_cloudwatch")
    if body is None:
        return 0
    body["traffic_type"] = "REJECT"
    return 1


# == ZT-COMP-1 training compute =======================================================================================

@mutation(("ZT-COMP-1",))
def training_instances_allow_imdsv1(t: Target) -> int:
    """Training instances accept IMDSv1 (tokens optional)."""
    template = t.at("aws_launch_template", "training_compute/launch_template")
    if template is None:
        return 0
    template["metadata_options"] = {**template["metadata_options"], "http_tokens": "optional"}
    return 1


@mutation(("ZT-COMP-1",))
def training_container_privileged(t: Target) -> int:
    """The Batch training container runs privileged."""
    changed = 0
    for body in t.resources("aws_batch_job_definition").values():
        container = json.loads(body["container_properties"])
        container["privileged"] = True
        body["container_properties"] = json.dumps(container)
        changed += 1
    return changed


@mutation(("ZT-COMP-1",))
def training_volume_unencrypted(t: Target) -> int:
    """The training launch template's root volume is not encrypted."""
    template = t.at("aws_launch_template", "training_compute/launch_template")
    if template is None or not template.get("block_device_mappings"):
        return 0
    template["block_device_mappings"][0]["ebs"]["encrypted"] = "false"
    return 1


# == ZT-SRV-1 serving =================================================================================================

@mutation(("ZT-SRV-1",), environments=CLOUD)
def listener_mtls_passthrough(t: Target) -> int:
    """The listener passes client certificates through instead of verifying them."""
    changed = 0
    for body in t.resources("aws_lb_listener").values():
        if "mutual_authentication" in body:
            body["mutual_authentication"] = {**body["mutual_authentication"], "mode": "passthrough"}
            changed += 1
    return changed


@mutation(("ZT-SRV-1",))
def listener_allows_tls_1_2(t: Target) -> int:
    """The listener's policy admits TLS 1.2."""
    changed = 0
    for body in t.resources("aws_lb_listener").values():
        body["ssl_policy"] = "ELBSecurityPolicy-TLS13-1-2-2021-06"
        changed += 1
    return changed


@mutation(("ZT-SRV-1",))
def load_balancer_internet_facing(t: Target) -> int:
    """The serving load balancer becomes internet-facing."""
    changed = 0
    for body in t.resources("aws_lb").values():
        body["internal"] = False
        changed += 1
    return changed


@mutation(("ZT-SRV-1",))
def hour_long_tokens(t: Target) -> int:
    """A caller's access tokens live for an hour."""
    for body in t.resources("aws_cognito_user_pool_client").values():
        body["access_token_validity"] = 60
        return 1
    return 0


@mutation(("ZT-SRV-1",))
def waf_rate_rule_only_counts(t: Target) -> int:
    """The WAF rate-based rule counts instead of blocking."""
    for acl in t.resources("aws_wafv2_web_acl").values():
        for rule in acl.get("rule", []):
            if "rate_based_statement" in rule.get("statement", {}):
                rule["action"] = {"count": {}}
                return 1
    return 0


@mutation(("ZT-SRV-1",))
def anomaly_alarm_notifies_nobody(t: Target) -> int:
    """The request-count anomaly alarm notifies nobody."""
    alarm = t.at("aws_cloudwatch_metric_alarm", "serving_alarms/anomaly_request_count")
    if alarm is None:
        return 0
    alarm["alarm_actions"] = []
    return 1


@mutation(("ZT-SRV-1",))
def load_balancer_keeps_invalid_headers(t: Target) -> int:
    """The load balancer forwards invalid header fields."""
    changed = 0
    for body in t.resources("aws_lb").values():
        body["drop_invalid_header_fields"] = False
        changed += 1
    return changed


# == ZT-LOG-1 monitoring ==============================================================================================

@mutation(("ZT-LOG-1",))
def trail_in_one_region(t: Target) -> int:
    """The trail records one region only."""
    changed = 0
    for body in t.resources("aws_cloudtrail").values():
        body["is_multi_region_trail"] = False
        changed += 1
    return changed


@mutation(("ZT-LOG-1",))
def trail_without_log_file_validation(t: Target) -> int:
    """The trail's log-file validation is off."""
    changed = 0
    for body in t.resources("aws_cloudtrail").values():
        body["enable_log_file_validation"] = False
        changed += 1
    return changed


@mutation(("ZT-LOG-1",))
def trail_without_data_events(t: Target) -> int:
    """The trail stops recording the data lake's S3 data events."""
    for body in t.resources("aws_cloudtrail").values():
        selectors = body.get("advanced_event_selector", [])
        kept = [s for s in selectors if not str(s.get("name", "")).startswith("S3 data")]
        if len(kept) < len(selectors):
            body["advanced_event_selector"] = kept
            return 1
    return 0


@mutation(("ZT-LOG-1",))
def log_group_kept_a_month(t: Target) -> int:
    """The trail's log group keeps 30 days."""
    group = t.at("aws_cloudwatch_log_group", "audit_trail/log_group/log_group")
    if group is None:
        return 0
    group["retention_in_days"] = 30
    return 1


@mutation(("ZT-LOG-1",), environments=OWN_THREAT_DETECTION)
def guardduty_without_s3_protection(t: Target) -> int:
    """GuardDuty's S3 protection is disabled."""
    changed = 0
    for body in t.resources("aws_guardduty_detector_feature").values():
        body["status"] = "DISABLED"
        changed += 1
    return changed


@mutation(("ZT-LOG-1",))
def no_alarm_on_root_use(t: Target) -> int:
    """The root-account-use metric filter is removed."""
    return t.remove("aws_cloudwatch_log_metric_filter", "security_alarms/filter_root-account-usage")


# == ZT-LOG-2 automated quarantine ====================================================================================

@mutation(("ZT-LOG-2",))
def quarantine_may_touch_protected_roles(t: Target) -> int:
    """The quarantine function's Deny on the protected roles (break-glass, auditor, evidence) is removed."""
    with document(t.at("aws_iam_role_policy", "quarantine/role/policy")) as doc:
        return drop_sid(doc, "NeverTouchProtectedRoles")


@mutation(("ZT-LOG-2",))
def guardduty_findings_trigger_nothing(t: Target) -> int:
    """The EventBridge target from GuardDuty findings to the quarantine function is removed."""
    rule = t.ref("aws_cloudwatch_event_rule", "quarantine/rule_guardduty_findings", "name")
    for logical, body in t.resources("aws_cloudwatch_event_target").items():
        if body.get("rule") == rule:
            del t.stack["resource"]["aws_cloudwatch_event_target"][logical]
            return 1
    return 0


@mutation(("ZT-LOG-2",), environments=CLOUD)
def quarantine_code_signing_only_warns(t: Target) -> int:
    """The quarantine function deploys unsigned code with a warning."""
    function = t.at("aws_lambda_function", "quarantine/function")
    config = (function or {}).get("code_signing_config_arn", "")
    for logical, body in t.resources("aws_lambda_code_signing_config").items():
        if f"aws_lambda_code_signing_config.{logical}." in config:
            body["policies"] = {"untrusted_artifact_on_deployment": "Warn"}
            return 1
    return 0


# == ZT-DATA-4 resource-side data perimeter ===========================================================================

@mutation(("ZT-DATA-4",))
def training_bucket_without_its_perimeter(t: Target) -> int:
    """The training bucket's Deny of every principal outside its grants is removed."""
    with document(t.at("aws_s3_bucket_policy", "data_lake/training/policy")) as doc:
        return drop_sid(doc, "DenyPrincipalsOutsideTheGrants")


@mutation(("ZT-DATA-4",))
def perimeter_exception_by_pattern(t: Target) -> int:
    """The raw bucket's perimeter also excepts every platform-named role of the account (an ARN pattern)."""
    with document(t.at("aws_s3_bucket_policy", "data_lake/raw/policy")) as doc:
        statement = by_sid(doc).get("DenyPrincipalsOutsideTheGrants")
        if statement is None or "ArnNotLike" not in statement.get("Condition", {}):
            return 0
        listed = as_list(statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"])
        statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"] = [
            *listed, f"arn:aws:iam::{t.account}:role/ztai-{t.env}-*"]
    return 1


@mutation(("ZT-DATA-4",))
def root_decrypts_raw_data(t: Target) -> int:
    """The raw key's account-root statement gains kms:Decrypt."""
    with document(t.at("aws_kms_key", "keys/raw/key")) as doc:
        statement = by_sid(doc).get("AccountRootAdmin")
        if statement is None:
            return 0
        statement["Action"] = [*as_list(statement["Action"]), "kms:Decrypt"]
    return 1


# == ZT-DATA-5 registry integrity =====================================================================================

@mutation(("ZT-DATA-5",))
def registry_accepts_overwrites(t: Target) -> int:
    """The model registry's Deny of uploads without If-None-Match is removed."""
    with document(t.at("aws_s3_bucket_policy", "data_lake/models/policy")) as doc:
        return sum(drop_sid(doc, sid) for sid in list(by_sid(doc)) if sid.startswith("DenyOverwrites"))


@mutation(("ZT-DATA-5",))
def trainer_signs_releases(t: Target) -> int:
    """The release-signing key lets the SageMaker training role sign."""
    trainer = t.ref("aws_iam_role", "training_job_role/role")
    with document(t.at("aws_kms_key", "keys/release_signing/key")) as doc:
        if not doc or trainer is None:
            return 0
        doc["Statement"].append({"Sid": "TrainerSigns", "Effect": "Allow", "Principal": {"AWS": trainer},
                                 "Action": ["kms:Sign"], "Resource": "*"})
    return 1


# == ZT-NET-3 network perimeter =======================================================================================

@mutation(("ZT-NET-3",))
def workload_credentials_work_anywhere(t: Target) -> int:
    """The SageMaker training role's data access is no longer bound to the training VPC."""
    with document(t.at("aws_iam_role_policy", "training_job_role/policy")) as doc:
        return drop_sid(doc, "DataAccessOnlyFromPlatformNetworks")


@mutation(("ZT-NET-3",))
def inference_bound_to_the_wrong_vpc(t: Target) -> int:
    """The inference role's data access is bound to the training VPC instead of the serving VPC."""
    training_vpc = t.ref("aws_vpc", "training_network/vpc", "id")
    with document(t.at("aws_iam_role_policy", "inference_role/policy")) as doc:
        statement = by_sid(doc).get("DataAccessOnlyFromPlatformNetworks")
        if statement is None or training_vpc is None:
            return 0
        statement["Condition"]["StringNotEqualsIfExists"]["aws:SourceVpc"] = [training_vpc]
    return 1


@mutation(("ZT-NET-3",))
def s3_endpoint_without_the_resource_owner(t: Target) -> int:
    """The serving VPC's S3 endpoint no longer binds aws:ResourceAccount (a same-named bucket elsewhere passes)."""
    with document(t.at("aws_vpc_endpoint", "serving_network/s3_gateway")) as doc:
        statement = by_sid(doc).get("PlatformBucketsOnly") or by_sid(doc).get("OrgPrincipalsToOrgBuckets")
        equals = (statement or {}).get("Condition", {}).get("StringEquals", {})
        if "aws:ResourceAccount" not in equals:
            return 0
        del equals["aws:ResourceAccount"]
    return 1


@mutation(("ZT-NET-3",), environments=CLOUD)
def s3_endpoint_without_the_resource_organisation(t: Target) -> int:
    """A member account's S3 endpoint no longer binds aws:ResourceOrgID (the organisation perimeter of the resource)."""
    with document(t.at("aws_vpc_endpoint", "training_network/s3_gateway")) as doc:
        equals = (by_sid(doc).get("OrgPrincipalsToOrgBuckets") or {}).get("Condition", {}).get("StringEquals", {})
        if "aws:ResourceOrgID" not in equals:
            return 0
        del equals["aws:ResourceOrgID"]
    return 1


@mutation(("ZT-NET-3",), environments=CLOUD)
def kms_endpoint_reaches_keys_of_any_organisation(t: Target) -> int:
    """A member account's KMS endpoint no longer binds aws:ResourceOrgID: a key of another organisation is usable
    (encrypt into a key its owner can decrypt)."""
    with document(t.at("aws_vpc_endpoint", "serving_network/endpoint_kms")) as doc:
        equals = (by_sid(doc).get("OrgPrincipalsToOrgResources") or {}).get("Condition", {}).get("StringEquals", {})
        if "aws:ResourceOrgID" not in equals:
            return 0
        del equals["aws:ResourceOrgID"]
    return 1


@mutation(("ZT-NET-3",), environments=CLOUD)
def sts_endpoint_principals_of_any_organisation(t: Target) -> int:
    """A member account's STS endpoint no longer binds the caller (aws:PrincipalOrgID and aws:PrincipalAccount)."""
    with document(t.at("aws_vpc_endpoint", "training_network/endpoint_sts")) as doc:
        statement = by_sid(doc).get("OrgPrincipalsToOrgResources")
        equals = (statement or {}).get("Condition", {}).get("StringEquals", {})
        if "aws:PrincipalOrgID" not in equals:
            return 0
        del equals["aws:PrincipalOrgID"]
        del equals["aws:PrincipalAccount"]
    return 1


# == ZT-NET-4 DNS Firewall ============================================================================================

@mutation(("ZT-NET-4",), environments=CLOUD)
def dns_firewall_fails_open(t: Target) -> int:
    """The DNS Firewall of the training VPC fails open."""
    for body in t.resources("aws_route53_resolver_firewall_config").values():
        body["firewall_fail_open"] = "ENABLED"
        return 1
    return 0


@mutation(("ZT-NET-4",), environments=CLOUD)
def dns_firewall_blocks_nothing(t: Target) -> int:
    """The DNS Firewall's block-everything-else rule is removed."""
    return t.remove("aws_route53_resolver_firewall_rule", "dns_firewall/block_everything_else")


# == ZT-SRV-2 serving control plane ===================================================================================

@mutation(("ZT-SRV-2",))
def fleet_launches_latest(t: Target) -> int:
    """The inference fleet launches $Latest of its template."""
    changed = 0
    for body in t.resources("aws_autoscaling_group").values():
        body["launch_template"] = {**body["launch_template"], "version": "$Latest"}
        changed += 1
    return changed


@mutation(("ZT-SRV-2",))
def batch_launches_the_default_version(t: Target) -> int:
    """Batch launches $Default of the training template."""
    changed = 0
    for body in t.resources("aws_batch_compute_environment").values():
        template = body["compute_resources"]["launch_template"]
        template["version"] = "$Default"
        changed += 1
    return changed


@mutation(("ZT-SRV-2",))
def deployer_modifies_listeners(t: Target) -> int:
    """The model deployer may modify listeners (switch mTLS off, change the TLS policy)."""
    with document(t.at("aws_iam_role_policy", "identities/model_deployer/policy")) as doc:
        statement = by_sid(doc).get("UpdateRouting")
        if statement is None:
            return 0
        statement["Action"] = [*as_list(statement["Action"]), "elasticloadbalancing:ModifyListener"]
    return 1


@mutation(("ZT-SRV-2",))
def trainer_writes_launch_templates(t: Target) -> int:
    """The model trainer may write new launch-template versions."""
    with document(t.at("aws_iam_role_policy", "identities/model_trainer/policy")) as doc:
        if not doc:
            return 0
        doc["Statement"].append({"Sid": "Templates", "Effect": "Allow", "Action": ["ec2:CreateLaunchTemplateVersion"],
                                 "Resource": f"arn:aws:ec2:{t.region}:{t.account}:launch-template/*"})
    return 1


# == ZT-MDL-1 model APIs (where serving.model_apis.bedrock is configured) =============================================

MODEL_APIS = ("prod", "staging")


@mutation(("ZT-MDL-1",), environments=MODEL_APIS)
def model_endpoint_admits_every_model(t: Target) -> int:
    """The Bedrock runtime endpoint's policy admits every foundation model, not the configured ones."""
    with document(t.at("aws_vpc_endpoint", "model_gateway/serving_network_bedrock_runtime")) as doc:
        changed = 0
        for statement in doc.get("Statement", []):
            if statement.get("Effect") == "Allow":
                statement["Resource"] = f"arn:aws:bedrock:{t.region}::foundation-model/*"
                changed += 1
        return changed


@mutation(("ZT-MDL-1",), environments=MODEL_APIS)
def model_invocations_without_the_guardrail(t: Target) -> int:
    """The inference role may invoke models without naming the guardrail (its Deny and the Allow's condition go)."""
    with document(t.at("aws_iam_role_policy", "inference_role/policy")) as doc:
        statement = by_sid(doc).get("InvokeModelsWithTheGuardrail")
        if statement is None or "Condition" not in statement:
            return 0
        del statement["Condition"]
        return 1 + drop_sid(doc, "NoInvocationWithoutTheGuardrail")


@mutation(("ZT-MDL-1",), environments=MODEL_APIS)
def model_invocations_unlogged(t: Target) -> int:
    """Bedrock model invocation logging is removed."""
    return t.remove("aws_bedrock_model_invocation_logging_configuration", "model_gateway/invocation_logging")


@mutation(("ZT-MDL-1",), environments=MODEL_APIS)
def guardrail_alarm_on_a_series_that_never_exists(t: Target) -> int:
    """The guardrail-intervention alarm names GuardrailArn alone: the documented dimension set is (GuardrailArn,
    GuardrailVersion), so the alarm matches no series and stays OK forever."""
    alarm = t.at("aws_cloudwatch_metric_alarm", "model_gateway/guardrail_interventions")
    if alarm is None or "GuardrailVersion" not in alarm.get("dimensions", {}):
        return 0
    del alarm["dimensions"]["GuardrailVersion"]
    return 1


@mutation(("ZT-MDL-1",), environments=MODEL_APIS)
def guardrail_changes_never_reach_the_required_version(t: Target) -> int:
    """The guardrail version is no longer replaced when the guardrail changes: a changed filter only updates DRAFT
    while the roles keep requiring the old snapshot."""
    version = t.at("aws_bedrock_guardrail_version", "model_gateway/guardrail_version")
    if version is None or "lifecycle" not in version:
        return 0
    del version["lifecycle"]
    return 1


# == ZT-MDL-2 external model APIs (where serving.model_apis.external is configured) ===================================

EXTERNAL_MODEL_APIS = ("staging",)


@mutation(("ZT-MDL-2",), environments=EXTERNAL_MODEL_APIS)
def egress_allow_list_widened_to_a_tld(t: Target) -> int:
    """The firewall's allow-list also passes ``.com``: every .com host is reachable from the egress workloads."""
    group = t.at("aws_networkfirewall_rule_group", "model_egress/allow_list")
    if group is None:
        return 0
    group["rule_group"]["rules_source"]["rules_source_list"]["targets"].append(".com")
    return 1


@mutation(("ZT-MDL-2",), environments=EXTERNAL_MODEL_APIS)
def egress_firewall_passes_what_no_rule_matched(t: Target) -> int:
    """The firewall policy's stateful default actions only alert: a flow to a name not on the list gets out."""
    policy = t.at("aws_networkfirewall_firewall_policy", "model_egress/policy")
    if policy is None:
        return 0
    policy["firewall_policy"]["stateful_default_actions"] = ["aws:alert_established"]
    return 1


# == ZT-ORG-1 organisation guardrails (the SCPs protect the workload's evidence roles by name) =======================

@mutation(("ZT-ORG-1",))
def evidence_role_renamed_outside_the_scps_protection(t: Target) -> int:
    """The trail's delivery role gets a name the organisation's SCP does not protect (only deployers may change
    protected roles): any account admin could then rewrite it."""
    role = t.at("aws_iam_role", "audit_trail/delivery_role/role")
    if role is None or not str(role.get("name", "")).endswith("-trail-to-cloudwatch"):
        return 0
    role["name"] = str(role["name"]).replace("-trail-to-cloudwatch", "-trail-delivery")
    return 1


# == ZT-PIPE-1 pipeline stages as workloads / ZT-LOG-3 run records (issue 17) =======================================

@mutation(("ZT-PIPE-1",))
def features_stage_reads_the_whole_raw_bucket(t: Target) -> int:
    """The features stage's read of raw/ is widened to the whole raw bucket."""
    with document(t.at("aws_iam_role_policy", "ml_pipeline/features_role/policy")) as doc:
        statement = by_sid(doc).get("ReadRawRaw")
        if statement is None:
            return 0
        statement["Resource"] = str(statement["Resource"]).replace("/raw/*", "/*")
        return 1


@mutation(("ZT-PIPE-1",))
def ingestion_stage_also_reads_raw(t: Target) -> int:
    """The ingestion stage (write raw/ only) may also read what it wrote."""
    with document(t.at("aws_iam_role_policy", "ml_pipeline/ingestion_role/policy")) as doc:
        statement = by_sid(doc).get("WriteRawRaw")
        if statement is None:
            return 0
        statement["Action"] = sorted({*as_list(statement["Action"]), "s3:GetObject"})
        return 1


@mutation(("ZT-PIPE-1",))
def training_job_signs_releases(t: Target) -> int:
    """The training compute's job role is allowed to sign with the release key (it could release its own model)."""
    release_key = t.ref("aws_kms_key", "keys/release_signing/key")
    role = t.ref("aws_iam_role", "training_compute/job_role/role")
    changed = 0
    with document(t.at("aws_iam_role_policy", "training_compute/job_role/policy")) as doc:
        if doc and release_key:
            doc["Statement"].append({"Sid": "SignReleasesToo", "Effect": "Allow", "Action": "kms:Sign",
                                     "Resource": release_key})
            changed += 1
    with document(t.at("aws_kms_key", "keys/release_signing/key")) as doc:
        if doc and role:
            doc["Statement"].append({"Sid": "TrainerSignsReleases", "Effect": "Allow", "Action": "kms:Sign",
                                     "Principal": {"AWS": role}, "Resource": "*"})
            changed += 1
    return changed


@mutation(("ZT-PIPE-1",))
def release_stage_without_manifest_verification(t: Target) -> int:
    """The release stage can no longer verify the model manifest (its kms:Verify on the manifest key goes)."""
    with document(t.at("aws_iam_role_policy", "ml_pipeline/release_role/policy")) as doc:
        return drop_sid(doc, "PipelineReleaseVerifyManifests")


@mutation(("ZT-PIPE-1",))
def stage_role_trusts_ecs_tasks_of_any_account(t: Target) -> int:
    """The features stage role's trust loses its confused-deputy conditions."""
    with document(t.at("aws_iam_role", "ml_pipeline/features_role/role"), "assume_role_policy") as doc:
        changed = 0
        for statement in doc.get("Statement", []):
            if statement.pop("Condition", None) is not None:
                changed += 1
        return changed


@mutation(("ZT-PIPE-1",))
def stage_data_access_not_bound_to_the_vpc(t: Target) -> int:
    """The release stage's data access works from anywhere (its network-binding Deny goes)."""
    with document(t.at("aws_iam_role_policy", "ml_pipeline/release_role/policy")) as doc:
        return drop_sid(doc, "DataAccessOnlyFromPlatformNetworks")


@mutation(("ZT-PIPE-1", "ZT-LOG-3"))
def stage_image_by_tag(t: Target) -> int:
    """The features stage runs an image by tag (``:latest``), not by digest: what ran cannot be proven."""
    return image_by_tag(t, "ml_pipeline/features_job_definition")


@mutation(("ZT-PIPE-1",))
def stage_container_privileged(t: Target) -> int:
    """The ingestion stage's container runs privileged with a writable root filesystem."""
    body = t.at("aws_batch_job_definition", "ml_pipeline/ingestion_job_definition")
    if body is None:
        return 0
    container = json.loads(body["container_properties"])
    container.update(privileged=True, readonlyRootFilesystem=False)
    body["container_properties"] = json.dumps(container, separators=(",", ":"))
    return 1


@mutation(("ZT-COMP-1", "ZT-PIPE-1"))
def gpu_training_image_by_tag(t: Target) -> int:
    """The GPU training job definition runs its image by tag (``:latest``): whoever moves the tag runs code as the
    identity that writes the model registry and signs model manifests."""
    return image_by_tag(t, "training_compute/job_definition")


@mutation(("ZT-LOG-3",))
def run_recorder_sees_every_queue(t: Target) -> int:
    """The run recorder's rule matches Batch events of any queue in the account (other jobs' records get mixed in,
    and anyone's job can fill the archive)."""
    rule = t.at("aws_cloudwatch_event_rule", "run_recorder/rule_batch_job_state_change")
    if rule is None:
        return 0
    pattern = json.loads(rule["event_pattern"])
    pattern.pop("detail", None)
    rule["event_pattern"] = json.dumps(pattern, sort_keys=True)
    return 1


@mutation(("ZT-LOG-3",))
def run_recorder_writes_the_whole_archive(t: Target) -> int:
    """The run recorder may write anywhere in the log archive (it could overwrite the trail's evidence keys)."""
    with document(t.at("aws_iam_role_policy", "run_recorder/role/policy")) as doc:
        statement = by_sid(doc).get("WriteArchiveRunRecords")
        if statement is None:
            return 0
        statement["Resource"] = str(statement["Resource"]).replace("/run-records/*", "/*")
        return 1


@mutation(("ZT-LOG-3",))
def run_records_may_be_replaced(t: Target) -> int:
    """The archive no longer requires If-None-Match under run-records/: a record can be replaced by a new version."""
    with document(t.at("aws_s3_bucket_policy", "log_archive/archive/policy")) as doc:
        return drop_sid(doc, "DenyOverwritesArchiveRunRecords")


# == delegated accounts (staging, prod): evidence into the log-archive account, threat detection administered ========

@mutation(("ZT-LOG-1",), environments=DELEGATING)
def trail_back_to_the_local_archive(t: Target) -> int:
    """A delegating environment's trail writes into its own account's archive with the local logs key again, where
    an administrator of the workload account controls the bucket policy."""
    bucket = t.ref("aws_s3_bucket", "log_archive/archive/bucket", "bucket")
    key = t.ref("aws_kms_key", "keys/logs/key")
    changed = 0
    for body in t.resources("aws_cloudtrail").values():
        if bucket and key and body.get("s3_bucket_name") != bucket:
            body["s3_bucket_name"], body["kms_key_id"] = bucket, key
            changed += 1
    return changed


@mutation(("ZT-LOG-1",), environments=DELEGATING)
def trail_key_named_by_its_alias_arn(t: Target) -> int:
    """The trail names the archive key by its alias ARN instead of the key ARN read from it: CloudTrail returns the
    key ARN, so every plan would change the trail."""
    changed = 0
    for body in t.resources("aws_cloudtrail").values():
        for key in t.stack.get("data", {}).get("aws_kms_key", {}).values():
            if str(body.get("kms_key_id", "")).startswith("${data.aws_kms_key."):
                body["kms_key_id"] = key["key_id"]
                changed += 1
    return changed


@mutation(("ZT-NET-2",), environments=DELEGATING)
def flow_logs_back_to_the_local_archive(t: Target) -> int:
    """A delegating environment's training VPC delivers its flow logs into its own account's archive again."""
    body = t.at("aws_flow_log", "training_network/flow_log")
    archive = t.ref("aws_s3_bucket", "log_archive/archive/bucket")
    if body is None or archive is None or body.get("log_destination") == archive:
        return 0
    body["log_destination"] = archive
    return 1


@mutation(("ZT-NET-2",), environments=DELEGATING)
def local_archive_still_admits_the_flow_logs(t: Target) -> int:
    """A delegating environment's own archive keeps admitting the log delivery service although its flow logs go
    to the log-archive account: an unused delivery grant a workload administrator could point flow logs at."""
    with document(t.at("aws_s3_bucket_policy", "log_archive/archive/policy")) as doc:
        if not doc:
            return 0
        doc["Statement"].append({"Sid": "VpcFlowLogsDelivery", "Effect": "Allow",
                                 "Principal": {"Service": "delivery.logs.amazonaws.com"}, "Action": "s3:PutObject",
                                 "Resource": "arn:aws:s3:::mutant/AWSLogs/*"})
        return 1


@mutation(("ZT-SRV-1",), environments=DELEGATING)
def load_balancer_logs_to_the_local_sink(t: Target) -> int:
    """A delegating environment's load balancer writes its access logs into its own account's access-log bucket."""
    sink = t.ref("aws_s3_bucket", "log_archive/access_logs/bucket", "bucket")
    changed = 0
    for body in t.resources("aws_lb").values():
        logs = body.get("access_logs", {})
        if sink and logs and logs.get("bucket") != sink:
            logs["bucket"] = sink
            changed += 1
    return changed


@mutation(("ZT-LOG-1",), environments=DELEGATING)
def detector_created_again_under_the_administrator(t: Target) -> int:
    """A delegating environment creates its own GuardDuty detector again: the administrator already enabled one, so
    the apply fails with 'detector already exists' (or, if it did not, the member runs outside the organization's
    configuration)."""
    return t.add("aws_guardduty_detector", "mutation_detector", {"enable": True,
                                                                  "finding_publishing_frequency": "FIFTEEN_MINUTES"})


@mutation(("ZT-LOG-1",), environments=DELEGATING)
def security_hub_enabled_again_under_the_administrator(t: Target) -> int:
    """A delegating environment enables Security Hub itself again, beside the delegated administrator's."""
    return t.add("aws_securityhub_account", "mutation_security_hub", {"enable_default_standards": False})


# == ZT-TEST-1 policy gate / ZT-TEST-2 red-team drill (the tool's own test must catch them) ============================

@mutation(("ZT-TEST-1",), tests=("tests/test_policy_gate.py::test_gate_passes_for_every_environment",))
def gate_sees_a_rate_rule_that_only_counts(t: Target) -> int:
    """The WAF rate-based rule counts instead of blocking: the policy gate (checkov + the AI-platform pack, one
    run over every environment) must fail."""
    return waf_rate_rule_only_counts(t)


@mutation(("ZT-TEST-2",),
          tests=("tests/test_invariants_guards.py::test_the_drills_evaluated_attempts_hold_on_the_synthesized_policies",))
def drill_sees_an_sso_session_assume_the_trainer(t: Target) -> int:
    """The model trainer's role trusts the organisation's SSO permission-set roles (sts:AssumeRole): the drill's
    "an SSO role session assumes model-trainer" attempt must come out wrong."""
    with document(t.at("aws_iam_role", "identities/model_trainer/role"), "assume_role_policy") as doc:
        if not doc:
            return 0
        doc["Statement"].append({"Sid": "SsoSessions", "Effect": "Allow", "Action": "sts:AssumeRole",
                                 "Principal": {"AWS": f"arn:aws:iam::{t.account}:role/sso/AnyPermissionSet"}})
    return 1


BY_ID = {m.id: m for m in CATALOGUE}
assert len(BY_ID) == len(CATALOGUE), "mutation ids must be unique"
