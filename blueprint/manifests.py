"""Artifact integrity for producers and consumers: SHA-256 checksums and KMS-signed manifests.

Producer::

    digest = upload_artifact(s3, bucket, "training/v3/part-0001.parquet", data)   # S3 stores SHA-256
    manifest = build_manifest("training-v3", {"training/v3/part-0001.parquet": digest}, producer="etl-job")
    publish_manifest(s3, kms, bucket, "training/v3/manifest.json", manifest, signing_key_id)

Consumer (training job, deployer) -- verify *before* use::

    manifest = load_verified_manifest(s3, kms, bucket, "training/v3/manifest.json", signing_key_id)
    verify_artifacts(s3, bucket, manifest)      # every object's stored SHA-256 equals the signed one

The manifest is canonical JSON (sorted keys, no whitespace); its SHA-256 digest is signed by the
asymmetric ``SIGN_VERIFY`` key with ECDSA_SHA_256 and stored next to it as ``<manifest>.sig``. Only
roles granted ``kms:Sign`` (training jobs, the trainer) can publish; consumers need only ``kms:Verify``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

SIGNING_ALGORITHM = "ECDSA_SHA_256"
MANIFEST_VERSION = 1


class IntegrityError(Exception):
    """An artifact or manifest failed verification; do not use it."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def upload_artifact(s3: Any, bucket: str, key: str, data: bytes) -> str:
    """Upload with an S3-verified SHA-256 checksum (S3 rejects the upload if the bytes differ)."""
    digest = sha256_hex(data)
    s3.put_object(Bucket=bucket, Key=key, Body=data, ChecksumAlgorithm="SHA256", ChecksumSHA256=_b64(digest))
    return digest


def build_manifest(dataset: str, artifacts: Mapping[str, str], *, producer: str) -> bytes:
    if not artifacts:
        raise ValueError("a manifest lists at least one artifact")
    for key, digest in artifacts.items():
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"{key}: {digest!r} is not a lowercase hex SHA-256 digest")
    body = {"version": MANIFEST_VERSION, "dataset": dataset, "producer": producer,
            "artifacts": {key: {"sha256": digest} for key, digest in sorted(artifacts.items())}}
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
    """Every artifact must exist with a stored SHA-256 checksum equal to the signed one."""
    for key, entry in manifest["artifacts"].items():
        attributes = s3.get_object_attributes(Bucket=bucket, Key=key, ObjectAttributes=["Checksum"])
        stored = attributes.get("Checksum", {}).get("ChecksumSHA256")
        if stored is None:
            raise IntegrityError(f"{key}: uploaded without a SHA-256 checksum; refuse to use it")
        if stored != _b64(entry["sha256"]):
            raise IntegrityError(f"{key}: SHA-256 differs from the signed manifest")
