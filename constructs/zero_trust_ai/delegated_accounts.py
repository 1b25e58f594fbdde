"""The contract between a workload account and the organization's delegated accounts.

A workload environment that names a log-archive account delivers its CloudTrail trail, its VPC flow logs and its
load balancer's access logs into an archive *in that account*, which the organization stack builds there; one that
names a security-tooling account has GuardDuty and Security Hub administered from it. Both sides -- the workload
stack writing, the organization stack receiving -- derive every name, prefix and ARN from :class:`DelegatedArchive`,
so the two stacks cannot drift apart. Nothing here creates a resource.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# The role AWS Organizations creates in every account it creates (and that an adopted account must have): the
# organization stack reaches the delegated accounts through it (``security_accounts.access_role_name``).
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access.html
DEFAULT_ACCOUNT_ACCESS_ROLE = "OrganizationAccountAccessRole"


def trail_name(name_prefix: str) -> str:
    """The workload environment's CloudTrail trail (its ARN is what the archive's policies admit)."""
    return f"{name_prefix}-trail"


def load_balancer_log_prefix(name_prefix: str) -> str:
    """Where the serving load balancer writes its access logs (ELB adds ``/AWSLogs/<account>/`` below it)."""
    return f"alb/{name_prefix}-serving"


class DelegatedArchive(BaseModel):
    """Where one workload environment's evidence lands in the log-archive account."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,22}$", description="The workload's name prefix (ztai-<env>).")
    workload_account_id: str = Field(pattern=r"^\d{12}$", description="The account that delivers.")
    log_archive_account_id: str = Field(pattern=r"^\d{12}$", description="The account that holds the archive.")
    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$",
                        description="The workload's region: ALB access logs reach only a bucket of the load "
                        "balancer's region, so the archive lives there.")

    @property
    def archive_prefix(self) -> str:
        """Name prefix of the archive's buckets and key (``LogArchive`` appends ``-log-archive-<account>``)."""
        return f"{self.name_prefix}-org"

    @property
    def archive_bucket_name(self) -> str:
        """SSE-KMS, Object-Locked: the trail and the flow logs."""
        return f"{self.archive_prefix}-log-archive-{self.log_archive_account_id}"

    @property
    def access_log_bucket_name(self) -> str:
        """SSE-S3 (the only encryption ALB log delivery supports): the load balancer's access logs."""
        return f"{self.archive_prefix}-access-logs-{self.log_archive_account_id}"

    @property
    def key_alias(self) -> str:
        return f"alias/{self.archive_prefix}-log-archive"

    @property
    def key_alias_arn(self) -> str:
        """The archive key by alias ARN: how another account names a KMS key (the workload reads the key ARN from
        it with DescribeKey, which the key policy allows the workload account)."""
        return f"arn:aws:kms:{self.region}:{self.log_archive_account_id}:{self.key_alias}"

    @property
    def trail_name(self) -> str:
        return trail_name(self.name_prefix)

    @property
    def trail_arn(self) -> str:
        return f"arn:aws:cloudtrail:{self.region}:{self.workload_account_id}:trail/{self.trail_name}"

    @property
    def load_balancer_log_prefix(self) -> str:
        return load_balancer_log_prefix(self.name_prefix)
