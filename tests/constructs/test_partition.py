"""The constructs write aws-partition ARNs, so their props refuse a region of another partition."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from zero_trust_ai.platform import ZeroTrustAiPlatformProps
from zero_trust_ai.validation import PlatformRegion, partition_of


@pytest.mark.parametrize(("region", "partition"), [
    ("eu-west-1", "aws"), ("us-east-1", "aws"), ("ap-southeast-7", "aws"), ("cn-north-1", "aws-cn"),
    ("us-gov-west-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"),
])
def test_partition_of_follows_the_region_name(region: str, partition: str) -> None:
    assert partition_of(region) == partition


@pytest.mark.parametrize("region", ["cn-northwest-1", "us-gov-east-1"])
def test_a_region_of_another_partition_is_refused(region: str) -> None:
    with pytest.raises(ValidationError, match=r"is in partition aws-[a-z-]+; the constructs write ARNs"):
        TypeAdapter(PlatformRegion).validate_python(region)


def test_the_platform_props_validate_their_region() -> None:
    with pytest.raises(ValidationError) as raised:
        ZeroTrustAiPlatformProps.model_validate({"region": "us-gov-west-1"})
    region_errors = [e for e in raised.value.errors() if e["loc"] == ("region",)]
    assert len(region_errors) == 1 and "partition aws-us-gov" in region_errors[0]["msg"]
    with pytest.raises(ValidationError) as still:
        ZeroTrustAiPlatformProps.model_validate({"region": "eu-west-1"})
    assert not [e for e in still.value.errors() if e["loc"] == ("region",)]  # the other fields are what is missing
