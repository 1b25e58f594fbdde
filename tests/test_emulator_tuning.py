"""Issue 21: how terraform and moto run against the emulator, the baseline switch, and the main-job benchmark's
reading of terraform's machine-readable output."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from blueprint.bench import main_job
from blueprint.deploy import emulator, tuning
from blueprint.deploy.moto_server import serialized


def test_the_project_settings_and_the_baseline_switch() -> None:
    tuned = tuning.tuning({})
    assert tuned.args == [f"-parallelism={tuning.PARALLELISM}"] and tuned.terraform_env == {"GOGC": "400"}
    assert tuned.serialized_emulator and tuned.gate_beside_deploy
    assert tuning.tuning({"GOGC": "100"}).terraform_env == {}  # the user's own GOGC wins
    before = tuning.tuning({tuning.BASELINE_ENV: "1"})
    assert before.args == [] and before.terraform_env == {}
    assert not before.serialized_emulator and not before.gate_beside_deploy
    assert tuning.tuning({tuning.BASELINE_ENV: "0"}) == tuned


def test_the_emulator_is_moto_with_serialized_requests_unless_baseline() -> None:
    command = emulator.server_command({})
    assert command[-1].endswith("blueprint/deploy/moto_server.py")
    assert emulator.server_command({tuning.BASELINE_ENV: "1"})[-1].endswith("moto_server")


def _app(active: list[int], peak: list[int]) -> Any:
    lock = threading.Lock()

    class Body(list[bytes]):
        closed = False

        def close(self) -> None:
            Body.closed = True

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.02)
        with lock:
            active[0] -= 1
        start_response("200 OK", [])
        return Body([b"ok"])

    return app, Body


def _hammer(app: Any, environ: dict[str, Any], count: int = 8) -> list[Any]:
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(app(dict(environ), lambda *a: None)))
               for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_moto_requests_run_one_at_a_time_and_their_bodies_are_closed() -> None:
    active, peak = [0], [0]
    app, body = _app(active, peak)
    results = _hammer(serialized(app), {"REQUEST_METHOD": "POST", "QUERY_STRING": ""})
    assert peak[0] == 1 and results == [[b"ok"]] * 8 and body.closed


def test_sqs_long_polls_are_not_serialized() -> None:
    active, peak = [0], [0]
    app, _ = _app(active, peak)
    _hammer(serialized(app), {"HTTP_X_AMZ_TARGET": "AmazonSQS.ReceiveMessage", "QUERY_STRING": ""})
    assert peak[0] > 1


def _message(kind: str, address: str, at: float, action: str = "create") -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1e6):06d}Z"
    resource_type = address.split(".")[-2] if address.startswith("data.") else address.split(".")[0]
    return json.dumps({"@timestamp": stamp, "type": kind, "hook": {
        "resource": {"addr": address, "resource_type": resource_type}, "action": action}})


def test_apply_profile_reads_durations_by_type_and_the_critical_path() -> None:
    t0 = 1_800_000_000.0
    lines = [
        "not json",
        _message("apply_start", "data.aws_caller_identity.me", t0, action="read"),
        _message("apply_complete", "data.aws_caller_identity.me", t0 + 1, action="read"),
        _message("apply_start", "aws_kms_key.k", t0),
        _message("apply_start", "aws_s3_bucket.b", t0),
        _message("apply_complete", "aws_s3_bucket.b", t0 + 2),
        _message("apply_start", "aws_s3_bucket_lifecycle_configuration.l", t0 + 2),
        _message("apply_complete", "aws_kms_key.k", t0 + 10),
        _message("apply_start", "aws_sqs_queue.q", t0 + 10),
        _message("apply_complete", "aws_sqs_queue.q", t0 + 35),
        _message("apply_complete", "aws_s3_bucket_lifecycle_configuration.l", t0 + 57),
    ]
    document = {"resource": {
        "aws_kms_key": {"k": {}},
        "aws_s3_bucket": {"b": {}},
        "aws_s3_bucket_lifecycle_configuration": {"l": {"bucket": "${aws_s3_bucket.b.id}"}},
        "aws_sqs_queue": {"q": {"kms_master_key_id": "${aws_kms_key.k.arn}", "depends_on": ["aws_s3_bucket.b"]}},
    }}
    profile = main_job.apply_profile(lines, document)
    assert profile["resources"] == 4  # the data source is not a resource of the plan
    assert profile["first_start_to_last_complete_seconds"] == 57
    assert profile["by_type"][0]["type"] == "aws_s3_bucket_lifecycle_configuration"
    assert round(profile["critical_path_seconds"]) == 57
    assert [p["address"] for p in profile["critical_path"]] == ["aws_s3_bucket.b",
                                                               "aws_s3_bucket_lifecycle_configuration.l"]
    assert main_job.dependencies(document)["aws_sqs_queue.q"] == {"aws_kms_key.k", "aws_s3_bucket.b"}


def test_the_deploy_counts_managed_resources_not_the_data_sources_it_read() -> None:
    from blueprint.deploy import terraform

    listed = ["aws_kms_key.platform_keys_logs_key_1", "data.aws_caller_identity.caller",
              "data.aws_iam_session_context.deployer", "module.m.data.aws_region.here", "aws_s3_bucket.b"]
    assert terraform.managed_resources(listed) == ["aws_kms_key.platform_keys_logs_key_1", "aws_s3_bucket.b"]
