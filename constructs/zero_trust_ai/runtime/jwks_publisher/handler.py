"""JWKS publisher (AWS Lambda, handler ``handler.handle``, runs outside the VPC on a schedule).

Why
    The serving targets validate Cognito access tokens against the user pool's public keys, but they run in a VPC
    without egress and ``https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`` is not reachable
    over PrivateLink. This function copies the JWKS into an SSM parameter, which the targets read through their SSM
    VPC endpoint (``zero_trust_ai/runtime/token_validator.py``: ``ssm_jwks_fetch``).

Configuration (environment)
    ``JWKS_URL``        the issuer's JWKS URL; must be ``https://``.
    ``PARAMETER_NAME``  the SSM parameter to publish to, e.g. ``/ztai-prod/serving/token/jwks``.

What one invocation does (the event is ignored: any trigger, typically an EventBridge schedule)
    1. GET ``JWKS_URL`` with urllib: HTTPS only (also after redirects), certificate verified, 5 s timeout, response
       capped at 64 KiB.
    2. Validate strictly: a JSON object (no duplicate members, no NaN/Infinity) with a non-empty ``keys`` list. Only
       RSA keys with a ``kid``, base64url ``n`` (at least 2048 bits) and ``e``, ``use`` "sig" or absent and ``alg``
       "RS256" or absent are kept, reduced to the members ``kty``, ``kid``, ``n``, ``e``, ``use`` and ``alg``. At
       least one key must remain and no two kept keys may share a ``kid``.
    3. Serialize canonically (``{"keys": [...]}`` sorted by kid, sorted members, compact separators, ASCII), which must
       fit a Standard-tier parameter (4096 characters).
    4. ``ssm:GetParameter``; if the stored value is identical, nothing is written (log ``unchanged``), otherwise
       ``ssm:PutParameter`` (Type String: public keys, no KMS; Tier Standard; Overwrite) and log ``published`` with
       the kids. These two calls are the only AWS API actions the function needs.

Failure
    A fetch, validation, size or SSM error is logged at ERROR (``action`` = failed) and re-raised, so it shows as a
    Lambda error (alarm on the function's Errors metric). Nothing is written before validation has passed, so an
    empty or invalid key set is never published and the targets keep the last good keys.

Every decision is one JSON log line; the handler returns a summary dict. Only the standard library and boto3: the
file is deployed alone.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import logging
import os
import re
import ssl
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import IO, Any, Final, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENV_JWKS_URL: Final = "JWKS_URL"
ENV_PARAMETER_NAME: Final = "PARAMETER_NAME"

FETCH_TIMEOUT_SECONDS: Final = 5.0
MAX_RESPONSE_BYTES: Final = 64 * 1024
MAX_PARAMETER_CHARS: Final = 4096  # SSM Standard tier
MIN_RSA_KEY_BITS: Final = 2048
ALGORITHM: Final = "RS256"
PUBLISHED_MEMBERS: Final = ("kty", "kid", "n", "e", "use", "alg")

# SSM parameter names: a path of letters, digits and _.- segments (at most 1011 characters with the leading slash).
PARAMETER_NAME_RE: Final = re.compile(r"(?:/[A-Za-z0-9_.-]+)+", re.ASCII)
B64URL_RE: Final = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)

LOGGER = logging.getLogger("ztai.jwks_publisher")
LOGGER.setLevel(logging.INFO)


class PublishError(RuntimeError):
    """The JWKS could not be fetched or is not acceptable; nothing was published."""


class SsmClient(Protocol):
    """The two methods of a boto3 SSM client this function uses (ssm:GetParameter, ssm:PutParameter)."""

    def get_parameter(self, *, Name: str) -> Mapping[str, Any]: ...

    def put_parameter(
        self, *, Name: str, Value: str, Type: str, Overwrite: bool, Tier: str
    ) -> Mapping[str, Any]: ...


def _log(action: str, level: int = logging.INFO, **fields: Any) -> dict[str, Any]:
    entry = {"action": action, **fields}
    LOGGER.log(level, json.dumps(entry, sort_keys=True, default=str))
    return entry


def _is_https(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower() == "https" and bool(parts.hostname)


# ------------------------------------------------------------------------------------------------------- fetch


class _HttpsOnlyRedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects only to https:// URLs (urllib would otherwise follow one to plain HTTP)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if not _is_https(newurl):
            raise PublishError("JWKS request was redirected to a non-HTTPS URL")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str) -> bytes:
    """GET ``url`` over verified HTTPS: at most ``FETCH_TIMEOUT_SECONDS``, at most ``MAX_RESPONSE_BYTES``."""
    if not _is_https(url):
        raise PublishError("refusing to fetch the JWKS over a non-HTTPS URL")
    opener = urllib.request.build_opener(
        _HttpsOnlyRedirectHandler, urllib.request.HTTPSHandler(context=ssl.create_default_context())
    )
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            if not _is_https(response.geturl()):
                raise PublishError("JWKS request ended at a non-HTTPS URL")
            body: bytes = response.read(MAX_RESPONSE_BYTES + 1)
    except (OSError, http.client.HTTPException) as exc:  # URLError, HTTPError, TLS errors, timeouts, bad responses
        raise PublishError(f"could not fetch the JWKS: {exc}") from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise PublishError(f"JWKS response is larger than {MAX_RESPONSE_BYTES} bytes")
    return body


# -------------------------------------------------------------------------------------------------- validation


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("duplicate JSON member")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _b64url_int(value: Any) -> int | None:
    """The unsigned big-endian integer of an unpadded base64url string, or None if it is not one."""
    if not isinstance(value, str) or not B64URL_RE.fullmatch(value) or len(value) % 4 == 1:
        return None
    try:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")
    except binascii.Error:
        return None


def _usable_key(jwk: Any) -> dict[str, str] | None:
    """The published form of ``jwk`` if it is an RS256 signing key the validator can use, else None."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
        return None
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid or jwk.get("use", "sig") != "sig" or jwk.get("alg", ALGORITHM) != ALGORITHM:
        return None
    n, e = _b64url_int(jwk.get("n")), _b64url_int(jwk.get("e"))
    if n is None or e is None or n.bit_length() < MIN_RSA_KEY_BITS or e < 3 or e % 2 == 0:
        return None
    return {member: jwk[member] for member in PUBLISHED_MEMBERS if member in jwk}


def canonical_jwks(body: bytes) -> tuple[str, list[str]]:
    """The canonical JWKS to publish and its kids, from the raw response ``body``. Raises ``PublishError``."""
    try:
        document = json.loads(
            body.decode("utf-8"), object_pairs_hook=_object_without_duplicates, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise PublishError(f"JWKS response is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise PublishError("JWKS response is not a JSON object")
    keys = document.get("keys")
    if not isinstance(keys, list) or not keys:
        raise PublishError("JWKS document has no non-empty 'keys' list")
    usable: dict[str, dict[str, str]] = {}
    for jwk in keys:
        key = _usable_key(jwk)
        if key is None:
            continue
        if key["kid"] in usable:
            raise PublishError(f"JWKS document lists kid {key['kid']!r} more than once")
        usable[key["kid"]] = key
    if not usable:
        raise PublishError("JWKS document contains no usable RS256 signing key")
    kids = sorted(usable)
    value = json.dumps({"keys": [usable[kid] for kid in kids]}, sort_keys=True, separators=(",", ":"))
    if len(value) > MAX_PARAMETER_CHARS:
        raise PublishError(
            f"canonical JWKS is {len(value)} characters, more than a Standard SSM parameter holds "
            f"({MAX_PARAMETER_CHARS})"
        )
    return value, kids


# ----------------------------------------------------------------------------------------------------- publish


def _current_value(ssm: SsmClient, name: str) -> tuple[str | None, int | None]:
    try:
        parameter = ssm.get_parameter(Name=name)["Parameter"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None, None
        raise
    return parameter.get("Value"), parameter.get("Version")


def publish(ssm: SsmClient, jwks_url: str, parameter_name: str) -> dict[str, Any]:
    """Fetch, validate and (if it changed) publish the JWKS. Raises on any failure, before writing anything."""
    if not _is_https(jwks_url):
        raise PublishError(f"{ENV_JWKS_URL} must be an https:// URL")
    if not PARAMETER_NAME_RE.fullmatch(parameter_name) or len(parameter_name) > 1011:
        raise PublishError(f"{ENV_PARAMETER_NAME} must be an SSM parameter path such as /prefix/jwks")
    value, kids = canonical_jwks(fetch(jwks_url))
    current, version = _current_value(ssm, parameter_name)
    if current == value:
        return _log("unchanged", parameter=parameter_name, kids=kids, version=version)
    response = ssm.put_parameter(Name=parameter_name, Value=value, Type="String", Overwrite=True, Tier="Standard")
    return _log(
        "published",
        parameter=parameter_name,
        kids=kids,
        version=response.get("Version"),
        previous_version=version,
        chars=len(value),
    )


def _ssm_client() -> SsmClient:
    client: SsmClient = boto3.client(
        "ssm", config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})
    )
    return client


def handle(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point. The event is ignored; returns ``{"action", "parameter", "kids", "version", ...}``."""
    jwks_url = os.environ.get(ENV_JWKS_URL, "")
    parameter_name = os.environ.get(ENV_PARAMETER_NAME, "")
    try:
        return publish(_ssm_client(), jwks_url, parameter_name)
    except Exception as exc:
        _log("failed", logging.ERROR, error=str(exc), error_type=type(exc).__name__, parameter=parameter_name,
             jwks_url=jwks_url)
        raise
