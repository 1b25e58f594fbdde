"""delegated_accounts in the emulator environment: one clear message (file, field, value, fix, the emulator gap by
name), exit 2 and nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks import synth
from stacks.config import emulator_gaps

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL = yaml.safe_load((PROJECT_ROOT / "environments" / "local.yaml").read_text(encoding="utf-8"))


def _the_one_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                     document: dict[str, Any]) -> str:
    """Synthesize a project whose only file is ``document`` as environments/local.yaml: exit 2, exactly one problem
    (returned), naming the file, and nothing written but the input (no cdktf.out)."""
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    monkeypatch.delenv(synth.ENV_SELECTION, raising=False)
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / "local.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    code = synth.main(project_root=tmp_path)
    err = capsys.readouterr().err
    assert code == 2, err
    problems = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1, err
    assert "environments/local.yaml:" in problems[0]
    assert list(tmp_path.iterdir()) == [envs], "nothing but the input may exist"
    return problems[0]


@pytest.mark.parametrize("delegated", [{"log_archive": "555555555555"}, {"security_tooling": "666666666666"},
                                       {"log_archive": "555555555555", "security_tooling": "666666666666"}],
                         ids=["log-archive", "security-tooling", "both"])
def test_the_emulator_refuses_delegated_accounts(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch, delegated: dict[str, str]) -> None:
    message = _the_one_problem(tmp_path, capsys, monkeypatch, {**LOCAL, "delegated_accounts": delegated})
    for fragment in ("delegated_accounts", *delegated.values(), "the emulator cannot run the delegated layout",
                     f"'{emulator_gaps.DELEGATED_ACCOUNTS_NAME}'", "Fix: remove delegated_accounts"):
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_the_message_names_an_emulator_gap_that_exists() -> None:
    """The config's message points at the gap by its name: the entry exists, is listed, and says why."""
    gap = emulator_gaps.DELEGATED_ACCOUNTS
    assert gap in emulator_gaps.GAPS and gap.control.startswith(emulator_gaps.DELEGATED_ACCOUNTS_NAME)
    for reason in ("random id", "adopt", "not such a member", "organization configuration"):
        assert reason in gap.gap
