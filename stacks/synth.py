"""Validate every environment, then synthesize all of them in one process, atomically.

The output directory only changes after a complete, successful synthesis: the app writes into a
sibling temporary directory that replaces the old output in one rename. A bad environment file
therefore never leaves a half-written ``cdktf.out``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from stacks.config.loader import ConfigError, load_selection
from stacks.config.model import LoadedEnvironment, LoadedOrganization

ENV_SELECTION = "ZTAI_ENVIRONMENTS"
ENV_DIR = "ZTAI_ENVIRONMENTS_DIR"


def selected_environments(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]


def synthesize(environments: Sequence[LoadedEnvironment], outdir: Path,
               organizations: Sequence[LoadedOrganization] = ()) -> Path:
    """Synthesize ``environments`` (and ``organizations``) into ``outdir`` atomically. Returns ``outdir``."""
    from stacks import jsii_runtime as runtime

    runtime.prepare()
    from stacks.app import build_app

    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.staging-", dir=outdir.parent))
    try:
        app = build_app(environments, staging, organizations)
        app.synth()  # type: ignore[attr-defined]
        write_construct_index(app, staging)
        previous = outdir.with_name(f".{outdir.name}.previous-{os.getpid()}")
        if outdir.exists():
            _carry_over_terraform_dirs(outdir, staging)
            outdir.rename(previous)
        staging.rename(outdir)
        shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return outdir


def write_construct_index(app: object, outdir: Path) -> None:
    """Write ``stacks/<env>/constructs.json``: path of every project construct -> class and source file.

    The policy gate maps a finding on ``aws_x.<hash-suffixed id>`` to its construct path (the ``//``
    metadata of the synthesized JSON) and then to the nearest enclosing project construct listed here,
    so a user sees ``prod/training_network/endpoint_sg`` created by
    ``constructs/zero_trust_ai/private_network.py``. The index is kept in Python by
    ``PlatformConstruct`` (no jsii round trips).
    """
    import json

    for stack in getattr(app, "platform_stacks", []):
        target = outdir / "stacks" / stack.construct_path / "constructs.json"
        target.write_text(json.dumps(stack.construct_index, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _carry_over_terraform_dirs(old: Path, new: Path) -> None:
    """Keep each stack's initialised ``.terraform`` (providers, modules) and lock file across syntheses,
    as the cdktf CLI does when it synthesizes in place."""
    for stack_dir in (old / "stacks").glob("*"):
        target = new / "stacks" / stack_dir.name
        if not target.is_dir():
            continue
        for name in (".terraform", ".terraform.lock.hcl"):
            source = stack_dir / name
            if source.exists() and not (target / name).exists():
                source.rename(target / name)


def main(*, project_root: Path, argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    # ZTAI_ENVIRONMENTS_DIR: read environment files from another folder (benchmarks, experiments).
    environments_dir = Path(os.environ.get(ENV_DIR) or project_root / "environments")
    try:
        selection = load_selection(environments_dir, only=selected_environments(os.environ.get(ENV_SELECTION)),
                                   display_root=project_root)
    except ConfigError as exc:
        print(f"configuration error ({len(exc.problems)} problem(s)); nothing was synthesized:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or project_root / "cdktf.out")
    synthesize(selection.environments, outdir, selection.organizations)
    names = ", ".join([*(e.name for e in selection.environments), *(o.name for o in selection.organizations)])
    print(f"synthesized {names} into {outdir} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0
