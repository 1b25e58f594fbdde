"""Which layout an environment deploys: single-account, or delegating to the organization's log-archive and
security-tooling accounts (README "Delegated accounts"), and the names the contract gives its archive."""

from __future__ import annotations

from stacks.config.model import LoadedEnvironment
from zero_trust_ai.delegated_accounts import DelegatedArchive


def delegated_archive(environment: LoadedEnvironment) -> DelegatedArchive | None:
    """The archive the environment delivers to in the log-archive account (the contract's names), if it delegates."""
    organization = environment.organization
    if organization is None or organization.log_archive_account_id is None:
        return None
    config = environment.config
    return DelegatedArchive(name_prefix=f"ztai-{environment.name}", workload_account_id=config.account_id,
                            log_archive_account_id=organization.log_archive_account_id, region=config.region)


def security_tooling(environment: LoadedEnvironment) -> str | None:
    """The security-tooling account administering the environment's GuardDuty and Security Hub, if it delegates."""
    return environment.organization.security_tooling_account_id if environment.organization else None
