"""Remote state for real: the project's S3 backend (encrypted, S3-native lockfile) against the emulator.

Two applies against one state at the same time must end with one failing cleanly on the lock (or
waiting for it) and the state intact. The backend block is taken from the project's own synthesized
stack; the resource is a built-in `terraform_data` whose provisioner holds the lock for a few seconds.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprint.deploy import emulator, terraform
from blueprint.verify.live import clients
from stacks.config.loader import load_all
from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
STATE_BUCKET = "ztai-local-tfstate-123456789012"


@pytest.fixture(scope="module")
def lock_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    from stacks.synth import synthesize

    root = tmp_path_factory.mktemp("state")
    (root / "environments").mkdir()
    data = yaml.safe_load((PROJECT_ROOT / "environments" / "local.yaml").read_text(encoding="utf-8"))
    endpoint = f"http://127.0.0.1:{emulator.free_port()}"
    data["emulator"]["endpoint"] = endpoint
    data["backend"] = {"type": "s3", "bucket": STATE_BUCKET, "region": "us-east-1", "emulated": True}
    (root / "environments" / "local.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    synthesize(load_all(root / "environments"), root / "cdktf.out")
    backend = json.loads((root / "cdktf.out" / "stacks" / "local" / "cdk.tf.json").read_text())["terraform"]["backend"]
    em = emulator.start(endpoint, state_dir=root / ".emulator")
    try:
        s3 = clients(endpoint, "us-east-1")("s3")
        s3.create_bucket(Bucket=STATE_BUCKET)
        s3.put_bucket_versioning(Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        workdir = root / "cdktf.out" / "stacks" / "lockdemo"  # same depth: relative paths resolve alike
        workdir.mkdir()
        config = {
            "terraform": {"backend": backend},
            "variable": {"hold_seconds": {"type": "number", "default": 8}, "generation": {"default": "1"}},
            "resource": {"terraform_data": {"hold": {
                "input": "${var.generation}", "triggers_replace": "${var.generation}",
                "provisioner": [{"local-exec": {"command": "sleep ${var.hold_seconds}"}}]}}},
        }
        (workdir / "main.tf.json").write_text(json.dumps(config), encoding="utf-8")
        terraform.init(workdir)
        yield workdir, endpoint, backend
    finally:
        emulator.stop(em, state_dir=root / ".emulator")


def _apply(workdir: Path, generation: str, lock_timeout: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["terraform", "apply", "-auto-approve", "-input=false", "-no-color", f"-lock-timeout={lock_timeout}",
         f"-var=generation={generation}"],
        cwd=workdir, env=terraform.terraform_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for_lock(s3: Any, key: str, holder: subprocess.Popen[str], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if holder.poll() is not None:
            output = holder.stdout.read() if holder.stdout else ""
            raise AssertionError(f"the first apply ended (exit {holder.returncode}) before the lock was seen:\n"
                                 f"{output[-3000:]}")
        listed = s3.list_objects_v2(Bucket=STATE_BUCKET, Prefix=key).get("Contents", [])
        if any(o["Key"] == f"{key}.tflock" for o in listed):
            return
        time.sleep(0.2)
    raise AssertionError("the first apply never took the lock")


def test_backend_block_is_the_projects_s3_backend_with_lockfile(lock_demo: tuple[Path, str, dict[str, Any]]) -> None:
    _, endpoint, backend = lock_demo
    s3 = backend["s3"]
    assert s3["use_lockfile"] is True and s3["encrypt"] is True
    assert s3["key"] == "ai-platform/local/terraform.tfstate" and s3["bucket"] == STATE_BUCKET
    assert s3["endpoints"]["s3"] == endpoint


def test_second_apply_fails_cleanly_on_the_lock_and_state_stays_intact(
    lock_demo: tuple[Path, str, dict[str, Any]]
) -> None:
    workdir, endpoint, backend = lock_demo
    key = backend["s3"]["key"]
    s3 = clients(endpoint, "us-east-1")("s3")
    first = _apply(workdir, "1", "0s")
    _wait_for_lock(s3, key, first)
    second = _apply(workdir, "1", "0s")
    second_output, _ = second.communicate(timeout=120)
    first_output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, first_output[-2000:]
    assert second.returncode != 0
    assert "Error acquiring the state lock" in second_output
    assert "PreconditionFailed" in second_output or "lock" in second_output.lower()
    state = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=key)["Body"].read())
    assert [r["type"] + "." + r["name"] for r in state["resources"]] == ["terraform_data.hold"]
    assert s3.head_object(Bucket=STATE_BUCKET, Key=key)["ServerSideEncryption"]
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=STATE_BUCKET).get("Contents", [])]
    assert f"{key}.tflock" not in listed, "the lock must be released"


def test_a_waiting_apply_gets_the_lock_after_the_first_one(lock_demo: tuple[Path, str, dict[str, Any]]) -> None:
    workdir, endpoint, backend = lock_demo
    key = backend["s3"]["key"]
    s3 = clients(endpoint, "us-east-1")("s3")
    first = _apply(workdir, "2", "0s")
    _wait_for_lock(s3, key, first)
    started = time.monotonic()
    second = _apply(workdir, "3", "90s")
    second_output, _ = second.communicate(timeout=180)
    first_output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, first_output[-2000:]
    assert second.returncode == 0, second_output[-2000:]
    assert time.monotonic() - started > 3, "the second apply must have waited for the lock"
    state = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=key)["Body"].read())
    (resource,) = state["resources"]
    assert resource["instances"][0]["attributes"]["input"]["value"] == "3"
    versions = s3.list_object_versions(Bucket=STATE_BUCKET, Prefix=key)["Versions"]
    assert len([v for v in versions if v["Key"] == key]) >= 3  # every apply wrote a new state version
