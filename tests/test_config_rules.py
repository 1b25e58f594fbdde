"""Configuration rules the pattern checks alone missed (issue 15, classes 1, 5 and 6).

Every case runs the real entry point (``stacks.synth.main``) in-process on one environment file and
asserts the exact start of the single message the user sees: ``<file>: <field path> = <value>: ``, so a
field path with a union tag in it (``serving.certificate.private_ca...``) or with a part missing fails.

* class 1 -- an ``emulator`` section is refused for an environment with a real account or backend;
* class 5 -- values that match the pattern but cannot work (regions, bucket names, partitions);
* class 6 -- field paths are the paths of the file.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.loaders
import pytest
import yaml

from stacks import synth
from stacks.config.loader import load_all
from stacks.config.model import EMULATOR_ACCOUNT_ID, SUPPORTED_PARTITIONS, EnvironmentConfig
from tests.test_config_errors import GOOD, GOOD_LOCAL

Mutation = Callable[[dict[str, Any]], None]


def _apply(*changes: tuple[str, Any]) -> Mutation:
    """Set (or, with the value ``...``, delete) dotted paths of the parsed file."""

    def mutate(data: dict[str, Any]) -> None:
        for path, value in changes:
            *parents, last = path.split(".")
            node: Any = data
            for part in parents:
                node = node[int(part)] if isinstance(node, list) else node[part]
            if value is ...:
                del node[last]
            else:
                node[last] = copy.deepcopy(value)

    return mutate


def _problems(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: dict[str, Any], name: str) -> list[str]:
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert synth.main(project_root=tmp_path) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == [envs], "nothing but the input may exist"
    return [line[4:] for line in err.splitlines() if line.startswith("  - ")]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("CDKTF_OUTDIR", synth.ENV_SELECTION, synth.ENV_DIR):
        monkeypatch.delenv(variable, raising=False)


# (case id, base file, mutation, exact message start, fragments the message must also contain)
CASES: list[tuple[str, str, Mutation, str, list[str]]] = [
    # -- class 1: a cloud environment can never become an emulator environment ---------------------
    ("emulator-section-copied-into-dev", "dev", _apply(("emulator", GOOD_LOCAL["emulator"])),
     "environments/dev.yaml: emulator = {'endpoint': 'http://127.0.0.1:5055', 'max_retries': 3}: ",
     ["points the provider at 127.0.0.1", "mutual TLS", "code signing", "Security Hub", "deletion protection",
      "account_id is '111111111111'", "the backend is the S3 bucket 'zt-ai-platform-tfstate-111111111111'",
      "Fix: remove the emulator section", f'account_id "{EMULATOR_ACCOUNT_ID}"', "backend {type: local}"]),
    ("emulator-with-the-emulator-account-but-a-real-state-bucket", "dev",
     _apply(("emulator", GOOD_LOCAL["emulator"]), ("account_id", EMULATOR_ACCOUNT_ID)),
     "environments/dev.yaml: emulator = {", ["the backend is the S3 bucket", "Fix: remove the emulator section"]),
    ("emulator-with-local-state-but-a-real-account", "dev",
     _apply(("emulator", GOOD_LOCAL["emulator"]), ("backend", {"type": "local"})),
     "environments/dev.yaml: emulator = {", ["account_id is '111111111111'", "Fix: remove the emulator section"]),
    ("emulator-with-emulated-state-but-a-real-account", "dev",
     _apply(("emulator", GOOD_LOCAL["emulator"]), ("backend.emulated", True)),
     "environments/dev.yaml: emulator = {", ["account_id is '111111111111'", "Fix:"]),
    ("local-environment-given-a-real-account", "local", _apply(("account_id", "444444444444")),
     "environments/local.yaml: emulator = {", ["account_id is '444444444444'", "Fix: remove the emulator section"]),
    ("local-environment-given-a-real-state-bucket", "local",
     _apply(("backend", {"type": "s3", "bucket": "zt-real-state", "region": "us-east-1"})),
     "environments/local.yaml: emulator = {", ["the backend is the S3 bucket 'zt-real-state'", "Fix:"]),
    # -- class 5: values that look right but cannot work --------------------------------------------
    ("region-that-does-not-exist", "dev",
     _apply(("region", "eu-west-4"), ("availability_zones", ["eu-west-4a", "eu-west-4b"])),
     "environments/dev.yaml: region = 'eu-west-4': ",
     ["not a region of the AWS partitions aws, aws-cn, aws-us-gov", "Fix: use an existing region, e.g. eu-west-"]),
    ("gov-region-that-does-not-exist", "dev",
     _apply(("region", "us-gov-north-1"), ("availability_zones", ["us-gov-north-1a", "us-gov-north-1b"])),
     "environments/dev.yaml: region = 'us-gov-north-1': ", ["not a region", "Fix: use an existing region"]),
    ("environment-in-another-partition", "dev",
     _apply(("region", "us-gov-west-1"), ("availability_zones", ["us-gov-west-1a", "us-gov-west-1b"]),
            ("backend.region", "us-gov-west-1")),
     "environments/dev.yaml: region = 'us-gov-west-1': ",
     ["in partition aws-us-gov", "ARNs and service principals of partition aws only",
      "Fix: deploy to a region of partition aws"]),
    ("state-region-that-does-not-exist", "dev", _apply(("backend.region", "us-east-9")),
     "environments/dev.yaml: backend.region = 'us-east-9': ", ["not a region", "Fix:"]),
    ("state-bucket-in-another-partition", "dev", _apply(("backend.region", "cn-north-1")),
     "environments/dev.yaml: backend.region = 'cn-north-1': ",
     ["partition aws-cn", "'eu-west-1' in aws", "Fix: keep the state bucket in a region of partition aws"]),
    ("state-bucket-with-adjacent-periods", "dev", _apply(("backend.bucket", "zt..tfstate")),
     "environments/dev.yaml: backend.bucket = 'zt..tfstate': ", ["two adjacent periods", "Fix: use 3-63"]),
    ("state-bucket-formatted-as-ip-address", "dev", _apply(("backend.bucket", "192.168.10.1")),
     "environments/dev.yaml: backend.bucket = '192.168.10.1': ", ["formatted as an IP address", "Fix:"]),
    ("state-bucket-with-reserved-prefix", "dev", _apply(("backend.bucket", "xn--tfstate")),
     "environments/dev.yaml: backend.bucket = 'xn--tfstate': ", ["prefix S3 reserves", "Fix:"]),
    ("state-bucket-with-reserved-suffix", "dev", _apply(("backend.bucket", "tfstate-s3alias")),
     "environments/dev.yaml: backend.bucket = 'tfstate-s3alias': ", ["suffix S3 reserves", "Fix:"]),
    ("tag-with-a-reserved-prefix", "dev", _apply(("tags.aws:created-by", "me")),
     "environments/dev.yaml: tags.aws:created-by = 'me': ", ["reserved prefix", "Fix: choose a key without"]),
    ("tag-overriding-a-platform-tag", "dev", _apply(("tags.ztai:environment", "prod")),
     "environments/dev.yaml: tags.ztai:environment = 'prod': ", ["reserved prefix", "Fix:"]),
    ("tag-with-characters-aws-refuses", "dev", _apply(("tags.team", "ml#1")),
     "environments/dev.yaml: tags.team = 'ml#1': ", ["characters AWS does not accept", "Fix: use letters"]),
    # -- class 6: the field path is the path in the file ---------------------------------------------
    ("private-ca-arn-without-union-tag", "dev",
     _apply(("serving.certificate.certificate_authority_arn", "arn:aws:acm:eu-west-1:1:x")),
     "environments/dev.yaml: serving.certificate.certificate_authority_arn = 'arn:aws:acm:eu-west-1:1:x': ",
     ["Fix: use a value matching"]),
    ("imported-certificate-path-without-union-tag", "local",
     _apply(("serving.certificate.private_key_file", "../keys/serving.key")),
     "environments/local.yaml: serving.certificate.private_key_file = '../keys/serving.key': ",
     ["leaves the project", "Fix:"]),
    ("unknown-certificate-field", "dev", _apply(("serving.certificate.domain", "x.example.com")),
     "environments/dev.yaml: serving.certificate.domain = 'x.example.com': unknown field. ",
     ["allowed fields here: certificate_authority_arn, domain_name, type"]),
    ("unknown-certificate-type", "dev", _apply(("serving.certificate.type", "acm")),
     "environments/dev.yaml: serving.certificate.type = 'acm': ", ["Fix: set type to one of 'imported', 'private_ca'"]),
    ("missing-certificate-type", "dev", _apply(("serving.certificate.type", ...)),
     "environments/dev.yaml: serving.certificate.type = (missing): ", ["Fix: set type to one of"]),
    ("unknown-backend-type", "dev", _apply(("backend.type", "gcs")),
     "environments/dev.yaml: backend.type = 'gcs': ", ["Fix: set type to one of 's3', 'local'"]),
    ("state-bucket-field-without-union-tag", "dev", _apply(("backend.key_prefix", "a b")),
     "environments/dev.yaml: backend.key_prefix = 'a b': ", ["Fix: use a value matching"]),
    ("caller-named-like-a-union-member-keeps-its-name", "dev",
     _apply(("serving.callers", {"local": {"operations": ["delete"], "persona": "model_deployer"}})),
     "environments/dev.yaml: serving.callers.local.operations[0] = 'delete': ",
     ["Fix: use one of 'invoke' or 'update-routing'"]),
    ("tag-named-like-a-union-member-keeps-its-name", "dev", _apply(("tags.s3", 5)),
     "environments/dev.yaml: tags.s3 = 5: ", ["Fix: use a quoted string"]),
    ("bad-caller-name-is-the-key", "dev",
     _apply(("serving.callers", {"Batch_Scorer": {"operations": ["invoke"], "persona": "model_deployer"}})),
     "environments/dev.yaml: serving.callers.Batch_Scorer = 'Batch_Scorer': the name is not allowed", ["Fix:"]),
    ("non-text-setting-name", "dev", lambda data: data["network"].update({7: "x"}),
     "environments/dev.yaml: network.7 = 7: ", ["must be text, but YAML reads this one as int", "Fix: quote the name"]),
    ("model-check-below-a-list", "dev", _apply(("availability_zones", ["eu-west-1a", "us-east-1b"])),
     "environments/dev.yaml: availability_zones[1] = 'us-east-1b': ", ["not in region", "Fix:"]),
    ("emulator-field-path", "local", _apply(("emulator.max_retries", 50)),
     "environments/local.yaml: emulator.max_retries = 50: ", ["Fix: use a value inside the documented bounds"]),
]


@pytest.mark.parametrize(("case_id", "base", "mutation", "start", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_rule_is_reported_at_the_field_the_user_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
    case_id: str, base: str, mutation: Mutation, start: str, fragments: list[str],
) -> None:
    data = copy.deepcopy(GOOD if base == "dev" else GOOD_LOCAL)
    mutation(data)
    problems = _problems(tmp_path, capsys, data, base)
    assert len(problems) == 1, problems
    message = problems[0]
    assert message.startswith(start), f"{start!r} does not start {message!r}"
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert message.endswith("."), message


# -- class 1: what stays allowed ---------------------------------------------------------------------


def _validate(data: dict[str, Any]) -> EnvironmentConfig:
    return EnvironmentConfig.model_validate(data)


def test_the_emulator_environments_stay_valid() -> None:
    """environments/local.yaml, and the emulated S3 state backend of tests/test_state_backend.py."""
    assert _validate(copy.deepcopy(GOOD_LOCAL)).is_emulated
    emulated_state = copy.deepcopy(GOOD_LOCAL)
    emulated_state["backend"] = {"type": "s3", "bucket": "ztai-local-tfstate-123456789012", "region": "us-east-1",
                                 "emulated": True}
    assert _validate(emulated_state).is_emulated


def test_every_accepted_emulator_environment_has_no_real_account_or_backend(env_name: str) -> None:
    """The rule as an invariant over the shipped files: emulated implies the emulator's account and a
    local or emulated backend (a control is only ever dropped where nothing real is deployed)."""
    loaded = {e.name: e for e in load_all(Path(__file__).resolve().parent.parent / "environments")}
    config = loaded[env_name].config
    if config.is_emulated:
        assert config.account_id == EMULATOR_ACCOUNT_ID
        assert config.backend.type == "local" or getattr(config.backend, "emulated", False)
    else:
        assert config.account_id != EMULATOR_ACCOUNT_ID


# -- class 5: every real region is accepted --------------------------------------------------------------


def _botocore_regions() -> list[str]:
    """Every region of the supported partitions, read through botocore's own data loader (an independent
    path from the configuration's)."""
    loader = botocore.loaders.create_loader()
    regions: set[str] = set()
    for document, key in (("endpoints", "partition"), ("partitions", "id")):
        for partition in loader.load_data(document)["partitions"]:
            if partition[key] in SUPPORTED_PARTITIONS:
                regions.update(r for r in partition["regions"] if not r.endswith("-global"))
    return sorted(regions)


REGIONS = _botocore_regions()


def test_the_region_list_covers_the_three_partitions() -> None:
    for expected in ("eu-west-1", "us-east-1", "ap-southeast-7", "mx-central-1", "cn-north-1", "cn-northwest-1",
                     "us-gov-west-1", "us-gov-east-1"):
        assert expected in REGIONS


@pytest.mark.parametrize("region", REGIONS)
def test_every_region_botocore_knows_is_accepted_in_the_partition_the_constructs_write(region: str) -> None:
    """Every region botocore knows is a region; the platform's own region must also be of partition aws, because
    the constructs write aws-partition ARNs (zero_trust_ai.validation.platform_region)."""
    data = copy.deepcopy(GOOD)
    data["region"] = data["backend"]["region"] = region
    data["availability_zones"] = [f"{region}a", f"{region}b"]
    if region.startswith(("cn-", "us-gov-")):
        with pytest.raises(ValueError, match=r"is in partition aws-(cn|us-gov); the constructs write ARNs"):
            _validate(data)
    else:
        assert _validate(data).region == region


@pytest.mark.parametrize("region", ["eu-west-4", "us-east-3", "cn-south-1", "us-gov-central-1", "ap-south-9"])
def test_a_region_outside_the_partitions_is_refused(region: str) -> None:
    data = copy.deepcopy(GOOD)
    data["region"] = region
    data["availability_zones"] = [f"{region}a", f"{region}b"]
    with pytest.raises(ValueError, match="not a region of the AWS partitions"):
        _validate(data)


def test_bucket_names_that_follow_the_rules_are_accepted() -> None:
    for bucket in ("zt-ai-platform-tfstate-111111111111", "a.b.c", "abc", "x" * 63, "my.state-1"):
        data = copy.deepcopy(GOOD)
        data["backend"]["bucket"] = bucket
        assert _validate(data).backend.bucket == bucket  # type: ignore[union-attr]
