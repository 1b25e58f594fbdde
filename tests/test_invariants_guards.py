"""What is *not* granted (issue 22): every control a mutation of the synthesized JSON must not get past.

The requirement is asserted, not the output. Limits come from docs/controls.md and the seed's access table (README,
"Constructs"), written here; principals, resources and the full action set of every Allow and Deny a control
depends on are checked, and access is decided with AWS's evaluation logic (``blueprint.drill.policy_eval``) over every
identity, bucket, endpoint and key policy (``tests/access_matrix.py``), ARN patterns included.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import pytest

from blueprint.drill import platform as drill
from blueprint.drill.policy_eval import Decision, Request, evaluate
from tests import access_matrix
from tests.access_matrix import (
    ADMINISTRATOR,
    PROBES,
    S3_CONTENT_READ,
    S3_METADATA_READ,
    S3_OBJECT_ACTIONS,
    S3_VERSION_DESTRUCTION,
    S3_WRITE,
    AccessMatrix,
)
from tests.conftest import Synthesized
from tests.resolved_policies import ResolvedStack, Role, resolve_stack

# -- the seed's access table (README "Constructs"; controls.md Step 2 "Persona grants as in the seed") ----------
ENGINEER, TRAINER, DEPLOYER = "identities/data_engineer", "identities/model_trainer", "identities/model_deployer"
TRAINING = frozenset({TRAINER, "training_job_role", "training_compute/job_role"})
INFERENCE = "inference_role"
# the pipeline stages (issue 17): the seed's table extended to ingestion, feature engineering and release
INGESTION, FEATURES, RELEASE = "ml_pipeline/ingestion_role", "ml_pipeline/features_role", "ml_pipeline/release_role"
SEED_READ: dict[tuple[str, str], frozenset[str]] = {
    ("raw", "raw"): frozenset({ENGINEER, FEATURES}),
    ("features", "features"): frozenset({ENGINEER, *TRAINING}),
    ("training", "training"): TRAINING,
    ("models", "models"): frozenset({DEPLOYER, INFERENCE, RELEASE}),
    ("models", "releases"): frozenset({INFERENCE}),
}
SEED_WRITE: dict[tuple[str, str], frozenset[str]] = {
    ("raw", "raw"): frozenset({ENGINEER, INGESTION}),
    ("features", "features"): frozenset({FEATURES}),
    ("models", "models"): TRAINING,
    ("models", "releases"): frozenset({RELEASE}),
}
DATA_DOMAINS = ("raw", "features", "training", "validation", "models")
NOBODY: frozenset[str] = frozenset()
# Step 2: what no human role may ever do, whatever it is granted (escalation, escape, blinding the platform)
NEVER_FOR_HUMANS = ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreateUser", "iam:CreateAccessKey",
                    "iam:CreateLoginProfile", "iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary",
                    "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:UpdateAssumeRolePolicy",
                    "cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:DeleteDetector",
                    "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
                    "ec2:CreateInternetGateway")
# controls.md round 2: "Nothing becomes unmanageable: the deployment role and break-glass keep administration"
BREAK_GLASS_KEEPS = ("kms:PutKeyPolicy", "s3:PutBucketPolicy")
HUMAN_SESSION_LIMIT_SECONDS = 3600  # controls.md: sessions <= 1 h

_MATRICES: dict[str, tuple[ResolvedStack, AccessMatrix]] = {}


def _resolved(synthesized: Synthesized, env: str) -> ResolvedStack:
    return _matrix(synthesized, env)[0]


def _matrix(synthesized: Synthesized, env: str) -> tuple[ResolvedStack, AccessMatrix]:
    """One computation per distinct stack (the mutation harness runs this module against many outdirs)."""
    text = (synthesized.outdir / "stacks" / env / "cdk.tf.json").read_bytes()
    digest = f"{env}/{hashlib.sha256(text).hexdigest()}"
    if digest not in _MATRICES:
        stack = resolve_stack(synthesized.stack(env), synthesized.environments[env].config, env)
        ask: dict[str, set[str]] = {}
        for domain, prefix in [*SEED_READ, *SEED_WRITE]:
            ask.setdefault(domain, set()).add(prefix)
        _MATRICES[digest] = (stack, access_matrix.compute(stack, ask))
    return _MATRICES[digest]


def _readers(domain: str, prefix: str) -> frozenset[str]:
    return SEED_READ.get((domain, prefix), NOBODY)


def _writers(domain: str, prefix: str) -> frozenset[str]:
    return SEED_WRITE.get((domain, prefix), NOBODY)


def _granted(domain: str) -> frozenset[str]:
    """Everyone the seed grants anything in the bucket (any prefix)."""
    return frozenset().union(*(who for (d, _), who in [*SEED_READ.items(), *SEED_WRITE.items()] if d == domain))


def _cells(matrix: AccessMatrix) -> Iterable[tuple[str, str]]:
    assert set(matrix.domains) == set(DATA_DOMAINS)
    for domain in DATA_DOMAINS:
        # the seed's prefixes, those any policy names, and one nobody is granted
        assert access_matrix.OTHER_PREFIX in matrix.prefixes[domain]
        for prefix in matrix.prefixes[domain]:
            yield domain, prefix


def _why(matrix: AccessMatrix, layer: str, cell: tuple[str, str, str], who: Iterable[str]) -> dict[str, str]:
    return {p: matrix.reasons.get((layer, cell, p), "allowed") for p in who}


def _assert_seed_layer(matrix: AccessMatrix, layer: str) -> None:
    table = getattr(matrix, layer)
    for domain, prefix in _cells(matrix):
        readers, writers = _readers(domain, prefix), _writers(domain, prefix)
        for action in S3_CONTENT_READ:
            cell = (domain, prefix, action)
            assert table[cell] == readers, (layer, cell, _why(matrix, layer, cell, table[cell] ^ readers))
        for action in S3_METADATA_READ:
            cell = (domain, prefix, action)
            assert table[cell] <= readers, (layer, cell, sorted(table[cell] - readers))
        cell = (domain, prefix, "s3:PutObject")
        assert table[cell] == writers, (layer, cell, _why(matrix, layer, cell, table[cell] ^ writers))
        for action in S3_WRITE:
            cell = (domain, prefix, action)
            assert table[cell] <= writers, (layer, cell, sorted(table[cell] - writers))
        for action in S3_VERSION_DESTRUCTION:
            cell = (domain, prefix, action)
            # the registry is Object-Locked: nobody destroys a registered model's history (controls.md Step 3)
            allowed = NOBODY if domain == "models" else writers
            assert table[cell] <= allowed, (layer, cell, sorted(table[cell] - allowed))
        for action in ("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"):
            cell = (domain, prefix, action)
            listed = {p for p in table[cell] if p not in PROBES}
            assert listed <= readers | writers, (layer, cell, sorted(listed - readers - writers))


# -- the access matrix ---------------------------------------------------------------------------------------------

def test_nobody_but_the_seeds_principals_reads_or_writes_data(synthesized: Synthesized, env_name: str) -> None:
    """Every identity, bucket, endpoint and key policy together: exactly the seed's readers read (GetObject and
    GetObjectVersion, with the bucket key's Decrypt), exactly its writers write; nobody else -- no other role, no
    other principal of the account, no other account -- does anything to an object, and the validation bucket is
    nobody's."""
    _, matrix = _matrix(synthesized, env_name)
    _assert_seed_layer(matrix, "effective")
    assert matrix.table("effective")[TRAINER] == {
        "features/features": {"read"}, "training/training": {"read"}, "models/models": {"write"}}


def test_identity_policies_grant_exactly_the_seeds_table_scoped_to_prefixes(synthesized: Synthesized,
                                                                         env_name: str) -> None:
    """The grants on their own (no bucket or key policy to stop them): explicit allow lists per prefix. A grant by
    ARN pattern (every platform bucket, ``*``) shows up here even though the data perimeter would still stop it."""
    _, matrix = _matrix(synthesized, env_name)
    _assert_seed_layer(matrix, "identity")


def test_each_data_bucket_refuses_everyone_outside_its_grants_whatever_iam_allows(synthesized: Synthesized,
                                                                               env_name: str) -> None:
    """controls.md round 2: every data bucket denies object access to every principal outside its granted set --
    here every principal holds an administrator identity policy, so only the bucket policy decides."""
    _, matrix = _matrix(synthesized, env_name)
    for domain, prefix in _cells(matrix):
        for action in S3_OBJECT_ACTIONS:
            cell = (domain, prefix, action)
            outside = matrix.bucket[cell] - _granted(domain)
            assert not outside, (cell, sorted(outside))


def test_each_data_key_serves_only_its_buckets_principals(synthesized: Synthesized, env_name: str) -> None:
    """The bucket's key policy alone (administrator identity for everyone): data-plane use, via S3 for the bucket
    and directly, only by the principals the seed grants that bucket -- readers decrypt, writers generate data
    keys."""
    _, matrix = _matrix(synthesized, env_name)
    for domain in DATA_DOMAINS:
        readers = frozenset().union(*(w for (d, _), w in SEED_READ.items() if d == domain))
        writers = frozenset().union(*(w for (d, _), w in SEED_WRITE.items() if d == domain))
        for via in ("via-s3", "direct"):
            decrypt = matrix.key[(domain, "kms:Decrypt", via)]
            assert readers <= decrypt <= readers | writers, (domain, via, sorted(decrypt ^ readers))
            assert matrix.key[(domain, "kms:GenerateDataKey", via)] == writers, (domain, via)
            for action in access_matrix.KMS_DATA_ACTIONS:
                users = matrix.key[(domain, action, via)]
                assert users <= readers | writers, (domain, action, via, sorted(users - readers - writers))


def test_no_key_lets_the_account_or_anyone_else_use_it_for_data(synthesized: Synthesized, env_name: str) -> None:
    """controls.md round 2: key policies give the account administration only. Another role of the account, the root
    user, another account and an anonymous caller -- each with every IAM permission -- get no data-plane action on
    any key, directly or through any service the key policy names."""
    stack = _resolved(synthesized, env_name)
    uses = access_matrix.probe_key_uses(stack)
    assert set(uses) == {k.path for k in stack.keys.values()} and uses
    for key, found in uses.items():
        assert not found, (key, sorted(found))


# -- transport ------------------------------------------------------------------------------------------------------

def _is_everyone(principal: Any) -> bool:
    return principal == "*" or principal == {"AWS": "*"}


def test_every_bucket_denies_plain_http_and_old_tls_to_everyone_on_everything(synthesized: Synthesized,
                                                                             env_name: str) -> None:
    """controls.md Step 3: a bucket policy that denies non-TLS requests and TLS < 1.2 -- to every principal, on the
    bucket and every object, for every S3 action. Checked as written (principal, resources, actions, condition) and
    as decided: a request the grants allow over TLS is refused over plain HTTP and over TLS 1.1."""
    stack = _resolved(synthesized, env_name)
    assert len(stack.buckets) >= 9
    for bucket in stack.buckets.values():
        assert bucket.policy, bucket.path
        statements = bucket.policy["Statement"]
        for key, operator, value in (("aws:SecureTransport", "Bool", "false"),
                                     ("s3:TlsVersion", "NumericLessThan", "1.2")):
            (deny,) = [s for s in statements if key in str(s.get("Condition"))]
            assert deny["Effect"] == "Deny" and _is_everyone(deny["Principal"]), (bucket.path, deny)
            assert deny["Condition"] == {operator: {key: value}}, (bucket.path, deny)
            assert "NotAction" not in deny and set(access_matrix._as_list(deny["Action"])) & {"s3:*", "*"}, deny
            assert "NotResource" not in deny, deny
            assert set(access_matrix._as_list(deny["Resource"])) == {bucket.arn, f"{bucket.arn}/*"}, (
                bucket.path, deny["Resource"])
    _, matrix = _matrix(synthesized, env_name)
    everyone = access_matrix.principals(stack)
    for domain, bucket in matrix.domains.items():
        for prefix in matrix.prefixes[domain]:
            for principal in everyone:
                for action, resource in (("s3:GetObject", f"{bucket.arn}/{prefix}/any.bin"),
                                         ("s3:PutObject", f"{bucket.arn}/{prefix}/any.bin"),
                                         ("s3:ListBucket", bucket.arn), ("s3:GetBucketPolicy", bucket.arn)):
                    for insecure in ({"aws:SecureTransport": "false"},
                                     {"aws:SecureTransport": "true", "s3:TlsVersion": "1.1"}):
                        decision = evaluate(
                            Request(principal.arn, action, resource, {**principal.context, **insecure},
                                    resource_account=stack.account),
                            identity_policies=list(principal.identity), boundary=principal.boundary,
                            resource_policies=[bucket.policy] if bucket.policy else [])
                        assert not decision.allowed, (domain, principal.label, action, insecure, decision.reason)
    # the seed's grantees are really allowed over TLS: the refusals above are the transport's, not a missing grant
    for (domain, prefix), readers in SEED_READ.items():
        for reader in readers:
            assert reader in matrix.effective[(domain, prefix, "s3:GetObject")]


# -- validation data ------------------------------------------------------------------------------------------------

def _role(stack: ResolvedStack, label: str) -> Role:
    (role,) = [r for r in stack.roles.values() if access_matrix.label_of(r) == label]
    return role


def _explicit_deny(decision: Decision, where: str) -> bool:
    return decision.reason.startswith("explicit Deny") and decision.reason.endswith(where)


def test_training_identities_are_denied_validation_by_name_in_both_policies(synthesized: Synthesized,
                                                                          env_name: str) -> None:
    """controls.md Step 3: the training role must be *explicitly* denied validation/* -- a Deny naming it, not a
    missing Allow and not only the perimeter that denies everybody. Both sides carry it: the role's own identity
    policy, and the validation bucket's policy with statements naming the role (the perimeter's Deny to "*" is left
    out here). Every way of reading an object's content is denied."""
    stack, matrix = _matrix(synthesized, env_name)
    validation = matrix.domains["validation"]
    assert validation.policy
    for label in sorted(TRAINING):
        role = _role(stack, label)
        named = [s for s in validation.policy["Statement"] if not _is_everyone(s.get("Principal"))
                 and role.arn in access_matrix._as_list((s.get("Principal") or {}).get("AWS"))]
        assert named and all(s["Effect"] == "Deny" for s in named), (label, named)
        for action in (*S3_CONTENT_READ, "s3:GetObjectAttributes"):
            for key in ("validation/holdout.parquet", "any/prefix/at/all.bin"):
                request = Request(role.session_arn("guard"), action, f"{validation.arn}/{key}",
                                  {"aws:SecureTransport": "true", "aws:PrincipalArn": role.arn,
                                   "s3:versionid": "v1"}, resource_account=stack.account)
                own = evaluate(request, identity_policies=role.identity_policies)
                assert _explicit_deny(own, "identity policy"), (label, action, own.reason)
                by_name = evaluate(request, identity_policies=[ADMINISTRATOR],
                                   resource_policies=[{"Version": "2012-10-17", "Statement": named}])
                assert _explicit_deny(by_name, "resource policy"), (label, action, by_name.reason)


# -- people ----------------------------------------------------------------------------------------------------------

def _humans(stack: ResolvedStack) -> list[Role]:
    humans = [r for r in stack.roles.values() if r.tags.get("ztai:kind") == "human"]
    assert {access_matrix.label_of(r) for r in humans} == {
        "identities/data_engineer", "identities/model_trainer", "identities/model_deployer",
        "identities/security_auditor", "identities/break_glass"}
    return humans


def _mfa_tag(role: Role) -> str:
    tags = [k for k in access_matrix._session_tags(role) if k.startswith("aws:PrincipalTag/")
            and k.removeprefix("aws:PrincipalTag/") not in role.tags]
    assert len(tags) == 1, ("the boundary asks for exactly one session tag of the identity provider", tags)
    return tags[0]


def test_the_boundary_explicitly_denies_escalation_whatever_the_role_is_granted(synthesized: Synthesized,
                                                                              env_name: str) -> None:
    """controls.md Step 2: human roles carry a permissions boundary. Whatever a persona's policies grant (here:
    everything), within its boundary it can never change its own or another role's permissions, create users or
    keys, lift the boundary, stop the trail or GuardDuty, delete keys, rewrite bucket or key policies or open the
    network -- refused by an explicit Deny, so no later widening of the boundary's Allow list reopens it. Break-glass
    keeps the key- and bucket-policy administration controls.md leaves it (recovery)."""
    stack = _resolved(synthesized, env_name)
    for role in _humans(stack):
        assert role.boundary, role.path
        context = {**access_matrix._session_tags(role), "aws:PrincipalArn": role.arn, "aws:SecureTransport": "true"}
        never = [a for a in NEVER_FOR_HUMANS
                 if not (access_matrix.label_of(role) == "identities/break_glass" and a in BREAK_GLASS_KEEPS)]
        for action in never:
            for resource in ("*", role.arn, f"arn:aws:iam::{stack.account}:role/{role.name}-other"):
                decision = evaluate(Request(role.session_arn("guard"), action, resource, context),
                                    identity_policies=[ADMINISTRATOR], boundary=role.boundary)
                assert _explicit_deny(decision, "permissions boundary"), (role.path, action, resource,
                                                                          decision.reason)


def test_a_session_without_the_idps_mfa_tag_can_do_nothing(synthesized: Synthesized, env_name: str) -> None:
    """controls.md round 2, Humans: MFA is enforced by the identity source. A session the IdP did not mark (tag
    absent, or any other value) is refused every request by an explicit Deny of the boundary, whatever its
    policies allow; the marked session is not refused by that Deny."""
    stack = _resolved(synthesized, env_name)
    for role in _humans(stack):
        tag = _mfa_tag(role)
        base = {f"aws:PrincipalTag/{k}": v for k, v in role.tags.items()}
        base.update({"aws:PrincipalArn": role.arn, "aws:SecureTransport": "true",
                     "aws:SourceIdentity": "alice@example.com"})
        for action, resource in (("s3:GetObject", "arn:aws:s3:::any-bucket/any.bin"), ("sts:GetCallerIdentity", "*"),
                                 ("iam:PassRole", role.arn), ("kms:Decrypt", f"arn:aws:kms:{stack.region}:"
                                                                            f"{stack.account}:key/any")):
            for session in (base, {**base, tag: "false"}, {**base, tag: "TRUE "}):
                decision = evaluate(Request(role.session_arn("guard"), action, resource, session),
                                    identity_policies=[ADMINISTRATOR], boundary=role.boundary)
                assert _explicit_deny(decision, "permissions boundary"), (role.path, action, decision.reason)
        marked = evaluate(Request(role.session_arn("guard"), "sts:GetCallerIdentity", "*", {**base, tag: "true"}),
                          identity_policies=[ADMINISTRATOR], boundary=role.boundary)
        assert not marked.reason.startswith("explicit Deny"), (role.path, marked.reason)


def test_no_role_outlives_an_hour_and_people_come_only_through_the_identity_provider(synthesized: Synthesized,
                                                                                   env_name: str) -> None:
    """controls.md Step 4 / round 2: every role's max session <= 1 h (the limit written here, not read from config);
    a person's role trusts only a SAML provider, only for sts:AssumeRoleWithSAML / TagSession / SetSourceIdentity."""
    stack = synthesized.stack(env_name)
    for body in stack["resource"]["aws_iam_role"].values():
        assert int(body.get("max_session_duration", 3600)) <= HUMAN_SESSION_LIMIT_SECONDS, body["name"]
    resolved = _resolved(synthesized, env_name)
    for role in _humans(resolved):
        for statement in role.trust["Statement"]:
            assert statement["Effect"] == "Allow" and set(statement["Principal"]) == {"Federated"}, role.path
            assert str(statement["Principal"]["Federated"]).startswith(f"arn:aws:iam::{resolved.account}:"
                                                                       "saml-provider/"), role.path
            assert set(access_matrix._as_list(statement["Action"])) <= {
                "sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"}, role.path
        # nobody else can assume it: a role of the account, the root user, another account, a service
        for caller, action in ((f"arn:aws:iam::{resolved.account}:role/Administrator", "sts:AssumeRole"),
                               (f"arn:aws:iam::{resolved.account}:root", "sts:AssumeRole"),
                               ("arn:aws:iam::999999999999:role/Administrator", "sts:AssumeRole"),
                               ("ec2.amazonaws.com", "sts:AssumeRole")):
            decision = evaluate(Request(caller, action, role.arn, {"aws:SecureTransport": "true",
                                                                   "sts:SourceIdentity": "mallory"}),
                                identity_policies=[ADMINISTRATOR],
                                resource_policies=[{"Statement": [{**s, "Resource": role.arn}
                                                                  for s in role.trust["Statement"]]}])
            assert not decision.allowed, (role.path, caller, decision.reason)


# -- the drill's evaluated attempts, on the policies as synthesized --------------------------------------------------

class _Synthesized(drill.DeployedPolicies):
    """The drill's view of a deployment, answered from the synthesized stack instead of the emulator's APIs: what
    would be deployed. Only what the evaluated attempts read is answered (no clients are made)."""

    def __init__(self, stack: ResolvedStack, prefix: str) -> None:  # no super().__init__: no emulator clients
        self.stack, self.prefix, self.account, self.region = stack, prefix, stack.account, stack.region
        self.roles = {r.name: r for r in stack.roles.values()}
        self.by_name = {b.name: b for b in stack.buckets.values()}

    def _role(self, suffix: str) -> Role:
        return self.roles[f"{self.prefix}-{suffix}"]

    def role(self, suffix: str) -> dict[str, Any]:
        role = self._role(suffix)
        return {"Arn": role.arn, "AssumeRolePolicyDocument": role.trust, "RoleName": role.name}

    def identity_policies(self, suffix: str) -> list[dict[str, Any]]:
        return list(self._role(suffix).identity_policies)

    def boundary(self, suffix: str) -> dict[str, Any] | None:
        return self._role(suffix).boundary

    def bucket_policy(self, domain: str) -> dict[str, Any]:
        return dict(self.by_name[self.bucket(domain)].policy or {})

    def bucket_key(self, domain: str) -> tuple[str, dict[str, Any]]:
        key = self.stack.bucket_key(self.by_name[self.bucket(domain)])
        assert key and key.policy
        return key.arn, dict(key.policy)

    def session_context(self, suffix: str, *, mfa: bool = True) -> dict[str, Any]:
        role = self._role(suffix)
        context: dict[str, Any] = {f"aws:PrincipalTag/{k}": v for k, v in role.tags.items()}
        if role.tags.get("ztai:kind") == "human":
            context["aws:SourceIdentity"] = "alice@example.com"
            if mfa:
                context[f"aws:PrincipalTag/{self.mfa_session_tag}"] = "true"
        return context


def test_the_drills_evaluated_attempts_hold_on_the_synthesized_policies(synthesized: Synthesized,
                                                                        env_name: str) -> None:
    """controls.md Step 7: the red-team drill's attempts that are decided by evaluation (people through the IdP, MFA
    sessions, the validation read, plain HTTP, unsigned uploads, the registry) -- the drill's own code, run on what
    every environment would deploy, with the verdicts the drill expects. The emulator run (tests/test_deploy_e2e.py)
    adds the attempts the emulator enforces."""
    stack = _resolved(synthesized, env_name)
    deployed = _Synthesized(stack, f"ztai-{env_name}")
    verdicts: list[tuple[str, str, Decision]] = []

    def record(attempt: str, expected: str, decision: Decision, how: str = drill.EVALUATED) -> None:
        verdicts.append((attempt, expected, decision))

    drill.human_attempts(deployed, record)
    tls, put, put_new = drill.TLS, drill.PUT, drill.PUT_NEW
    for attempt, expected, decision in (
        ("trainer reads validation/*", "DENY",
         deployed.decide("model-trainer", "s3:GetObject", "validation", "validation/holdout.parquet", tls)),
        ("training job reads a validation version", "DENY",
         deployed.decide("training-job", "s3:GetObjectVersion", "validation", "validation/holdout.parquet",
                         {**tls, "s3:versionid": "v1"})),
        ("upload without TLS", "DENY", deployed.decide("data-engineer", "s3:PutObject", "raw", "raw/plain.csv",
                                                       {"aws:SecureTransport": "false"})),
        ("upload without a SHA-256 payload checksum", "DENY",
         deployed.decide("data-engineer", "s3:PutObject", "raw", "raw/unsigned.csv",
                         {**tls, "s3:x-amz-content-sha256": "UNSIGNED-PAYLOAD"})),
        ("data engineer writes the model registry", "DENY",
         deployed.decide("data-engineer", "s3:PutObject", "models", "models/backdoored.bin", put_new)),
        ("trainer overwrites an existing model key (no If-None-Match)", "DENY",
         deployed.decide("model-trainer", "s3:PutObject", "models", "models/v1/model.bin", put)),
        ("trainer reads training/*", "ALLOW",
         deployed.decide("model-trainer", "s3:GetObject", "training", "training/part-0001.parquet", tls)),
        ("trainer writes a new model (create-only upload)", "ALLOW",
         deployed.decide("model-trainer", "s3:PutObject", "models", "models/v2/model.bin", put_new)),
        ("data engineer writes raw data", "ALLOW",
         deployed.decide("data-engineer", "s3:PutObject", "raw", "raw/2026/11/25/events.json", put)),
    ):
        record(attempt, expected, decision)
    assert len(verdicts) >= 25
    wrong = [(attempt, expected, d.reason) for attempt, expected, d in verdicts
             if ("ALLOW" if d.allowed else "DENY") != expected]
    assert not wrong, wrong


@pytest.mark.parametrize("probe", [access_matrix.ACCOUNT_PLATFORM_ROLE, access_matrix.ACCOUNT_OTHER_ROLE,
                                   access_matrix.FOREIGN])
def test_probes_stand_for_principals_the_stack_does_not_name(synthesized: Synthesized, probe: str) -> None:
    """The matrix's role probes are strangers: no policy of the stack names them (else "nobody else" would be
    untested); the platform-named one carries the platform's role-name prefix, so a pattern grant admits it."""
    stack = _resolved(synthesized, "prod")
    (principal,) = [p for p in access_matrix.principals(stack) if p.label == probe]
    text = str([r.identity_policies for r in stack.roles.values()] + [b.policy for b in stack.buckets.values()]
               + [k.policy for k in stack.keys.values()])
    assert principal.arn not in text and principal.context.get("aws:PrincipalArn", "~") not in text
    if probe == access_matrix.ACCOUNT_PLATFORM_ROLE:
        assert principal.context["aws:PrincipalArn"].endswith(":role/ztai-prod-probe")
