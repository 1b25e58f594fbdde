"""AWS IAM policy evaluation, as documented, for the red-team drill and the access matrix.

    decision = evaluate(
        Request(principal_arn, action, resource, context),
        identity_policies=[...],       # identity-based policies of the principal (inline + managed)
        resource_policies=[...],       # the resource's policy: bucket / key / secret / queue policy, role trust policy
        boundary=None,                 # the principal's permissions boundary (one document, or None)
        session_policies=(),           # session policies passed when the role session was created
        endpoint_policies=(),          # policy of the VPC endpoint the request goes through (empty: no endpoint)
        scps=(),                       # SCPs, one entry per level of the OU hierarchy: a document or a list
        rcps=(),                       # RCPs, same shape; RCPFullAWSAccess is implicitly attached at every level
        resource_policy_required=None, # None: inferred (KMS keys, sts:* on a role); True/False to force
    )
    decision.allowed, decision.reason, decision.unknown_operators

with recording() as entries:      # every evaluation while active: (request, effective context, policies, decision)
    ...

The logic follows https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html:

1. An explicit Deny in any applicable policy (SCP, RCP, resource policy, identity policy, boundary, session policy,
   endpoint policy) wins. A resource-policy Deny naming the caller's account, role or session applies to the caller.
2. Every SCP level must have an Allow (SCPs do not apply to service principals or anonymous callers); RCPs only
   deny (RCPFullAWSAccess allows at every level); an endpoint policy must allow when the request goes through it.
3. Same account (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-
   basics.html): an identity-policy Allow within the boundary and the session policies, OR a resource-policy Allow.
   A resource-policy grant naming the role *session* ARN (arn:aws:sts::ACCT:assumed-role/NAME/SESSION), an IAM user
   ARN or ``"*"`` goes to the session directly and is not limited by the boundary or session policies; one naming the
   role ARN is added to the role's permissions and is limited by both
   (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html, "Resource-based policies").
   A grant to the account (``"AWS": "ACCT"`` or ``arn:aws:iam::ACCT:root``) delegates to the account's IAM policies:
   it matches every principal of that account, and an identity-policy Allow is then needed as well.
4. Cross account (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-
   account.html): the resource policy must allow the caller (by session, role or account) AND the caller's identity
   policies must allow it (within boundary and session policies).
5. KMS keys and role trust policies (``sts:*`` on a role ARN): the key policy / trust policy must allow, even in the
   same account; a root principal there delegates to the caller's identity policies
   (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html,
   https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user.html). Service, Federated and anonymous
   callers are authorized by the resource policy alone.

Principals: ``principal_arn`` may be an IAM role ARN (taken as "a session of this role", session name unknown), an
assumed-role session ARN, an IAM user ARN, a federated-user ARN, an account root ARN, a service principal
(``ec2.amazonaws.com``), a federated provider (``cognito-identity.amazonaws.com``, a SAML provider ARN), a canonical
user id, or ``"*"``/``"anonymous"``. Statement principals: ``"*"``, ``AWS`` (ARN, account id, root), ``Service``,
``Federated``, ``CanonicalUser``; ``NotPrincipal`` excludes the caller only when every identity it carries (account,
role, session / user) is listed (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_
notprincipal.html), and a Deny with ``NotPrincipal`` always applies to a principal with a permissions boundary
(access_policies_boundaries.html).

Matching: action names and condition-key names are case-insensitive; resource ARNs and condition values are
case-sensitive unless the operator says otherwise; wildcards are ``*`` and ``?`` only; ARNs match segment by segment
(a trailing ``*`` may span colons, reference_policies_elements_resource.html). Policy variables (``${aws:username}``,
``${aws:PrincipalTag/x}``, ``${key, 'default'}``, ``${*}``, ``${?}``, ``${$}``) are replaced in Resource/NotResource
and in String/ARN condition values of ``2012-10-17`` policies; a variable without a value matches nothing, so a
positive operator does not match and a negated one does (reference_policies_variables.html#policy-vars-no-value).

Conditions (reference_policies_elements_condition_operators.html): all String*, Numeric*, Date*, Bool, BinaryEquals,
IpAddress/NotIpAddress, Arn*, Null, ``...IfExists`` and the ``ForAllValues:``/``ForAnyValue:`` set operators
(reference_policies_condition-single-vs-multi-valued-context-keys.html). Several operators or keys: AND; several
values: OR (for a negated operator: none of them). Absent key: false, except ``...IfExists`` and negated operators
(true), ``ForAllValues`` (true) and ``Null``. A list-valued (multivalued) key needs a set operator; without one the
condition does not match. An unknown operator fails closed: a Deny containing it applies, an Allow does not, and the
decision reports it.

Derived context: unless given, ``aws:PrincipalArn`` (the role ARN for a session), ``aws:PrincipalAccount``,
``aws:PrincipalType``, ``aws:PrincipalIsAWSService``, ``aws:PrincipalServiceName``, ``aws:username`` (users) and
``aws:ResourceAccount`` are filled in from the request (``effective_context``). The resource account is
``Request.resource_account``, else the ARN's account field, else the principal's account (S3 bucket ARNs carry no
account: same account is assumed unless told otherwise).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

# how a resource-policy Principal matched the caller: the caller itself, its role (or user), its account
DIRECT, ROLE, ACCOUNT = 3, 2, 1


@dataclass(frozen=True)
class Request:
    principal_arn: str
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)
    principal_account: str | None = None  # None: from the principal ARN (or context aws:PrincipalAccount)
    resource_account: str | None = None  # None: from the resource ARN, else context aws:ResourceAccount, else same


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    unknown_operators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recorded:
    """One evaluation seen by ``recording()``: enough to replay it in another evaluator."""

    request: Request
    context: dict[str, Any]  # the effective context (derived keys included)
    policies: dict[str, Any]  # keyword arguments of ``evaluate`` (documents as given)
    resource_policy_required: bool
    decision: Decision


_recorders: list[list[Recorded]] = []


@contextlib.contextmanager
def recording() -> Iterator[list[Recorded]]:
    """Collect every ``evaluate`` call made while the block runs (for the parity corpus)."""
    entries: list[Recorded] = []
    _recorders.append(entries)
    try:
        yield entries
    finally:
        _recorders.remove(entries)


# -- principals -------------------------------------------------------------------------------------------------

_ARN = re.compile(r"^arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<rest>.*)$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_CANONICAL_ID = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class _Principal:
    kind: str  # role | session | user | federated-user | root | service | federated | canonical | anonymous | other
    value: str
    account: str | None
    role_name: str = ""  # role / session: the role's name (last path segment)
    user_arn: str = ""  # federated-user: the IAM user it was issued for
    partition: str = "aws"

    @property
    def iam(self) -> bool:
        """An IAM identity of an account (identity policies, boundaries and SCPs apply)."""
        return self.kind in ("role", "session", "user", "federated-user", "root", "other")

    def chain(self) -> list[str]:
        """Every identity the request carries, from the account down (for NotPrincipal)."""
        root = f"arn:{self.partition}:iam::{self.account}:root" if self.account else ""
        if self.kind == "session":
            role = f"arn:{self.partition}:iam::{self.account}:role/{self.role_name}"
            return [root, role, self.value]
        if self.kind == "federated-user":
            return [root, self.user_arn, self.value]
        if self.kind in ("role", "user", "other"):
            return [root, self.value] if root else [self.value]
        if self.kind == "root":
            return [root]
        if self.kind == "anonymous":
            return []
        return [self.value]


def _parse_principal(value: str, account: str | None, context: Mapping[str, Any]) -> _Principal:
    if value in ("*", "anonymous", ""):
        return _Principal("anonymous", value, None)
    match = _ARN.match(value)
    if match is None:
        if _CANONICAL_ID.match(value):
            return _Principal("canonical", value, account)
        if value.endswith((".amazonaws.com", ".amazonaws.com.cn", ".amazon.com")):
            kind = "federated" if value in _WEB_IDENTITY_PROVIDERS else "service"
            return _Principal(kind, value, account)
        return _Principal("other", value, account or _context_get(context, "aws:PrincipalAccount"))
    partition, service, rest = match["partition"], match["service"], match["rest"]
    account = account or match["account"] or None
    if service == "iam" and rest == "root":
        return _Principal("root", value, account, partition=partition)
    if service == "iam" and rest.startswith("role/"):
        return _Principal("role", value, account, role_name=rest.rsplit("/", 1)[-1], partition=partition)
    if service == "iam" and rest.startswith("user/"):
        return _Principal("user", value, account, partition=partition)
    if service == "iam" and rest.startswith(("saml-provider/", "oidc-provider/")):
        return _Principal("federated", value, account, partition=partition)
    if service == "sts" and rest.startswith("assumed-role/"):
        parts = rest.split("/")
        return _Principal("session", value, account, role_name=parts[1] if len(parts) > 2 else "", partition=partition)
    if service == "sts" and rest.startswith("federated-user/"):
        user = f"arn:{partition}:iam::{account}:user/{rest.split('/', 1)[1]}"
        return _Principal("federated-user", value, account, user_arn=user, partition=partition)
    return _Principal("other", value, account, partition=partition)


_WEB_IDENTITY_PROVIDERS = frozenset(
    {"cognito-identity.amazonaws.com", "www.amazon.com", "graph.facebook.com", "accounts.google.com"}
)


def _principal_entries(element: Any) -> list[tuple[str, str]]:
    """(type, value) pairs of a Principal / NotPrincipal element; "*" as ("*", "*")."""
    if element == "*":
        return [("*", "*")]
    if not isinstance(element, Mapping):
        return [("AWS", str(v)) for v in _as_list(element)]
    entries: list[tuple[str, str]] = []
    for kind, values in element.items():
        entries += [(str(kind), str(v)) for v in _as_list(values)]
    return entries


def _match_entry(kind: str, value: str, principal: _Principal) -> int:
    """How one Principal entry matches the caller: DIRECT, ROLE, ACCOUNT or 0."""
    if value == "*" and kind in ("*", "AWS"):
        return DIRECT  # "Principal": "*" and {"AWS": "*"} are equivalent (reference_policies_elements_principal.html)
    if kind in ("Service", "Federated", "CanonicalUser"):
        return DIRECT if value == principal.value and not principal.iam else 0
    if kind != "AWS" or not principal.iam:
        return 0
    account = _account_of_entry(value)
    if account is not None:
        return ACCOUNT if account == principal.account else 0
    if value == principal.value:
        return ROLE if principal.kind == "role" else DIRECT
    if principal.kind == "session":
        match = _ARN.match(value)
        if (
            match
            and match["service"] == "iam"
            and match["account"] == principal.account
            and match["rest"].startswith("role/")
            and match["rest"].rsplit("/", 1)[-1].lower() == principal.role_name.lower()
        ):
            return ROLE  # an assumed-role session matches a policy naming its role
    if principal.kind == "federated-user" and value == principal.user_arn:
        return ROLE
    return 0


def _account_of_entry(value: str) -> str | None:
    if _ACCOUNT_ID.match(value):
        return value
    match = _ARN.match(value)
    if match and match["service"] == "iam" and match["rest"] == "root":
        return match["account"]
    return None


def _excluded(element: Any, identity: str, principal: _Principal) -> bool:
    """Is one identity of the caller's chain listed in a NotPrincipal element?"""
    for kind, value in _principal_entries(element):
        if value == "*":
            return True
        if kind == "AWS":
            account = _account_of_entry(value)
            if (account is not None and identity.endswith(":root") and account == principal.account) or (
                value == identity
            ):
                return True
        elif value == identity:
            return True
    return False


# -- matching ---------------------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """`*` = any run of characters, `?` = one character, everything else literal (no fnmatch brackets)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


class _Unresolved(Exception):
    """A policy variable without a value: the policy value matches nothing."""


_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _expand(value: str, context: Mapping[str, Any] | None, wildcards: bool) -> str:
    """A policy value as a wildcard pattern: variables replaced (their values literal), `*`/`?` kept only when
    ``wildcards``. ``context`` None: variables are not supported (policy Version before 2012-10-17)."""
    out: list[str] = []
    position = 0
    if context is not None:
        for match in _VARIABLE.finditer(value):
            out.append(_literal(value[position : match.start()], wildcards))
            out.append(_escape(_resolve(match.group(1), context)))
            position = match.end()
    out.append(_literal(value[position:], wildcards))
    return "".join(out)


# In an expanded pattern, \x00* / \x00? are wildcards and \x00\x00 a literal NUL; everything else is literal.
def _literal(text: str, wildcards: bool) -> str:
    text = text.replace("\x00", "\x00\x00")
    return text.replace("*", "\x00*").replace("?", "\x00?") if wildcards else text


def _escape(text: str) -> str:
    return text.replace("\x00", "\x00\x00")


def _resolve(inner: str, context: Mapping[str, Any]) -> str:
    if inner in ("*", "?", "$"):
        return inner
    key, _, default = inner.partition(",")
    actual = context.get(key.strip().lower())  # context: lower-cased keys
    if isinstance(actual, list | tuple):
        actual = None  # multivalued keys cannot be policy variables
    if actual is not None:
        return _text(actual)
    default = default.strip()
    if len(default) >= 2 and default[0] == default[-1] == "'":
        return default[1:-1].replace("''", "'")
    raise _Unresolved(key)


@lru_cache(maxsize=8192)
def _pattern_regex(expanded: str, ignore_case: bool) -> re.Pattern[str]:
    parts: list[str] = []
    i = 0
    while i < len(expanded):
        c = expanded[i]
        if c == "\x00" and i + 1 < len(expanded):
            nxt = expanded[i + 1]
            parts.append(".*" if nxt == "*" else "." if nxt == "?" else re.escape("\x00"))
            i += 2
            continue
        parts.append(re.escape(c))
        i += 1
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _like(pattern: str, value: str, context: Mapping[str, Any] | None, *, wildcards: bool = True,
          ignore_case: bool = False) -> bool:
    """Raises _Unresolved for a variable without a value."""
    if "${" not in pattern or context is None:
        if not wildcards:
            return (pattern.casefold() == value.casefold()) if ignore_case else pattern == value
        return _wildcard(pattern, ignore_case).fullmatch(value) is not None
    return _pattern_regex(_expand(pattern, context, wildcards), ignore_case).fullmatch(value) is not None


def _arn_like(pattern: str, value: str, context: Mapping[str, Any] | None) -> bool:
    """ARN matching segment by segment; a trailing `*` in the pattern's last segment spans the remaining colons
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_
    elements_resource_wildcards). Raises _Unresolved for a variable without a value."""
    if pattern == "*":
        return True
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) == 6 and len(v_parts) == 6:
        return all(_like(p, v, context) for p, v in zip(p_parts, v_parts, strict=True))
    if len(p_parts) < 6 and p_parts[-1].endswith("*") and len(v_parts) >= len(p_parts) and len(v_parts) == 6:
        head = len(p_parts) - 1
        return all(_like(p, v, context) for p, v in zip(p_parts[:head], v_parts[:head], strict=True)) and _like(
            p_parts[-1], ":".join(v_parts[head:]), context
        )
    if len(p_parts) < 6 and len(v_parts) < 6:
        return _like(pattern, value, context)  # not ARNs (e.g. a bare name): plain wildcard match
    return False


def _action_matches(pattern: Any, action: str) -> bool:
    return _wildcard(str(pattern), True).fullmatch(action) is not None


def _resource_matches(pattern: Any, resource: str, context: Mapping[str, Any] | None) -> bool:
    try:
        return _arn_like(str(pattern), resource, context)
    except _Unresolved:
        return False  # "the resource that includes a policy variable with no value will not match any resource"


def _context_get(context: Mapping[str, Any], key: str) -> Any:
    """Condition keys are case-insensitive (reference_policies_condition-keys.html)."""
    if key in context:
        return context[key]
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return value
    return None


def _lowered(context: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in context.items()}


# -- conditions -------------------------------------------------------------------------------------------------

_NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "notipaddress": "ipaddress",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}
_POSITIVE = {
    "stringequals", "stringequalsignorecase", "stringlike", "numericequals", "numericlessthan",
    "numericlessthanequals", "numericgreaterthan", "numericgreaterthanequals", "dateequals", "datelessthan",
    "datelessthanequals", "dategreaterthan", "dategreaterthanequals", "bool", "binaryequals", "ipaddress",
    "arnequals", "arnlike",
}


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _date(value: str) -> datetime | None:
    number = _number(value)  # epoch seconds or ISO 8601
    try:
        if number is not None:
            moment = datetime.fromtimestamp(number, UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _compare(base: str, actual: str, expected: str, variables: Mapping[str, Any] | None) -> bool | None:
    """One context value against one policy value for a positive operator. None: not comparable (invalid input)."""
    if base in ("stringequals", "stringequalsignorecase", "stringlike"):
        return _like(expected, actual, variables, wildcards=base == "stringlike",
                     ignore_case=base == "stringequalsignorecase")
    if base in ("arnequals", "arnlike"):  # both accept wildcards, compared per ARN segment
        if len(expected.split(":", 5)) < 6 or len(actual.split(":", 5)) < 6:
            return None
        return _arn_like(expected, actual, variables)
    if base.startswith("numeric"):
        a, e = _number(actual), _number(expected)
        if a is None or e is None:
            return None
        return {"numericequals": a == e, "numericlessthan": a < e, "numericlessthanequals": a <= e,
                "numericgreaterthan": a > e, "numericgreaterthanequals": a >= e}[base]
    if base.startswith("date"):
        da, de = _date(actual), _date(expected)
        if da is None or de is None:
            return None
        return {"dateequals": da == de, "datelessthan": da < de, "datelessthanequals": da <= de,
                "dategreaterthan": da > de, "dategreaterthanequals": da >= de}[base]
    if base == "bool":
        if actual.lower() not in ("true", "false") or expected.lower() not in ("true", "false"):
            return None
        return actual.lower() == expected.lower()
    if base == "binaryequals":
        try:
            return base64.b64decode(actual, validate=True) == base64.b64decode(expected, validate=True)
        except (binascii.Error, ValueError):
            return None
    if base == "ipaddress":
        try:
            return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
        except ValueError:
            return None
    raise AssertionError(base)


def _single(base: str, negated: bool, actual: str, expected: list[str], variables: Mapping[str, Any] | None) -> bool:
    """A single context value against the policy values: OR for positive operators, NOR for negated ones."""
    results: list[bool | None] = []
    for value in expected:
        try:
            results.append(_compare(base, actual, value, variables))
        except _Unresolved:
            results.append(False)  # a variable without a value equals / is like nothing
    if None in results:
        return False  # invalid values never match, whatever the operator's polarity
    hit = any(results)
    return not hit if negated else hit


def _condition_holds(operator: str, key: str, expected_raw: Any, context: Mapping[str, Any],
                     variables: bool) -> bool | None:
    """None: unknown operator."""
    set_op, _, rest = operator.rpartition(":")
    set_op = set_op.lower()
    if set_op not in ("", "forallvalues", "foranyvalue"):
        return None
    name = rest.lower()
    if_exists = name.endswith("ifexists") and name != "ifexists"
    base = name.removesuffix("ifexists") if if_exists else name
    actual = context.get(key.lower())  # context: lower-cased keys
    present = actual is not None and actual != [] and actual != ()
    expected = [_text(v) for v in _as_list(expected_raw)]
    if base == "null":
        if if_exists or set_op:
            return None
        return any(e.lower() == ("false" if present else "true") for e in expected)
    negated = base in _NEGATED
    positive = _NEGATED.get(base, base)
    if positive not in _POSITIVE:
        return None
    # variables only in String and ARN operators (reference_policies_variables.html#policy-vars-conditionelement)
    var_context = context if variables and (positive.startswith("string") or positive.startswith("arn")) else None
    if not present and if_exists:
        return True  # ...IfExists: "if the key is not present, the condition evaluates to true"
    if set_op == "forallvalues":
        if not present:
            return True  # also true for a missing key or an empty set of values
        return all(_single(positive, negated, _text(a), expected, var_context) for a in _as_list(actual))
    if set_op == "foranyvalue":
        if not present:
            return False
        return any(_single(positive, negated, _text(a), expected, var_context) for a in _as_list(actual))
    if not present:
        return negated  # a missing key matches only a negated operator
    if isinstance(actual, list | tuple):
        return False  # a multivalued key needs ForAllValues/ForAnyValue
    return _single(positive, negated, _text(actual), expected, var_context)


# -- statements -------------------------------------------------------------------------------------------------


@dataclass
class _Evaluation:
    request: Request
    principal: _Principal
    context: Mapping[str, Any]
    has_boundary: bool
    unknown: list[str] = field(default_factory=list)

    def conditions(self, statement: Mapping[str, Any], effect: str, variables: bool) -> bool:
        block = statement.get("Condition") or {}
        if not isinstance(block, Mapping):
            self.unknown.append(f"malformed Condition {block!r}")
            return effect == "Deny"
        for operator, pairs in block.items():
            if not isinstance(pairs, Mapping):
                self.unknown.append(str(operator))
                return effect == "Deny"
            for key, expected in pairs.items():
                holds = _condition_holds(str(operator), str(key), expected, self.context, variables)
                if holds is None:
                    self.unknown.append(str(operator))
                    if effect != "Deny":
                        return False  # fail closed: an Allow with an unknown operator does not apply
                    continue  # ... and a Deny applies unless a known condition of it is false
                if not holds:
                    return False
        return True

    def match(self, statement: Mapping[str, Any], *, principals: bool, variables: bool, any_principal: bool) -> int:
        """0 if the statement does not apply; else how its principal matched (DIRECT when it has none)."""
        effect = str(statement.get("Effect", ""))
        action = self.request.action
        if "Action" in statement:
            if not any(_action_matches(a, action) for a in _as_list(statement["Action"])):
                return 0
        elif "NotAction" in statement:
            if any(_action_matches(a, action) for a in _as_list(statement["NotAction"])):
                return 0
        else:
            return 0
        var_context = self.context if variables else None
        resource = self.request.resource
        if "Resource" in statement:
            if not any(_resource_matches(r, resource, var_context) for r in _as_list(statement["Resource"])):
                return 0
        elif "NotResource" in statement and any(
            _resource_matches(r, resource, var_context) for r in _as_list(statement["NotResource"])
        ):
            return 0
        # (a trust policy has neither element: its resource is the role itself)
        level = DIRECT
        if principals:
            level = self.principal_level(statement, effect, any_principal)
            if not level:
                return 0
        if not self.conditions(statement, effect, variables):
            return 0
        return level

    def principal_level(self, statement: Mapping[str, Any], effect: str, any_principal: bool) -> int:
        if "Principal" in statement:
            return max((_match_entry(k, v, self.principal) for k, v in _principal_entries(statement["Principal"])),
                       default=0)
        if "NotPrincipal" in statement:
            element = statement["NotPrincipal"]
            chain = self.principal.chain()
            if effect == "Deny":
                if self.has_boundary and self.principal.iam:
                    return DIRECT  # NotPrincipal + Deny always denies a principal with a boundary
                return DIRECT if not chain or not all(_excluded(element, i, self.principal) for i in chain) else 0
            return 0 if any(_excluded(element, i, self.principal) for i in chain) else DIRECT
        return DIRECT if any_principal else 0  # endpoint policies and RCPs: no Principal element means everyone


def _documents(value: Any) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [value]
    return [d for d in value if d is not None]


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]


def _variables(document: Mapping[str, Any]) -> bool:
    return str(document.get("Version", "")) == "2012-10-17"


@dataclass
class _Verdict:
    deny: str | None = None  # sid of a matching Deny
    allow: int = 0  # best principal level of a matching Allow
    allow_sid: str = ""


def _scan(ev: _Evaluation, documents: Sequence[Mapping[str, Any]], *, principals: bool,
          any_principal: bool = False) -> _Verdict:
    verdict = _Verdict()
    for document in documents:
        variables = _variables(document)
        for statement in _statements(document):
            level = ev.match(statement, principals=principals, variables=variables, any_principal=any_principal)
            if not level:
                continue
            if statement.get("Effect") == "Deny":
                verdict.deny = verdict.deny or str(statement.get("Sid") or "(no sid)")
            elif statement.get("Effect") == "Allow" and level > verdict.allow:
                verdict.allow, verdict.allow_sid = level, str(statement.get("Sid") or "(no sid)")
    return verdict


_RCP_FULL_ACCESS = {"Version": "2012-10-17", "Statement": [
    {"Sid": "RCPFullAWSAccess", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}


def _levels(value: Any) -> list[list[Mapping[str, Any]]]:
    """SCP/RCP levels: each entry is one level of the hierarchy (a document or a list of documents)."""
    return [_documents(level) for level in _as_list(value)] if value else []


def resource_policy_required(action: str, resource: str) -> bool:
    """KMS key policies and role trust policies must allow the request, even in the same account."""
    service = action.split(":", 1)[0].lower()
    match = _ARN.match(resource)
    if service == "kms":
        return bool(match and match["service"] == "kms" and match["rest"].startswith("key/"))
    if service == "sts":
        return bool(match and match["service"] == "iam" and match["rest"].startswith("role/"))
    return False


def resource_account(request: Request, principal_account: str | None = None) -> str | None:
    if request.resource_account:
        return request.resource_account
    match = _ARN.match(request.resource)
    if match and match["account"]:
        return match["account"]
    given = _context_get(request.context, "aws:ResourceAccount")
    if isinstance(given, str) and given:
        return given
    if principal_account is None:
        principal_account = _parse_principal(request.principal_arn, request.principal_account, request.context).account
    return principal_account


def effective_context(request: Request) -> dict[str, Any]:
    """The request context with the keys AWS derives from the caller and resource filled in (given keys win)."""
    principal = _parse_principal(request.principal_arn, request.principal_account, request.context)
    derived: dict[str, Any] = {}
    if principal.kind != "anonymous":
        if principal.iam:
            if principal.kind == "session":  # the role's ARN (its path is not in the session ARN)
                role = f"arn:{principal.partition}:iam::{principal.account}:role/{principal.role_name}"
                derived["aws:PrincipalArn"] = role
            elif principal.kind in ("role", "user", "root"):
                derived["aws:PrincipalArn"] = principal.value
            if principal.account:
                derived["aws:PrincipalAccount"] = principal.account
            kind = {"session": "AssumedRole", "role": "AssumedRole", "user": "User", "root": "Account",
                    "federated-user": "FederatedUser"}.get(principal.kind)
            if kind:
                derived["aws:PrincipalType"] = kind
            if principal.kind == "user":
                derived["aws:username"] = principal.value.rsplit("/", 1)[-1]
            derived["aws:PrincipalIsAWSService"] = "false"
        elif principal.kind == "service":
            derived["aws:PrincipalIsAWSService"] = "true"
            derived["aws:PrincipalServiceName"] = principal.value
    account = resource_account(request, principal.account)
    if account:
        derived["aws:ResourceAccount"] = account
    context = dict(request.context)
    present = {k.lower() for k in context}
    for key, value in derived.items():
        if key.lower() not in present:
            context[key] = value
    return context


def evaluate(
    request: Request,
    *,
    identity_policies: Sequence[Mapping[str, Any]],
    resource_policies: Sequence[Mapping[str, Any]] = (),
    boundary: Mapping[str, Any] | None = None,
    session_policies: Sequence[Mapping[str, Any]] = (),
    endpoint_policies: Sequence[Mapping[str, Any]] = (),
    scps: Sequence[Any] = (),
    rcps: Sequence[Any] = (),
    resource_policy_required: bool | None = None,
) -> Decision:
    required = _required(request, resource_policy_required)
    context = effective_context(request)
    decision = _decide(request, context, identity_policies, resource_policies, boundary, session_policies,
                       endpoint_policies, scps, rcps, required)
    if _recorders:
        entry = Recorded(
            request, context,
            {"identity_policies": list(identity_policies), "resource_policies": list(resource_policies),
             "boundary": boundary, "session_policies": list(session_policies),
             "endpoint_policies": list(endpoint_policies), "scps": list(scps), "rcps": list(rcps)},
            required, decision,
        )
        for entries in _recorders:
            entries.append(entry)
    return decision


def _required(request: Request, given: bool | None) -> bool:
    return resource_policy_required(request.action, request.resource) if given is None else given


def _decide(
    request: Request,
    context: Mapping[str, Any],
    identity_policies: Sequence[Mapping[str, Any]],
    resource_policies: Sequence[Mapping[str, Any]],
    boundary: Mapping[str, Any] | None,
    session_policies: Sequence[Mapping[str, Any]],
    endpoint_policies: Sequence[Mapping[str, Any]],
    scps: Sequence[Any],
    rcps: Sequence[Any],
    required: bool,
) -> Decision:
    principal = _parse_principal(request.principal_arn, request.principal_account, request.context)
    ev = _Evaluation(request, principal, _lowered(context), has_boundary=boundary is not None)
    on_iam = principal.iam  # identity-side policies exist only for IAM identities

    scp_levels = _levels(scps) if on_iam else []
    rcp_levels = [[_RCP_FULL_ACCESS, *level] for level in _levels(rcps)]
    identity = _scan(ev, _documents(identity_policies) if on_iam else [], principals=False)
    resource = _scan(ev, _documents(resource_policies), principals=True)
    bound = _scan(ev, _documents(boundary), principals=False) if boundary is not None and on_iam else None
    session = _scan(ev, _documents(session_policies), principals=False) if session_policies and on_iam else None
    endpoint = (
        _scan(ev, _documents(endpoint_policies), principals=True, any_principal=True) if endpoint_policies else None
    )
    scp = [_scan(ev, level, principals=False) for level in scp_levels]
    rcp = [_scan(ev, level, principals=True, any_principal=True) for level in rcp_levels]

    def done(allowed: bool, reason: str) -> Decision:
        unknown = tuple(sorted(set(ev.unknown)))
        if unknown and not allowed and "explicit Deny" not in reason:
            reason += f" (unevaluated condition operators: {list(unknown)})"
        return Decision(allowed, reason, unknown)

    # 1. explicit Deny anywhere wins
    for where, verdict in (
        [(f"SCP (level {i + 1})", v) for i, v in enumerate(scp)]
        + [(f"RCP (level {i + 1})", v) for i, v in enumerate(rcp)]
        + [("resource policy", resource), ("identity policy", identity)]
        + ([("permissions boundary", bound)] if bound else [])
        + ([("session policy", session)] if session else [])
        + ([("VPC endpoint policy", endpoint)] if endpoint else [])
    ):
        if verdict.deny:
            return done(False, f"explicit Deny {verdict.deny} in the {where}")
    # 2. guardrails that must allow
    for i, verdict in enumerate(scp):
        if not verdict.allow:
            return done(False, f"implicit deny: no SCP at level {i + 1} allows it")
    if endpoint is not None and not endpoint.allow:
        return done(False, "implicit deny: the VPC endpoint policy does not allow it")
    # 3. grants
    account = resource_account(request, principal.account)
    same_account = principal.account is not None and principal.account == account
    within = (bound is None or bound.allow > 0) and (session is None or session.allow > 0)
    identity_ok = identity.allow > 0 and within
    if not on_iam:  # service, federated, canonical and anonymous callers: the resource policy alone decides
        if resource.allow == DIRECT:
            return done(True, f"allowed by resource policy {resource.allow_sid}")
        return done(False, "implicit deny: no resource policy statement allows this principal")
    if same_account:
        if resource.allow == DIRECT:
            return done(True, f"allowed by resource policy {resource.allow_sid} (granted to the caller itself)")
        if resource.allow == ROLE and within:
            return done(True, f"allowed by resource policy {resource.allow_sid}")
        if identity_ok and (not required or resource.allow == ACCOUNT or resource.allow == ROLE):
            return done(True, f"allowed by identity policy {identity.allow_sid}")
        if resource.allow == ROLE:
            return done(False, "implicit deny: the resource policy grants the role, outside its permissions boundary "
                               "or session policy")
        if required and identity_ok:
            return done(False, "implicit deny: the key/trust policy does not allow this principal or its account")
        if identity.allow and not within:
            return done(False, "implicit deny: outside the permissions boundary or session policy")
        return done(False, "implicit deny: no statement allows it")
    # cross account: both sides
    if not resource.allow:
        return done(False, "implicit deny: cross-account request and the resource policy does not allow it")
    if not identity_ok:
        return done(False, "implicit deny: cross-account request and the caller's identity policies (within "
                           "boundary and session policies) do not allow it")
    return done(True, f"allowed by resource policy {resource.allow_sid} and identity policy {identity.allow_sid}")
