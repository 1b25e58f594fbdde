"""Producer/consumer integrity helper, in-process against moto (S3 checksums, KMS ECDSA sign/verify)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from zero_trust_ai.runtime import manifests

BUCKET = "ztai-test-training-123456789012"


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any, str]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        kms = boto3.client("kms", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
        yield s3, kms, key_id


def _publish(s3: Any, kms: Any, key_id: str) -> dict[str, str]:
    artifacts = {f"training/v1/part-{i}.bin": manifests.upload_artifact(s3, BUCKET, f"training/v1/part-{i}.bin",
                                                                       f"rows {i}".encode()) for i in range(3)}
    manifest = manifests.build_manifest("training-v1", artifacts, producer="etl")
    manifests.publish_manifest(s3, kms, BUCKET, "training/v1/manifest.json", manifest, key_id)
    return {key: artifact.sha256 for key, artifact in artifacts.items()}


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


def test_replaced_artifact_is_never_read(aws: tuple[Any, Any, str]) -> None:
    """A later PUT to the key makes a new current version; the consumer reads the signed, pinned one."""
    s3, kms, key_id = aws
    _publish(s3, kms, key_id)
    manifests.upload_artifact(s3, BUCKET, "training/v1/part-1.bin", b"poisoned rows")
    assert s3.get_object(Bucket=BUCKET, Key="training/v1/part-1.bin")["Body"].read() == b"poisoned rows"
    document = manifests.load_verified_manifest(s3, kms, BUCKET, "training/v1/manifest.json", key_id)
    manifests.verify_artifacts(s3, BUCKET, document)
    assert manifests.read_verified_artifact(s3, BUCKET, document, "training/v1/part-1.bin") == b"rows 1"
    with pytest.raises(manifests.IntegrityError, match="not listed"):
        manifests.read_verified_artifact(s3, BUCKET, document, "training/v1/part-9.bin")


def test_a_pinned_version_whose_bytes_differ_is_rejected(aws: tuple[Any, Any, str]) -> None:
    s3, kms, key_id = aws
    _publish(s3, kms, key_id)
    document = manifests.load_verified_manifest(s3, kms, BUCKET, "training/v1/manifest.json", key_id)
    forged = json.loads(json.dumps(document))
    poisoned = manifests.upload_artifact(s3, BUCKET, "training/v1/part-1.bin", b"poisoned rows")
    forged["artifacts"]["training/v1/part-1.bin"]["version_id"] = poisoned.version_id  # an unsigned re-pin
    with pytest.raises(manifests.IntegrityError, match=r"part-1\.bin: SHA-256 differs"):
        manifests.verify_artifacts(s3, BUCKET, forged)
    with pytest.raises(manifests.IntegrityError, match=r"pinned version differs"):
        manifests.read_verified_artifact(s3, BUCKET, forged, "training/v1/part-1.bin")


def test_create_only_upload_refuses_to_replace_a_key(aws: tuple[Any, Any, str]) -> None:
    from botocore.exceptions import ClientError

    s3, _, _ = aws
    manifests.upload_artifact(s3, "ztai-test-training-123456789012", "models/v1/model.bin", b"m", create_only=True)
    with pytest.raises(ClientError) as refused:
        manifests.upload_artifact(s3, BUCKET, "models/v1/model.bin", b"swapped", create_only=True)
    assert refused.value.response["Error"]["Code"] in ("PreconditionFailed", "412")


def test_the_uploader_signs_the_sha256_of_its_payload() -> None:
    """What botocore really sends (captured before the wire): the platform's uploader signs a hex SHA-256 payload
    hash and the S3 checksum; a default put_object streams an unsigned trailer, which the bucket policies refuse."""
    import hashlib

    from blueprint.drill.platform import sdk_upload_headers

    default = sdk_upload_headers(lambda s3: s3.put_object(Bucket=BUCKET, Key="k", Body=b"payload"))
    platform = sdk_upload_headers(lambda s3: manifests.upload_artifact(s3, BUCKET, "k", b"payload", create_only=True))
    assert default["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert platform["x-amz-content-sha256"] == hashlib.sha256(b"payload").hexdigest()
    assert platform["x-amz-checksum-sha256"] and platform["if-none-match"] == "*"


def test_artifact_without_checksum_is_refused(aws: tuple[Any, Any, str]) -> None:
    """A producer that pinned a version S3 stored without a SHA-256 checksum: the consumer refuses it."""
    s3, kms, key_id = aws
    version = s3.put_object(Bucket=BUCKET, Key="training/v1/part-2.bin", Body=b"rows 2")["VersionId"]  # no checksum
    artifact = manifests.Artifact(manifests.sha256_hex(b"rows 2"), version)
    manifest = manifests.build_manifest("training-v1", {"training/v1/part-2.bin": artifact}, producer="etl")
    manifests.publish_manifest(s3, kms, BUCKET, "training/v1/manifest.json", manifest, key_id)
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
        manifests.build_manifest("x", {"a": manifests.Artifact("abc", "v1")}, producer="p")
    with pytest.raises(ValueError, match="pinned by its S3 version id"):
        manifests.build_manifest("x", {"a": manifests.Artifact("0" * 64, "")}, producer="p")
