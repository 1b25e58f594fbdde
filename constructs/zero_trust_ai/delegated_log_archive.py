"""DelegatedLogArchive: the archive a workload account delivers its evidence into, built in the organization's
log-archive account (README "Delegated accounts")."""

from __future__ import annotations

from typing import Any, ClassVar

from cdktf import TerraformProvider, TerraformResource
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.delegated_accounts import DelegatedArchive
from zero_trust_ai.log_archive import LogArchive, LogArchiveProps
from zero_trust_ai.platform_key import PlatformKey, PlatformKeyProps


class DelegatedLogArchiveProps(BaseModel):
    """Props of :class:`DelegatedLogArchive`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    archive: DelegatedArchive = Field(description="The contract: every name, prefix and ARN both sides derive.")
    object_lock_days: int = Field(ge=1, le=36500, description="COMPLIANCE retention of every log object (the "
                                  "workload's logging.archive_object_lock_days).")
    deployer_role_arn: str = Field(
        pattern=r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]{1,64}$",
        description="The role terraform runs as in the log-archive account: admitted to *list* the buckets only "
        "(terraform's refresh of a bucket is a HeadBucket, an s3:ListBucket); it reads no object.")
    force_destroy: bool = Field(default=False, description="Only for the emulator: destroy non-empty buckets. "
                                "Default: refuse.")
    eventbridge_notifications: bool = Field(
        default=True, description="Object events to EventBridge. Default: on (off only in the emulator, which "
        "never returns the setting).")

    @model_validator(mode="after")
    def _deployer_in_the_archive_account(self) -> DelegatedLogArchiveProps:
        account = self.deployer_role_arn.split(":")[4]
        if account != self.archive.log_archive_account_id:
            raise ValueError(f"deployer_role_arn is a role of account {account}, but the archive lives in "
                             f"{self.archive.log_archive_account_id}: name the role terraform assumes there")
        if self.archive.workload_account_id == self.archive.log_archive_account_id:
            raise ValueError("the workload account cannot be its own log-archive account: a delegated archive "
                             "exists so that the delivering account cannot delete from it")
        return self


class DelegatedLogArchive(PlatformConstruct):
    """A :class:`LogArchive` owned by the log-archive account whose delivering account is the workload's, with its
    own :class:`PlatformKey` (alias ``DelegatedArchive.key_alias``): it accepts the workload's trail (by ARN), its
    VPC flow logs (``delivery.logs``, its account's sources) and its load balancer's access logs (the contract's
    prefix), and denies the workload's principals every delete and configuration change. Every resource is placed
    with ``provider`` (the log-archive account's provider alias)."""

    implements: ClassVar[tuple[str, ...]] = ("ZT-ORG-1",)

    def __init__(self, scope: Construct, id: str, *, props: DelegatedLogArchiveProps,
                 provider: TerraformProvider | None = None) -> None:
        super().__init__(scope, id)
        self.props = props
        contract = props.archive
        self.key = PlatformKey(self, "key", props=PlatformKeyProps(
            alias=contract.key_alias, account_id=contract.log_archive_account_id,
            description=f"{contract.name_prefix} log archive (trail, flow logs) in the log-archive account"))
        self.log_archive = LogArchive(self, "log_archive", props=LogArchiveProps(
            name_prefix=contract.archive_prefix, account_id=contract.log_archive_account_id,
            delivering_account_id=contract.workload_account_id, region=contract.region,
            object_lock_days=props.object_lock_days, force_destroy=props.force_destroy,
            eventbridge_notifications=props.eventbridge_notifications), logs_key=self.key)
        self.trail_arn = self.log_archive.accept_trail(trail_name=contract.trail_name)
        self.log_archive.accept_load_balancer_logs(prefix=contract.load_balancer_log_prefix)
        for bucket in (self.log_archive.archive, self.log_archive.access_logs):
            bucket.admit_to_listing(props.deployer_role_arn, reason="terraform's refresh of the bucket (HeadBucket) "
                                    "is an s3:ListBucket; the deployer reads no objects")
        built = {"archive_bucket_name": self.log_archive.archive.props.bucket_name,
                 "access_log_bucket_name": self.log_archive.access_logs.props.bucket_name,
                 "key_alias": self.key.props.alias, "trail_arn": self.trail_arn}
        drifted = {name: value for name, value in built.items() if value != getattr(contract, name)}
        if drifted:  # the workload stack writes to the contract's names: a different name is a lost delivery
            raise ValueError(f"{self.construct_path}: built {drifted}, but the contract (DelegatedArchive) says "
                             f"{ {name: getattr(contract, name) for name in drifted} }")
        if provider is not None:
            place_resources(self, provider)

    @property
    def archive_bucket_arn(self) -> str:
        return self.log_archive.archive.bucket_arn


def place_resources(scope: Construct, provider: TerraformProvider) -> None:
    """Set ``provider`` on every resource below ``scope`` (cdktf has no per-scope default provider)."""
    for node in scope.node.find_all():
        if isinstance(node, TerraformResource):
            resource: Any = node
            resource.provider = provider
