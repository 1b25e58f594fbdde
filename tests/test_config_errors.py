"""Bad input: each malformed environment gives one clear message (file, field, value, fix), a non-zero
exit and no cdktf.out at all."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks import synth

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GOOD = yaml.safe_load((PROJECT_ROOT / "environments" / "dev.yaml").read_text(encoding="utf-8"))
GOOD_LOCAL = yaml.safe_load((PROJECT_ROOT / "environments" / "local.yaml").read_text(encoding="utf-8"))


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


# (case id, mutation or raw text, substrings the single message must contain)
CASES: list[tuple[str, Any, list[str]]] = [
    ("public-cidr", _set("network.training_vpc_cidr", "8.8.0.0/16"),
     ["network.training_vpc_cidr", "'8.8.0.0/16'", "not a private", "Fix: use a range inside 10.0.0.0/8"]),
    ("invalid-cidr", _set("network.serving_vpc_cidr", "10.300.0.0/16"),
     ["network.serving_vpc_cidr", "'10.300.0.0/16'", "not a valid IPv4 CIDR", "Fix:"]),
    ("host-bits-cidr", _set("network.serving_vpc_cidr", "10.20.0.1/16"),
     ["network.serving_vpc_cidr", "'10.20.0.1/16'", "Fix: write a network address"]),
    ("overlapping-cidrs", _set("network.serving_vpc_cidr", "10.110.128.0/17"),
     ["network.serving_vpc_cidr", "'10.110.128.0/17'", "overlaps training_vpc_cidr", "Fix: pick non-overlapping"]),
    ("vpc-too-large", _set("network.training_vpc_cidr", "10.0.0.0/8"),
     ["network.training_vpc_cidr", "/8", "Fix: choose a prefix length between /16 and /24"]),
    ("subnets-do-not-fit", lambda d: (_set("network.training_vpc_cidr", "10.110.0.0/24")(d),
                                      _set("network.serving_vpc_cidr", "10.120.0.0/24")(d)),
     ["network.subnet_prefix_length", "does not fit", "Fix: use a subnet_prefix_length longer than /24"]),
    ("session-over-one-hour", _set("identity.session_duration_seconds", 7200),
     ["identity.session_duration_seconds", "7200", "one-hour ceiling", "Fix: set it to 3600 or less"]),
    ("unknown-top-level-field", _set("acount_id", "111111111111"),
     ["acount_id", "unknown field", "Fix: remove it or correct the spelling", "account_id"]),
    ("unknown-nested-field", _set("network.trainng_vpc_cidr", "10.1.0.0/16"),
     ["network.trainng_vpc_cidr", "unknown field", "training_vpc_cidr"]),
    ("wrong-type", _set("identity.session_duration_seconds", "an hour"),
     ["identity.session_duration_seconds", "'an hour'", "Fix: use a whole number"]),
    ("mfa-age-cannot-be-checked", _set("identity.mfa_max_age_seconds", 3600),
     ["identity.mfa_max_age_seconds", "carries no aws:MultiFactorAuthAge", "Fix: remove it"]),
    ("missing-persona", _delete("identity.personas.model_deployer"),
     ["identity.personas.model_deployer", "(missing)", "required field is missing", "Fix: add this field"]),
    ("role-principal-for-a-persona", _set("identity.personas.data_engineer.principals",
                                          ["arn:aws:iam::111111111111:role/sso/DataEngineers"]),
     ["identity.personas.data_engineer.principals", "carry no MFA context", "Fix: remove principals, set idp_group"]),
    ("account-root-principal", _set("identity.personas.model_trainer.principals", ["arn:aws:iam::111111111111:root"]),
     ["identity.personas.model_trainer.principals", "carry no MFA context", "Fix: remove principals"]),
    ("saml-provider-of-another-account", _set("identity.federation.provider_arn",
                                              "arn:aws:iam::999999999999:saml-provider/corp-idp"),
     ["identity.federation.provider_arn", "outside account 111111111111", "Fix: create the SAML provider"]),
    ("not-a-saml-provider", _set("identity.federation.provider_arn", "arn:aws:iam::111111111111:role/idp"),
     ["identity.federation.provider_arn", "role/idp", "Fix: use a value matching"]),
    ("missing-idp-group", _set("identity.personas.break_glass", {}),
     ["identity.personas.break_glass.idp_group", "(missing)", "Fix: add this field"]),
    ("short-retention", _set("logging.retention_days", 90),
     ["logging.retention_days", "90", "at least one year", "Fix: use one of 365"]),
    ("non-gpu-instance", _set("training.gpu_instance_types", ["g5.xlarge", "m5.large"]),
     ["training.gpu_instance_types[1]", "'m5.large'", "not a GPU", "Fix:"]),
    ("az-outside-region", _set("availability_zones", ["eu-west-1a", "us-east-1b"]),
     ["availability_zones[1]", "'us-east-1b'", "not in region", "Fix: use zones of eu-west-1"]),
    ("unlocked-state", _set("backend.use_lockfile", False),
     ["backend.use_lockfile", "False", "encrypted and locked", "Fix: set it to true"]),
    ("local-state-outside-emulator", _set("backend", {"type": "local"}),
     ["backend.type", "only allowed for the emulator", "Fix: configure backend"]),
    ("emulated-state-outside-emulator", _set("backend.emulated", True),
     ["backend.emulated", "needs the emulator environment", "Fix: remove backend.emulated"]),
    ("bad-account-id", _set("account_id", "12345"),
     ["account_id", "'12345'", "Fix: use a value matching"]),
    ("no-alert-destination", _set("alerts.email_addresses", []),
     ["alerts.email_addresses", "reach nobody", "Fix: add at least one address"]),
    ("token-ttl-too-long", _set("serving.token_ttl_minutes", 60),
     ["serving.token_ttl_minutes", "60", "Fix:", "15"]),
    ("missing-client-ca-bundle", _set("serving.client_ca_bundle_file", "environments/pki/nope.pem"),
     ["serving.client_ca_bundle_file", "'environments/pki/nope.pem'", "cannot be read", "Fix: point it at a PEM"]),
    ("client-ca-bundle-not-pem", _set("serving.client_ca_bundle_file", "README.md"),
     ["serving.client_ca_bundle_file", "'README.md'", "holds no PEM certificate", "Fix: point it at a PEM"]),
    ("path-leaves-project", _set("serving.client_ca_bundle_file", "../secrets/ca.pem"),
     ["serving.client_ca_bundle_file", "'../secrets/ca.pem'", "leaves the project", "Fix: give a path relative"]),
    ("unknown-serving-operation", _set("serving.callers.model-deployer.operations", ["invoke", "delete-model"]),
     ["serving.callers.model-deployer.operations[1]", "'delete-model'", "Fix:", "update-routing"]),
    ("caller-nobody-can-use", _set("serving.callers", {"batch-scorer": {"operations": ["invoke"]}}),
     ["serving.callers.batch-scorer.persona", "could never get a token", "Fix: set persona"]),
    ("caller-unknown-persona", _set("serving.callers.model-deployer.persona", "data_scientist"),
     ["serving.callers.model-deployer.persona", "'data_scientist'", "Fix:", "model_deployer"]),
    ("no-callers", _set("serving.callers", {}),
     ["serving.callers", "nobody could obtain a token", "Fix: add e.g. callers"]),
    ("bad-private-ca-arn", _set("serving.certificate.certificate_authority_arn", "arn:aws:acm:eu-west-1:1:x"),
     ["certificate_authority_arn", "'arn:aws:acm:eu-west-1:1:x'", "Fix: use a value matching"]),
    ("fleet-min-above-max", _set("serving.inference", {"min_size": 5, "max_size": 2}),
     ["serving.inference.min_size", "5", "larger than max_size", "Fix: set min_size <= max_size"]),
    ("malformed-yaml", "account_id: '111111111111'\nnetwork: [unclosed\n",
     ["(YAML at line", "malformed YAML", "Fix: correct the YAML syntax"]),
    ("duplicate-key", "account_id: '111111111111'\naccount_id: '222222222222'\n",
     ["duplicate key 'account_id'", "line 2", "Fix:"]),
    ("not-a-mapping", "- just\n- a list\n", ["(top level)", "must be a mapping", "Fix:"]),
    ("empty-file", "", ["(empty file)", "Fix: copy environments/dev.yaml"]),
    ("public-emulator-endpoint", None, ["emulator.endpoint", "0.0.0.0", "Fix: use a value matching"]),
    ("unpinned-pipeline-image", _set("training.pipeline.images.features",
                                     "111111111111.dkr.ecr.eu-west-1.amazonaws.com/ztai-dev-pipeline-features:latest"),
     ["training.pipeline.images.features", "'111111111111.dkr.ecr.eu-west-1.amazonaws.com/ztai-dev-pipeline-features"
      ":latest'", "not pinned by digest", "Fix: name the image by its digest: <repository>@sha256:"]),
    ("short-pipeline-digest", _set("training.pipeline.images.release", "ztai-dev-pipeline-release@sha256:abc123"),
     ["training.pipeline.images.release", "'ztai-dev-pipeline-release@sha256:abc123'", "not pinned by digest",
      "Fix: name the image by its digest"]),
    ("missing-pipeline", _delete("training.pipeline"),
     ["training.pipeline", "(missing)", "required field is missing", "Fix: add this field"]),
]


def _write_project(tmp_path: Path, case: Any, name: str = "dev") -> Path:
    envs = tmp_path / "environments"
    envs.mkdir()
    if isinstance(case, str):
        (envs / f"{name}.yaml").write_text(case, encoding="utf-8")
        return tmp_path
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    case(data)
    (envs / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("case_id", "case", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_environment_is_reported_with_file_field_value_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    case_id: str, case: Any, expected: list[str],
) -> None:
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    monkeypatch.delenv(synth.ENV_SELECTION, raising=False)
    name = "dev"
    if case_id == "public-emulator-endpoint":
        data = yaml.safe_load(yaml.safe_dump(GOOD_LOCAL))
        data["emulator"]["endpoint"] = "http://0.0.0.0:5055"
        case, name = yaml.safe_dump(data), "local"
    project = _write_project(tmp_path, case, name)
    code = synth.main(project_root=project)
    err = capsys.readouterr().err
    assert code == 2
    problems = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1, err
    message = problems[0]
    assert f"environments/{name}.yaml:" in message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert not (project / "cdktf.out").exists()
    assert list(project.iterdir()) == [project / "environments"], "nothing but the input may exist"


def test_every_problem_of_every_file_is_reported_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    envs = tmp_path / "environments"
    envs.mkdir()
    good = yaml.safe_dump(GOOD)
    (envs / "dev.yaml").write_text(good, encoding="utf-8")
    bad = yaml.safe_load(good)
    bad["identity"]["session_duration_seconds"] = 43200
    bad["network"]["training_vpc_cidr"] = "100.64.0.0/16"
    (envs / "prod.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    assert synth.main(project_root=tmp_path) == 2
    err = capsys.readouterr().err
    assert "environments/prod.yaml: network.training_vpc_cidr" in err
    assert "environments/prod.yaml: identity.session_duration_seconds" in err
    assert "environments/dev.yaml" not in err
    assert not (tmp_path / "cdktf.out").exists()


def test_unknown_environment_selection_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_project(tmp_path, lambda d: None)
    monkeypatch.setenv(synth.ENV_SELECTION, "dev,qa")
    assert synth.main(project_root=tmp_path) == 2
    err = capsys.readouterr().err
    assert "no environment file for qa" in err and "Fix: choose from dev" in err


def test_bad_environment_file_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _write_project(tmp_path, lambda d: None, name="Prod_EU")
    assert synth.main(project_root=project) == 2
    assert "environments/Prod_EU.yaml" in capsys.readouterr().err


def test_cli_exit_code_and_existing_output_untouched(tmp_path: Path) -> None:
    """The real entry point (`python main.py`, what `cdktf synth` runs): non-zero exit, and an existing
    cdktf.out from an earlier good synth is left exactly as it was."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "environments", project / "environments")
    bad = yaml.safe_load((project / "environments" / "staging.yaml").read_text(encoding="utf-8"))
    bad["network"]["serving_vpc_cidr"] = bad["network"]["training_vpc_cidr"]
    (project / "environments" / "staging.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    previous = project / "cdktf.out" / "stacks" / "dev"
    previous.mkdir(parents=True)
    (previous / "cdk.tf.json").write_text("{\"earlier\": true}", encoding="utf-8")
    runner = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2] + '/constructs'); "
        "sys.path.insert(0, sys.argv[2]); from stacks.synth import main; "
        "sys.exit(main(project_root=Path(sys.argv[1])))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CDKTF_OUTDIR", synth.ENV_SELECTION)}
    result = subprocess.run([sys.executable, "-c", runner, str(project), str(PROJECT_ROOT)], capture_output=True,
                            text=True, env=env, check=False)
    assert result.returncode == 2
    assert "environments/staging.yaml: network.serving_vpc_cidr" in result.stderr
    assert "nothing was synthesized" in result.stderr
    assert (previous / "cdk.tf.json").read_text(encoding="utf-8") == "{\"earlier\": true}"
    assert sorted(p.name for p in (project / "cdktf.out" / "stacks").iterdir()) == ["dev"]


def test_main_py_is_the_entry_point_and_fails_cleanly(tmp_path: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if k != "CDKTF_OUTDIR"}, synth.ENV_SELECTION: "nope",
           "CDKTF_OUTDIR": str(tmp_path / "out")}
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "main.py")], capture_output=True, text=True,
                            env=env, check=False)
    assert result.returncode == 2
    assert "ZTAI_ENVIRONMENTS = 'nope'" in result.stderr
    assert not (tmp_path / "out").exists()
