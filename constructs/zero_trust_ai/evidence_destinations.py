"""Where the platform's evidence goes: this account's :class:`LogArchive`, or the organization's log-archive account.

The evidence is what an administrator of the workload account must not be able to erase: the CloudTrail trail's log
files, the VPC flow logs (to S3) and the serving load balancer's access logs. The constructs that write it
(:class:`~zero_trust_ai.audit_trail.AuditTrail`, :class:`~zero_trust_ai.private_network.PrivateNetwork`,
:class:`~zero_trust_ai.serving_load_balancer.ServingLoadBalancer`) take one :class:`EvidenceDestinations` and ask it
to admit each writer; they never branch on the layout:

* :class:`LocalEvidence` -- the single-account layout: the buckets of this account's ``LogArchive``, each writer
  admitted by statements on the bucket policy and on the logs key.
* :class:`DelegatedEvidence` -- the delegated layout: the archive the organization stack builds in the log-archive
  account, named by the contract (:class:`zero_trust_ai.delegated_accounts.DelegatedArchive`). That account's own
  policies admit this account's trail, flow logs and load balancer, so nothing is added here -- and a workload
  administrator holds no policy that could let anything else in or out.

Everything else stays in the account's own ``LogArchive`` in both layouts (run records, Bedrock invocation logs, the
Network Firewall's logs, S3 server access logs -- S3 delivers those only to a bucket of the same account and region),
as do the CloudWatch Logs copies of the trail and the flow logs, which the alarms read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.data_aws_kms_key import DataAwsKmsKey
from constructs import Construct

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.delegated_accounts import DelegatedArchive
from zero_trust_ai.log_archive import LogArchive
from zero_trust_ai.platform_key import PlatformKey


class LogBucket(Protocol):
    """A bucket evidence is written to, by name and ARN (a :class:`~zero_trust_ai.secure_bucket.SecureBucket`, or a
    :class:`RemoteBucket` of another account)."""

    @property
    def bucket_name(self) -> str: ...

    @property
    def bucket_arn(self) -> str: ...


@dataclass(frozen=True)
class RemoteBucket:
    """A bucket of another account, by name: its owner's bucket policy admits this account's writers."""

    bucket_name: str

    @property
    def bucket_arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket_name}"


@dataclass(frozen=True)
class TrailDelivery:
    """Where an admitted trail writes: its bucket, the key its log files are encrypted with (a key ARN) and what must
    exist before CreateTrail (which checks the bucket policy and the key)."""

    bucket_name: str
    kms_key_arn: str
    depends_on: Sequence[ITerraformDependable] = ()


@dataclass(frozen=True)
class LoadBalancerLogDelivery:
    """Where an admitted load balancer writes its access logs (ELB appends ``/AWSLogs/<account>/`` to ``prefix``)."""

    bucket_name: str
    prefix: str
    depends_on: Sequence[ITerraformDependable] = ()


class EvidenceDestinations(Protocol):
    """Where the trail, the flow logs and the load balancer's access logs go (see the module docstring)."""

    @property
    def flow_log_bucket(self) -> LogBucket:
        """The bucket the VPC flow logs are delivered to (under ``AWSLogs/<account>/vpcflowlogs/``)."""
        ...

    def admit_trail(self, *, trail_name: str, trail_arn: str, account_id: str) -> TrailDelivery:
        """Admit the trail ``trail_arn`` (of ``account_id``) and say where it writes."""
        ...

    def admit_load_balancer_logs(self, *, prefix: str) -> LoadBalancerLogDelivery:
        """Admit this account's load balancers' access logs under ``prefix`` and say where they go."""
        ...


class LocalEvidence:
    """The single-account layout: the buckets of this account's :class:`LogArchive` and its logs key. The archive
    admits the flow logs itself; the trail and the load balancer are admitted through it
    (:meth:`LogArchive.accept_trail`, :meth:`LogArchive.accept_load_balancer_logs`), each by statements scoped to
    it -- the same statements the organization's log-archive account writes for a delegating environment."""

    def __init__(self, *, log_archive: LogArchive, logs_key: PlatformKey) -> None:
        self.log_archive = log_archive
        self.logs_key = logs_key

    @property
    def flow_log_bucket(self) -> LogBucket:
        return self.log_archive.archive

    def admit_trail(self, *, trail_name: str, trail_arn: str, account_id: str) -> TrailDelivery:
        admitted = self.log_archive.accept_trail(trail_name=trail_name)
        if (admitted, account_id) != (trail_arn, self.log_archive.props.delivering_account):
            raise ValueError(f"trail {trail_arn}: this account's log archive admits {admitted} (its trail name in "
                             "its account and region)")
        archive, key = self.log_archive.archive, self.logs_key
        return TrailDelivery(bucket_name=archive.bucket_name, kms_key_arn=key.key_arn,
                             depends_on=(archive.bucket_policy, key.key))

    def admit_load_balancer_logs(self, *, prefix: str) -> LoadBalancerLogDelivery:
        self.log_archive.accept_load_balancer_logs(prefix=prefix)
        access_logs = self.log_archive.access_logs
        return LoadBalancerLogDelivery(bucket_name=access_logs.bucket_name, prefix=prefix,
                                       depends_on=(access_logs.bucket_policy,))


class DelegatedEvidence(PlatformConstruct):
    """The delegated layout: the archive the organization stack builds for this environment in the log-archive
    account (every name from :class:`DelegatedArchive`, the contract both stacks derive from).

    Admitting adds nothing: that account's bucket and key policies admit this environment's trail (by its ARN), its
    flow logs (``delivery.logs.amazonaws.com``, this account's sources) and its load balancer's access logs. The trail
    is encrypted with the archive's key, whose ARN this construct reads by alias (data source ``aws_kms_key``:
    DescribeKey, which the archive key's policy allows this account; another account's key is named by its key or
    alias ARN: https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html) -- CloudTrail stores and
    GetTrail returns the *key* ARN, so an alias ARN in ``kms_key_id`` would plan a change on every run
    (hashicorp/terraform-provider-aws#694 and #33928). The plan fails while the archive key does not exist yet:
    deploy the organization first.
    """

    implements: ClassVar[tuple[str, ...]] = ()

    def __init__(self, scope: Construct, id: str, *, archive: DelegatedArchive) -> None:
        super().__init__(scope, id)
        self.archive = archive
        self.archive_key = DataAwsKmsKey(self, "archive_key", key_id=archive.key_alias_arn)
        self.archive_bucket = RemoteBucket(archive.archive_bucket_name)
        self.access_log_bucket = RemoteBucket(archive.access_log_bucket_name)

    @property
    def flow_log_bucket(self) -> LogBucket:
        return self.archive_bucket

    def admit_trail(self, *, trail_name: str, trail_arn: str, account_id: str) -> TrailDelivery:
        if (trail_arn, account_id) != (self.archive.trail_arn, self.archive.workload_account_id):
            raise ValueError(f"trail {trail_arn}: the delegated archive admits {self.archive.trail_arn} only "
                             "(zero_trust_ai.delegated_accounts.trail_name); name the trail by the contract")
        return TrailDelivery(bucket_name=self.archive_bucket.bucket_name, kms_key_arn=self.archive_key.arn)

    def admit_load_balancer_logs(self, *, prefix: str) -> LoadBalancerLogDelivery:
        if prefix != self.archive.load_balancer_log_prefix:
            raise ValueError(f"load balancer log prefix {prefix!r}: the delegated archive admits "
                             f"{self.archive.load_balancer_log_prefix!r} only "
                             "(zero_trust_ai.delegated_accounts.load_balancer_log_prefix)")
        return LoadBalancerLogDelivery(bucket_name=self.access_log_bucket.bucket_name, prefix=prefix)
