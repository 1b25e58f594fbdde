"""Every IAM action list the constructs grant, in one place (reviewed like an API).

No list contains a wildcard: deny by default means every grant names its actions.
"""

from __future__ import annotations

# GetObjectAttributes of a *version* (how a consumer checks a pinned artifact's stored SHA-256) needs
# s3:GetObjectVersionAttributes (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html)
S3_READ = ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes",
           "s3:GetObjectTagging")
S3_LIST = ("s3:ListBucket",)
S3_WRITE = ("s3:PutObject", "s3:AbortMultipartUpload", "s3:PutObjectTagging")
S3_DELETE = ("s3:DeleteObject", "s3:DeleteObjectVersion")
# The principal perimeter of a data bucket (a Deny, so wildcards cover every object read/write/delete variant).
S3_OBJECT_PERIMETER = ("s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:RestoreObject",
                       "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:ReplicateObject")
# What a workload role may do only from inside the platform's VPCs (WorkloadRole.bind_data_access_to_networks).
NETWORK_BOUND_DATA_ACTIONS = ("s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:ListBucket*",
                              "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:Sign")
# Listing a data bucket reveals its object names: denied outside the granted set too (bucket ARN).
S3_LIST_PERIMETER = ("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads")
S3_OBJECT_ACCESS_DENIED = ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:PutObject",
                           "s3:DeleteObject", "s3:DeleteObjectVersion")

KMS_DECRYPT = ("kms:Decrypt", "kms:DescribeKey")
KMS_ENCRYPT_DECRYPT = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
KMS_SIGN = ("kms:Sign", "kms:DescribeKey", "kms:GetPublicKey")
KMS_VERIFY = ("kms:Verify", "kms:DescribeKey", "kms:GetPublicKey")
# Key administration without the ability to use the key for data (separation of duties). No CreateGrant: a
# grant hands out data-plane use. This is what the account root gets in every key policy.
KMS_ADMIN = (
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey", "kms:DisableKey",
    "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus", "kms:GetPublicKey", "kms:ListGrants", "kms:ListKeyPolicies",
    "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RevokeGrant", "kms:ScheduleKeyDeletion",
    "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
)
# Data-plane KMS actions: never to the account root or "*" (CKV_ZTAI_011, tests/test_invariants_perimeter.py).
KMS_DATA_PLANE = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair",
                  "kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext",
                  "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:Sign", "kms:CreateGrant")
# What the principal that runs terraform needs while it stores deploy-time data under a platform key (function
# packages and the CA bundle in S3, SecureString settings in SSM, client secrets in Secrets Manager, encrypted
# Lambda environments): only through those services (kms:ViaService), and it reads them back on refresh.
KMS_DEPLOYMENT = KMS_ENCRYPT_DECRYPT

# What the account that *delivers* into another account's archive may never do there (an explicit Deny in the
# archive's bucket policies, on top of cross-account evaluation, which already needs an Allow the policies never
# give): erase or re-lock evidence, or change the bucket's policy, lifecycle, versioning, encryption or logging.
ARCHIVE_TAMPERING = (
    "s3:BypassGovernanceRetention", "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:DeleteObject",
    "s3:DeleteObjectVersion", "s3:PutBucketAcl", "s3:PutBucketLogging", "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls", "s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration", "s3:PutObjectAcl", "s3:PutObjectLegalHold",
    "s3:PutObjectRetention", "s3:PutReplicationConfiguration",
)
# ... and on the archive key: schedule its deletion, disable it, rewrite its policy, hand out grants.
KMS_KEY_TAMPERING = (
    "kms:CreateGrant", "kms:DeleteImportedKeyMaterial", "kms:DisableKey", "kms:DisableKeyRotation",
    "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:UpdatePrimaryRegion",
)

# What a service needs to write encrypted data with a key on a caller's behalf (logs, CloudTrail, SNS).
KMS_SERVICE_ENCRYPT = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
                       "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo")

# -- shared by the endpoint policies and the grants (defined once; the grants below reuse them) -------------------
ECR_PULL = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
SSM_READ_PARAMETERS = ("ssm:GetParameter", "ssm:GetParameters")
SECRET_READ = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")

VPC_ENDPOINT_S3 = ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:ListBucket", "s3:GetObjectAttributes",
                   "s3:GetObjectVersionAttributes", "s3:AbortMultipartUpload", "s3:GetBucketLocation")

# Interface endpoint policies: what workloads inside the VPC may call through each endpoint.
ENDPOINT_ACTIONS: dict[str, tuple[str, ...]] = {
    "sts": ("sts:AssumeRole", "sts:GetCallerIdentity", "sts:TagSession", "sts:SetSourceIdentity"),
    "kms": ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:GetPublicKey",
            "kms:Sign", "kms:Verify"),
    "logs": ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"),
    "ecr.api": ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages",
                "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer"),
    "ecr.dkr": ECR_PULL,
    "sagemaker.api": ("sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
                      "sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:DescribeEndpoint",
                      "sagemaker:ListTrainingJobs", "sagemaker:AddTags"),
    "sagemaker.runtime": ("sagemaker:InvokeEndpoint",),
    "ssm": SSM_READ_PARAMETERS,
    "secretsmanager": SECRET_READ,
}

# -- personas -----------------------------------------------------------------------------------------
SAGEMAKER_TRAINING = ("sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
                      "sagemaker:ListTrainingJobs", "sagemaker:AddTags")
BATCH_TRAINING = ("batch:SubmitJob", "batch:DescribeJobs", "batch:ListJobs", "batch:TerminateJob",
                  "batch:TagResource")
# Routing changes only (weights and rules, targets, capacity). Deliberately absent: ModifyListener (mTLS mode, TLS
# policy), launch-template writes, UpdateAutoScalingGroup and StartInstanceRefresh (both can switch the group to
# another template version) -- those change only through Terraform.
SERVING_UPDATE = ("elasticloadbalancing:ModifyRule", "elasticloadbalancing:RegisterTargets",
                  "elasticloadbalancing:DeregisterTargets", "autoscaling:SetDesiredCapacity")
SERVING_DESCRIBE = ("elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
                    "elasticloadbalancing:DescribeLoadBalancers", "autoscaling:DescribeAutoScalingGroups",
                    "ec2:DescribeLaunchTemplateVersions")
SERVING_INVOKE = ("sagemaker:InvokeEndpoint", "execute-api:Invoke")
# Security auditor: calls without resource-level permissions (they need "*"), and reads that AWS scopes to a
# resource, granted on the platform's resources only (CKV_AWS_355).
AUDIT_READ_GLOBAL = ("cloudtrail:LookupEvents", "cloudtrail:DescribeTrails", "guardduty:ListDetectors",
                     "logs:DescribeLogGroups", "ec2:DescribeFlowLogs", "ec2:DescribeSecurityGroups",
                     "ec2:DescribeVpcEndpoints")
AUDIT_READ_HUB = ("securityhub:GetFindings", "securityhub:DescribeStandards")
AUDIT_READ_TRAIL = ("cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors")
AUDIT_READ_FINDINGS = ("guardduty:GetFindings", "guardduty:ListFindings", "guardduty:GetDetector")
AUDIT_READ_LOGS = ("logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:StartQuery",
                   "logs:GetQueryResults")
AUDIT_READ_IAM = ("iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
                  "iam:GetPolicy", "iam:GetPolicyVersion")
AUDIT_READ_KEYS = ("kms:GetKeyPolicy", "kms:GetKeyRotationStatus")
AUDIT_READ_BUCKETS = ("s3:GetBucketPolicy", "s3:GetEncryptionConfiguration", "s3:GetBucketPublicAccessBlock")
AUDIT_READ = (AUDIT_READ_GLOBAL + AUDIT_READ_HUB + AUDIT_READ_TRAIL + AUDIT_READ_FINDINGS + AUDIT_READ_LOGS
              + AUDIT_READ_IAM + AUDIT_READ_KEYS + AUDIT_READ_BUCKETS)
# Break-glass: incident response, explicit and bounded -- lift a quarantine, stop jobs, inspect.
BREAK_GLASS = ("iam:DeleteRolePolicy", "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies",
               "sagemaker:StopTrainingJob", "batch:TerminateJob", "batch:UpdateJobQueue",
               "elasticloadbalancing:ModifyListener", "autoscaling:UpdateAutoScalingGroup")
# Extending a quarantine: remove its scheduled release (the role stays isolated until released by hand).
BREAK_GLASS_QUARANTINE = ("scheduler:DeleteSchedule", "scheduler:GetSchedule")
# Never on the roles that deliver evidence or run the automated response (explicit Deny on break-glass).
BREAK_GLASS_NEVER_ON_RESPONSE_ROLES = ("iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePolicy",
                                       "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole",
                                       "iam:TagRole", "iam:UntagRole")
# Lockout safety: break-glass may restore a key or bucket policy (e.g. after a broken deployment). Every other person
# is denied these by the boundary; break-glass use raises an alarm, and so does every policy change.
BREAK_GLASS_RECOVERY = ("kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:DescribeKey", "s3:PutBucketPolicy",
                        "s3:GetBucketPolicy")
PASS_ROLE = ("iam:PassRole",)
# Never allowed to a human role, even by mistake in a grant (enforced by the permissions boundary).
BOUNDARY_DENIED = ("iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
                   "iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary",
                   "iam:DeleteUserPermissionsBoundary", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
                   "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy",
                   "organizations:LeaveOrganization", "cloudtrail:StopLogging", "cloudtrail:DeleteTrail",
                   "guardduty:DeleteDetector", "guardduty:DisassociateFromMasterAccount",
                   "securityhub:DisableSecurityHub", "kms:ScheduleKeyDeletion", "kms:DisableKey",
                   "kms:PutKeyPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
                   "s3:PutBucketPublicAccessBlock", "s3:BypassGovernanceRetention", "ec2:CreateInternetGateway",
                   "ec2:AttachInternetGateway", "ec2:CreateNatGateway", "ec2:AuthorizeSecurityGroupIngress")

# -- training compute ---------------------------------------------------------------------------------
# What the ECS agent on a Batch GPU instance needs (instead of the wildcard managed policy).
ECS_AGENT = ("ecs:DeregisterContainerInstance", "ecs:DiscoverPollEndpoint", "ecs:Poll",
             "ecs:RegisterContainerInstance", "ecs:StartTelemetrySession", "ecs:SubmitContainerStateChange",
             "ecs:SubmitTaskStateChange", "ecs:UpdateContainerInstancesState")
ECR_AUTH = ("ecr:GetAuthorizationToken",)
LOGS_WRITE = ("logs:CreateLogStream", "logs:PutLogEvents")

ENDPOINT_ACTIONS.update({
    # The ECS agent of Batch instances talks to these three endpoints.
    "ecs": ECS_AGENT,
    "ecs-agent": ("ecs:Poll", "ecs:DiscoverPollEndpoint"),
    "ecs-telemetry": ("ecs:StartTelemetrySession",),
})
# The endpoint actions that name no resource (Resource "*" only in the Service Authorization Reference,
# https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html):
# their requests have no resource owner, so no aws:ResourceOrgID, and an Allow that requires that key never matches
# them (an absent key does not match a StringEquals). The organisation perimeter of an endpoint binds their caller only.
ENDPOINT_ACTIONS_WITHOUT_RESOURCE = frozenset({
    "sts:GetCallerIdentity", "ecr:GetAuthorizationToken", "sagemaker:ListTrainingJobs", "ecs:DiscoverPollEndpoint",
})

# -- automated quarantine -------------------------------------------------------------------------------
QUARANTINE_IAM = ("iam:GetRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
                  "iam:ListRoleTags", "iam:TagRole", "iam:UntagRole")
QUARANTINE_SCHEDULER = ("scheduler:CreateSchedule", "scheduler:DeleteSchedule")
XRAY_WRITE = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")

# -- serving ----------------------------------------------------------------------------------------------
# (SSM_READ_PARAMETERS and SECRET_READ: above, shared with the endpoint policies.)
# What the Auto Scaling service-linked role needs on a CMK that encrypts launched volumes.
KMS_EBS_VOLUMES = KMS_SERVICE_ENCRYPT
JWKS_PUBLISH = ("ssm:GetParameter", "ssm:PutParameter")

# -- model APIs (Bedrock) -----------------------------------------------------------------------------------
# What a workload may call on a foundation model (identity policy and bedrock-runtime endpoint policy).
BEDROCK_INVOKE = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
# Invoking with a guardrail evaluates it: the caller needs ApplyGuardrail on that guardrail.
BEDROCK_APPLY_GUARDRAIL = ("bedrock:ApplyGuardrail",)
# What Bedrock needs on the archive's key to write invocation logs (SSE-KMS objects).
KMS_BEDROCK_LOG_DELIVERY = ("kms:DescribeKey", "kms:GenerateDataKey")

# -- log delivery ------------------------------------------------------------------------------------------------
# What the log delivery service needs on the archive bucket itself (beside PutObject on its prefix).
LOG_DELIVERY_BUCKET_CHECK = ("s3:GetBucketAcl", "s3:ListBucket")
# What the log delivery service needs on the logs key to write encrypted flow logs into the archive.
KMS_LOG_DELIVERY = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
                    "kms:DescribeKey")
# What the VPC flow-log role needs on its own log group.
FLOW_LOGS_DELIVER = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")
# The quarantine function traces an alarm to its metric filter, then to the offending records in the trail's group.
QUARANTINE_TRAIL_LOOKUP = ("logs:DescribeMetricFilters", "logs:FilterLogEvents")
