"""Producer/consumer integrity helper, in-process against moto (S3 checksums, KMS ECDSA sign/verify)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from blueprint import manifests

BUCKET = "ztai-test-training-123456789012"


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any, str]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        kms = boto3.client("kms", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        s3.create_bucket(Bucket=BUCKET)
        key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
        yield s3, kms, key_id


def _publish(s3: Any, kms: Any, key_id: str) -> dict[str, str]:
    digests = {f"training/v1/part-{i}.bin": manifests.upload_artifact(s3, BUCKET, f"training/v1/part-{i}.bin",
                                                                     f"rows {i}".encode()) for i in range(3)}
    manifest = manifests.build_manifest("training-v1", digests, producer="etl")
    manifests.publish_manifest(s3, kms, BUCKET, "training/v1/manifest.json", manifest, key_id)
    return digests


def test_round_trip_verifies(aws: tuple[Any, Any, str]) -> None:
    s3, kms, key_id = aws
    digests = _publish(s3, kms, key_id)
    document = manifests.load_verified_manifest(s3, kms, BUCKET, "training/v1/manifest.json", key_id)
    assert {k: v["sha256"] for k, v in document["artifacts"].items()} == digests
    manifests.verify_artifacts(s3, BUCKET, document)


def test_tampered_manifest_is_rejected(aws: tuple[Any, Any, str]) -> None:
    s3, kms, key_id = aws
    _publish(s3, kms, key_id)
    forged = json.loads(s3.get_object(Bucket=BUCKET, Key="training/v1/manifest.json")["Body"].read())
    forged["artifacts"]["training/v1/part-0.bin"]["sha256"] = "0" * 64
    s3.put_object(Bucket=BUCKET, Key="training/v1/manifest.json",
                  Body=json.dumps(forged, sort_keys=True, separators=(",", ":")).encode())
    with pytest.raises(manifests.IntegrityError, match="signature"):
        manifests.load_verified_manifest(s3, kms, BUCKET, "training/v1/manifest.json", key_id)


def test_replaced_artifact_is_rejected(aws: tuple[Any, Any, str]) -> None:
    s3, kms, key_id = aws
    _publish(s3, kms, key_id)
    manifests.upload_artifact(s3, BUCKET, "training/v1/part-1.bin", b"poisoned rows")
    document = manifests.load_verified_manifest(s3, kms, BUCKET, "training/v1/manifest.json", key_id)
    with pytest.raises(manifests.IntegrityError, match=r"part-1\.bin: SHA-256 differs"):
        manifests.verify_artifacts(s3, BUCKET, document)


def test_artifact_without_checksum_is_refused(aws: tuple[Any, Any, str]) -> None:
    s3, kms, key_id = aws
    _publish(s3, kms, key_id)
    s3.put_object(Bucket=BUCKET, Key="training/v1/part-2.bin", Body=b"rows 2")  # no checksum
    document = manifests.load_verified_manifest(s3, kms, BUCKET, "training/v1/manifest.json", key_id)
    with pytest.raises(manifests.IntegrityError, match="without a SHA-256 checksum"):
        manifests.verify_artifacts(s3, BUCKET, document)


def test_signature_from_another_key_is_rejected(aws: tuple[Any, Any, str]) -> None:
    s3, kms, key_id = aws
    _publish(s3, kms, key_id)
    other = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
    with pytest.raises(manifests.IntegrityError):
        manifests.load_verified_manifest(s3, kms, BUCKET, "training/v1/manifest.json", other)


def test_manifest_rejects_non_digests() -> None:
    with pytest.raises(ValueError, match="not a lowercase hex SHA-256"):
        manifests.build_manifest("x", {"a": "abc"}, producer="p")
