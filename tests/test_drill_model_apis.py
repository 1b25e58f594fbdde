"""The drill's model-API attempts (issue 19), decided on the synthesized rules of the environment that configures
both model APIs: every verdict as expected, each says how it was decided, and the IAM decisions agree with an
independent evaluator (@cloud-copilot/iam-simulate, tests/parity). Runs without the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from blueprint.drill import model_apis, policy_eval
from blueprint.drill.policy_eval import Decision

EXPECTED = {
    "serving role invokes the configured model with the guardrail, through its endpoint": "ALLOW",
    f"serving role invokes a model not on the list ({model_apis.OTHER_MODEL})": "DENY",
    "serving role invokes the configured model without the guardrail header": "DENY",
    "serving role invokes naming the guardrail's DRAFT instead of its published version": "DENY",
    "serving role's credentials invoke from outside its endpoint (public Bedrock endpoint)": "DENY",
    "the training job role invokes Bedrock (the configuration gives training no model)": "DENY",
    "the training compute job role invokes Bedrock (the configuration gives training no model)": "DENY",
    f"a serving workload resolves a domain not on the allow-list ({model_apis.ATTACKER_DOMAIN})": "DENY",
    f"the inference fleet connects to a domain not on the allow-list ({model_apis.ATTACKER_DOMAIN})": "DENY",
    "the inference fleet resolves an allowed domain (api.openai.com)": "ALLOW",
    "the inference fleet connects to an allowed domain (api.openai.com)": "ALLOW",
    "the inference fleet connects to a subdomain of an allowed suffix (eu.api.mistral.ai)": "ALLOW",
    "a non-egress serving workload (private subnets) connects to an allowed domain": "DENY",
    "a training workload connects to an allowed domain": "DENY",
    "a training workload resolves an allowed domain (its VPC's DNS Firewall has no egress list)": "DENY",
}


@pytest.fixture(scope="module")
def verdicts() -> tuple[list[tuple[str, str, str, str, str]], list[policy_eval.Recorded]]:
    found: list[tuple[str, str, str, str, str]] = []

    def record(attempt: str, expected: str, decision: Decision, how: str = "") -> None:
        found.append((attempt, expected, "ALLOW" if decision.allowed else "DENY", how, decision.reason))

    with policy_eval.recording() as entries:
        model_apis.model_api_attempts(record)
    return found, list(entries)


def test_every_model_api_verdict_is_as_expected_and_says_how(verdicts: Any) -> None:
    found, _ = verdicts
    wrong = [(a, actual, reason) for a, expected, actual, _, reason in found if expected != actual]
    assert wrong == []
    by_attempt = {a.split("): ", 1)[1]: (expected, how) for a, expected, _, how, _ in found}
    for attempt, expected in EXPECTED.items():
        assert by_attempt[attempt][0] == expected, attempt
    envs = {a.split("(", 1)[1].split(")", 1)[0] for a, *_ in found}
    assert envs == {"staging"}
    assert all(how == model_apis.how("staging") and "synthesized rules of staging" in how for *_, how, _ in found)


def test_the_reasons_name_the_control_that_decided(verdicts: Any) -> None:
    found, _ = verdicts
    reasons = {a.split("): ", 1)[1]: reason for a, _, _, _, reason in found}
    assert "NoInvocationWithoutTheGuardrail" in reasons["serving role invokes the configured model without the "
                                                       "guardrail header"]
    assert "endpoint policy" in reasons[f"serving role invokes a model not on the list ({model_apis.OTHER_MODEL})"]
    assert "no route out" in reasons["a non-egress serving workload (private subnets) connects to an allowed domain"]
    assert "aws:drop_established" in reasons[
        f"the inference fleet connects to a domain not on the allow-list ({model_apis.ATTACKER_DOMAIN})"]
    assert "NODATA" in reasons[f"a serving workload resolves a domain not on the allow-list "
                               f"({model_apis.ATTACKER_DOMAIN})"]


def test_the_bedrock_decisions_agree_with_an_independent_evaluator(verdicts: Any) -> None:
    from tests.parity import drill_corpus

    _, entries = verdicts
    assert len(entries) == 7  # one IAM evaluation per Bedrock attempt
    comparison = drill_corpus.compare(entries)
    assert comparison.unexplained == [], comparison.unexplained
