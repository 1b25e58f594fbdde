"""The JWKS publisher Lambda handler (zero_trust_ai/runtime/jwks_publisher/handler.py), in process against moto's SSM.

The issuer is never contacted: ``handler.fetch`` is replaced by a fake serving a Cognito-shaped JWKS generated with
``cryptography``. ``fetch`` itself is tested with a fake urllib opener, so no test touches the network.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

from zero_trust_ai.runtime.jwks_publisher import handler

REGION = "eu-west-1"
POOL = f"{REGION}_AbC123"
JWKS_URL = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL}/.well-known/jwks.json"
PARAMETER = "/ztai-prod/serving/token/jwks"
# exactly what the function's IAM policy allows
ALLOWED_API = frozenset({"GetParameter", "PutParameter"})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_for(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    """A JWK as Cognito publishes it (member order as in Cognito's documents)."""
    numbers = key.public_key().public_numbers()

    def encode(value: int) -> str:
        return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    return {"alg": "RS256", "e": encode(numbers.e), "kid": kid, "kty": "RSA", "n": encode(numbers.n), "use": "sig"}


def canonical(*jwks: dict[str, str]) -> str:
    return json.dumps({"keys": sorted(jwks, key=lambda k: k["kid"])}, sort_keys=True, separators=(",", ":"))


@pytest.fixture(scope="module")
def keys() -> list[rsa.RSAPrivateKey]:
    return [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]


@pytest.fixture
def cognito_jwks(keys: list[rsa.RSAPrivateKey]) -> dict[str, Any]:
    # Cognito publishes two keys per pool (the access-token key and the ID-token key), kids are base64 SHA-256s.
    return {"keys": [jwk_for(keys[0], "1sM5Z3KkVt0xQ9w+access="), jwk_for(keys[1], "8aB2C0dE7fG+id=")]}


class FakeIssuer:
    """Stands in for ``handler.fetch``: serves ``body`` (bytes, or a JSON document) and counts requests."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        if isinstance(self.document, bytes):
            return self.document
        return json.dumps(self.document).encode()


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch, cognito_jwks: dict[str, Any]) -> FakeIssuer:
    fake = FakeIssuer(cognito_jwks)
    monkeypatch.setattr(handler, "fetch", fake)
    return fake


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SSM API operations the handler calls (recorded on the client it creates)."""
    recorded: list[str] = []
    original = handler._ssm_client

    def client() -> Any:
        ssm: Any = original()
        ssm.meta.events.register("before-call.ssm.*", lambda model, **_: recorded.append(model.name))
        return ssm

    monkeypatch.setattr(handler, "_ssm_client", client)
    return recorded


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "JWKS_URL": JWKS_URL,
        "PARAMETER_NAME": PARAMETER,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.client("ssm", region_name=REGION)


SCHEDULE_EVENT = {"version": "0", "source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


def run() -> dict[str, Any]:
    return handler.handle(SCHEDULE_EVENT, None)


def stored(ssm: Any) -> dict[str, Any]:
    parameter: dict[str, Any] = ssm.get_parameter(Name=PARAMETER)["Parameter"]
    return parameter


def error_logs(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.levelno == logging.ERROR]


# ----------------------------------------------------------------------------------------------- publishing


def test_publishes_canonical_jwks(
    aws: Any, issuer: FakeIssuer, calls: list[str], cognito_jwks: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ztai.jwks_publisher")
    summary = run()

    parameter = stored(aws)
    expected = canonical(*cognito_jwks["keys"])
    assert parameter["Value"] == expected
    assert expected.startswith('{"keys":[{"alg":"RS256","e":"AQAB","kid":"1sM5Z3KkVt0xQ9w+access=","kty":"RSA",')
    assert parameter["Type"] == "String"
    assert parameter["Version"] == 1
    described = aws.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [PARAMETER]}])["Parameters"]
    assert described[0]["Tier"] == "Standard"
    assert "KeyId" not in described[0]

    kids = ["1sM5Z3KkVt0xQ9w+access=", "8aB2C0dE7fG+id="]
    assert summary["action"] == "published"
    assert summary["kids"] == kids
    assert summary["version"] == 1
    assert issuer.urls == [JWKS_URL]
    assert calls == ["GetParameter", "PutParameter"]
    assert set(calls) <= ALLOWED_API
    logged = [json.loads(r.getMessage()) for r in caplog.records]
    assert [entry["action"] for entry in logged] == ["published"]
    assert logged[0]["kids"] == kids


def test_same_keys_are_not_republished(
    aws: Any, issuer: FakeIssuer, calls: list[str], cognito_jwks: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    run()
    caplog.clear()
    calls.clear()
    # Same keys, different order and formatting, extra members: canonically the same document.
    issuer.document = json.dumps(
        {"keys": [{**k, "x5t": "ignored"} for k in reversed(cognito_jwks["keys"])], "extra": 1}, indent=2
    ).encode()

    summary = run()

    assert summary["action"] == "unchanged"
    assert summary["version"] == 1
    assert stored(aws)["Version"] == 1
    assert stored(aws)["Value"] == canonical(*cognito_jwks["keys"])
    assert calls == ["GetParameter"]
    assert [json.loads(r.getMessage())["action"] for r in caplog.records] == ["unchanged"]


def test_rotated_keys_are_published_as_a_new_version(
    aws: Any, issuer: FakeIssuer, keys: list[rsa.RSAPrivateKey], cognito_jwks: dict[str, Any]
) -> None:
    run()
    rotated = [cognito_jwks["keys"][1], jwk_for(keys[2], "new-kid")]
    issuer.document = {"keys": rotated}

    summary = run()

    assert summary["action"] == "published"
    assert summary["kids"] == ["8aB2C0dE7fG+id=", "new-kid"]
    assert summary["version"] == 2
    assert summary["previous_version"] == 1
    assert stored(aws)["Version"] == 2
    assert stored(aws)["Value"] == canonical(*rotated)
    assert stored(aws)["Type"] == "String"


def test_only_usable_signing_keys_are_published(
    aws: Any, issuer: FakeIssuer, keys: list[rsa.RSAPrivateKey], cognito_jwks: dict[str, Any]
) -> None:
    good = cognito_jwks["keys"][0]
    bare = {k: v for k, v in jwk_for(keys[1], "bare").items() if k not in ("alg", "use")}  # alg/use absent: fine
    weak = jwk_for(rsa.generate_private_key(public_exponent=65537, key_size=1024), "weak")
    issuer.document = {
        "keys": [
            good,
            bare,
            weak,
            {**jwk_for(keys[2], "enc"), "use": "enc"},
            {**jwk_for(keys[2], "rs512"), "alg": "RS512"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0", "alg": "HS256"},
            {**jwk_for(keys[2], "bad-n"), "n": "!!"},
            {**jwk_for(keys[2], "nokid"), "kid": ""},
            "not-a-key",
        ]
    }

    assert run()["kids"] == ["1sM5Z3KkVt0xQ9w+access=", "bare"]
    assert stored(aws)["Value"] == canonical(good, bare)


# ------------------------------------------------------------------------------------------------- failures


INVALID = {
    "not-json": lambda doc, keys: b"<html>Service Unavailable</html>",
    "not-utf8": lambda doc, keys: b"\xff\xfe{}",
    "not-an-object": lambda doc, keys: doc["keys"],
    "no-keys-member": lambda doc, keys: {"kids": doc["keys"]},
    "keys-not-a-list": lambda doc, keys: {"keys": doc["keys"][0]},
    "empty-keys": lambda doc, keys: {"keys": []},
    "hs256-oct-only": lambda doc, keys: {"keys": [{"kty": "oct", "kid": "hmac", "alg": "HS256", "k": "c2VjcmV0"}]},
    "duplicate-kid": lambda doc, keys: {"keys": [jwk_for(keys[0], "same"), jwk_for(keys[1], "same")]},
    "duplicate-member": lambda doc, keys: (
        b'{"keys":[],"keys":' + json.dumps(doc["keys"]).encode() + b"}"
    ),
    "oversized": lambda doc, keys: {"keys": [jwk_for(keys[0], f"kid-{i}") for i in range(12)]},
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_documents_are_never_published(
    aws: Any,
    issuer: FakeIssuer,
    keys: list[rsa.RSAPrivateKey],
    cognito_jwks: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    case: str,
) -> None:
    run()
    before = stored(aws)
    caplog.set_level(logging.INFO, logger="ztai.jwks_publisher")
    issuer.document = INVALID[case](cognito_jwks, keys)

    with pytest.raises(handler.PublishError):
        run()

    after = stored(aws)
    assert (after["Value"], after["Version"]) == (before["Value"], before["Version"])
    [error] = error_logs(caplog)
    assert error["action"] == "failed"
    assert error["parameter"] == PARAMETER
    assert error["error_type"] == "PublishError"


def test_invalid_document_does_not_create_the_parameter(
    aws: Any, issuer: FakeIssuer, calls: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    issuer.document = {"keys": []}
    with pytest.raises(handler.PublishError, match="keys"):
        run()
    assert calls == []  # validation fails before any AWS call
    with pytest.raises(aws.exceptions.ParameterNotFound):
        stored(aws)
    assert len(error_logs(caplog)) == 1


def test_oversized_document_names_the_limit(aws: Any, issuer: FakeIssuer, keys: list[rsa.RSAPrivateKey]) -> None:
    issuer.document = {"keys": [jwk_for(keys[0], f"kid-{i}") for i in range(12)]}
    with pytest.raises(handler.PublishError, match="4096"):
        run()


def test_fetch_failure_is_logged_and_raised(
    aws: Any, monkeypatch: pytest.MonkeyPatch, calls: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    def unreachable(url: str) -> bytes:
        raise handler.PublishError("could not fetch the JWKS: <urlopen error timed out>")

    monkeypatch.setattr(handler, "fetch", unreachable)
    with pytest.raises(handler.PublishError, match="timed out"):
        run()
    assert calls == []
    [error] = error_logs(caplog)
    assert error["jwks_url"] == JWKS_URL


@pytest.mark.parametrize(
    "url",
    [
        f"http://cognito-idp.{REGION}.amazonaws.com/{POOL}/.well-known/jwks.json",
        "file:///etc/passwd",
        "https:///no-host",
        "cognito-idp.eu-west-1.amazonaws.com/jwks.json",
        "",
    ],
)
def test_non_https_jwks_url_is_refused(
    aws: Any,
    issuer: FakeIssuer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    url: str,
) -> None:
    monkeypatch.setenv("JWKS_URL", url)
    with pytest.raises(handler.PublishError, match="JWKS_URL"):
        run()
    assert issuer.urls == []
    assert error_logs(caplog)[0]["action"] == "failed"


@pytest.mark.parametrize("name", ["", "jwks", "/ztai-prod/serving/token/", "/a b/jwks"])
def test_invalid_parameter_name_is_refused(
    aws: Any, issuer: FakeIssuer, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("PARAMETER_NAME", name)
    with pytest.raises(handler.PublishError, match="PARAMETER_NAME"):
        run()
    assert issuer.urls == []


class DeniedSsm:
    def get_parameter(self, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, "GetParameter")

    def put_parameter(self, **kwargs: Any) -> Any:
        raise AssertionError("must not write after a failed read")


def test_ssm_failure_is_logged_and_raised(
    issuer: FakeIssuer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("JWKS_URL", JWKS_URL)
    monkeypatch.setenv("PARAMETER_NAME", PARAMETER)
    monkeypatch.setattr(handler, "_ssm_client", DeniedSsm)
    with pytest.raises(ClientError, match="AccessDenied"):
        run()
    [error] = error_logs(caplog)
    assert error["error_type"] == "ClientError"


# ------------------------------------------------------------------------------------------- fetch (no network)


class FakeResponse:
    def __init__(self, url: str, body: bytes) -> None:
        self.url, self.body = url, body
        self.requested: int | None = None

    def __enter__(self) -> FakeResponse:
        return self

    def __exit__(self, *args: object) -> None:
        pass

    def geturl(self) -> str:
        return self.url

    def read(self, amount: int) -> bytes:
        self.requested = amount
        return self.body[:amount]


class FakeOpener:
    def __init__(self, response: FakeResponse | Exception) -> None:
        self.response = response
        self.opened: list[tuple[str, float]] = []

    def open(self, request: Any, timeout: float) -> FakeResponse:
        self.opened.append((request.full_url, timeout))
        if isinstance(self.response, Exception):
            raise self.response
        return self.response


@pytest.fixture
def opener(monkeypatch: pytest.MonkeyPatch) -> Callable[[FakeResponse | Exception], FakeOpener]:
    def install(response: FakeResponse | Exception) -> FakeOpener:
        fake = FakeOpener(response)
        monkeypatch.setattr(handler.urllib.request, "build_opener", lambda *handlers: fake)
        return fake

    return install


def test_fetch_reads_bounded_https(opener: Callable[[FakeResponse | Exception], FakeOpener]) -> None:
    response = FakeResponse(JWKS_URL, b'{"keys":[]}')
    fake = opener(response)
    assert handler.fetch(JWKS_URL) == b'{"keys":[]}'
    assert fake.opened == [(JWKS_URL, 5.0)]
    assert response.requested == 64 * 1024 + 1


def test_fetch_refuses_oversized_responses(opener: Callable[[FakeResponse | Exception], FakeOpener]) -> None:
    opener(FakeResponse(JWKS_URL, b" " * (64 * 1024 + 1)))
    with pytest.raises(handler.PublishError, match="larger than 65536 bytes"):
        handler.fetch(JWKS_URL)
    opener(FakeResponse(JWKS_URL, b" " * (64 * 1024)))
    assert len(handler.fetch(JWKS_URL)) == 64 * 1024


def test_fetch_refuses_plain_http(opener: Callable[[FakeResponse | Exception], FakeOpener]) -> None:
    fake = opener(FakeResponse(JWKS_URL, b"{}"))
    with pytest.raises(handler.PublishError, match="non-HTTPS"):
        handler.fetch(JWKS_URL.replace("https://", "http://"))
    assert fake.opened == []
    opener(FakeResponse("http://attacker.example/jwks.json", b"{}"))  # ended up on HTTP after redirects
    with pytest.raises(handler.PublishError, match="non-HTTPS"):
        handler.fetch(JWKS_URL)


def test_fetch_wraps_network_errors(opener: Callable[[FakeResponse | Exception], FakeOpener]) -> None:
    opener(TimeoutError("timed out"))
    with pytest.raises(handler.PublishError, match="could not fetch the JWKS: timed out"):
        handler.fetch(JWKS_URL)


def test_redirects_are_followed_to_https_only() -> None:
    redirects = handler._HttpsOnlyRedirectHandler()
    request = handler.urllib.request.Request(JWKS_URL)
    headers = handler.http.client.HTTPMessage()
    new_url = "https://elsewhere.example/j.json"
    followed = redirects.redirect_request(request, None, 302, "Found", headers, new_url)  # type: ignore[arg-type]
    assert followed is not None and followed.full_url == "https://elsewhere.example/j.json"
    for target in ("http://elsewhere.example/j.json", "ftp://elsewhere.example/j.json", "file:///etc/passwd"):
        with pytest.raises(handler.PublishError, match="non-HTTPS"):
            redirects.redirect_request(request, None, 302, "Found", headers, target)  # type: ignore[arg-type]
