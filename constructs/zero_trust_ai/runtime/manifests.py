"""Artifact integrity for producers and consumers: SHA-256 checksums and KMS-signed manifests.

Producer::

    artifact = upload_artifact(s3, bucket, "training/v3/part-0001.parquet", data)   # S3 stores SHA-256
    manifest = build_manifest("training-v3", {"training/v3/part-0001.parquet": artifact}, producer="etl-job")
    publish_manifest(s3, kms, bucket, "training/v3/manifest.json", manifest, signing_key_id)

Consumer (training job, deployer) -- verify *before* use::

    manifest = load_verified_manifest(s3, kms, bucket, "training/v3/manifest.json", signing_key_id)
    verify_artifacts(s3, bucket, manifest)      # every pinned version's stored SHA-256 equals the signed one
    data = read_verified_artifact(s3, bucket, manifest, "training/v3/part-0001.parquet")  # the pinned version

Every artifact is pinned by its S3 *version id*: a later PUT to the same key makes a new current version, which a
consumer never reads (it reads the signed version and re-checks its bytes).

Uploads carry the payload's SHA-256 twice: signed into the request (``x-amz-content-sha256``, which the bucket
policies require -- they refuse every unsigned form, including ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` that botocore
>= 1.36 sends by default) and as the S3 checksum (``x-amz-checksum-sha256``, which S3 verifies and stores). Passing
a precomputed ``ChecksumSHA256`` is what makes botocore sign the payload hash instead of streaming an unsigned
trailer. ``create_only=True`` adds ``If-None-Match: *`` (the model registry refuses writes without it).

The manifest is canonical JSON (sorted keys, no whitespace); its SHA-256 digest is signed by the
asymmetric ``SIGN_VERIFY`` key with ECDSA_SHA_256 and stored next to it as ``<manifest>.sig``. Only
roles granted ``kms:Sign`` (training jobs, the trainer) can publish; consumers need only ``kms:Verify``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIGNING_ALGORITHM = "ECDSA_SHA_256"
MANIFEST_VERSION = 2  # 2: every artifact pinned by version id


@dataclass(frozen=True)
class Artifact:
    """One uploaded object: its SHA-256 (hex) and the S3 version the manifest pins."""

    sha256: str
    version_id: str


class IntegrityError(Exception):
    """An artifact or manifest failed verification; do not use it."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def upload_artifact(s3: Any, bucket: str, key: str, data: bytes, *, create_only: bool = False) -> Artifact:
    """Upload with a signed SHA-256 payload hash and an S3-verified SHA-256 checksum (S3 rejects the upload if the
    bytes differ); ``create_only`` refuses to replace an existing key (``If-None-Match: *``)."""
    digest = sha256_hex(data)
    extra = {"IfNoneMatch": "*"} if create_only else {}
    response = s3.put_object(Bucket=bucket, Key=key, Body=data, ChecksumAlgorithm="SHA256",
                             ChecksumSHA256=_b64(digest), **extra)
    version = response.get("VersionId")
    if not version or version == "null":
        raise IntegrityError(f"s3://{bucket}/{key}: the bucket is not versioned, so the artifact cannot be pinned")
    return Artifact(sha256=digest, version_id=str(version))


def build_manifest(dataset: str, artifacts: Mapping[str, Artifact], *, producer: str) -> bytes:
    if not artifacts:
        raise ValueError("a manifest lists at least one artifact")
    for key, artifact in artifacts.items():
        digest = artifact.sha256
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"{key}: {digest!r} is not a lowercase hex SHA-256 digest")
        if not artifact.version_id:
            raise ValueError(f"{key}: an artifact is pinned by its S3 version id")
    body = {"version": MANIFEST_VERSION, "dataset": dataset, "producer": producer,
            "artifacts": {key: {"sha256": a.sha256, "version_id": a.version_id}
                          for key, a in sorted(artifacts.items())}}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign_manifest(kms: Any, key_id: str, manifest: bytes) -> bytes:
    response = kms.sign(KeyId=key_id, Message=hashlib.sha256(manifest).digest(), MessageType="DIGEST",
                        SigningAlgorithm=SIGNING_ALGORITHM)
    return bytes(response["Signature"])


def verify_manifest_signature(kms: Any, key_id: str, manifest: bytes, signature: bytes) -> None:
    try:
        response = kms.verify(KeyId=key_id, Message=hashlib.sha256(manifest).digest(), MessageType="DIGEST",
                              Signature=signature, SigningAlgorithm=SIGNING_ALGORITHM)
    except Exception as exc:  # KMSInvalidSignatureException and friends
        raise IntegrityError(f"manifest signature rejected by KMS: {exc}") from exc
    if not response.get("SignatureValid"):
        raise IntegrityError("manifest signature is not valid")


def publish_manifest(s3: Any, kms: Any, bucket: str, key: str, manifest: bytes, key_id: str) -> None:
    signature = sign_manifest(kms, key_id, manifest)
    upload_artifact(s3, bucket, key, manifest)
    upload_artifact(s3, bucket, f"{key}.sig", signature)


def load_verified_manifest(s3: Any, kms: Any, bucket: str, key: str, key_id: str) -> dict[str, Any]:
    manifest = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    signature = s3.get_object(Bucket=bucket, Key=f"{key}.sig")["Body"].read()
    verify_manifest_signature(kms, key_id, manifest, signature)
    document: dict[str, Any] = json.loads(manifest)
    if document.get("version") != MANIFEST_VERSION:
        raise IntegrityError(f"unsupported manifest version {document.get('version')!r}")
    return document


def verify_artifacts(s3: Any, bucket: str, manifest: Mapping[str, Any]) -> None:
    """Every pinned artifact version must exist with a stored SHA-256 checksum equal to the signed one."""
    for key, entry in manifest["artifacts"].items():
        attributes = s3.get_object_attributes(Bucket=bucket, Key=key, VersionId=entry["version_id"],
                                              ObjectAttributes=["Checksum"])
        stored = attributes.get("Checksum", {}).get("ChecksumSHA256")
        if stored is None:
            raise IntegrityError(f"{key}: uploaded without a SHA-256 checksum; refuse to use it")
        if stored != _b64(entry["sha256"]):
            raise IntegrityError(f"{key}: SHA-256 differs from the signed manifest")


def read_verified_artifact(s3: Any, bucket: str, manifest: Mapping[str, Any], key: str) -> bytes:
    """The bytes of the version the signed manifest pins, re-checked against its SHA-256 (never the current
    version of the key, which anyone with write access could have replaced)."""
    entry = manifest["artifacts"].get(key)
    if entry is None:
        raise IntegrityError(f"{key}: not listed in the signed manifest")
    data = bytes(s3.get_object(Bucket=bucket, Key=key, VersionId=entry["version_id"])["Body"].read())
    if sha256_hex(data) != entry["sha256"]:
        raise IntegrityError(f"{key}: SHA-256 of the pinned version differs from the signed manifest")
    return data
