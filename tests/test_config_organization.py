"""Bad organization files (environments/organization*.yaml): each gives one clear message (file, field, value, fix),
exit 2 and nothing written -- the same edge as the workload environments, dispatched by file name."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks import synth
from stacks.config.loader import is_organization_file, load_all, load_selection
from stacks.config.model import OrganizationConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = PROJECT_ROOT / "environments"
GOOD = yaml.safe_load((ENVIRONMENTS / "organization.yaml").read_text(encoding="utf-8"))
GOOD_LOCAL = yaml.safe_load((ENVIRONMENTS / "organization-local.yaml").read_text(encoding="utf-8"))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        del node[last]
    return mutate


# (case id, file name, mutation of the shipped file or raw text, substrings the single message must contain)
CASES: list[tuple[str, str, Any, list[str]]] = [
    ("unknown-top-level-field", "organization", _set("guardrail", {}),
     ["guardrail = {}", "unknown field", "Fix: remove it or correct the spelling", "guardrails"]),
    ("unknown-nested-field", "organization", _set("guardrails.allowed_region", ["eu-west-1"]),
     ["guardrails.allowed_region", "unknown field", "allowed_regions"]),
    ("missing-allowed-regions", "organization", _delete("guardrails.allowed_regions"),
     ["guardrails.allowed_regions = (missing)", "required field is missing", "Fix: add this field"]),
    ("region-that-does-not-exist", "organization", _set("guardrails.allowed_regions", ["eu-west-1", "eu-west-9"]),
     ["guardrails.allowed_regions[1]", "'eu-west-9'", "is not a region", "Fix: use an existing region"]),
    ("workload-region-not-allowed", "organization", _set("guardrails.allowed_regions", ["eu-central-1"]),
     ["guardrails.allowed_regions", "['eu-central-1']",
      "environments/dev.yaml, environments/prod.yaml, environments/staging.yaml run in eu-west-1",
      "region allow-list would deny",
      "Fix: add eu-west-1 to allowed_regions"]),
    ("organization-in-another-partition", "organization", _set("region", "cn-north-1"),
     ["region", "'cn-north-1'", "in partition aws-cn", "Fix: deploy to a region of partition aws"]),
    ("workload-account-mismatch", "organization", _set("workloads.dev.account_id", "999999999998"),
     ["workloads.dev.account_id", "'999999999998'", "deploys to account 111111111111",
      "Fix: set it to \"111111111111\""]),
    ("workload-without-environment-file", "organization",
     _set("workloads.qa", {"account_id": "777777777777", "name": "qa", "email": "qa@example.com"}),
     ["workloads.qa", "'qa'", "no environment file environments/qa.yaml", "Fix: name an environment"]),
    ("cloud-workload-without-account-id", "organization", _delete("workloads.dev.account_id"),
     ["workloads.dev.account_id", "has no account_id", "Fix: set account_id to the account_id of "
      "environments/dev.yaml"]),
    ("workload-in-the-management-account", "organization", _set("management_account_id", "111111111111"),
     ["workloads.dev.account_id", "'111111111111'", "is the management account", "never apply",
      "Fix: use a member account"]),
    ("account-in-two-places", "organization", _set("security_accounts.log_archive.account_id", "222222222222"),
     ["security_accounts.log_archive.account_id", "'222222222222'", "is also workloads.staging",
      "Fix: give each environment"]),
    ("email-used-twice", "organization", _set("security_accounts.security_tooling.email", "aws+ztai-dev@example.com"),
     ["security_accounts.security_tooling.email", "is also used by workloads.dev", "Fix: give every account"]),
    ("emulator-section-in-the-cloud-organization", "organization",
     _set("emulator", {"endpoint": "http://127.0.0.1:5055"}),
     ["emulator", "refused for an organization with a real account", "management_account_id is '444444444444'",
      "Fix: remove the emulator section"]),
    ("local-state-for-the-cloud-organization", "organization", _set("backend", {"type": "local"}),
     ["backend.type", "only allowed for the emulator organization", "Fix: configure backend"]),
    ("break-glass-matches-every-role", "organization", _set("guardrails.break_glass_role_names", ["*"]),
     ["guardrails.break_glass_role_names[0]", "'*'", "exempt everyone", "Fix: name the roles"]),
    ("nobody-deploys", "organization", _set("guardrails.deployer_role_names", []),
     ["guardrails.deployer_role_names", "[]", "nobody could ever", "Fix: name at least one role"]),
    ("role-name-with-a-path", "organization", _set("guardrails.protected_role_names", ["team/ztai-*"]),
     ["guardrails.protected_role_names[0]", "'team/ztai-*'", "Fix: use a value matching"]),
    ("too-many-global-actions", "organization",
     _set("guardrails.global_service_actions", [f"svc{i}:*" for i in range(61)]),
     ["guardrails.global_service_actions", "Fix: change the length", "at most 60"]),
    ("perimeter-fences-nothing", "organization", _set("data_perimeter.services", []),
     ["data_perimeter.services", "would protect nothing", "Fix: list services"]),
    ("perimeter-service-rcps-do-not-cover", "organization", _set("data_perimeter.services", ["dynamodb"]),
     ["data_perimeter.services[0]", "'dynamodb'", "Fix: use one of", "'secretsmanager'"]),
    ("trusted-account-not-an-id", "organization", _set("data_perimeter.trusted_accounts", ["partner"]),
     ["data_perimeter.trusted_accounts[0]", "'partner'", "Fix: use a value matching"]),
    ("ou-names-not-distinct", "organization", _set("organizational_units.security", "Workloads"),
     ["organizational_units.workloads", "not distinct", "Fix: give the three OUs different names"]),
    ("bad-organization-id", "organization", _set("existing_organization_id", "org-1"),
     ["existing_organization_id", "'org-1'", "Fix: use a value matching"]),
    ("reserved-tag-prefix", "organization", _set("tags.aws:owner", "me"),
     ["tags.aws:owner", "reserved prefix", "Fix: choose a key without"]),
    ("cloud-organization-lists-the-emulator-environment", "organization",
     _set("workloads.local", {"account_id": "777777777777", "name": "local", "email": "l@example.com"}),
     ["workloads.local", "environments/local.yaml deploys to the emulator", "Fix: list it in "
      "environments/organization-local.yaml"]),
    ("emulator-organization-adopts-an-account", "organization-local",
     _set("workloads.local.account_id", "777777777777"),
     ["emulator", "adopts existing accounts (workloads.local)", "Fix: remove the emulator section",
      "no account_id"]),
    ("emulator-organization-lists-a-cloud-environment", "organization-local",
     _set("workloads.dev", {"name": "dev", "email": "d@example.com"}),
     ["workloads.dev", "environments/dev.yaml deploys to a cloud account", "Fix: list it in "
      "environments/organization.yaml"]),
    ("organization-local-without-emulator", "organization-local", "USE_CLOUD_FILE",
     ["emulator = (missing)", "deploys to the emulator", "Fix: add 'emulator:"]),
    ("malformed-yaml", "organization", "management_account_id: '444444444444'\nguardrails: [unclosed\n",
     ["(YAML at line", "malformed YAML", "Fix: correct the YAML syntax"]),
    ("empty-file", "organization", "", ["(empty file)", "Fix: copy environments/organization.yaml"]),
    ("not-a-mapping", "organization", "- a\n- list\n",
     ["(top level)", "must be a mapping", "Fix: start with 'management_account_id: ...'"]),
]


def _project(tmp_path: Path, name: str, case: Any) -> Path:
    """A project with the shipped workload environments (the organization is cross-checked against them) and the
    one organization file under test."""
    envs = tmp_path / "environments"
    envs.mkdir()
    for env in ("dev", "staging", "prod", "local"):
        shutil.copy(ENVIRONMENTS / f"{env}.yaml", envs / f"{env}.yaml")
    if case == "USE_CLOUD_FILE":
        text = yaml.safe_dump(GOOD)
    elif isinstance(case, str):
        text = case
    else:
        data = yaml.safe_load(yaml.safe_dump(GOOD if name == "organization" else GOOD_LOCAL))
        case(data)
        text = yaml.safe_dump(data)
    (envs / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("case_id", "name", "case", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_organization_is_reported_with_file_field_value_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    case_id: str, name: str, case: Any, expected: list[str],
) -> None:
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    monkeypatch.delenv(synth.ENV_SELECTION, raising=False)
    project = _project(tmp_path, name, case)
    code = synth.main(project_root=project)
    err = capsys.readouterr().err
    assert code == 2
    problems = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1, err
    message = problems[0]
    assert message.startswith(f"  - environments/{name}.yaml: "), message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "Traceback" not in err
    assert sorted(p.name for p in project.iterdir()) == ["environments"], "nothing but the input may exist"


def test_the_shipped_organizations_are_valid_and_dispatched_by_file_name() -> None:
    selection = load_selection(ENVIRONMENTS, display_root=PROJECT_ROOT)
    assert [e.name for e in selection.environments] == ["dev", "local", "prod", "staging"]
    assert sorted(o.name for o in selection.organizations) == ["organization", "organization-local"]
    assert [e.name for e in load_all(ENVIRONMENTS)] == ["dev", "local", "prod", "staging"]
    by_name = {o.name: o.config for o in selection.organizations}
    cloud, emulated = by_name["organization"], by_name["organization-local"]
    assert not cloud.is_emulated and emulated.is_emulated
    assert sorted(cloud.workloads) == ["dev", "prod", "staging"] and sorted(emulated.workloads) == ["local"]
    environments = {e.name: e.config for e in selection.environments}
    for env, account in cloud.workloads.items():
        assert account.account_id == environments[env].account_id  # adopted, the account the environment uses
        assert environments[env].region in cloud.guardrails.allowed_regions
    assert all(account.account_id is None for account in emulated.member_accounts().values())
    assert is_organization_file(Path("organization.yaml")) and is_organization_file(Path("organization-eu.yaml"))
    assert not is_organization_file(Path("organizations.yaml")) and not is_organization_file(Path("dev.yaml"))


def test_selecting_only_the_organization_still_cross_checks_its_environments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ZTAI_ENVIRONMENTS=organization: the environment files it names are read for the cross-checks even though
    they are not synthesized."""
    project = _project(tmp_path, "organization", _set("workloads.prod.account_id", "999999999997"))
    monkeypatch.setenv(synth.ENV_SELECTION, "organization")
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    assert synth.main(project_root=project) == 2
    err = capsys.readouterr().err
    assert "environments/organization.yaml: workloads.prod.account_id = '999999999997'" in err
    selection = load_selection(ENVIRONMENTS, only=["organization"], display_root=PROJECT_ROOT)
    assert selection.environments == [] and [o.name for o in selection.organizations] == ["organization"]


def test_defaults_are_the_documented_ones() -> None:
    config = OrganizationConfig.model_validate({
        "management_account_id": "444444444444", "region": "eu-west-1",
        "workloads": {"dev": {"account_id": "111111111111", "name": "d", "email": "d@example.com"}},
        "guardrails": {"allowed_regions": ["eu-west-1"]},
        "backend": {"type": "s3", "bucket": "zt-ai-platform-tfstate-444444444444", "region": "eu-west-1"},
    })
    units = config.organizational_units
    assert (units.security, units.infrastructure, units.workloads) == ("Security", "Infrastructure", "Workloads")
    guardrails = config.guardrails
    assert guardrails.break_glass_role_names == ["ztai-*-break-glass"]
    assert guardrails.deployer_role_names == ["ztai-platform-deployer"]
    assert "ztai-*-quarantine-*" in guardrails.protected_role_names
    assert "ztai-*-trail-to-cloudwatch" in guardrails.protected_role_names
    assert guardrails.protected_policy_names == ["ztai-*-boundary"]
    assert {"iam:*", "sts:*", "organizations:*", "route53:*", "cloudfront:*", "support:*"} <= set(
        guardrails.global_service_actions)
    assert not {"kms:*", "config:*", "s3:*", "ec2:*"} & set(guardrails.global_service_actions)
    assert config.data_perimeter.services == ["s3", "kms", "sts", "sqs", "secretsmanager"]
    assert config.data_perimeter.trusted_accounts == []
    assert config.existing_organization_id is None and config.emulator is None


def test_an_environment_belongs_to_its_cloud_organization_whatever_the_selection() -> None:
    """The organisation perimeter of a member account is part of its stack: selecting the environment alone
    (ZTAI_ENVIRONMENTS=prod) synthesizes the same stack, so the organization files are read in any case."""
    alone = load_selection(ENVIRONMENTS, only=["prod"], display_root=PROJECT_ROOT)
    everything = {e.name: e for e in load_selection(ENVIRONMENTS, display_root=PROJECT_ROOT).environments}
    (prod,) = alone.environments
    assert alone.organizations == []
    assert prod.organization is not None and prod.organization == everything["prod"].organization
    assert prod.organization.management_account_id == GOOD["management_account_id"]
    assert prod.organization.source == "environments/organization.yaml"
    assert prod.organization.existing_organization_id == GOOD.get("existing_organization_id")
    # the emulated organization makes no member: local's stack runs in the emulator's management account
    assert everything["local"].organization is None


def test_a_broken_organization_file_stops_the_synthesis_of_its_members(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, "organization", _set("existing_organization_id", "org-1"))
    monkeypatch.setenv(synth.ENV_SELECTION, "prod")
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    assert synth.main(project_root=project) == 2
    err = capsys.readouterr().err
    assert "environments/organization.yaml: existing_organization_id = 'org-1'" in err and "Fix: " in err
    assert sorted(p.name for p in project.iterdir()) == ["environments"]


def test_an_environment_in_two_organizations_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, "organization", lambda data: None)
    prod = yaml.safe_load((project / "environments" / "prod.yaml").read_text(encoding="utf-8"))
    del prod["delegated_accounts"]  # delegating to the other organization's accounts would be a second problem
    (project / "environments" / "prod.yaml").write_text(yaml.safe_dump(prod), encoding="utf-8")
    other = yaml.safe_load(yaml.safe_dump(GOOD))
    other["management_account_id"] = "777777777777"
    other["workloads"] = {"prod": other["workloads"]["prod"]}
    other["security_accounts"] = {}
    other["backend"]["bucket"] = "zt-ai-platform-tfstate-777777777777"
    (project / "environments" / "organization-eu.yaml").write_text(yaml.safe_dump(other), encoding="utf-8")
    monkeypatch.delenv(synth.ENV_SELECTION, raising=False)
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    assert synth.main(project_root=project) == 2
    problems = [line for line in capsys.readouterr().err.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1, problems
    (message,) = problems
    for fragment in ("environments/organization.yaml: workloads.prod = 'prod'",
                     "environments/organization-eu.yaml names it too", "member of one organization only",
                     "Fix: keep it in one of the two files"):
        assert fragment in message, message
    assert sorted(p.name for p in project.iterdir()) == ["environments"]
