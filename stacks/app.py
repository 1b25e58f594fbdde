"""Build the cdktf App: one :class:`PlatformStack` per validated environment, one :class:`OrganizationStack` per
validated organization file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from stacks.config.model import LoadedEnvironment, LoadedOrganization

# Terraform runs in cdktf.out/stacks/<env>/; paths in the configuration are relative to it.
PROJECT_ROOT_FROM_STACK_DIR = "../../.."


def build_app(environments: Sequence[LoadedEnvironment], outdir: Path,
              organizations: Sequence[LoadedOrganization] = ()) -> object:
    """Create (but do not synthesize) the app. Import cdktf only here, after ``runtime.prepare``."""
    from cdktf import App

    from stacks.organization_stack import OrganizationStack
    from stacks.platform_stack import PlatformStack
    from zero_trust_ai.packaging import function_packages

    packages = function_packages(outdir.parent / ".build" / "functions")
    app = App(outdir=str(outdir), skip_validation=False)
    stacks = [
        PlatformStack(app, environment.name, config=environment.config, project_root_rel=PROJECT_ROOT_FROM_STACK_DIR,
                      function_packages=packages, organization=environment.organization)
        for environment in environments
    ]
    organization_stacks = [OrganizationStack(app, organization.name, config=organization.config,
                                             project_root_rel=PROJECT_ROOT_FROM_STACK_DIR,
                                             delegations=organization.delegations)
                           for organization in organizations]
    app.platform_stacks = [*stacks, *organization_stacks]  # type: ignore[attr-defined]  # read by stacks.synth
    return app
