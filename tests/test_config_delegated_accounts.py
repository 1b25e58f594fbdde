"""An environment's delegated_accounts (the organization's log-archive and security-tooling accounts) against the
organization file: each bad combination gives one clear message (file, field, value, fix), exit 2 and nothing
written; the shipped files hand the organization stack its delegating environments."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks import synth
from stacks.config import emulator_gaps
from stacks.config.loader import load_selection

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = PROJECT_ROOT / "environments"
Mutation = Callable[[dict[str, dict[str, Any]]], None]  # file stem -> its data


def _edit(stem: str, change: Callable[[dict[str, Any]], None], *, only_prod_delegates: bool = False) -> Mutation:
    """``only_prod_delegates``: staging stays single-account, so a problem of the organization's accounts is
    reported once (for prod) rather than for each delegating environment."""
    def mutate(files: dict[str, dict[str, Any]]) -> None:
        change(files[stem])
        if only_prod_delegates:
            del files["staging"]["delegated_accounts"]
    return mutate


# (case id, mutation, the file the single message starts with, substrings it must contain)
CASES: list[tuple[str, Mutation, str, list[str]]] = [
    ("log-archive-is-another-account",
     _edit("prod", lambda d: d["delegated_accounts"].update(log_archive="555555555554")), "prod",
     ["delegated_accounts.log_archive = '555555555554'", "security_accounts.log_archive.account_id is "
      "\"555555555555\"", "Fix: set it to \"555555555555\""]),
    ("security-tooling-is-another-account",
     _edit("staging", lambda d: d["delegated_accounts"].update(security_tooling="666666666665")), "staging",
     ["delegated_accounts.security_tooling = '666666666665'", "does not prepare",
      "Fix: set it to \"666666666666\""]),
    ("organization-has-no-id-for-the-log-archive",
     _edit("organization", lambda d: d["security_accounts"]["log_archive"].pop("account_id"),
           only_prod_delegates=True), "prod",
     ["delegated_accounts.log_archive = '555555555555'", "environments/organization.yaml has no "
      "security_accounts.log_archive with an account_id", "Fix: add security_accounts.log_archive"]),
    ("organization-has-no-security-tooling-account",
     _edit("organization", lambda d: d["security_accounts"].pop("security_tooling"), only_prod_delegates=True),
     "prod",
     ["delegated_accounts.security_tooling = '666666666666'", "has no security_accounts.security_tooling"]),
    ("environment-outside-every-organization",
     _edit("dev", lambda d: d.update(delegated_accounts={"log_archive": "555555555555"})), None,
     []),  # dev IS a member: accepted (see test_a_member_may_delegate_one_account_only)
    ("delegates-nothing", _edit("prod", lambda d: d.update(delegated_accounts={})), "prod",
     ["delegated_accounts = {}", "names no account", "Fix: name log_archive and/or security_tooling"]),
    ("the-emulator-delegates",
     _edit("local", lambda d: d.update(delegated_accounts={"log_archive": "555555555555"})), "local",
     ["delegated_accounts", "the emulator cannot run the delegated layout", "random ids",
      f"'{emulator_gaps.DELEGATED_ACCOUNTS_NAME}'", "Fix: remove delegated_accounts from the emulator environment"]),
    ("access-role-is-a-pattern",
     _edit("organization", lambda d: d["security_accounts"].update(access_role_name="OrganizationAccess*")),
     "organization", ["security_accounts.access_role_name = 'OrganizationAccess*'", "is a pattern",
                      "Fix: name the role, e.g. OrganizationAccountAccessRole"]),
]
BAD = [case for case in CASES if case[2] is not None]


def _project(tmp_path: Path, mutation: Mutation, *, drop: tuple[str, ...] = ()) -> Path:
    envs = tmp_path / "environments"
    envs.mkdir()
    files = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in ENVIRONMENTS.glob("*.yaml")}
    mutation(files)
    for stem, data in files.items():
        if stem not in drop:
            (envs / f"{stem}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    shutil.copytree(ENVIRONMENTS / "pki", envs / "pki")
    return tmp_path


@pytest.mark.parametrize(("case_id", "mutation", "stem", "expected"), BAD, ids=[c[0] for c in BAD])
def test_bad_delegation_is_reported_with_file_field_value_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    case_id: str, mutation: Mutation, stem: str, expected: list[str],
) -> None:
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    monkeypatch.delenv(synth.ENV_SELECTION, raising=False)
    project = _project(tmp_path, mutation)
    code = synth.main(project_root=project)
    err = capsys.readouterr().err
    assert code == 2, err
    problems = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1, err
    (message,) = problems
    assert message.startswith(f"  - environments/{stem}.yaml: "), message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "Traceback" not in err
    assert sorted(p.name for p in project.iterdir()) == ["environments"], "nothing but the input may exist"


def test_an_environment_no_organization_names_cannot_delegate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the organization file nobody builds the archive the environment would deliver to."""
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    monkeypatch.delenv(synth.ENV_SELECTION, raising=False)
    project = _project(tmp_path, lambda files: None, drop=("organization",))
    assert synth.main(project_root=project) == 2
    problems = [line for line in capsys.readouterr().err.splitlines() if line.startswith("  - ")]
    assert [p.split(": delegated_accounts = ")[0] for p in problems] == [
        "  - environments/prod.yaml", "  - environments/staging.yaml"], problems
    for message in problems:
        assert "no cloud organization file names" in message and "Fix: add " in message, message
    assert sorted(p.name for p in project.iterdir()) == ["environments"]


def test_a_member_may_delegate_one_account_only(tmp_path: Path) -> None:
    (case,) = [c for c in CASES if c[0] == "environment-outside-every-organization"]
    project = _project(tmp_path, case[1])
    selection = load_selection(project / "environments", display_root=project)
    dev = next(e for e in selection.environments if e.name == "dev")
    assert dev.organization is not None
    assert (dev.organization.log_archive_account_id, dev.organization.security_tooling_account_id) == (
        "555555555555", None)
    (organization,) = [o for o in selection.organizations if o.name == "organization"]
    assert [(d.environment, d.log_archive, d.security_tooling) for d in organization.delegations] == [
        ("dev", True, False), ("prod", True, True), ("staging", True, True)]


def test_the_shipped_files_delegate_staging_and_prod() -> None:
    selection = load_selection(ENVIRONMENTS, display_root=PROJECT_ROOT)
    members = {e.name: e.organization for e in selection.environments}
    assert members["local"] is None  # the emulator: single-account
    assert members["dev"] is not None and members["dev"].log_archive_account_id is None  # a member, its own archive
    for name in ("staging", "prod"):
        member = members[name]
        assert member is not None
        assert (member.log_archive_account_id, member.security_tooling_account_id) == ("555555555555",
                                                                                       "666666666666")
    by_name = {o.name: o for o in selection.organizations}
    assert by_name["organization-local"].delegations == []
    delegations = {d.environment: d for d in by_name["organization"].delegations}
    assert sorted(delegations) == ["prod", "staging"]
    environments = {e.name: e.config for e in selection.environments}
    for name, delegation in delegations.items():
        assert delegation.account_id == environments[name].account_id
        assert delegation.region == environments[name].region
        assert delegation.object_lock_days == environments[name].logging.archive_object_lock_days


def test_the_message_names_an_emulator_gap_that_exists() -> None:
    """The config's message points at the gap by its name: the entry exists, is listed, and says why."""
    gap = emulator_gaps.DELEGATED_ACCOUNTS
    assert gap in emulator_gaps.GAPS and gap.control.startswith(emulator_gaps.DELEGATED_ACCOUNTS_NAME)
    for reason in ("random id", "adopt", "not such a member", "organization configuration"):
        assert reason in gap.gap
