"""IAM policy documents built from typed statements and rendered lazily at synth time.

Constructs accumulate statements (through ``grant_*`` methods) after a resource was declared, so the
JSON is produced by a cdktf ``Lazy`` producer when the stack synthesizes. Tokens such as
``bucket.arn`` survive ``json.dumps`` and resolve to ``${aws_s3_bucket.x.arn}`` references.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import jsii
from cdktf import IResolveContext, IStringProducer, Lazy
from constructs import Construct, IValidation

from zero_trust_ai import actions

Effect = Literal["Allow", "Deny"]


@dataclass(frozen=True)
class Statement:
    """One IAM statement. ``principals`` is only used in resource policies (bucket/key policies)."""

    sid: str
    effect: Effect
    actions: Sequence[str]
    resources: Sequence[str] = ("*",)
    principals: Mapping[str, Sequence[str] | str] | None = None
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    not_actions: bool = False

    def __post_init__(self) -> None:
        if not self.sid.isalnum():
            raise ValueError(f"statement sid {self.sid!r} must be alphanumeric (IAM rule)")
        if not self.actions:
            raise ValueError(f"statement {self.sid}: at least one action is required")
        if self.effect == "Allow":
            wildcard = [a for a in self.actions if "*" in a]
            if wildcard:
                raise ValueError(
                    f"statement {self.sid}: wildcard action(s) {wildcard} in an Allow; "
                    "grants must be explicit action lists (see zero_trust_ai.actions)"
                )

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"Sid": self.sid, "Effect": self.effect}
        if self.principals is not None:
            body["Principal"] = {k: (list(v) if not isinstance(v, str) else v) for k, v in self.principals.items()}
        actions = sorted(set(self.actions))
        body["NotAction" if self.not_actions else "Action"] = actions[0] if len(actions) == 1 else actions
        resources = list(dict.fromkeys(self.resources))
        body["Resource"] = resources[0] if len(resources) == 1 else resources
        if self.conditions:
            body["Condition"] = {op: dict(values) for op, values in self.conditions.items()}
        return body


@jsii.implements(IStringProducer)
class _Producer:
    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self, context: IResolveContext) -> str:
        return self._produce()


class PolicyDocument:
    """A mutable list of statements rendered to JSON when the stack synthesizes."""

    def __init__(self, statements: Sequence[Statement] = ()) -> None:
        self._statements: list[Statement] = list(statements)
        self._late: list[Callable[[], Statement | None]] = []

    def add_late(self, produce: Callable[[], Statement | None]) -> None:
        """A statement computed when the stack synthesizes, after every grant was made (e.g. a perimeter Deny
        that names exactly the principals granted by then). ``produce`` may return None for nothing."""
        self._late.append(produce)

    def add(self, *statements: Statement) -> None:
        for statement in statements:
            existing = next((s for s in self._statements if s.sid == statement.sid), None)
            if existing == statement:
                continue  # the same grant twice is idempotent
            if existing is not None:
                raise ValueError(f"statement sid {statement.sid!r} already used for a different statement")
            self._statements.append(statement)

    @property
    def statements(self) -> tuple[Statement, ...]:
        """Every statement, including the late ones as they would render now."""
        late = [statement for produce in self._late if (statement := produce()) is not None]
        return (*self._statements, *late)

    @property
    def is_empty(self) -> bool:
        return not self.statements

    def to_json(self) -> str:
        return json.dumps(
            {"Version": "2012-10-17", "Statement": [s.render() for s in self.statements]},
            indent=None,
            separators=(",", ":"),
        )

    def lazy_json(self) -> str:
        """A token that renders the document with every statement added before synthesis."""
        return Lazy.string_value(_Producer(self.to_json))


def account_root_admin(account_id: str) -> Statement:
    """Key administration for the account, never data-plane use.

    The account root in a key policy delegates to the account's IAM policies
    (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam):
    with ``kms:*`` here, *any* principal of the account whose identity policy allows ``kms:Decrypt`` on ``*``
    (an admin, a CI role) could decrypt the data. So the account keeps only the administration actions -- the key
    can never become unmanageable (lockout safety: the deployment role and break-glass administer it through
    their IAM policies) -- and every data-plane use (Decrypt, Encrypt, GenerateDataKey*, ReEncrypt*, Sign) is
    granted to named principals by ``grant_*`` calls alone."""
    return Statement(sid="AccountRootAdmin", effect="Allow", principals={"AWS": f"arn:aws:iam::{account_id}:root"},
                     actions=actions.KMS_ADMIN, resources=["*"])


class Grantee(Protocol):
    """Anything permissions can be granted to: a role construct with an identity policy."""

    @property
    def role_arn(self) -> str: ...

    @property
    def grant_name(self) -> str:
        """Alphanumeric name used in statement ids (e.g. ``ModelTrainer``)."""
        ...

    def add_to_policy(self, statement: Statement) -> None: ...


@jsii.implements(IValidation)
class _NonEmptyPolicy:
    def __init__(self, document: PolicyDocument, what: str) -> None:
        self._document = document
        self._what = what

    def validate(self) -> list[str]:
        if self._document.is_empty:
            return [f"{self._what}: the policy has no statements; grant something or remove the construct"]
        return []


def require_statements(scope: Construct, document: PolicyDocument, what: str) -> None:
    """Fail synthesis if ``document`` is still empty when the stack synthesizes."""
    scope.node.add_validation(_NonEmptyPolicy(document, what))
