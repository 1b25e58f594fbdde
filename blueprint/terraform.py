"""Thin, explicit wrapper around the terraform CLI for one synthesized stack directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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


def run(stack_dir: Path, args: Sequence[str], *, stream: bool = False, check: bool = True,
        extra_env: dict[str, str] | None = None) -> Run:
    """Run ``terraform <args>`` in ``stack_dir``. With ``stream`` the output is shown live (progress)."""
    command = ["terraform", *args]
    started = time.perf_counter()
    env = {**terraform_env(), **(extra_env or {})}
    process = subprocess.Popen(command, cwd=stack_dir, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if stream:
            sys.stderr.write(f"  | {line}")
    process.wait()
    result = Run(list(command), process.returncode, time.perf_counter() - started, "".join(lines))
    if check and process.returncode != 0:
        tail = "".join(lines[-40:])
        raise RuntimeError(f"`{' '.join(command)}` failed in {stack_dir} (exit {process.returncode}):\n{tail}")
    return result


def init(stack_dir: Path) -> Run:
    return run(stack_dir, ["init", "-input=false", "-no-color"])


def outputs(stack_dir: Path) -> dict[str, object]:
    result = run(stack_dir, ["output", "-json", "-no-color"])
    return {key: value["value"] for key, value in json.loads(result.output or "{}").items()}


def state_resources(stack_dir: Path) -> list[str]:
    result = run(stack_dir, ["state", "list", "-no-color"], check=False)
    return [line for line in result.output.splitlines() if line.strip()] if result.returncode == 0 else []


def apply(stack_dir: Path, *, stream: bool = False, attempts: int = 1) -> tuple[Run, int]:
    """``terraform apply -auto-approve``; with ``attempts`` > 1 a failed apply is re-run.

    Only used against the local emulator: under load moto server occasionally drops a connection after
    it executed a request, the provider's retry then meets its own earlier success (e.g.
    ``NetworkAclEntryAlreadyExists``) and the resource is tainted. A second apply replaces exactly the
    tainted resources. Returns the last run and how many attempts it took.
    """
    last: Run | None = None
    for attempt in range(1, attempts + 1):
        last = run(stack_dir, ["apply", "-auto-approve", "-input=false", "-no-color"], stream=stream,
                   check=attempt == attempts)
        if last.returncode == 0:
            return last, attempt
        sys.stderr.write(f"[terraform] apply attempt {attempt} failed; re-applying (emulator flake)\n")
    assert last is not None
    return last, attempts
