"""Serving-side validation of the short-lived OAuth access tokens that callers present to the inference targets.

Where this runs
    Inside every serving target, on every request, *after* the internal ALB has already terminated mutual TLS
    (so the peer holds a client certificate issued by the platform CA) and WAF has applied its rate limits.
    mTLS answers "which workload is connecting"; this module answers "is that workload allowed to perform this
    operation right now". The ALB does not look at the token, so this is the only place it is checked.

Where the tokens come from
    An Amazon Cognito user pool is the issuer. A resource server ``<name_prefix>-serving`` declares one scope per
    operation (``<name_prefix>-serving/invoke``, ``<name_prefix>-serving/update-routing``) and each calling role
    has its own client-credentials app client, so a token identifies the calling role by its ``client_id`` and
    its permissions by its ``scope`` claim. Access tokens are RS256 JWTs valid for at most 15 minutes; the public
    keys are published as a JWKS at ``<issuer>/.well-known/jwks.json``.

What is checked, in order (the first failure rejects the request; every branch fails closed)
    ``malformed``      three base64url segments, a JSON-object header and payload, no duplicate JSON keys, bounded
                       size. Nothing else is looked at until the structure is sound.
    ``unsigned``       ``alg: none`` or an empty signature. An unsigned token proves nothing about its origin.
    ``algorithm``      ``alg`` must be exactly RS256, the only algorithm Cognito uses. Trusting the header's
                       algorithm allows "algorithm confusion": an HS256 token MACed with the (public!) RSA key as
                       the secret would verify if the library picked the algorithm from the token.
    ``unknown-key``    ``kid`` must name a key in the issuer's JWKS. On an unknown ``kid`` the JWKS is fetched
                       again (the issuer may have rotated keys), at most once per refetch interval, so a flood of
                       made-up ``kid`` values cannot turn into a flood of requests to the issuer. Key locations
                       given *in* the token (``jku``, ``x5u``, ``jwk``) are ignored: the token does not get to
                       choose the key that verifies it.
    ``signature``      RSA PKCS#1 v1.5 / SHA-256 over ``header.payload``. Claims are parsed only after this.
    ``issuer``         ``iss`` equals the configured user pool URL exactly; keys of another pool never apply.
    ``token-use``      ``token_use`` is ``access``. Cognito ID tokens are signed with the same keys but describe a
                       user to a client; they are not authorisation to call an API.
    ``audience``       ``client_id`` is one of the allowed app clients. Cognito access tokens have no ``aud``
                       claim, so the app client is the audience check: a token minted for some other client of
                       the same pool is refused.
    ``scope``          the scope configured for the requested operation is present in the space-separated
                       ``scope`` claim. An operation without a configured scope is refused, never let through.
    ``expired``        ``exp`` is present and has not passed (allowing ``leeway_seconds`` of clock skew).
    ``not-yet-valid``  ``iat`` (and ``nbf`` if present) is not in the future beyond the leeway.
    ``lifetime``       ``exp - iat`` is at most ``max_token_ttl_seconds`` (never more than 15 minutes). A token
                       minted with a longer validity is refused even if the issuer were misconfigured to mint
                       one, which bounds how long a leaked token is useful.

Rejection messages never contain the token or echo attacker-controlled claim values, so they are safe to log.

Usage::

    settings = load_settings(boto3.client("ssm"), "/ztai-prod/serving/token/")
    validator = TokenValidator(settings, JwksCache(settings.jwks_url))
    claims = validator.validate(bearer_token(request.headers.get("Authorization")), "invoke")

Targets without egress (the serving VPC has no route to the internet, and Cognito's JWKS endpoint is not reachable
over PrivateLink) read the keys from SSM instead, through the SSM VPC endpoint. A scheduled function outside the VPC
(``zero_trust_ai/runtime/jwks_publisher/handler.py``) copies the issuer's JWKS, validated and canonicalised, into
the String parameter ``<prefix>jwks``::

    ssm = boto3.client("ssm")
    settings = load_settings(ssm, prefix)
    jwks = JwksCache(settings.jwks_url, fetch=ssm_jwks_fetch(ssm, prefix + PARAM_JWKS))
    validator = TokenValidator(settings, jwks)

The cache behaves as with HTTPS (TTL, one refetch per interval on an unknown ``kid``); only the source differs, and
``settings.jwks_url`` then merely names the issuer's JWKS. A missing or unreadable parameter is a ``JwksError``.

Map ``TokenRejected`` to HTTP 401 (``missing``, signature/time failures) or 403 (``scope``, ``audience``) and
``JwksError`` to 503: the key source being unavailable is not the caller's fault, but it still fails closed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "DEFAULT_LEEWAY_SECONDS",
    "MAX_TOKEN_TTL_SECONDS",
    "PARAM_JWKS",
    "SSM_PARAMETER_NAMES",
    "Claims",
    "JwksCache",
    "JwksError",
    "Reason",
    "SettingsError",
    "SsmClient",
    "SsmParameterClient",
    "TokenRejected",
    "TokenValidator",
    "ValidatorSettings",
    "bearer_token",
    "fetch_jwks",
    "load_settings",
    "parse_jwks",
    "ssm_jwks_fetch",
]

# Platform policy: access tokens live at most 15 minutes. Settings asking for more are refused outright.
MAX_TOKEN_TTL_SECONDS: Final = 900
DEFAULT_LEEWAY_SECONDS: Final = 30
# Clock-skew allowance is for skew, not for extending token life: keep it well below the token lifetime.
MAX_LEEWAY_SECONDS: Final = 60

# Names of the SSM parameters under the settings prefix (the infrastructure creates exactly these).
PARAM_ISSUER: Final = "issuer"
PARAM_JWKS_URL: Final = "jwks_url"
PARAM_ALLOWED_CLIENT_IDS: Final = "allowed_client_ids"
PARAM_SCOPES: Final = "scopes"
PARAM_MAX_TOKEN_TTL_SECONDS: Final = "max_token_ttl_seconds"
SSM_PARAMETER_NAMES: Final = (
    PARAM_ISSUER,
    PARAM_JWKS_URL,
    PARAM_ALLOWED_CLIENT_IDS,
    PARAM_SCOPES,
    PARAM_MAX_TOKEN_TTL_SECONDS,
)
# The JWKS copied into SSM by the JWKS publisher, for targets without egress (see ``ssm_jwks_fetch``). Not one of
# the settings above: it is written by that function, not by the infrastructure, and read by the JWKS cache.
PARAM_JWKS: Final = "jwks"

ALGORITHM: Final = "RS256"
# Cognito access tokens are ~1 KiB; anything far larger is not one of ours and is not worth decoding.
MAX_TOKEN_CHARS: Final = 16 * 1024
MAX_JWKS_BYTES: Final = 256 * 1024
MIN_RSA_KEY_BITS: Final = 2048
DEFAULT_JWKS_TTL_SECONDS: Final = 3600.0
DEFAULT_JWKS_REFETCH_INTERVAL_SECONDS: Final = 30.0
DEFAULT_FETCH_TIMEOUT_SECONDS: Final = 5.0

_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")

Reason = Literal[
    "missing",
    "malformed",
    "unsigned",
    "algorithm",
    "unknown-key",
    "signature",
    "issuer",
    "token-use",
    "audience",
    "scope",
    "expired",
    "not-yet-valid",
    "lifetime",
]


class TokenRejected(Exception):
    """The request's token is not acceptable. ``reason`` is machine-readable (for metrics and the 401/403
    choice); the message is for humans and never contains the token itself."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason: Reason = reason
        self.message = message


class SettingsError(ValueError):
    """The validator's configuration is missing or unsafe. Raised at start-up, never per request."""


class JwksError(Exception):
    """The issuer's public keys could not be obtained or were unusable. Not the caller's fault, but no token
    can be verified without keys, so requests fail closed."""


# --------------------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class ValidatorSettings:
    """What a valid token looks like for this deployment. Validated on construction so that a bad
    configuration stops the target from starting instead of silently weakening the checks."""

    issuer: str
    jwks_url: str
    allowed_client_ids: frozenset[str]
    scopes: Mapping[str, str]  # operation -> scope string required for it
    max_token_ttl_seconds: int = MAX_TOKEN_TTL_SECONDS
    leeway_seconds: int = DEFAULT_LEEWAY_SECONDS

    def __post_init__(self) -> None:
        if not self.issuer or self.issuer != self.issuer.strip():
            raise SettingsError("issuer must be a non-empty string without surrounding whitespace")
        if not self.jwks_url:
            raise SettingsError("jwks_url must be set")
        # A plain string is iterable too: frozenset("abc") would silently allow the clients "a", "b" and "c".
        if isinstance(self.allowed_client_ids, str):
            raise SettingsError("allowed_client_ids must be a collection of client ids, not a string")
        client_ids = frozenset(self.allowed_client_ids)
        if not client_ids or not all(isinstance(c, str) and c and c == c.strip() for c in client_ids):
            raise SettingsError("allowed_client_ids must be a non-empty set of non-empty client ids")
        scopes = dict(self.scopes)
        if not scopes:
            raise SettingsError("scopes must map at least one operation to its required scope")
        for operation, scope in scopes.items():
            # Scopes are matched against a space-separated claim, so a scope containing whitespace could
            # never match (or worse, be matched piecewise).
            if not isinstance(operation, str) or not operation:
                raise SettingsError("scopes: operation names must be non-empty strings")
            if not isinstance(scope, str) or not scope or any(ch.isspace() for ch in scope):
                raise SettingsError(f"scopes: the scope for operation {operation!r} must be a single scope string")
        ttl = self.max_token_ttl_seconds
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 < ttl <= MAX_TOKEN_TTL_SECONDS:
            raise SettingsError(
                f"max_token_ttl_seconds must be an integer between 1 and {MAX_TOKEN_TTL_SECONDS} (15 minutes), "
                f"got {ttl!r}"
            )
        leeway = self.leeway_seconds
        if isinstance(leeway, bool) or not isinstance(leeway, int) or not 0 <= leeway <= MAX_LEEWAY_SECONDS:
            raise SettingsError(f"leeway_seconds must be an integer between 0 and {MAX_LEEWAY_SECONDS}, got {leeway!r}")
        # Normalise to immutable containers so a frozen settings object is really frozen.
        object.__setattr__(self, "allowed_client_ids", client_ids)
        object.__setattr__(self, "scopes", MappingProxyType(scopes))


class SsmClient(Protocol):
    """The one method of a boto3 SSM client this module uses."""

    def get_parameters(self, *, Names: list[str], WithDecryption: bool) -> Mapping[str, Any]: ...


def load_settings(
    ssm_client: SsmClient, prefix: str, *, leeway_seconds: int = DEFAULT_LEEWAY_SECONDS
) -> ValidatorSettings:
    """Read the validator settings from the SSM parameters ``<prefix>issuer``, ``<prefix>jwks_url``,
    ``<prefix>allowed_client_ids`` (comma-separated), ``<prefix>scopes`` (JSON object operation -> scope) and
    ``<prefix>max_token_ttl_seconds``. SecureString parameters are decrypted. Raises ``SettingsError`` naming
    the offending parameter if one is missing or invalid."""
    base = prefix.rstrip("/") + "/"
    names = {key: base + key for key in SSM_PARAMETER_NAMES}
    # One call for all five (GetParameters takes up to 10 names); missing names come back in InvalidParameters.
    response = ssm_client.get_parameters(Names=list(names.values()), WithDecryption=True)
    values: dict[str, str] = {p["Name"]: p["Value"] for p in response.get("Parameters", [])}
    missing = [name for name in names.values() if name not in values]
    if missing:
        raise SettingsError(f"missing SSM parameter(s): {', '.join(missing)}")

    def value(key: str) -> str:
        return values[names[key]].strip()

    client_ids = frozenset(c.strip() for c in value(PARAM_ALLOWED_CLIENT_IDS).split(",") if c.strip())
    if not client_ids:
        raise SettingsError(f"SSM parameter {names[PARAM_ALLOWED_CLIENT_IDS]} lists no client ids")
    try:
        scopes = json.loads(value(PARAM_SCOPES))
    except ValueError as exc:
        raise SettingsError(f"SSM parameter {names[PARAM_SCOPES]} is not valid JSON: {exc}") from exc
    if not isinstance(scopes, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in scopes.items()):
        raise SettingsError(f"SSM parameter {names[PARAM_SCOPES]} must be a JSON object of operation -> scope strings")
    try:
        max_ttl = int(value(PARAM_MAX_TOKEN_TTL_SECONDS))
    except ValueError as exc:
        raise SettingsError(f"SSM parameter {names[PARAM_MAX_TOKEN_TTL_SECONDS]} is not an integer") from exc
    try:
        return ValidatorSettings(
            issuer=value(PARAM_ISSUER),
            jwks_url=value(PARAM_JWKS_URL),
            allowed_client_ids=client_ids,
            scopes=scopes,
            max_token_ttl_seconds=max_ttl,
            leeway_seconds=leeway_seconds,
        )
    except SettingsError as exc:
        raise SettingsError(f"invalid settings under {base}: {exc}") from exc


# ------------------------------------------------------------------------------------------------------- JWKS

JwksFetcher = Callable[[str], Mapping[str, Any]]


def _url_allowed(url: str, allow_http: bool) -> bool:
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    return scheme == "https" or (allow_http and scheme == "http")


def fetch_jwks(
    url: str, *, timeout_seconds: float = DEFAULT_FETCH_TIMEOUT_SECONDS, allow_http: bool = False
) -> Mapping[str, Any]:
    """GET a JWKS document. HTTPS only (the keys decide what is trusted, so they must come over an
    authenticated channel) unless ``allow_http`` is set for tests; bounded in time and size."""
    if not _url_allowed(url, allow_http):
        raise JwksError("refusing to fetch JWKS over a non-HTTPS URL")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
            # urllib follows redirects, including to plain HTTP: do not trust what arrived that way.
            if not _url_allowed(response.geturl(), allow_http):
                raise JwksError("JWKS request was redirected to a non-HTTPS URL")
            body = response.read(MAX_JWKS_BYTES + 1)
    except OSError as exc:  # URLError, HTTPError, timeouts and connection errors are all OSErrors
        raise JwksError(f"could not fetch JWKS from {url}: {exc}") from exc
    if len(body) > MAX_JWKS_BYTES:
        raise JwksError(f"JWKS document from {url} is larger than {MAX_JWKS_BYTES} bytes")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise JwksError(f"JWKS document from {url} is not JSON") from exc
    if not isinstance(document, dict):
        raise JwksError(f"JWKS document from {url} is not a JSON object")
    return document


class SsmParameterClient(Protocol):
    """The one method of a boto3 SSM client that ``ssm_jwks_fetch`` uses."""

    def get_parameter(self, *, Name: str, WithDecryption: bool) -> Mapping[str, Any]: ...


def ssm_jwks_fetch(ssm_client: SsmParameterClient, parameter_name: str) -> JwksFetcher:
    """A ``JwksCache`` fetcher that reads the JWKS document from the SSM parameter ``parameter_name`` (written by
    the JWKS publisher) instead of the network. The URL it is called with is ignored. Any failure (parameter
    missing, access denied, endpoint unreachable, not a JSON object) raises ``JwksError``: fail closed."""

    def fetch(url: str) -> Mapping[str, Any]:
        try:
            value = ssm_client.get_parameter(Name=parameter_name, WithDecryption=True)["Parameter"]["Value"]
        except Exception as exc:  # botocore ClientError (ParameterNotFound, AccessDenied), connection errors, ...
            raise JwksError(f"could not read the JWKS from SSM parameter {parameter_name}: {exc}") from exc
        if not isinstance(value, str) or len(value) > MAX_JWKS_BYTES:
            raise JwksError(f"SSM parameter {parameter_name} does not hold a JWKS document")
        try:
            document = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise JwksError(f"SSM parameter {parameter_name} is not JSON") from exc
        if not isinstance(document, dict):
            raise JwksError(f"SSM parameter {parameter_name} is not a JSON object")
        return document

    return fetch


def _b64url_decode(segment: str) -> bytes:
    """Strict base64url without padding (RFC 7515 section 2). Raises ValueError on anything else, because
    the stdlib decoder silently skips characters outside the alphabet."""
    if not _B64URL.fullmatch(segment):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc


def _rsa_key_from_jwk(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey | None:
    """The RSA signing key described by ``jwk``, or None if it is not one this validator may use."""
    if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig" or jwk.get("alg", ALGORITHM) != ALGORITHM:
        return None
    n, e = jwk.get("n"), jwk.get("e")
    if not isinstance(n, str) or not isinstance(e, str):
        return None
    try:
        key = rsa.RSAPublicNumbers(
            e=int.from_bytes(_b64url_decode(e), "big"), n=int.from_bytes(_b64url_decode(n), "big")
        ).public_key()
    except ValueError:  # bad base64url, or numbers cryptography refuses as an RSA key
        return None
    # Weak keys are not used even if published: a forged signature under them would be accepted.
    return key if key.key_size >= MIN_RSA_KEY_BITS else None


def parse_jwks(document: Mapping[str, Any]) -> dict[str, rsa.RSAPublicKey]:
    """``kid`` -> RSA public key for every usable RS256 signing key. Keys this validator cannot use (other key
    types, encryption keys, malformed entries) are skipped; a document with no usable key is an error."""
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise JwksError("JWKS document has no 'keys' list")
    result: dict[str, rsa.RSAPublicKey] = {}
    for jwk in keys:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str) or not jwk["kid"]:
            continue
        key = _rsa_key_from_jwk(jwk)
        if key is None:
            continue
        if jwk["kid"] in result:
            # Two keys under one kid: no way to tell which one the issuer meant. Refuse rather than guess.
            raise JwksError("JWKS document lists the same kid twice")
        result[jwk["kid"]] = key
    if not result:
        raise JwksError("JWKS document contains no usable RS256 signing key")
    return result


class JwksCache:
    """The issuer's signing keys, fetched lazily and trusted for ``ttl_seconds`` after a successful fetch.

    An unknown ``kid`` triggers one refetch (the issuer may have rotated in a new key), and so does expiry, but
    fetches are at most one per ``min_refetch_interval_seconds``: tokens carrying made-up ``kid`` values, or an
    issuer outage, must not turn every request into a call to the issuer. Expired keys are dropped rather than
    used past their TTL; if they cannot be refreshed, ``JwksError`` is raised. Thread-safe: one fetch at a time.
    """

    def __init__(
        self,
        url: str,
        *,
        fetch: JwksFetcher | None = None,
        ttl_seconds: float = DEFAULT_JWKS_TTL_SECONDS,
        min_refetch_interval_seconds: float = DEFAULT_JWKS_REFETCH_INTERVAL_SECONDS,
        allow_insecure_http: bool = False,
        clock: Callable[[], float] = time.monotonic,  # measures intervals only: immune to wall-clock jumps
    ) -> None:
        if not _url_allowed(url, allow_insecure_http):
            raise SettingsError("jwks_url must be an https:// URL")
        if ttl_seconds <= 0 or min_refetch_interval_seconds < 0:
            raise SettingsError("ttl_seconds must be positive and min_refetch_interval_seconds non-negative")
        self.url = url
        if fetch is None:

            def fetch(jwks_url: str) -> Mapping[str, Any]:
                return fetch_jwks(jwks_url, allow_http=allow_insecure_http)

        self._fetch: JwksFetcher = fetch
        self._ttl = ttl_seconds
        self._min_refetch_interval = min_refetch_interval_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._loaded_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last fetch, successful or not

    def _may_fetch(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._min_refetch_interval

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            keys = parse_jwks(self._fetch(self.url))
        except JwksError:
            raise
        except Exception as exc:  # an injected fetcher may raise anything; it must still fail closed
            raise JwksError(f"could not fetch JWKS: {exc}") from exc
        # Replace the keys only on success: a failed rotation check leaves the still-fresh keys usable.
        self._keys, self._loaded_at = keys, now

    def get_key(self, kid: str) -> rsa.RSAPublicKey | None:
        """The public key for ``kid``, or None if the issuer does not (or no longer) publish it."""
        with self._lock:
            now = self._clock()
            if self._loaded_at is None or now - self._loaded_at >= self._ttl:
                self._keys, self._loaded_at = {}, None  # expired keys are no longer trusted
                if not self._may_fetch(now):
                    raise JwksError("JWKS is unavailable (the last fetch failed moments ago)")
                self._refresh(now)
            elif kid not in self._keys and self._may_fetch(now):
                self._refresh(now)  # possibly a key the issuer has just rotated in
            return self._keys.get(kid)


# ------------------------------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class Claims:
    """The verified facts about the caller. ``raw`` holds every claim of the token, read-only."""

    client_id: str
    scopes: frozenset[str]
    subject: str
    expires_at: int
    issued_at: int
    raw: Mapping[str, Any] = field(repr=False)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # JSON parsers disagree on which duplicate wins; a token that depends on that is refused.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("duplicate JSON key")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _decode_json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(
            _b64url_decode(segment).decode("utf-8"),
            object_pairs_hook=_reject_duplicate_keys,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise TokenRejected("malformed", f"token {what} is not base64url-encoded JSON") from exc
    if not isinstance(value, dict):
        raise TokenRejected("malformed", f"token {what} is not a JSON object")
    return value


def _numeric_date(claims: Mapping[str, Any], name: str, reason: Reason) -> int:
    value = claims.get(name)
    # Cognito emits integer NumericDates. bool is an int subclass in Python and must not pass as one.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TokenRejected(reason, f"token has no integer '{name}' claim")
    return value


class TokenValidator:
    """Validates bearer tokens for one deployment. Construct once at start-up and share; ``validate`` is
    thread-safe. ``clock`` returns the current Unix time (injectable for tests)."""

    def __init__(self, settings: ValidatorSettings, jwks: JwksCache, clock: Callable[[], float] = time.time) -> None:
        if jwks.url != settings.jwks_url:
            raise SettingsError("the JWKS cache does not fetch from settings.jwks_url")
        self.settings = settings
        self._jwks = jwks
        self._clock = clock

    def validate(self, token: str, operation: str) -> Claims:
        """Return the verified claims if ``token`` authorises ``operation``; raise ``TokenRejected`` otherwise
        (and ``JwksError`` if the issuer's keys cannot be obtained)."""
        settings = self.settings

        # --- structure: nothing from the token is trusted or even looked at until it parses cleanly.
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise TokenRejected("malformed", "token is empty, too long or not ASCII")
        segments = token.split(".")
        if len(segments) != 3 or not segments[0] or not segments[1]:
            raise TokenRejected("malformed", "token is not three dot-separated segments")
        header_b64, payload_b64, signature_b64 = segments
        if not all(_B64URL.fullmatch(s) for s in segments):
            raise TokenRejected("malformed", "token segments are not base64url")
        header = _decode_json_object(header_b64, "header")

        # --- algorithm: fixed by us, never chosen by the token (alg confusion, alg=none).
        alg = header.get("alg")
        if isinstance(alg, str) and alg.lower() == "none":
            raise TokenRejected("unsigned", "unsigned tokens (alg 'none') are not accepted")
        if alg != ALGORITHM:
            raise TokenRejected("algorithm", f"only {ALGORITHM} tokens are accepted")
        if not signature_b64:
            raise TokenRejected("unsigned", "token has an empty signature")
        if "crit" in header:
            # RFC 7515 4.1.11: unknown critical extensions must be rejected; we understand none.
            raise TokenRejected("malformed", "token header has critical extensions")

        # --- key: only from the issuer's JWKS; jku/x5u/jwk header parameters are deliberately ignored.
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("unknown-key", "token header has no 'kid'")
        key = self._jwks.get_key(kid)
        if key is None:
            raise TokenRejected("unknown-key", "token was signed with a key the issuer does not publish")

        # --- signature over the exact bytes received.
        try:
            key.verify(
                _b64url_decode(signature_b64),
                f"{header_b64}.{payload_b64}".encode("ascii"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError) as exc:
            raise TokenRejected("signature", "token signature is invalid") from exc
        claims = _decode_json_object(payload_b64, "payload")

        # --- who issued it, what kind of token, for whom, for what.
        if claims.get("iss") != settings.issuer:
            raise TokenRejected("issuer", "token was not issued by the configured issuer")
        if claims.get("token_use") != "access":
            raise TokenRejected("token-use", "token is not an access token")
        client_id = claims.get("client_id")
        if not isinstance(client_id, str) or client_id not in settings.allowed_client_ids:
            raise TokenRejected("audience", "token was issued to a client that may not call this service")
        required_scope = settings.scopes.get(operation)
        if required_scope is None:
            raise TokenRejected("scope", "no scope is configured for the requested operation")
        scope_claim = claims.get("scope")
        scopes = frozenset(scope_claim.split()) if isinstance(scope_claim, str) else frozenset()
        if required_scope not in scopes:
            raise TokenRejected("scope", f"token lacks the scope required for operation {operation!r}")

        # --- when: valid now, and never minted for longer than policy allows.
        now = self._clock()
        leeway = settings.leeway_seconds
        expires_at = _numeric_date(claims, "exp", "expired")
        if expires_at <= now - leeway:
            raise TokenRejected("expired", "token has expired")
        issued_at = _numeric_date(claims, "iat", "not-yet-valid")
        if issued_at > now + leeway:
            raise TokenRejected("not-yet-valid", "token was issued in the future")
        if "nbf" in claims and _numeric_date(claims, "nbf", "not-yet-valid") > now + leeway:
            raise TokenRejected("not-yet-valid", "token is not valid yet")
        lifetime = expires_at - issued_at
        if not 0 < lifetime <= settings.max_token_ttl_seconds:
            raise TokenRejected(
                "lifetime", f"token validity is not within 1..{settings.max_token_ttl_seconds} seconds"
            )

        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise TokenRejected("malformed", "token has no 'sub' claim")
        return Claims(
            client_id=client_id,
            scopes=scopes,
            subject=subject,
            expires_at=expires_at,
            issued_at=issued_at,
            raw=MappingProxyType(claims),
        )


def bearer_token(authorization_header: str | None) -> str:
    """The token from an ``Authorization: Bearer <token>`` header value. Anything else is ``missing``: a
    request without a bearer token is unauthenticated, whatever other credentials it carries."""
    if not authorization_header:
        raise TokenRejected("missing", "no Authorization header")
    scheme, _, token = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer":  # auth schemes are case-insensitive (RFC 9110 11.1)
        raise TokenRejected("missing", "Authorization header does not use the Bearer scheme")
    token = token.strip()
    if not token:
        raise TokenRejected("missing", "Authorization header has an empty bearer token")
    if any(ch.isspace() for ch in token):
        raise TokenRejected("malformed", "bearer token contains whitespace")
    return token
