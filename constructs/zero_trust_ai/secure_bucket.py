"""SecureBucket: an S3 bucket that is private, encrypted, versioned, logged and TLS-only by default."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
    S3BucketLifecycleConfigurationRuleTransition,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_notification import S3BucketNotification
from cdktf_cdktf_provider_aws.s3_bucket_object_lock_configuration import (
    S3BucketObjectLockConfigurationA,
    S3BucketObjectLockConfigurationRuleA,
    S3BucketObjectLockConfigurationRuleDefaultRetentionA,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from zero_trust_ai import actions
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.policy import Grantee, PolicyDocument, Statement
from zero_trust_ai.validation import InvalidInput, OptOutReason, s3_bucket_name

# x-amz-content-sha256 values that mean "the payload is not signed" (StringLike patterns).
UNSIGNED_PAYLOAD_FORMS = ("UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD*")


class LifecycleRule(BaseModel):
    """One lifecycle rule; every bucket also aborts incomplete multipart uploads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9-]{1,64}$")
    prefix: str = Field(default="", description="Objects the rule applies to. Default: the whole bucket.")
    transition_to_glacier_ir_days: int | None = Field(
        default=None, ge=1, description="Move current versions to Glacier Instant Retrieval. Default: never."
    )
    noncurrent_version_expiration_days: int | None = Field(
        default=None, ge=1, description="Delete superseded versions after N days. Default: keep them."
    )


class ObjectLock(BaseModel):
    """WORM retention applied to every new object version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["GOVERNANCE", "COMPLIANCE"] = Field(
        default="GOVERNANCE",
        description="GOVERNANCE lets a specially privileged principal shorten retention; COMPLIANCE lets nobody.",
    )
    days: int = Field(ge=1, le=36500)


class SecureBucketProps(BaseModel):
    """Props of :class:`SecureBucket`. Secure choices are defaults; opt-outs carry a reason."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    bucket_name: Annotated[str, AfterValidator(s3_bucket_name)] = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
    owner_account_id: str | None = Field(
        default=None, pattern=r"^\d{12}$",
        description="Account that owns the bucket; scopes log-delivery grants (aws:SourceAccount).",
    )
    encryption_key: PlatformKey | None = Field(
        description="Customer-managed key for SSE-KMS. None only with ``sse_s3_reason`` (AWS log "
        "deliveries that cannot write to SSE-KMS buckets)."
    )
    sse_s3_reason: OptOutReason | None = Field(default=None, description="Why SSE-KMS is impossible here.")
    access_log_bucket: SecureBucket | None = Field(
        description="Where S3 server access logs go. None only with ``access_log_opt_out_reason``."
    )
    access_log_opt_out_reason: OptOutReason | None = Field(default=None, description="Why the bucket keeps no "
                                                           "server access logs. Default: no opt-out.")
    object_lock: ObjectLock | None = Field(default=None, description="Default: no Object Lock.")
    lifecycle_rules: Sequence[LifecycleRule] = Field(
        default=(LifecycleRule(id="expire-noncurrent", noncurrent_version_expiration_days=365),),
        description="Default: superseded versions expire after a year; incomplete uploads after 7 days.",
    )
    force_destroy: bool = Field(
        default=False, description="Allow `terraform destroy` of a non-empty bucket. Default: refuse."
    )
    eventbridge_notifications: bool = Field(
        default=True, description="Publish object events to EventBridge (detection, lineage). Default: on."
    )
    principal_perimeter_opt_out_reason: OptOutReason | None = Field(
        default=None,
        description="Default: the bucket policy denies object reads and writes to every principal that was not "
        "granted access through this construct (aws:PrincipalArn), AWS services excepted. Opt out only for "
        "buckets that principals outside the stack must use (e.g. the deploying principal's uploads), with why.",
    )

    @model_validator(mode="after")
    def _opt_outs_have_reasons(self) -> SecureBucketProps:
        if self.encryption_key is None and not self.sse_s3_reason:
            raise InvalidInput("encryption_key is required; SSE-S3 only with sse_s3_reason",
                               fix="pass a PlatformKey, or give sse_s3_reason (why SSE-KMS is impossible here)",
                               field=("encryption_key",))
        if self.access_log_bucket is None and not self.access_log_opt_out_reason:
            raise InvalidInput("access_log_bucket is required; opting out needs access_log_opt_out_reason",
                               fix="pass the SecureBucket that receives access logs, or give access_log_opt_out_reason",
                               field=("access_log_bucket",))
        return self


class SecureBucket(PlatformConstruct):
    """Private, SSE-KMS, versioned, owner-enforced, access-logged bucket whose policy refuses plain HTTP,
    TLS < 1.2 and unsigned payloads.

    Access is granted per prefix with :meth:`grant_read` / :meth:`grant_write` (identity policy plus the
    matching KMS permissions) and refused per prefix with :meth:`deny` (an explicit Deny in the bucket
    policy, so no identity-side Allow can override it).
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-DATA-1', 'ZT-DATA-2', 'ZT-DATA-4')

    def __init__(self, scope: Construct, id: str, *, props: SecureBucketProps) -> None:
        super().__init__(scope, id)
        self.props = props
        self.key = props.encryption_key
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=props.bucket_name,
            object_lock_enabled=True if props.object_lock else None,
            force_destroy=props.force_destroy or None,
        )
        S3BucketPublicAccessBlock(
            self,
            "public_access_block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        self.versioning = S3BucketVersioningA(
            self,
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        if self.key is not None:
            default = S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="aws:kms", kms_master_key_id=self.key.key_arn
            )
        else:
            default = S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                sse_algorithm="AES256"
            )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=default, bucket_key_enabled=self.key is not None
                )
            ],
        )
        if props.access_log_bucket is not None:
            S3BucketLoggingA(
                self,
                "access_logging",
                bucket=self.bucket.id,
                target_bucket=props.access_log_bucket.bucket.id,
                target_prefix=f"s3-access/{props.bucket_name}/",
                # S3 validates the target's bucket policy when logging is enabled, and the target must
                # be fully configured (Object Lock) before the first log object arrives.
                depends_on=props.access_log_bucket.ready_for_writes,
            )
            props.access_log_bucket.accept_access_logs_from(self)
        self.ready_for_writes: list[Any] = []
        if props.object_lock is not None:
            lock_configuration = S3BucketObjectLockConfigurationA(
                self,
                "object_lock",
                bucket=self.bucket.id,
                rule=S3BucketObjectLockConfigurationRuleA(
                    default_retention=S3BucketObjectLockConfigurationRuleDefaultRetentionA(
                        mode=props.object_lock.mode, days=props.object_lock.days
                    )
                ),
                depends_on=[self.versioning],
            )
            self.ready_for_writes.append(lock_configuration)
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=self.bucket.id,
            rule=[self._abort_incomplete_uploads(), *[self._lifecycle(rule) for rule in props.lifecycle_rules]],
            depends_on=[self.versioning],
        )
        if props.eventbridge_notifications:
            S3BucketNotification(self, "notifications", bucket=self.bucket.id, eventbridge=True)

        # grantee -> role ARN, once per grantee (each `.arn` read is a new token string)
        self._granted: dict[int, str] = {}
        self._admitted: list[str] = []  # principals inside the perimeter without a grant here (see admit_...)
        self._listing: list[str] = []  # principals that may list the bucket without a grant (admit_to_listing)
        self.policy = PolicyDocument(self._baseline_statements())
        if not props.principal_perimeter_opt_out_reason:
            self.policy.add_late(self._principal_perimeter)
            self.policy.add_late(self._listing_perimeter)
        self.bucket_policy = S3BucketPolicy(
            self, "policy", bucket=self.bucket.id, policy=self.policy.lazy_json()
        )
        self.ready_for_writes.append(self.bucket_policy)

    # -- attributes -------------------------------------------------------------------------------
    @property
    def bucket_arn(self) -> str:
        return self.bucket.arn

    @property
    def bucket_name(self) -> str:
        return self.bucket.bucket

    def arn_for_objects(self, prefix: str = "") -> str:
        return f"{self.bucket.arn}/{prefix}*"

    # -- grants -----------------------------------------------------------------------------------
    @property
    def granted_role_arns(self) -> list[str]:
        """Every role given read or write access through a grant (detection baselines use it)."""
        return list(self._granted.values())

    def grant_read(self, grantee: Grantee, *, prefix: str = "") -> None:
        """Read objects under ``prefix`` (and list that prefix), plus decrypt with the bucket key."""
        self._granted.setdefault(id(grantee), grantee.role_arn)
        label = self._label(prefix)
        grantee.add_to_policy(
            Statement(sid=f"Read{label}", effect="Allow", actions=actions.S3_READ,
                      resources=[self.arn_for_objects(prefix)])
        )
        grantee.add_to_policy(
            Statement(sid=f"List{label}", effect="Allow", actions=actions.S3_LIST, resources=[self.bucket_arn],
                      conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}} if prefix else {})
        )
        if self.key is not None:
            self.key.grant_decrypt(grantee)

    def grant_write(self, grantee: Grantee, *, prefix: str = "") -> None:
        """Write objects under ``prefix`` (no delete), plus encrypt with the bucket key."""
        self._granted.setdefault(id(grantee), grantee.role_arn)
        grantee.add_to_policy(
            Statement(sid=f"Write{self._label(prefix)}", effect="Allow", actions=actions.S3_WRITE,
                      resources=[self.arn_for_objects(prefix)])
        )
        if self.key is not None:
            self.key.grant_encrypt_decrypt(grantee)

    def grant_read_write(self, grantee: Grantee, *, prefix: str = "") -> None:
        self.grant_read(grantee, prefix=prefix)
        self.grant_write(grantee, prefix=prefix)

    def deny(self, grantee: Grantee, *, prefix: str, reason: str) -> None:
        """Explicitly deny ``grantee`` every object action under ``prefix`` -- in the bucket policy *and* the
        identity policy, so neither a later grant nor a misconfigured role can open it."""
        if len(reason) < 10:
            raise ValueError("deny(): give the reason for the explicit deny (at least 10 characters)")
        label = self._label(prefix)
        sid = f"Deny{grantee.grant_name}{label}"
        self.policy.add(
            Statement(sid=sid, effect="Deny", principals={"AWS": grantee.role_arn},
                      actions=actions.S3_OBJECT_ACCESS_DENIED, resources=[self.arn_for_objects(prefix)])
        )
        grantee.add_to_policy(
            Statement(sid=f"Deny{label}", effect="Deny", actions=actions.S3_OBJECT_ACCESS_DENIED,
                      resources=[self.arn_for_objects(prefix)])
        )

    def allow_service_delivery(
        self,
        *,
        sid: str,
        service: str,
        prefix: str,
        source_account: str,
        source_arn: str | None = None,
        extra_bucket_actions: Sequence[str] = (),
    ) -> None:
        """Let an AWS log-delivery service write under ``prefix`` only, scoped to our account/resource."""
        conditions: dict[str, Mapping[str, Any]] = {"StringEquals": {"aws:SourceAccount": source_account}}
        if source_arn:
            conditions["ArnLike"] = {"aws:SourceArn": source_arn}
        self.policy.add(
            Statement(sid=sid, effect="Allow", principals={"Service": service}, actions=["s3:PutObject"],
                      resources=[self.arn_for_objects(prefix)], conditions=conditions)
        )
        if extra_bucket_actions:
            self.policy.add(
                Statement(sid=f"{sid}BucketCheck", effect="Allow", principals={"Service": service},
                          actions=extra_bucket_actions, resources=[self.bucket_arn], conditions=conditions)
            )

    def accept_access_logs_from(self, source: SecureBucket) -> None:
        """Let S3 server access logging of ``source`` (only) write under ``s3-access/<source>/``."""
        label = "".join(part.title() for part in source.relative_path.split("/") if part)
        label = "".join(ch for ch in label if ch.isalnum())
        self.policy.add(
            Statement(sid=f"AccessLogsFrom{label}", effect="Allow", principals={"Service": "logging.s3.amazonaws.com"},
                      actions=["s3:PutObject"],
                      resources=[f"{self.bucket.arn}/s3-access/{source.props.bucket_name}/*"],
                      conditions={"ArnLike": {"aws:SourceArn": source.bucket_arn},
                                  "StringEquals": {"aws:SourceAccount": self._account_of(source)}})
        )

    @staticmethod
    def _account_of(source: SecureBucket) -> str:
        if source.props.owner_account_id is None:
            raise ValueError(f"{source.node.path}: owner_account_id is needed to accept its access logs")
        return source.props.owner_account_id

    def add_to_resource_policy(self, statement: Statement) -> None:
        self.policy.add(statement)

    # -- internals --------------------------------------------------------------------------------
    def _label(self, prefix: str) -> str:
        base = "".join(part.title() for part in self.node.id.replace("-", "_").split("_"))
        scope = "".join(ch for ch in prefix.title() if ch.isalnum()) or "All"
        return f"{base}{scope}"

    def _baseline_statements(self) -> list[Statement]:
        everything = [self.bucket.arn, f"{self.bucket.arn}/*"]
        statements = [
            Statement(sid="DenyInsecureTransport", effect="Deny", principals={"AWS": "*"}, actions=["s3:*"],
                      resources=everything, conditions={"Bool": {"aws:SecureTransport": "false"}}),
            Statement(sid="DenyOutdatedTls", effect="Deny", principals={"AWS": "*"}, actions=["s3:*"],
                      resources=everything, conditions={"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
            # Integrity: a SigV4 request must carry the SHA-256 of its payload (x-amz-content-sha256);
            # refuse uploads that opt out of payload hashing.
            # Every unsigned form: UNSIGNED-PAYLOAD (presigned URLs, payload signing off) and the trailer forms
            # current SDKs send by default over HTTPS (botocore >= 1.36: STREAMING-UNSIGNED-PAYLOAD-TRAILER with a
            # CRC32 trailer). Signed forms (a hex SHA-256, STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) pass; the
            # platform's uploader signs the SHA-256 of the payload (zero_trust_ai/runtime/manifests.py).
            # https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
            # AWS service deliveries (CloudTrail, log delivery) are exempt: AWS does not document how they sign
            # their PUTs, and an unsigned-payload delivery refused here would lose evidence without an error anyone
            # sees. aws:PrincipalIsAWSService is set only for service principals, so no IAM principal is exempt
            # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
            # #condition-keys-principalisawsservice).
            Statement(sid="DenyUnsignedPayloadUploads", effect="Deny", principals={"AWS": "*"},
                      actions=["s3:PutObject"], resources=[f"{self.bucket.arn}/*"],
                      conditions={"StringLike": {"s3:x-amz-content-sha256": list(UNSIGNED_PAYLOAD_FORMS)},
                                  "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}),
            # ... and uploads that carry no payload hash at all (browser POST forms, signature version 2), except
            # AWS service deliveries, which are not signed by the platform's clients.
            Statement(sid="DenyUploadsWithoutPayloadHash", effect="Deny", principals={"AWS": "*"},
                      actions=["s3:PutObject"], resources=[f"{self.bucket.arn}/*"],
                      conditions={"Null": {"s3:x-amz-content-sha256": "true"},
                                  "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}),
        ]
        if self.key is not None:
            statements.append(
                Statement(sid="DenyForeignKmsKey", effect="Deny", principals={"AWS": "*"}, actions=["s3:PutObject"],
                          resources=[f"{self.bucket.arn}/*"],
                          # Only when the header is sent: uploads without it get the bucket's default key.
                          # (StringNotEqualsIfExists would also deny every upload *without* the header.)
                          conditions={"StringNotEquals": {
                              "s3:x-amz-server-side-encryption-aws-kms-key-id": self.key.key_arn},
                              "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"}})
            )
        return statements

    def _principal_perimeter(self) -> Statement:
        """Deny object reads and writes to every principal outside the granted set.

        Identity policies alone are not a perimeter: in the same account, *any* principal whose identity policy
        allows ``s3:GetObject`` on ``*`` could read the bucket (same-account access needs an Allow on only one
        side, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html).
        This Deny names exactly the roles granted through :meth:`grant_read` / :meth:`grant_write` by the time the
        stack synthesizes (``aws:PrincipalArn`` is the role ARN for its sessions). AWS services acting as
        themselves (``aws:PrincipalIsAWSService``) are excepted; services acting for a role carry that role's ARN.
        Bucket administration (policy, configuration) is not covered, so the deploying principal and
        break-glass keep managing the bucket.
        """
        conditions: dict[str, Mapping[str, Any]] = {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}
        granted = self.granted_role_arns + list(self._admitted)
        if granted:
            conditions["ArnNotLike"] = {"aws:PrincipalArn": granted}
        return Statement(sid="DenyPrincipalsOutsideTheGrants", effect="Deny", principals={"AWS": "*"},
                         actions=actions.S3_OBJECT_PERIMETER, resources=[f"{self.bucket.arn}/*"],
                         conditions=conditions)

    def _listing_perimeter(self) -> Statement:
        """Object *names* are data too: listing the bucket is denied outside the granted set as well. The deploying
        principal is admitted for listing only (terraform's refresh of a bucket is a HeadBucket, i.e. s3:ListBucket)."""
        conditions: dict[str, Mapping[str, Any]] = {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}
        allowed = list(dict.fromkeys(self.granted_role_arns + self._admitted + self._listing))
        if allowed:
            conditions["ArnNotLike"] = {"aws:PrincipalArn": allowed}
        return Statement(sid="DenyListingOutsideTheGrants", effect="Deny", principals={"AWS": "*"},
                         actions=actions.S3_LIST_PERIMETER, resources=[self.bucket.arn], conditions=conditions)

    def admit_to_listing(self, principal_arn: str, *, reason: str) -> None:
        """Let a principal outside the grants list (not read) the bucket, e.g. the deploying principal."""
        if len(reason) < 20:
            raise ValueError("admit_to_listing(): say why this principal lists the bucket (>= 20 characters)")
        if principal_arn not in self._listing:
            self._listing.append(principal_arn)

    def admit_to_perimeter(self, principal_arn: str, *, reason: str) -> None:
        """Keep a principal that is granted elsewhere (e.g. the deploying principal, whose own IAM policy lets
        it upload function packages) outside the perimeter Deny. The perimeter stays on for everyone else."""
        if len(reason) < 20:
            raise ValueError("admit_to_perimeter(): say why this principal needs object access (>= 20 characters)")
        if self.props.principal_perimeter_opt_out_reason:
            raise ValueError(f"{self.node.path}: the bucket has no principal perimeter to admit principals to")
        if principal_arn not in self._admitted:
            self._admitted.append(principal_arn)

    def require_conditional_writes(self, *, prefix: str) -> None:
        """Refuse every write under ``prefix`` that could replace an existing object: PutObject and
        CompleteMultipartUpload must carry ``If-None-Match: *`` (``s3:if-none-match``). Object Lock keeps old
        *versions*, but a plain PUT to an existing key would make a new current version -- a swapped model.
        The multipart steps that accept no conditional header (``s3:ObjectCreationOperation`` false) pass.
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html"""
        self.policy.add(Statement(
            sid=f"DenyOverwrites{self._label(prefix)}", effect="Deny", principals={"AWS": "*"},
            actions=["s3:PutObject"], resources=[self.arn_for_objects(prefix)],
            conditions={"Null": {"s3:if-none-match": "true"},
                        "BoolIfExists": {"s3:ObjectCreationOperation": "true"}}))

    @staticmethod
    def _abort_incomplete_uploads() -> S3BucketLifecycleConfigurationRule:
        return S3BucketLifecycleConfigurationRule(
            id="abort-incomplete-multipart-uploads",
            status="Enabled",
            filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
            abort_incomplete_multipart_upload=[
                S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
            ],
        )

    @staticmethod
    def _lifecycle(rule: LifecycleRule) -> S3BucketLifecycleConfigurationRule:
        return S3BucketLifecycleConfigurationRule(
            id=rule.id,
            status="Enabled",
            filter=[S3BucketLifecycleConfigurationRuleFilter(prefix=rule.prefix)],
            transition=[S3BucketLifecycleConfigurationRuleTransition(
                days=rule.transition_to_glacier_ir_days, storage_class="GLACIER_IR")]
            if rule.transition_to_glacier_ir_days else None,
            noncurrent_version_expiration=[S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                noncurrent_days=rule.noncurrent_version_expiration_days)]
            if rule.noncurrent_version_expiration_days else None,
        )
