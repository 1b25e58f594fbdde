"""The Python-side construct index (zero_trust_ai.base) also works in a stack this library did not create."""

from __future__ import annotations

from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from zero_trust_ai.platform_key import PlatformKey, PlatformKeyProps


class UsersOwnStack(TerraformStack):
    """Stands for a user's stack: no construct_index of its own."""


def _props(alias: str) -> PlatformKeyProps:
    return PlatformKeyProps(alias=alias, description="a key of the user's", account_id="111111111111")


def test_every_construct_in_a_foreign_stack_records_into_one_index(tmp_path: object) -> None:
    app = App(outdir=str(tmp_path))
    stack = UsersOwnStack(app, "users-stack")
    AwsProvider(stack, "aws", region="eu-west-1")
    first = PlatformKey(stack, "first", props=_props("alias/first"))
    holder = Construct(stack, "plain_holder")  # a plain construct between the stack and the next key
    second = PlatformKey(holder, "second", props=_props("alias/second"))
    assert first.construct_index is second.construct_index is stack.construct_index  # type: ignore[attr-defined]
    index = first.construct_index
    assert index["users-stack"]["class"].endswith("UsersOwnStack")
    assert index["users-stack/first"]["source"] == "constructs/zero_trust_ai/platform_key.py"
    assert "users-stack/plain_holder/second" in index
    assert second.construct_path == "users-stack/plain_holder/second"
