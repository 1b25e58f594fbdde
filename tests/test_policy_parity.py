"""blueprint.drill.policy_eval agrees with an independent IAM evaluator (@cloud-copilot/iam-simulate, a test-only npm
devDependency, AGPL) on a corpus: the hand-written cases of every semantic point, and a matrix generated from every
synthesized environment's policies (tests/parity/matrix.py). The red-team drill's evaluated attempts are compared
in tests/test_deploy_e2e.py. Every disagreement fails unless tests/parity/known_differences.yaml explains it."""

from __future__ import annotations

import collections

import pytest

from blueprint.drill import policy_eval
from tests.conftest import ENVIRONMENTS, Synthesized
from tests.parity import drill_corpus, hand_cases, harness, matrix
from tests.resolved_policies import resolve_stack


@pytest.fixture(scope="module")
def corpus(synthesized: Synthesized) -> dict[str, list[harness.Case]]:
    assert harness.simulator_available(), "node_modules/@cloud-copilot/iam-simulate missing: run scripts/setup.sh"
    parts: dict[str, list[harness.Case]] = {"hand": list(hand_cases.CASES)}
    for env in ENVIRONMENTS:
        stack = resolve_stack(synthesized.stack(env), synthesized.environments[env].config, env)
        parts[env] = matrix.cases(stack)
    return parts


@pytest.fixture(scope="module")
def ours(corpus: dict[str, list[harness.Case]]) -> dict[str, str]:
    return {case.id: harness.ours(case) for part in corpus.values() for case in part}


def test_the_matrix_covers_the_platform(corpus: dict[str, list[harness.Case]], ours: dict[str, str]) -> None:
    for env in ENVIRONMENTS:
        kinds = collections.Counter(case.id.split("/")[2] for case in corpus[env])
        assert set(kinds) == {"s3", "kms", "trust", "resource"}, (env, kinds)
        results = collections.Counter(ours[case.id] for case in corpus[env] if "/s3/" in case.id)
        assert results["Allowed"] and results["ExplicitlyDenied"] and results["ImplicitlyDenied"], (env, results)
        via_endpoint = [c for c in corpus[env] if "/s3/" in c.id and c.endpoint_policies]
        assert via_endpoint and all("aws:SourceVpce" in c.request.context for c in via_endpoint), env


def test_agrees_with_iam_simulate(corpus: dict[str, list[harness.Case]], ours: dict[str, str]) -> None:
    cases = [case for part in corpus.values() for case in part]
    comparison = harness.compare(cases, harness.known_differences(), mine=ours)
    sizes = {name: len(part) for name, part in corpus.items()}
    print(f"\npolicy parity: {comparison.total} cases {sizes}, {len(comparison.explained)} known differences")
    assert not comparison.unexplained, (
        f"{len(comparison.unexplained)} of {comparison.total} cases disagree (explain each in "
        f"tests/parity/known_differences.yaml or fix the evaluator):\n"
        + "\n".join(str(d) for d in comparison.unexplained[:40])
    )
    assert not comparison.unused, f"stale known differences (no longer disagree): {[k.id for k in comparison.unused]}"


def test_recorded_evaluations_replay_in_the_simulator() -> None:
    """What the e2e drill parity does with the drill's evaluations, here with the hand-written cases."""
    explained = {k.id for k in harness.known_differences()}
    with policy_eval.recording() as entries:
        for case in hand_cases.CASES:
            if case.id not in explained:
                policy_eval.evaluate(case.request, **case.kwargs())
    comparison = drill_corpus.compare(entries)
    # the register also explains differences of other corpora (the delegated archive's drill): count only the
    # hand-written cases it does not explain, each of which was replayed
    assert comparison.total == len([case for case in hand_cases.CASES if case.id not in explained])
    assert not comparison.unexplained, "\n".join(str(d) for d in comparison.unexplained)
