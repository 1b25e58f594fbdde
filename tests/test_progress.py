"""The progress parser on real ``terraform -json`` output and the bounded non-TTY path.

The fixtures in ``tests/fixtures/terraform_json/`` were recorded from terraform 1.11.4 with the AWS
provider 5.100.0 against the moto emulator: a create of five resources whose last one fails
(``apply-errored``), an in-place update after refresh (``apply-update``) and a destroy.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from blueprint.cli.progress import Reporter, TerraformProgress, choose_mode, follow_terraform, read_jsonl
from blueprint.deploy import terraform

FIXTURES = Path(__file__).parent / "fixtures" / "terraform_json"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def replay(name: str, *, mode: str = "plain", clock: FakeClock | None = None,
           step: float = 0.0) -> tuple[TerraformProgress, str, list[str]]:
    lines = read_jsonl(FIXTURES / name)
    clock = clock or FakeClock()
    out, log = io.StringIO(), io.StringIO()
    progress = TerraformProgress()

    def ticking() -> Iterator[str]:
        for line in lines:
            clock.now += step
            yield line

    with Reporter("apply", mode, stream=out, clock=clock) as reporter:  # type: ignore[arg-type]
        follow_terraform(ticking(), reporter, progress, log)
    return progress, out.getvalue(), log.getvalue().splitlines()


def test_failed_create_counts_resources_and_keeps_the_error_in_full() -> None:
    progress, _, log = replay("apply-errored.jsonl")
    assert progress.total == 5
    assert progress.done == 4 and progress.failed == 1
    assert progress.in_flight == {} and progress.current is None
    (error,) = progress.errors
    assert error.address == "aws_iam_role_policy_attachment.missing"
    assert "NoSuchEntity: Policy arn:aws:iam::123456789012:policy/does-not-exist does not exist" in error.summary
    assert error.render().startswith("aws_iam_role_policy_attachment.missing: attaching IAM Policy")
    # the full output is logged line for line
    assert log == [line.rstrip("\n") for line in read_jsonl(FIXTURES / "apply-errored.jsonl")]


def test_in_flight_and_current_resource_follow_apply_start_and_complete() -> None:
    progress = TerraformProgress()
    lines = read_jsonl(FIXTURES / "apply-errored.jsonl")
    seen = []
    for line in lines:
        progress.feed(line)
        seen.append((progress.done, progress.current, len(progress.in_flight)))
    # after the four apply_start messages all four are in flight, the last started is current
    started = [json.loads(line)["hook"]["resource"]["addr"] for line in lines if '"type":"apply_start"' in line]
    assert started[:4] == ["aws_kms_key.logs", "aws_iam_role.trainer", "aws_s3_bucket.models", "aws_s3_bucket.raw"]
    assert (0, "aws_s3_bucket.raw", 4) in seen
    assert seen[-1][0] == 4


def test_update_and_destroy_summaries() -> None:
    update, _, _ = replay("apply-update.jsonl")
    assert (update.total, update.done, update.refreshed) == (1, 1, 4)
    assert update.result == "Apply complete! Resources: 0 added, 1 changed, 0 destroyed."
    assert update.errors == []
    destroy, _, _ = replay("destroy.jsonl")
    assert (destroy.total, destroy.done) == (4, 4)
    assert destroy.result == "Destroy complete! Resources: 4 destroyed."


def test_status_line_names_counts_current_resource_and_elapsed_time() -> None:
    progress = TerraformProgress()
    for line in read_jsonl(FIXTURES / "apply-errored.jsonl")[:11]:  # up to the fourth apply_start
        progress.feed(line)
    assert progress.status(12.4) == "0/5 resources | applying | now aws_s3_bucket.raw (+3 more) | 12s"


def test_data_source_reads_are_not_counted_as_planned_resources() -> None:
    progress = TerraformProgress()
    hook = {"resource": {"addr": "data.aws_caller_identity.caller"}, "action": "read"}
    progress.handle({"type": "change_summary", "changes": {"add": 2, "change": 0, "remove": 0, "operation": "plan"}})
    progress.handle({"type": "apply_start", "hook": hook})
    assert progress.current == "data.aws_caller_identity.caller"
    progress.handle({"type": "apply_complete", "hook": hook})
    assert (progress.done, progress.reads, progress.total, progress.current) == (0, 1, 2, None)


def test_non_json_output_is_kept_for_the_failure_message(tmp_path: Path) -> None:
    progress = TerraformProgress()
    progress.feed("Error: Failed to load plugin schemas\n")
    message = terraform.failure_message(["terraform", "apply", "-json"], tmp_path, 1, progress, tmp_path / "x.log")
    assert "Error: Failed to load plugin schemas" in message and f"full log: {tmp_path / 'x.log'}" in message


def test_failure_message_prints_the_failing_resource_error_in_full(tmp_path: Path) -> None:
    progress, _, _ = replay("apply-errored.jsonl")
    message = terraform.failure_message(["terraform", "apply"], tmp_path, 1, progress, tmp_path / "apply.log")
    assert "aws_iam_role_policy_attachment.missing: attaching IAM Policy" in message
    assert "does not exist or is not attachable." in message
    assert message.endswith(f"full log: {tmp_path / 'apply.log'}")


def test_plain_output_is_bounded_whatever_the_number_of_lines() -> None:
    """Without a TTY: at most one line per interval, however many messages terraform prints."""
    lines = read_jsonl(FIXTURES / "apply-errored.jsonl") * 400  # ~7,000 messages
    clock = FakeClock()
    out = io.StringIO()
    progress = TerraformProgress()

    def ticking() -> Iterator[str]:
        for line in lines:
            clock.now += 0.05  # 360 s in all
            yield line

    with Reporter("apply", "plain", stream=out, clock=clock, interval=20.0) as reporter:
        follow_terraform(ticking(), reporter, progress)
        reporter.finish("done")
    printed = out.getvalue().splitlines()
    assert 2 <= len(printed) <= 360 / 20 + 2
    assert all(line.startswith("[ztai] apply: ") for line in printed)
    assert printed[-1] == "[ztai] apply: done"


def test_verbose_streams_every_message() -> None:
    _, out, _ = replay("apply-update.jsonl", mode="verbose")
    assert len(out.splitlines()) == len(read_jsonl(FIXTURES / "apply-update.jsonl"))
    assert "  | aws_s3_bucket.raw: Modifying... [id=ztai-capture-raw]" in out.splitlines()


@pytest.mark.parametrize(
    ("environ", "tty", "verbose", "expected"),
    [({}, True, False, "live"), ({}, False, False, "plain"), ({"CI": "true"}, True, False, "plain"),
     ({}, True, True, "verbose"), ({"CI": "1"}, False, True, "verbose")],
)
def test_mode_choice(environ: dict[str, str], tty: bool, verbose: bool, expected: str) -> None:
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert choose_mode(verbose=verbose, stream=Stream(), environ=environ) == expected


def test_live_mode_renders_without_error() -> None:
    _, out, _ = replay("apply-update.jsonl", mode="live")
    assert "Traceback" not in out
