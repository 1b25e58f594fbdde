"""Tests for the serving-side access-token validator (zero_trust_ai/runtime/token_validator.py).

Tokens are minted locally with a throwaway RSA key and a fixed clock, so every case is deterministic and fast.
Settings loading runs against moto's SSM; one integration test validates a token issued by moto's Cognito.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import boto3
import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from moto import mock_aws

from zero_trust_ai.runtime.jwks_publisher import handler as jwks_publisher
from zero_trust_ai.runtime.token_validator import (
    MAX_TOKEN_CHARS,
    PARAM_JWKS,
    SSM_PARAMETER_NAMES,
    Claims,
    JwksCache,
    JwksError,
    SettingsError,
    TokenRejected,
    TokenValidator,
    ValidatorSettings,
    bearer_token,
    fetch_jwks,
    load_settings,
    parse_jwks,
    ssm_jwks_fetch,
)

REGION = "eu-west-1"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_AbC123"
JWKS_URL = f"{ISSUER}/.well-known/jwks.json"
CLIENT_ID = "invoker-client-id"
ROUTER_CLIENT_ID = "router-client-id"
INVOKE = "ztai-prod-serving/invoke"
UPDATE_ROUTING = "ztai-prod-serving/update-routing"
NOW = 1_750_000_000
KID = "key-1"


# ----------------------------------------------------------------------------------------------------- helpers


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def sign_rs256(signing_input: str, key: rsa.RSAPrivateKey) -> str:
    return b64url(key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()))


def jwk_for(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()

    def encode(value: int) -> str:
        return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": encode(numbers.n), "e": encode(numbers.e)}


def access_claims(**overrides: Any) -> dict[str, Any]:
    """Claims shaped like a Cognito client-credentials access token, issued a minute before NOW."""
    claims: dict[str, Any] = {
        "sub": CLIENT_ID,
        "token_use": "access",
        "scope": INVOKE,
        "auth_time": NOW - 60,
        "iss": ISSUER,
        "exp": NOW - 60 + 900,
        "iat": NOW - 60,
        "version": 2,
        "jti": "4f0c3d1e-0000-4000-8000-000000000000",
        "client_id": CLIENT_ID,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}  # override with None to drop a claim


class FixedClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeJwksEndpoint:
    """Injectable fetcher: serves whatever JWKS document the test puts in ``document`` and counts fetches."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.fetches = 0

    def __call__(self, url: str) -> Mapping[str, Any]:
        assert url == JWKS_URL
        self.fetches += 1
        return self.document


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


Mint = Callable[..., str]


@pytest.fixture
def mint(key: rsa.RSAPrivateKey) -> Mint:
    def _mint(
        claims: Mapping[str, Any] | None = None,
        header: Mapping[str, Any] | None = None,
        key: rsa.RSAPrivateKey = key,
    ) -> str:
        signing_input = b64url_json(header or {"kid": KID, "alg": "RS256"}) + "." + b64url_json(
            access_claims() if claims is None else claims
        )
        return signing_input + "." + sign_rs256(signing_input, key)

    return _mint


@pytest.fixture
def settings() -> ValidatorSettings:
    return ValidatorSettings(
        issuer=ISSUER,
        jwks_url=JWKS_URL,
        allowed_client_ids=frozenset({CLIENT_ID, ROUTER_CLIENT_ID}),
        scopes={"invoke": INVOKE, "update-routing": UPDATE_ROUTING},
        max_token_ttl_seconds=900,
        leeway_seconds=30,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def endpoint(key: rsa.RSAPrivateKey) -> FakeJwksEndpoint:
    return FakeJwksEndpoint({"keys": [jwk_for(key, KID)]})


@pytest.fixture
def validator(settings: ValidatorSettings, endpoint: FakeJwksEndpoint, clock: FixedClock) -> TokenValidator:
    jwks = JwksCache(JWKS_URL, fetch=endpoint, ttl_seconds=3600, min_refetch_interval_seconds=30, clock=clock)
    return TokenValidator(settings, jwks, clock=clock)


def rejected(validator: TokenValidator, token: str, operation: str = "invoke") -> str:
    with pytest.raises(TokenRejected) as info:
        validator.validate(token, operation)
    if isinstance(token, str) and len(token) > 3:
        assert token not in str(info.value)  # the token never ends up in messages (and so in logs)
    return info.value.reason


# ---------------------------------------------------------------------------------------------- happy path


def test_valid_token_is_accepted(validator: TokenValidator, mint: Mint) -> None:
    claims = validator.validate(mint(access_claims(scope=f"{INVOKE} {UPDATE_ROUTING}")), "invoke")

    assert isinstance(claims, Claims)
    assert claims.client_id == CLIENT_ID
    assert claims.subject == CLIENT_ID
    assert claims.scopes == frozenset({INVOKE, UPDATE_ROUTING})
    assert claims.issued_at == NOW - 60
    assert claims.expires_at == NOW + 840
    assert claims.raw["jti"] == access_claims()["jti"]
    with pytest.raises(TypeError):
        claims.raw["scope"] = "everything"  # type: ignore[index]


def test_each_operation_needs_its_own_scope(validator: TokenValidator, mint: Mint) -> None:
    token = mint(access_claims(client_id=ROUTER_CLIENT_ID, scope=UPDATE_ROUTING))
    assert validator.validate(token, "update-routing").client_id == ROUTER_CLIENT_ID
    assert rejected(validator, token, "invoke") == "scope"


def test_clock_skew_within_leeway_is_tolerated(validator: TokenValidator, mint: Mint, clock: FixedClock) -> None:
    token = mint(access_claims(iat=NOW + 20, exp=NOW + 20 + 900))  # issuer clock 20 s ahead of ours
    validator.validate(token, "invoke")
    clock.now = NOW + 20 + 900 + 29  # 29 s past exp: still inside the 30 s leeway
    validator.validate(token, "invoke")


# ---------------------------------------------------------------------------------------- required rejections


def test_expired_token(validator: TokenValidator, mint: Mint) -> None:
    assert rejected(validator, mint(access_claims(iat=NOW - 1000, exp=NOW - 100))) == "expired"


def test_token_without_exp(validator: TokenValidator, mint: Mint) -> None:
    assert rejected(validator, mint(access_claims(exp=None))) == "expired"


def test_wrong_scope(validator: TokenValidator, mint: Mint) -> None:
    token = mint(access_claims(scope=INVOKE))
    assert rejected(validator, token, "update-routing") == "scope"


@pytest.mark.parametrize("scope", [None, "", f"{INVOKE}x", f"xx{INVOKE}", "ztai-dev-serving/invoke", ["a"]])
def test_scope_must_match_exactly(validator: TokenValidator, mint: Mint, scope: Any) -> None:
    assert rejected(validator, mint(access_claims(scope=scope))) == "scope"


def test_unknown_operation_is_refused(validator: TokenValidator, mint: Mint) -> None:
    assert rejected(validator, mint(), "delete-everything") == "scope"


def test_wrong_issuer(validator: TokenValidator, mint: Mint) -> None:
    other_pool = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Other1"
    assert rejected(validator, mint(access_claims(iss=other_pool))) == "issuer"
    assert rejected(validator, mint(access_claims(iss=ISSUER + "/"))) == "issuer"
    assert rejected(validator, mint(access_claims(iss=None))) == "issuer"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_unsigned_token(validator: TokenValidator, alg: str) -> None:
    token = b64url_json({"alg": alg, "kid": KID}) + "." + b64url_json(access_claims()) + "."
    assert rejected(validator, token) == "unsigned"


def test_rs256_header_with_empty_signature(validator: TokenValidator, mint: Mint) -> None:
    header, payload, _ = mint().split(".")
    assert rejected(validator, f"{header}.{payload}.") == "unsigned"


# ------------------------------------------------------------------------------------------ more rejections


def test_tampered_payload(validator: TokenValidator, mint: Mint) -> None:
    header, _, signature = mint().split(".")
    escalated = b64url_json(access_claims(scope=f"{INVOKE} {UPDATE_ROUTING}"))
    assert rejected(validator, f"{header}.{escalated}.{signature}", "update-routing") == "signature"


def test_signed_by_another_key_under_our_kid(
    validator: TokenValidator, mint: Mint, other_key: rsa.RSAPrivateKey
) -> None:
    assert rejected(validator, mint(key=other_key)) == "signature"


def test_hs256_with_public_key_as_secret_is_refused(validator: TokenValidator, key: rsa.RSAPrivateKey) -> None:
    # Classic algorithm confusion: MAC the token with the public key a naive verifier would use as HMAC secret.
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = b64url_json({"alg": "HS256", "kid": KID}) + "." + b64url_json(access_claims())
    mac = hmac.new(public_pem, signing_input.encode("ascii"), hashlib.sha256).digest()
    assert rejected(validator, f"{signing_input}.{b64url(mac)}") == "algorithm"


@pytest.mark.parametrize("alg", ["HS256", "RS384", "PS256", "ES256", "rs256", None, 256])
def test_only_rs256_is_accepted(validator: TokenValidator, mint: Mint, alg: Any) -> None:
    header = {"kid": KID} if alg is None else {"kid": KID, "alg": alg}
    assert rejected(validator, mint(header=header)) == "algorithm"


def test_unknown_kid_is_refused_without_refetching_at_once(
    validator: TokenValidator, mint: Mint, endpoint: FakeJwksEndpoint, other_key: rsa.RSAPrivateKey
) -> None:
    assert rejected(validator, mint(header={"kid": "key-2", "alg": "RS256"}, key=other_key)) == "unknown-key"
    assert rejected(validator, mint(header={"kid": "key-3", "alg": "RS256"}, key=other_key)) == "unknown-key"
    assert rejected(validator, mint(header={"alg": "RS256"})) == "unknown-key"
    assert endpoint.fetches == 1  # made-up kids do not make every request call the issuer


def test_key_rotation_refetches_once_and_accepts_new_key(
    validator: TokenValidator,
    mint: Mint,
    endpoint: FakeJwksEndpoint,
    clock: FixedClock,
    key: rsa.RSAPrivateKey,
    other_key: rsa.RSAPrivateKey,
) -> None:
    validator.validate(mint(), "invoke")
    assert endpoint.fetches == 1

    # The issuer publishes a new key next to the old one and starts signing with it.
    endpoint.document = {"keys": [jwk_for(key, KID), jwk_for(other_key, "key-2")]}
    clock.now = NOW + 60  # later than the refetch interval, well within the JWKS TTL
    token = mint(access_claims(iat=NOW + 30, exp=NOW + 930), header={"kid": "key-2", "alg": "RS256"}, key=other_key)
    assert validator.validate(token, "invoke").client_id == CLIENT_ID
    assert endpoint.fetches == 2

    validator.validate(mint(), "invoke")  # both keys now known: no further fetch
    validator.validate(token, "invoke")
    assert endpoint.fetches == 2


def test_key_withdrawn_by_issuer_stops_working_after_ttl(
    validator: TokenValidator, mint: Mint, endpoint: FakeJwksEndpoint, clock: FixedClock, other_key: rsa.RSAPrivateKey
) -> None:
    validator.validate(mint(), "invoke")
    endpoint.document = {"keys": [jwk_for(other_key, "key-2")]}
    clock.now = NOW + 3600
    token = mint(access_claims(iat=NOW + 3500, exp=NOW + 4000))
    assert rejected(validator, token) == "unknown-key"
    assert endpoint.fetches == 2


def test_wrong_client_id(validator: TokenValidator, mint: Mint) -> None:
    assert rejected(validator, mint(access_claims(client_id="someone-else"))) == "audience"
    assert rejected(validator, mint(access_claims(client_id=None))) == "audience"


def test_id_token_is_refused(validator: TokenValidator, mint: Mint) -> None:
    # Cognito ID tokens: same issuer and keys, token_use "id", the client in `aud` instead of `client_id`.
    id_claims = access_claims(token_use="id", client_id=None, scope=None, aud=CLIENT_ID, email="a@example.com")
    assert rejected(validator, mint(id_claims)) == "token-use"
    assert rejected(validator, mint(access_claims(token_use=None))) == "token-use"


def test_lifetime_longer_than_max_ttl(validator: TokenValidator, mint: Mint) -> None:
    # Currently valid, but minted for an hour: refused even though the issuer signed it.
    assert rejected(validator, mint(access_claims(iat=NOW - 60, exp=NOW - 60 + 3600))) == "lifetime"
    assert rejected(validator, mint(access_claims(iat=NOW - 60, exp=NOW - 60 + 901))) == "lifetime"
    assert rejected(validator, mint(access_claims(iat=NOW + 10, exp=NOW + 5))) == "lifetime"


def test_iat_in_the_future(validator: TokenValidator, mint: Mint) -> None:
    assert rejected(validator, mint(access_claims(iat=NOW + 120, exp=NOW + 900))) == "not-yet-valid"
    assert rejected(validator, mint(access_claims(iat=None))) == "not-yet-valid"
    assert rejected(validator, mint(access_claims(nbf=NOW + 300))) == "not-yet-valid"


@pytest.mark.parametrize("value", ["1750000900", 1750000900.5, True, None])
def test_time_claims_must_be_integers(validator: TokenValidator, mint: Mint, value: Any) -> None:
    assert rejected(validator, mint(access_claims(exp=value))) == "expired"


def _segment(raw: bytes) -> str:
    return b64url(raw)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("abc", id="one-segment"),
        pytest.param("abc.def", id="two-segments"),
        pytest.param("a.b.c.d", id="four-segments"),
        pytest.param(".e30.c2ln", id="empty-header"),
        pytest.param("e30..c2ln", id="empty-payload"),
        pytest.param("e30=.e30.c2ln", id="padding"),
        pytest.param("e3+0.e30.c2ln", id="not-base64url"),
        pytest.param("e30 .e30.c2ln", id="whitespace"),
        pytest.param("ëyJ.e30.c2ln", id="non-ascii"),
        pytest.param("A.e30.c2ln", id="impossible-base64-length"),
        pytest.param(_segment(b"not json") + ".e30.c2ln", id="header-not-json"),
        pytest.param(_segment(b'["RS256"]') + ".e30.c2ln", id="header-not-object"),
        pytest.param(_segment(b"\xff\xfe") + ".e30.c2ln", id="header-not-utf8"),
        pytest.param(_segment(b'{"alg":"none","alg":"RS256","kid":"key-1"}') + ".e30.c2ln", id="duplicate-alg"),
        pytest.param(_segment(b"[" * 5000 + b"]" * 5000) + ".e30.c2ln", id="deeply-nested"),
        pytest.param("e30." * 2 + "A" * MAX_TOKEN_CHARS, id="too-long"),
    ],
)
def test_malformed_tokens(validator: TokenValidator, token: str) -> None:
    assert rejected(validator, token) == "malformed"


def test_validly_signed_garbage_payload_is_malformed(validator: TokenValidator, key: rsa.RSAPrivateKey) -> None:
    signing_input = b64url_json({"alg": "RS256", "kid": KID}) + "." + _segment(b"not json")
    assert rejected(validator, f"{signing_input}.{sign_rs256(signing_input, key)}") == "malformed"


def test_critical_header_extensions_are_refused(validator: TokenValidator, mint: Mint) -> None:
    assert rejected(validator, mint(header={"alg": "RS256", "kid": KID, "crit": ["exp"]})) == "malformed"


def test_non_string_token(validator: TokenValidator) -> None:
    assert rejected(validator, None) == "malformed"  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------------- bearer header


def test_bearer_token_extraction() -> None:
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"
    assert bearer_token("bearer   abc.def.ghi  ") == "abc.def.ghi"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("Bearer", "missing"),
        ("Bearer   ", "missing"),
        ("Basic dXNlcjpwYXNz", "missing"),
        ("abc.def.ghi", "missing"),
        ("Token abc.def.ghi", "missing"),
        ("Bearer abc def", "malformed"),
    ],
)
def test_bearer_token_rejections(header: str | None, reason: str) -> None:
    with pytest.raises(TokenRejected) as info:
        bearer_token(header)
    assert info.value.reason == reason


# ------------------------------------------------------------------------------------------------- settings


@pytest.mark.parametrize("ttl", [901, 3600, 0, -1])
def test_settings_refuse_token_ttl_outside_policy(settings: ValidatorSettings, ttl: int) -> None:
    with pytest.raises(SettingsError, match="max_token_ttl_seconds"):
        ValidatorSettings(settings.issuer, settings.jwks_url, settings.allowed_client_ids, settings.scopes, ttl)


@pytest.mark.parametrize(
    "changes",
    [
        {"issuer": ""},
        {"allowed_client_ids": frozenset()},
        {"allowed_client_ids": "abc"},
        {"scopes": {}},
        {"scopes": {"invoke": "two scopes"}},
        {"leeway_seconds": 600},
        {"leeway_seconds": -1},
    ],
)
def test_settings_refuse_unsafe_values(settings: ValidatorSettings, changes: dict[str, Any]) -> None:
    values = {
        "issuer": settings.issuer,
        "jwks_url": settings.jwks_url,
        "allowed_client_ids": settings.allowed_client_ids,
        "scopes": settings.scopes,
    } | changes
    with pytest.raises(SettingsError):
        ValidatorSettings(**values)


def test_settings_are_immutable(settings: ValidatorSettings) -> None:
    with pytest.raises(TypeError):
        settings.scopes["invoke"] = "anything"  # type: ignore[index]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


PREFIX = "/ztai-prod/serving/token/"
SCOPES_JSON = json.dumps({"invoke": INVOKE, "update-routing": UPDATE_ROUTING})


def put_settings(ssm: Any, skip: str = "", **overrides: str) -> None:
    values = {
        "issuer": ISSUER,
        "jwks_url": JWKS_URL,
        "allowed_client_ids": f"{CLIENT_ID}, {ROUTER_CLIENT_ID}",
        "scopes": SCOPES_JSON,
        "max_token_ttl_seconds": "900",
    } | overrides
    secure = {"allowed_client_ids", "scopes"}
    for name, value in values.items():
        if name != skip:
            kind = "SecureString" if name in secure else "String"
            ssm.put_parameter(Name=PREFIX + name, Value=value, Type=kind)


def test_load_settings_from_ssm(aws: None) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    put_settings(ssm)

    loaded = load_settings(ssm, PREFIX)

    assert loaded.issuer == ISSUER
    assert loaded.jwks_url == JWKS_URL
    assert loaded.allowed_client_ids == frozenset({CLIENT_ID, ROUTER_CLIENT_ID})
    assert dict(loaded.scopes) == {"invoke": INVOKE, "update-routing": UPDATE_ROUTING}
    assert loaded.max_token_ttl_seconds == 900
    assert load_settings(ssm, PREFIX.rstrip("/")) == loaded  # trailing slash optional


def test_load_settings_names_the_missing_parameter(aws: None) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    put_settings(ssm, skip="scopes")
    with pytest.raises(SettingsError, match="/ztai-prod/serving/token/scopes"):
        load_settings(ssm, PREFIX)


@pytest.mark.parametrize(
    ("overrides", "parameter"),
    [
        ({"max_token_ttl_seconds": "3600"}, "max_token_ttl_seconds"),
        ({"max_token_ttl_seconds": "fifteen minutes"}, "max_token_ttl_seconds"),
        ({"scopes": "invoke=ztai-prod-serving/invoke"}, "scopes"),
        ({"scopes": '["ztai-prod-serving/invoke"]'}, "scopes"),
        ({"allowed_client_ids": " , "}, "allowed_client_ids"),
    ],
)
def test_load_settings_rejects_invalid_values(aws: None, overrides: dict[str, str], parameter: str) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    put_settings(ssm, **overrides)
    with pytest.raises(SettingsError, match=parameter):
        load_settings(ssm, PREFIX)


# ----------------------------------------------------------------------------------------------------- JWKS


def test_jwks_must_be_fetched_over_https() -> None:
    with pytest.raises(SettingsError):
        JwksCache("http://issuer.example/.well-known/jwks.json")
    JwksCache("http://localhost:8080/jwks.json", allow_insecure_http=True)  # explicit opt-in for tests
    with pytest.raises(JwksError):
        fetch_jwks("file:///etc/passwd")


@pytest.fixture
def local_jwks_server(monkeypatch: pytest.MonkeyPatch, key: rsa.RSAPrivateKey) -> Iterator[str]:
    """A plain-HTTP server on localhost for the default urllib fetcher (hence allow_insecure_http)."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    bodies = {
        "/jwks.json": json.dumps({"keys": [jwk_for(key, KID)]}).encode(),
        "/not-json": b"<html>",
        "/huge": b" " * (300 * 1024),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_default_fetcher_over_the_network(local_jwks_server: str) -> None:
    jwks = JwksCache(f"{local_jwks_server}/jwks.json", allow_insecure_http=True)
    assert jwks.get_key(KID) is not None
    for path in ("/not-json", "/huge", "/missing"):
        with pytest.raises(JwksError):
            fetch_jwks(local_jwks_server + path, allow_http=True)
    with pytest.raises(JwksError):
        fetch_jwks(f"{local_jwks_server}/jwks.json")  # plain HTTP without the explicit opt-in


def test_jwks_skips_unusable_keys(key: rsa.RSAPrivateKey) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    document = {
        "keys": [
            jwk_for(key, KID),
            jwk_for(weak, "weak"),
            {**jwk_for(key, "enc"), "use": "enc"},
            {**jwk_for(key, "rs512"), "alg": "RS512"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {**jwk_for(key, "broken"), "n": "!!"},
            {**jwk_for(key, "nokid"), "kid": ""},
        ]
    }
    assert set(parse_jwks(document)) == {KID}


@pytest.mark.parametrize(
    "document",
    [{}, {"keys": "x"}, {"keys": []}, {"keys": [{"kty": "EC", "kid": "ec"}]}],
)
def test_jwks_without_usable_keys_is_an_error(document: dict[str, Any]) -> None:
    with pytest.raises(JwksError):
        parse_jwks(document)


def test_jwks_with_duplicate_kid_is_an_error(key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(JwksError):
        parse_jwks({"keys": [jwk_for(key, KID), jwk_for(other_key, KID)]})


def test_jwks_outage_fails_closed_and_is_throttled(
    settings: ValidatorSettings, mint: Mint, clock: FixedClock, endpoint: FakeJwksEndpoint
) -> None:
    issuer_down = True

    def flaky(url: str) -> Mapping[str, Any]:
        if issuer_down:
            raise ConnectionError("issuer unreachable")
        return endpoint(url)

    jwks = JwksCache(JWKS_URL, fetch=flaky, min_refetch_interval_seconds=30, clock=clock)
    validator = TokenValidator(settings, jwks, clock=clock)
    for _ in range(3):
        with pytest.raises(JwksError):
            validator.validate(mint(), "invoke")

    issuer_down = False
    with pytest.raises(JwksError):  # still inside the refetch interval: no new attempt yet
        validator.validate(mint(), "invoke")
    assert endpoint.fetches == 0

    clock.now = NOW + 30
    validator.validate(mint(access_claims(iat=NOW, exp=NOW + 900)), "invoke")
    assert endpoint.fetches == 1


def test_validator_and_cache_must_agree_on_the_jwks_url(settings: ValidatorSettings) -> None:
    with pytest.raises(SettingsError):
        TokenValidator(settings, JwksCache("https://elsewhere.example/jwks.json"))


# ---------------------------------------------------------------------------------- moto Cognito integration


def _unverified_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_token_issued_by_moto_cognito(aws: None) -> None:
    """End to end against moto's Cognito: its JWKS endpoint, key id and claim layout. Moto's access tokens
    live one hour and carry only the user-pool scope, so the best they can do is pass every check up to the
    lifetime policy, which must then refuse them. The ID token is refused as such."""
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_id = cognito.create_user_pool(PoolName="ztai-prod")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="invoker", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="svc", TemporaryPassword="Temp-Passw0rd!")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="svc", Password="Long-Passw0rd!", Permanent=True)
    tokens = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "svc", "PASSWORD": "Long-Passw0rd!"},
    )["AuthenticationResult"]

    issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"
    moto_settings = ValidatorSettings(
        issuer=issuer,
        jwks_url=f"{issuer}/.well-known/jwks.json",
        allowed_client_ids=frozenset({client_id}),
        scopes={"self-service": "aws.cognito.signin.user.admin"},
    )
    clock = FixedClock(_unverified_claims(tokens["AccessToken"])["iat"])
    # mock_aws intercepts `requests`, not urllib, so inject a requests-based fetcher.
    jwks = JwksCache(moto_settings.jwks_url, fetch=lambda url: requests.get(url, timeout=5).json(), clock=clock)
    validator = TokenValidator(moto_settings, jwks, clock=clock)

    assert rejected(validator, tokens["AccessToken"], "self-service") == "lifetime"
    assert rejected(validator, tokens["IdToken"], "self-service") == "token-use"
    header, payload, signature = tokens["AccessToken"].split(".")
    assert rejected(validator, f"{header}.{payload}.{signature[::-1]}", "self-service") == "signature"


# ------------------------------------------------------------------------------- JWKS from SSM (no egress)

JWKS_PARAMETER = PREFIX + PARAM_JWKS


def publish_jwks(monkeypatch: pytest.MonkeyPatch, ssm: Any, document: Mapping[str, Any]) -> None:
    """Put ``document`` into SSM the way the JWKS publisher Lambda does (its fetch replaced: no network)."""
    monkeypatch.setattr(jwks_publisher, "fetch", lambda url: json.dumps(document).encode())
    assert jwks_publisher.publish(ssm, JWKS_URL, JWKS_PARAMETER)["action"] == "published"


def test_jwks_parameter_is_not_a_setting() -> None:
    assert PARAM_JWKS == "jwks"
    assert PARAM_JWKS not in SSM_PARAMETER_NAMES


def test_validator_reads_the_published_jwks_from_ssm(
    aws: None,
    monkeypatch: pytest.MonkeyPatch,
    settings: ValidatorSettings,
    mint: Mint,
    clock: FixedClock,
    key: rsa.RSAPrivateKey,
    other_key: rsa.RSAPrivateKey,
) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    publish_jwks(monkeypatch, ssm, {"keys": [jwk_for(key, KID)]})
    reads: list[str] = []
    ssm.meta.events.register("provide-client-params.ssm.GetParameter", lambda params, **_: reads.append(params["Name"]))

    jwks = JwksCache(settings.jwks_url, fetch=ssm_jwks_fetch(ssm, JWKS_PARAMETER), clock=clock)
    validator = TokenValidator(settings, jwks, clock=clock)

    assert validator.validate(mint(), "invoke").client_id == CLIENT_ID
    assert rejected(validator, mint(key=other_key)) == "signature"  # our kid, another key
    assert rejected(validator, mint(header={"kid": "key-2", "alg": "RS256"}, key=other_key)) == "unknown-key"
    assert reads == [JWKS_PARAMETER]  # read once, then cached (unknown kid within the refetch interval)


def test_ssm_jwks_fetch_ignores_the_url(aws: None, monkeypatch: pytest.MonkeyPatch, key: rsa.RSAPrivateKey) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    publish_jwks(monkeypatch, ssm, {"keys": [jwk_for(key, KID)]})
    document = ssm_jwks_fetch(ssm, JWKS_PARAMETER)("https://anything.example/jwks.json")
    assert set(parse_jwks(document)) == {KID}


def test_missing_jwks_parameter_fails_closed(
    aws: None, settings: ValidatorSettings, mint: Mint, clock: FixedClock
) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    fetch = ssm_jwks_fetch(ssm, JWKS_PARAMETER)
    with pytest.raises(JwksError, match=JWKS_PARAMETER):
        fetch(JWKS_URL)

    validator = TokenValidator(settings, JwksCache(settings.jwks_url, fetch=fetch, clock=clock), clock=clock)
    with pytest.raises(JwksError):
        validator.validate(mint(), "invoke")


@pytest.mark.parametrize("value", ["not json", '["keys"]', '{"keys": []}'])
def test_unusable_jwks_parameter_fails_closed(aws: None, mint: Mint, settings: ValidatorSettings, value: str) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    ssm.put_parameter(Name=JWKS_PARAMETER, Value=value, Type="String")
    validator = TokenValidator(settings, JwksCache(settings.jwks_url, fetch=ssm_jwks_fetch(ssm, JWKS_PARAMETER)))
    with pytest.raises(JwksError):
        validator.validate(mint(), "invoke")
