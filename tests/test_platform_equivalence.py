"""Moving the tiers into ``ZeroTrustAiPlatform`` changed logical ids and nothing else.

Every environment's synthesized stack, normalized by :func:`tests.equivalence.normalize` (ids -> construct paths
below the platform construct), equals the normalized output of the last commit before the refactoring, except for
the reviewed changes made since (``tests/fixtures/equivalence/since.yaml``, each with its reason).
"""

from __future__ import annotations

import copy
import difflib
import json

import pytest

from tests import equivalence
from tests.conftest import Synthesized


def _diff(expected: dict, actual: dict) -> str:
    a = json.dumps(expected, indent=1, sort_keys=True).splitlines()
    b = json.dumps(actual, indent=1, sort_keys=True).splitlines()
    return "\n".join(list(difflib.unified_diff(a, b, "before", "after", lineterm="", n=2))[:60])


def test_every_environment_is_unchanged_modulo_ids(synthesized: Synthesized, env_name: str) -> None:
    actual = equivalence.normalize(synthesized.stack(env_name))
    expected = equivalence.baseline(env_name)
    problems = equivalence.differences(expected, actual, equivalence.load_since(), env_name)
    assert not problems, "\n".join(problems[:40]) + "\n" + _diff(expected, actual)


def test_the_refactoring_itself_changed_nothing_but_ids() -> None:
    """Commit 00e171c (the refactoring) added no entry: every reviewed change came later, with its reason."""
    since = equivalence.load_since()
    for kind in ("added", "changed", "removed"):
        for entry in since.get(kind) or []:
            assert entry.get("since") and entry["since"] != "00e171c", entry


def test_every_resource_lives_below_the_platform_construct(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    paths = [body["//"]["metadata"]["path"] for section in ("resource", "data")
             for bodies in stack.get(section, {}).values() for body in bodies.values()]
    assert len(paths) > 200
    assert all(path.startswith(f"{env_name}/platform/") for path in paths), sorted(
        p for p in paths if not p.startswith(f"{env_name}/platform/"))[:5]


@pytest.mark.parametrize("change", ["property", "reference", "resource"])
def test_the_comparison_sees_a_change(synthesized: Synthesized, change: str) -> None:
    stack = copy.deepcopy(synthesized.stack("dev"))
    buckets = stack["resource"]["aws_s3_bucket"]
    logical = sorted(buckets)[0]
    if change == "property":
        buckets[logical]["force_destroy"] = not buckets[logical].get("force_destroy", False)
    elif change == "reference":
        # the versioning of the first bucket now points at the second (same resources, one reference moved)
        versioning = next(body for body in stack["resource"]["aws_s3_bucket_versioning"].values()
                          if body["bucket"] == f"${{aws_s3_bucket.{logical}.id}}")
        versioning["bucket"] = f"${{aws_s3_bucket.{sorted(buckets)[1]}.id}}"
    else:
        del buckets[logical]
    assert equivalence.differences(equivalence.baseline("dev"), equivalence.normalize(stack), {})


def test_a_reviewed_entry_covers_exactly_its_resource_and_properties(synthesized: Synthesized) -> None:
    stack = copy.deepcopy(synthesized.stack("dev"))
    versioning = stack["resource"]["aws_s3_bucket_versioning"]
    logical = sorted(versioning)[0]
    versioning[logical]["expected_bucket_owner"] = "222222222222"
    name = equivalence.normalize(stack)["resource"]["aws_s3_bucket_versioning"]
    resource = next(f"aws_s3_bucket_versioning.{n}" for n, body in name.items()
                    if body.get("expected_bucket_owner") == "222222222222")
    entry = {"resource": resource, "properties": ["expected_bucket_owner"], "reason": "x" * 20}
    after = equivalence.normalize(stack)
    reviewed = equivalence.load_since()  # the changes already reviewed stay reviewed
    changed = list(reviewed.get("changed") or [])
    assert not equivalence.differences(equivalence.baseline("dev"), after, {**reviewed, "changed": [*changed, entry]},
                                       "dev")
    assert equivalence.differences(equivalence.baseline("dev"), after, {
        **reviewed, "changed": [*changed, {**entry, "properties": ["versioning_configuration"]}]}, "dev")


def test_an_entry_scoped_to_other_environments_excuses_nothing(synthesized: Synthesized) -> None:
    """Entries with ``environments`` (the organisation perimeter: member accounts only) leave every other stack to
    the baseline: the same change in ``local`` is reported."""
    stack = copy.deepcopy(synthesized.stack("local"))
    endpoints = stack["resource"]["aws_vpc_endpoint"]
    logical = sorted(endpoints)[0]
    endpoints[logical]["policy"] = endpoints[logical]["policy"].replace("Allow", "Deny")
    actual = equivalence.normalize(stack)
    name = next(n for n in actual["resource"]["aws_vpc_endpoint"] if actual["resource"]["aws_vpc_endpoint"][n]
                != equivalence.baseline("local")["resource"]["aws_vpc_endpoint"].get(n))
    reviewed = equivalence.load_since()
    scoped = {**reviewed, "changed": [*(reviewed.get("changed") or []), {
        "resource": f"aws_vpc_endpoint.{name}", "properties": ["policy"], "environments": ["prod"],
        "reason": "a change reviewed for prod only, not for local"}]}
    assert equivalence.differences(equivalence.baseline("local"), actual, scoped, "local") == [
        f"changed without a reviewed entry: aws_vpc_endpoint.{name} ['policy']"]
    assert equivalence.differences(equivalence.baseline("local"), actual, scoped, "prod") == []
