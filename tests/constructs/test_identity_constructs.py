"""WorkloadRole, PersonaRole and PlatformIdentities alone: trust conditions, boundary, MFA, session ceiling;
refusal of missing source conditions, unknown personas and long sessions."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from construct_testing import ACCOUNT, REGION, by_sid, one, policy, resources, statements, synth
from constructs import Construct
from pydantic import ValidationError

from zero_trust_ai.persona_role import HumanFederation, PersonaRoleProps
from zero_trust_ai.personas import PERSONA_NAMES
from zero_trust_ai.platform_identities import PERSONAS, PlatformIdentities, PlatformIdentitiesProps
from zero_trust_ai.workload_role import WorkloadRole, WorkloadRoleProps

FEDERATION = HumanFederation(saml_provider_arn=f"arn:aws:iam::{ACCOUNT}:saml-provider/test-idp")
ROLE: dict[str, Any] = {"role_name": "test-job", "grant_name": "TestJob", "service": "batch.amazonaws.com",
                        "account_id": ACCOUNT, "description": "a test workload"}


def test_workload_role_trusts_one_service_with_source_conditions() -> None:
    stack = synth(lambda scope: WorkloadRole(scope, "role", props=WorkloadRoleProps(
        **ROLE, source_arn_pattern=f"arn:aws:batch:{REGION}:{ACCOUNT}:*")))
    role = one(stack, IamRole.TF_RESOURCE_TYPE)
    assert role["max_session_duration"] == 3600
    (trust,) = statements(policy(role, "assume_role_policy"))
    assert trust["Principal"] == {"Service": "batch.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:batch:{REGION}:{ACCOUNT}:*"}


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({}, "source_arn_pattern is required"),
    ({"source_arn_opt_out_reason": "no SourceArn"}, "opt-out reason"),
    ({"source_arn_pattern": "arn:aws:batch:*", "max_session_duration": 7200}, "one-hour ceiling"),
    ({"source_arn_pattern": "arn:aws:batch:*", "max_session_duration": 600}, "below the AWS minimum"),
])
def test_workload_role_refuses(overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as error:
        WorkloadRoleProps(**ROLE, **overrides)
    assert fragment in str(error.value)


@pytest.fixture(scope="module")
def identities_stack() -> dict[str, Any]:
    def build(scope: Construct) -> None:
        PlatformIdentities(scope, "identities", props=PlatformIdentitiesProps(
            name_prefix="test", region=REGION, account_id=ACCOUNT, federation=FEDERATION,
            idp_groups={name: f"group-{name}" for name in PERSONA_NAMES}))

    return synth(build)


def test_one_role_per_persona_each_bounded_and_saml_only(identities_stack: dict[str, Any]) -> None:
    roles = resources(identities_stack, IamRole.TF_RESOURCE_TYPE)
    assert sorted(role["tags"]["ztai:persona"] for role in roles) == sorted(PERSONA_NAMES)
    assert tuple(PERSONAS) == PERSONA_NAMES
    for role in roles:
        assert role["permissions_boundary"].startswith("${aws_iam_policy.")
        assert role["max_session_duration"] <= 3600
        for trust in statements(policy(role, "assume_role_policy")):
            assert trust["Principal"] == {"Federated": FEDERATION.saml_provider_arn}
            assert trust["Condition"]["StringEquals"] == {"SAML:aud": "https://signin.aws.amazon.com/saml"}
        first = next(iter(statements(policy(role, "assume_role_policy"))))
        assert first["Condition"]["Null"] == {"sts:SourceIdentity": "false"}


def test_boundaries_deny_sessions_without_the_idps_mfa_tag(identities_stack: dict[str, Any]) -> None:
    boundaries = resources(identities_stack, IamPolicy.TF_RESOURCE_TYPE)
    assert len(boundaries) == 2
    for boundary in boundaries:
        deny = by_sid(policy(boundary), "OnlyMfaSessionsOfTheIdentityProvider")
        assert deny["Effect"] == "Deny" and deny["Action"] == "*"
        assert deny["Condition"] == {"StringNotEquals": {"aws:PrincipalTag/ztai-mfa": "true"}}
        assert by_sid(policy(boundary), "NeverEscalateOrEscape")["Effect"] == "Deny"


@pytest.mark.parametrize(("groups", "fragment"), [
    ({name: "g" for name in PERSONA_NAMES if name != "break_glass"}, "missing for persona(s) ['break_glass']"),
    ({**{name: "g" for name in PERSONA_NAMES}, "intern": "g"}, "unknown persona(s) ['intern']"),
])
def test_platform_identities_refuse_an_incomplete_persona_map(groups: dict[str, str], fragment: str) -> None:
    with pytest.raises(ValidationError, match="idp_groups") as error:
        PlatformIdentitiesProps(name_prefix="test", region=REGION, account_id=ACCOUNT, federation=FEDERATION,
                                idp_groups=groups)
    assert fragment in str(error.value)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"max_session_duration": 43200}, "max_session_duration"),
    ({"idp_group": ""}, "idp_group"),
])
def test_persona_role_refuses(overrides: dict[str, Any], field: str) -> None:
    props = {"role_name": "test-person", "grant_name": "Person", "persona": "data_engineer", "federation": FEDERATION,
             "idp_group": "people", "description": "a test persona", **overrides}
    with pytest.raises(ValidationError, match=field):
        PersonaRoleProps(**props)


def test_federation_refuses_a_non_saml_provider() -> None:
    with pytest.raises(ValidationError, match="saml_provider_arn"):
        HumanFederation(saml_provider_arn=f"arn:aws:iam::{ACCOUNT}:oidc-provider/example.com")
