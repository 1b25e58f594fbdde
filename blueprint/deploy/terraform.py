"""Thin, explicit wrapper around the terraform CLI for one synthesized stack directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from blueprint.cli.progress import Mode, Reporter, TerraformProgress, follow_terraform
from blueprint.deploy.tuning import EmulatorTuning, tuning

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def terraform_env() -> dict[str, str]:
    env = dict(os.environ)
    cli_config = PROJECT_ROOT / ".terraform.d" / "cli.tfrc"
    if cli_config.exists():
        env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    env.setdefault("CHECKPOINT_DISABLE", "1")
    env["TF_IN_AUTOMATION"] = "1"
    env.setdefault("TF_INPUT", "0")
    return env


@dataclass
class Run:
    args: list[str]
    returncode: int
    seconds: float
    output: str


class TerraformFailed(RuntimeError):
    """A terraform run failed; the message names the failing resources with their errors in full."""

    def __init__(self, message: str, progress: TerraformProgress | None = None) -> None:
        super().__init__(message)
        self.progress = progress


def _log_header(log: IO[str], command: Sequence[str], stack_dir: Path) -> None:
    log.write(f"# {time.strftime('%Y-%m-%dT%H:%M:%S')} $ {' '.join(command)}   (in {stack_dir})\n")
    log.flush()


def run(stack_dir: Path, args: Sequence[str], *, stream: bool = False, check: bool = True,
        extra_env: dict[str, str] | None = None, log_path: Path | None = None) -> Run:
    """Run ``terraform <args>`` in ``stack_dir``. With ``stream`` every line is shown as it comes.

    With ``log_path`` the whole output is appended to that file as well.
    """
    command = ["terraform", *args]
    started = time.perf_counter()
    env = {**terraform_env(), **(extra_env or {})}
    process = subprocess.Popen(command, cwd=stack_dir, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    assert process.stdout is not None
    log = _open_log(log_path)
    try:
        if log is not None:
            _log_header(log, command, stack_dir)
        for line in process.stdout:
            lines.append(line)
            if log is not None:
                log.write(line)
            if stream:
                sys.stderr.write(f"  | {line}")
    finally:
        if log is not None:
            log.close()
    process.wait()
    result = Run(list(command), process.returncode, time.perf_counter() - started, "".join(lines))
    if check and process.returncode != 0:
        tail = "".join(lines[-40:])
        where = f"; full log: {log_path}" if log_path else ""
        raise TerraformFailed(
            f"`{' '.join(command)}` failed in {stack_dir} (exit {process.returncode}){where}:\n{tail}")
    return result


def _open_log(log_path: Path | None) -> IO[str] | None:
    if log_path is None:
        return None
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return log_path.open("a", encoding="utf-8")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def run_with_progress(stack_dir: Path, args: Sequence[str], *, title: str, mode: Mode, log_path: Path,
                      check: bool = True, reporter_stream: IO[str] | None = None,
                      extra_env: dict[str, str] | None = None,
                      on_applying: Callable[[], None] | None = None) -> tuple[Run, TerraformProgress]:
    """Run ``terraform <args> -json``: progress counted from the machine-readable output, full log to a file.

    On failure (with ``check``) raises :class:`TerraformFailed` whose message carries every error
    diagnostic in full (resource address, summary, detail) and the log path.
    """
    command = ["terraform", *args, "-json"]
    started = time.perf_counter()
    progress = TerraformProgress(operation=title)
    process = subprocess.Popen(command, cwd=stack_dir, env={**terraform_env(), **(extra_env or {})},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines: list[str] = []

    def collect() -> Iterator[str]:
        assert process.stdout is not None
        waiting = on_applying
        for line in process.stdout:
            lines.append(line)
            if waiting is not None and '"type":"apply_start"' in line and '"action":"read"' not in line:
                waiting()  # planning is over, the first resource is being changed
                waiting = None
            yield line

    log = _open_log(log_path)
    assert log is not None
    try:
        _log_header(log, command, stack_dir)
        with Reporter(title, mode, stream=reporter_stream) as reporter:
            follow_terraform(collect(), reporter, progress, log)
            process.wait()
            seconds = time.perf_counter() - started
            reporter.finish(f"{progress.result or progress.status(seconds)} ({seconds:.0f}s; log: {_shown(log_path)})"
                            if process.returncode == 0 else
                            f"FAILED after {seconds:.0f}s: {progress.status(seconds)}")
    finally:
        log.close()
    result = Run(list(command), process.returncode, time.perf_counter() - started, "".join(lines))
    if check and process.returncode != 0:
        raise TerraformFailed(failure_message(command, stack_dir, process.returncode, progress, log_path), progress)
    return result, progress


def failure_message(command: Sequence[str], stack_dir: Path, returncode: int, progress: TerraformProgress,
                    log_path: Path) -> str:
    lines = [f"`{' '.join(command)}` failed in {stack_dir} (exit {returncode})"]
    if progress.errors:
        for error in progress.errors:
            lines.append("  " + error.render().replace("\n", "\n  "))
    else:  # no diagnostic (e.g. terraform could not start): show the end of what it printed
        lines += [f"  {line}" for line in progress.other_lines[-40:]]
    lines.append(f"full log: {_shown(log_path)}")
    return "\n".join(lines)


def init(stack_dir: Path, *, log_path: Path | None = None) -> Run:
    return run(stack_dir, ["init", "-input=false", "-no-color"], log_path=log_path)


def outputs(stack_dir: Path) -> dict[str, object]:
    result = run(stack_dir, ["output", "-json", "-no-color"])
    return {key: value["value"] for key, value in json.loads(result.output or "{}").items()}


def state_resources(stack_dir: Path) -> list[str]:
    result = run(stack_dir, ["state", "list", "-no-color"], check=False)
    return [line for line in result.output.splitlines() if line.strip()] if result.returncode == 0 else []


def managed_resources(addresses: list[str]) -> list[str]:
    """The managed resources among ``terraform state list`` addresses (which also lists the data sources read)."""
    return [address for address in addresses if not address.startswith("data.") and ".data." not in address]


def emulator_plan(stack_dir: Path, *, log_path: Path | None = None, stream: bool = False,
                  settings: EmulatorTuning | None = None) -> Run:
    """``terraform plan -detailed-exitcode`` against the emulator (exit 0: no changes, 2: changes), tuned."""
    settings = settings or tuning()
    return run(stack_dir, ["plan", "-detailed-exitcode", "-input=false", "-no-color", *settings.args], check=False,
               log_path=log_path, stream=stream, extra_env=dict(settings.terraform_env))


def apply(stack_dir: Path, *, stream: bool = False, attempts: int = 1, mode: Mode | None = None,
          log_path: Path | None = None, settings: EmulatorTuning | None = None,
          on_applying: Callable[[], None] | None = None) -> tuple[Run, int]:
    """``terraform apply -auto-approve``; with ``attempts`` > 1 a failed apply is re-run.

    Only used against the local emulator. Under load an emulator request can fail after moto carried it
    out (moto's threaded server answered HTTP 500 when two requests met in its unlocked dictionaries --
    now serialized, :mod:`blueprint.deploy.moto_server` -- and a connection can still fail), and the
    provider's retry meets its own earlier success (``InvalidPermission.NotFound`` revoking a security
    group's default egress, ``NetworkAclEntryAlreadyExists``): the resource is tainted, and a second
    apply replaces exactly the tainted resources (the first attempt's errors are printed). A resource
    created without reaching the state is not repaired by a re-apply: ``ztai main-job`` then starts over
    once in a new emulator. Returns the last run and how many attempts it took.

    With ``mode`` (and ``log_path``) progress is counted from ``-json`` output (:mod:`blueprint.cli.progress`)
    and the full output goes to ``log_path``; ``mode="verbose"`` also streams every message.

    ``settings``: how terraform runs against the emulator (:mod:`blueprint.deploy.tuning`; by default the
    project's, or the baseline's with ``ZTAI_MAIN_JOB_BASELINE=1``). ``on_applying`` (with ``mode``) is called
    once, when terraform starts changing the first resource: its CPU-bound part (validation, plan) is over
    and what follows is mostly the provider's waiters.
    """
    settings = settings or tuning()
    args = ["apply", "-auto-approve", "-input=false", "-no-color", *settings.args]
    env = dict(settings.terraform_env)
    last: Run | None = None
    for attempt in range(1, attempts + 1):
        check = attempt == attempts
        if mode is not None and log_path is not None:
            last, progress = run_with_progress(stack_dir, args, title="apply", mode=mode, log_path=log_path,
                                               check=check, extra_env=env, on_applying=on_applying)
            on_applying = None
            errors = "\n".join("  " + e.render().replace("\n", "\n  ") for e in progress.errors)
        else:
            last = run(stack_dir, args, stream=stream, check=check, log_path=log_path, extra_env=env)
            errors = ""
        if last.returncode == 0:
            return last, attempt
        sys.stderr.write(f"[terraform] apply attempt {attempt} failed; re-applying (emulator flake)\n"
                         + (f"{errors}\n" if errors else ""))
    assert last is not None
    return last, attempts


def destroy(stack_dir: Path, *, mode: Mode, log_path: Path, settings: EmulatorTuning | None = None) -> Run:
    """``terraform destroy -auto-approve`` of the emulator's stack with progress (see :func:`run_with_progress`)."""
    settings = settings or tuning()
    result, _ = run_with_progress(stack_dir, ["destroy", "-auto-approve", "-input=false", "-no-color",
                                              *settings.args], title="destroy", mode=mode, log_path=log_path,
                                  extra_env=dict(settings.terraform_env))
    return result
