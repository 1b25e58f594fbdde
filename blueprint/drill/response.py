"""Drill attempts for serving tokens (seed step 5) and automated quarantine (seed step 6).

Both run the platform's own runtime code against the deployed `local` environment:

* tokens: ``zero_trust_ai.runtime.token_validator`` with the settings *as deployed* (read from the emulator's SSM)
  and the issuer's keys (the emulator's Cognito JWKS). Tokens are minted with the emulator issuer's
  signing key -- standing in for the client-credentials endpoint, which the emulator does not serve --
  plus forged, expired, unsigned and over-long ones.
* quarantine: ``zero_trust_ai/runtime/quarantine/handler.py`` in-process (the emulator cannot run Lambda code) with
  the deployed function's environment, against the deployed roles, schedule group and trail log group.
  Its effect is then judged by evaluating the role's policies as deployed.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import importlib
import json
import os
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from blueprint.drill.policy_eval import Decision, Request, evaluate
from zero_trust_ai.runtime import token_validator as tv

EVALUATED = "evaluated from the deployed policies"  # same wording as blueprint.drill.platform
TOKENS = "checked by the token validator with the deployed settings"
HANDLER = "quarantine function run in-process against the emulator, effect evaluated from the deployed policies"
Record = Callable[[str, str, Decision, str], None]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def _emulator_issuer_key() -> tuple[str, rsa.RSAPrivateKey]:
    """The emulator's Cognito signing key (moto ships it with its JWKS)."""
    import moto.cognitoidp

    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    jwk = json.loads(gzip.decompress(path.read_bytes()))
    n, e, d = _int(jwk["n"]), _int(jwk["e"]), _int(jwk["d"])
    p, q = rsa.rsa_recover_prime_factors(n, e, d)
    private = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
                                    rsa.RSAPublicNumbers(e, n))
    return str(jwk["kid"]), private.private_key()


def _mint(claims: dict[str, Any], key: rsa.RSAPrivateKey | None, kid: str, alg: str = "RS256") -> str:
    header = _b64(json.dumps({"alg": alg, "kid": kid, "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    if key is None:
        return f"{header}.{payload}."
    signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{_b64(signature)}"


def token_attempts(client: Callable[[str], Any], endpoint: str, prefix: str, record: Record) -> None:
    settings = tv.load_settings(client("ssm"), f"/{prefix}/serving/token/")
    pool_id = settings.issuer.rsplit("/", 1)[-1]
    cognito = client("cognito-idp")
    clients = {c["ClientName"].removeprefix(f"{prefix}-"): c["ClientId"]
               for c in cognito.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"]}

    # The targets have no egress: the deployed JWKS publisher's code copies the issuer's keys into SSM (here
    # in-process, reading the emulator's issuer endpoint) and the validator reads them from SSM.
    publisher_config = client("lambda").get_function_configuration(FunctionName=f"{prefix}-jwks-publisher")
    variables = dict(publisher_config["Environment"]["Variables"])

    def fetch_from_emulator(_: str) -> bytes:
        with urllib.request.urlopen(f"{endpoint}/{pool_id}/.well-known/jwks.json", timeout=5) as response:
            return bytes(response.read())

    with _function_environment(variables, endpoint, client("ssm").meta.region_name):
        publisher = importlib.import_module("zero_trust_ai.runtime.jwks_publisher.handler")
        original, publisher.fetch = publisher.fetch, fetch_from_emulator  # type: ignore[attr-defined]
        try:
            published = publisher.handle({"source": "aws.events", "detail-type": "Scheduled Event"}, None)
        finally:
            publisher.fetch = original  # type: ignore[attr-defined]
    record("the JWKS publisher puts the issuer's keys into SSM for targets without egress", "ALLOW",
           Decision(published.get("action") in ("published", "unchanged"),
                    f"{published.get('action')}: kids {published.get('kids')}"), TOKENS)
    jwks = tv.JwksCache(settings.jwks_url, fetch=tv.ssm_jwks_fetch(client("ssm"), variables["PARAMETER_NAME"]))
    validator = tv.TokenValidator(settings, jwks)
    kid, key = _emulator_issuer_key()
    now = int(time.time())

    def claims(caller: str, operations: list[str], lifetime: int = 600, issued: int = now) -> dict[str, Any]:
        return {"iss": settings.issuer, "token_use": "access", "client_id": clients[caller], "sub": clients[caller],
                "scope": " ".join(settings.scopes[op] for op in operations), "iat": issued, "auth_time": issued,
                "exp": issued + lifetime, "jti": str(uuid.uuid4()), "version": 2}

    def decide(token: str | None, operation: str) -> Decision:
        try:
            header = None if token is None else f"Bearer {token}"
            validated = validator.validate(tv.bearer_token(header), operation)
        except tv.TokenRejected as rejected:
            return Decision(False, f"rejected: {rejected.reason}")
        return Decision(True, f"accepted for {validated.client_id}, expires in {validated.expires_at - now} s")

    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    record("caller without a token reaches serving", "DENY", decide(None, "invoke"), TOKENS)
    record("unsigned token (alg none) reaches serving", "DENY",
           decide(_mint(claims("inference-client", ["invoke"]), None, kid, alg="none"), "invoke"), TOKENS)
    record("token signed by a foreign key reaches serving", "DENY",
           decide(_mint(claims("inference-client", ["invoke"]), forged_key, kid), "invoke"), TOKENS)
    record("expired token reaches serving", "DENY",
           decide(_mint(claims("inference-client", ["invoke"], issued=now - 1200), key, kid), "invoke"), TOKENS)
    record("token valid for an hour reaches serving", "DENY",
           decide(_mint(claims("inference-client", ["invoke"], lifetime=3600), key, kid), "invoke"), TOKENS)
    record("invoke-only client updates routing", "DENY",
           decide(_mint(claims("inference-client", ["invoke"]), key, kid), "update-routing"), TOKENS)
    record("inference client invokes with a fresh token", "ALLOW",
           decide(_mint(claims("inference-client", ["invoke"]), key, kid), "invoke"), TOKENS)
    record("model deployer updates routing with a fresh token", "ALLOW",
           decide(_mint(claims("model-deployer", ["invoke", "update-routing"]), key, kid), "update-routing"), TOKENS)


def client_secret_attempts(deployed: Any, prefix: str, record: Record) -> None:
    """Who may read a caller's client credentials (the way to a token): evaluated from the deployed identity
    policies, boundary and secret policy (moto enforces none of them)."""
    secrets = deployed.client("secretsmanager")
    secret = secrets.describe_secret(SecretId=f"{prefix}/serving/clients/model-deployer")
    policy = json.loads(secrets.get_resource_policy(SecretId=secret["ARN"])["ResourcePolicy"])

    def decide(persona: str) -> Decision:
        request = Request(deployed.role(persona)["Arn"], "secretsmanager:GetSecretValue", secret["ARN"],
                          {"aws:SecureTransport": "true", "aws:PrincipalAccount": deployed.account,
                           **deployed.session_context(persona)})
        return evaluate(request, identity_policies=deployed.identity_policies(persona), resource_policies=[policy],
                        boundary=deployed.boundary(persona))

    record("model deployer reads its client credentials", "ALLOW", decide("model-deployer"), EVALUATED)
    record("data engineer reads the deployer's client credentials", "DENY", decide("data-engineer"), EVALUATED)
    record("break-glass reads the deployer's client credentials", "DENY", decide("break-glass"), EVALUATED)


@contextlib.contextmanager
def _function_environment(variables: dict[str, str], endpoint: str, region: str) -> Iterator[None]:
    """The deployed function's environment, with boto3 pointed at the emulator."""
    overrides = {**variables, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": region,
                 "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    saved = {name: os.environ.get(name) for name in overrides}
    saved["AWS_SESSION_TOKEN"] = os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _finding(account: str, region: str, role_name: str) -> dict[str, Any]:
    """A GuardDuty finding as EventBridge delivers it (shape of the AWS sample finding)."""
    finding_id = uuid.uuid4().hex
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
        "account": account, "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region,
        "resources": [],
        "detail": {
            "schemaVersion": "2.0", "accountId": account, "region": region, "partition": "aws",
            "id": finding_id, "arn": f"arn:aws:guardduty:{region}:{account}:detector/drill/finding/{finding_id}",
            "type": "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
            "resource": {"resourceType": "AccessKey", "accessKeyDetails": {
                "accessKeyId": "ASIADRILLDRILLDRILL", "principalId": f"AROADRILL:{role_name}",
                "userName": role_name, "userType": "AssumedRole"}},
            "service": {"serviceName": "guardduty", "count": 1, "action": {"actionType": "AWS_API_CALL"}},
            "severity": 8, "createdAt": datetime.now(UTC).isoformat(), "updatedAt": datetime.now(UTC).isoformat(),
            "title": "Credentials for instance role used from an external IP address.",
            "description": "drill",
        },
    }


class _Context:
    def __init__(self, function_arn: str) -> None:
        self.invoked_function_arn = function_arn


def quarantine_attempts(client: Callable[[str], Any], endpoint: str, region: str, prefix: str, account: str,
                        decide: Callable[..., Decision], record: Record) -> None:
    function = client("lambda").get_function_configuration(FunctionName=f"{prefix}-quarantine")
    variables = dict(function["Environment"]["Variables"])
    iam = client("iam")
    engineer = f"{prefix}-data-engineer"
    write_raw = ("data-engineer", "s3:PutObject", "raw", "raw/2026/11/25/after-incident.json")
    tls = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3", "s3:x-amz-content-sha256": "0" * 64}
    with _function_environment(variables, endpoint, region):
        handler = importlib.import_module("zero_trust_ai.runtime.quarantine.handler")
        context = _Context(function["FunctionArn"])
        before = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        first = handler.handle(_finding(account, region, engineer), context)
        policies = set(iam.list_role_policies(RoleName=engineer)["PolicyNames"])
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=engineer)["Tags"]}
        schedules = client("scheduler").list_schedules(GroupName=variables["SCHEDULE_GROUP"])["Schedules"]
        attached = {handler.DENY_ALL, handler.REVOKE_SESSIONS} <= policies and tags.get("ztai:quarantined") == "true"
        record("GuardDuty finding quarantines the data engineer (deny-all + revoke + release schedule)", "ALLOW",
               Decision(attached and len(schedules) == 1, f"actions {[a['action'] for a in first['actions']]}, "
                        f"{len(schedules)} release schedule(s)"), HANDLER)
        fresh = (datetime.now(UTC) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        record("quarantined data engineer writes raw data (session issued after the quarantine)", "DENY",
               decide(*write_raw, {**tls, "aws:TokenIssueTime": fresh}), HANDLER)
        second = handler.handle(_finding(account, region, engineer), context)
        record("a second finding changes nothing (idempotent)", "ALLOW",
               Decision([a["action"] for a in second["actions"]] == ["already-quarantined"],
                        f"actions {[a['action'] for a in second['actions']]}"), HANDLER)
        release = {"ztai_action": "release", "role_name": engineer, "quarantine_id": tags["ztai:quarantine-id"]}
        handler.handle(release, context)
        later = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        record("after release: a session from before the quarantine writes raw data", "DENY",
               decide(*write_raw, {**tls, "aws:TokenIssueTime": before}), HANDLER)
        record("after release: a new session writes raw data", "ALLOW",
               decide(*write_raw, {**tls, "aws:TokenIssueTime": later}), HANDLER)
        protected = handler.handle(_finding(account, region, f"{prefix}-break-glass"), context)
        policies = iam.list_role_policies(RoleName=f"{prefix}-break-glass")["PolicyNames"]
        record("a finding quarantines the break-glass role", "DENY",
               Decision(handler.DENY_ALL in policies, f"actions {[a['action'] for a in protected['actions']]}"),
               HANDLER)
    # leave the deployed environment as terraform made it
    iam.delete_role_policy(RoleName=engineer, PolicyName=handler.REVOKE_SESSIONS)
    iam.untag_role(RoleName=engineer, TagKeys=[k for k in tags if k.startswith("ztai:quarantine")]
                   + ["ztai:quarantined", "ztai:last-quarantine-id", "ztai:last-quarantined-at"])
