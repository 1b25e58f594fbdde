"""What the local emulator (moto 5.x) cannot do, and how the `local` environment handles each gap.

Every entry is listed by name in the deploy summary. ``handling`` says what differs from the cloud
environments; nothing here weakens dev/staging/prod.
"""

from __future__ import annotations

from dataclasses import dataclass

from zero_trust_ai.capabilities import Capability


@dataclass(frozen=True)
class EmulatorGap:
    control: str
    gap: str
    handling: str
    capability: Capability | None = None  # the platform's switch for it, if the gap is a capability switch


GAPS: tuple[EmulatorGap, ...] = (
    EmulatorGap(
        control="S3 object events to EventBridge (all buckets)",
        gap="moto accepts PutBucketNotificationConfiguration with EventBridge but never returns it, so "
        "every plan shows a change",
        handling="not configured in `local`; configured in dev/staging/prod and asserted by tests",
    ),
    EmulatorGap(
        control="Launch template drift detection (training compute)",
        gap="moto reports the template's own tags as a 'launch-template' tag specification of the version, "
        "so every plan shows a change",
        handling="`local` ignores changes to tag_specifications of the GPU launch template; the cloud "
        "environments show all drift",
    ),
    EmulatorGap(
        control="S3 lifecycle rules (abort incomplete multipart uploads)",
        gap="after PutBucketLifecycleConfiguration the provider waits until ten reads in a row return the rules "
        "(10 s delay, then every 5 s): about 55 s per bucket, measured per resource from terraform's -json output "
        "(python -m blueprint.bench --main-job); AWS pays the same wait",
        handling="kept as in the cloud; the nine waits run side by side (-parallelism 30 for the emulator, "
        "blueprint/deploy/tuning.py), off the apply's critical path",
    ),
    EmulatorGap(
        control="KMS custom rotation period",
        gap="moto does not store rotation_period_in_days",
        handling="all environments use rotation with the AWS default period (365 days)",
    ),
)

# -- capability switches: controls the `local` stack deploys differently (visible in its synthesized
# output as the `emulator_capability_gaps` output, and in every deploy summary) ------------------------
MUTUAL_TLS_TRUST_STORE = EmulatorGap(
    control="Serving listener mutual TLS (ELB trust store, mode verify)",
    gap="moto does not implement CreateTrustStore and ignores a listener's MutualAuthentication",
    handling="`local` creates the private trust bucket but neither uploads the client CA bundle (see the S3 "
    "upload gap) nor creates a trust store: its HTTPS (TLS 1.3) listener does not verify client certificates; "
    "dev/staging/prod verify them (asserted by tests and CKV_ZTAI_002)",
    capability=Capability.MUTUAL_TLS_TRUST_STORE,
)
LAMBDA_CODE_SIGNING = EmulatorGap(
    control="Code signing of the quarantine function (Signer signing job + Lambda code-signing config)",
    gap="moto implements neither StartSigningJob nor CreateCodeSigningConfig",
    handling="`local` creates the signing profile and deploys the unsigned package directly (not through the "
    "artifact bucket: see the S3 upload gap); dev/staging/prod deploy only the signed object, enforced by a "
    "code-signing config",
    capability=Capability.LAMBDA_CODE_SIGNING,
)
SECURITY_HUB_STANDARDS = EmulatorGap(
    control="Security Hub with the AWS Foundational Security Best Practices standard",
    gap="moto answers UpdateSecurityHubConfiguration (which the provider calls when it enables the hub) with "
    "HTTP 500 and does not implement BatchEnableStandards",
    handling="`local` does not enable Security Hub; dev/staging/prod enable it and subscribe the standard",
    capability=Capability.SECURITY_HUB_STANDARDS,
)
S3_CONDITIONAL_DENIES = EmulatorGap(
    control="Uploads into buckets whose policy has conditional Deny statements",
    gap="moto evaluates a condition whose key the request does not carry (aws:SecureTransport, s3:TlsVersion, "
    "...) as matching, so every conditional Deny applies and every object upload is refused (403), "
    "whatever the transport",
    handling="`local` uploads nothing through terraform into such buckets; the drill's real plain-HTTP upload "
    "therefore proves that the policy is attached and enforced, and the TLS condition itself is decided by "
    "policy evaluation",
)
LAMBDA_DEAD_LETTER_CONFIG = EmulatorGap(
    control="Drift detection of the quarantine function's dead-letter queue setting",
    gap="moto accepts DeadLetterConfig on CreateFunction but never returns it, so every plan shows a change",
    handling="`local` ignores changes to dead_letter_config of the quarantine function (the DLQ is still set at "
    "creation); the cloud environments show all drift",
)
TEARDOWN = EmulatorGap(
    control="Destroying the token issuer and the trail",
    gap="moto answers DeleteResourceServer with HTTP 500, and its DeleteTrail ignores the trail ARN the "
    "provider sends (the trail silently survives)",
    handling="emulator teardown deletes user pools and trails through the API before `terraform destroy` "
    "(blueprint.verify.live.prepare_emulator_teardown); never done against AWS",
)
LAMBDA_INVOCATION = EmulatorGap(
    control="Quarantine function execution",
    gap="moto stores Lambda functions but cannot run them without Docker",
    handling="the handler is tested in-process against moto (tests/test_quarantine_handler.py) and the drill "
    "runs it in-process against the deployed `local` emulator",
)
DNS_FIREWALL = EmulatorGap(
    control="Route 53 Resolver DNS Firewall on the platform VPCs (AWS service domains only)",
    gap="moto implements no Route 53 Resolver DNS Firewall API (domain lists, rule groups, associations)",
    handling="`local` creates no DNS Firewall; dev/staging/prod associate it with both VPCs, fail closed "
    "(asserted by tests/test_invariants_perimeter.py)",
    capability=Capability.DNS_FIREWALL,
)
PIPELINE_JOBS = EmulatorGap(
    control="ML pipeline stages (Batch jobs) and the run recorder (issue 17)",
    gap="moto registers Batch job definitions but cannot run containers (no Docker) nor Lambda code, its "
    "EventBridge TestEventPattern is not implemented, and it applies every conditional Deny of the data buckets' "
    "policies to every object request",
    handling="the drill's lifecycle scenario runs the stage entry points and the run-recorder handler in-process "
    "with STS sessions of the deployed roles and the deployed job definitions' settings; each S3/KMS request is "
    "decided by evaluating the deployed policies, then served by a drill copy of the bucket (signatures by the "
    "deployed KMS keys); the rule's pattern is matched with moto's EventBridge matcher "
    "(blueprint/drill/lifecycle.py)",
)
CAPABILITY_SWITCHES: tuple[EmulatorGap, ...] = (MUTUAL_TLS_TRUST_STORE, LAMBDA_CODE_SIGNING, SECURITY_HUB_STANDARDS,
                                                DNS_FIREWALL)
# Switches that apply only when the environment enables the feature (serving.model_apis.bedrock).
BEDROCK_GUARDRAIL = EmulatorGap(
    control="Bedrock guardrail required on model invocations (guardrail, version, intervention alarm)",
    gap="moto implements no Bedrock guardrail API (CreateGuardrail, CreateGuardrailVersion)",
    handling="`local` (when serving.model_apis.bedrock is on) creates no guardrail: the roles may still invoke "
    "only with a guardrail of this account named in the request (ArnLike), and there is no intervention alarm; "
    "dev/staging/prod create the guardrail and require its ARN:version (asserted by "
    "tests/test_invariants_model_apis.py)",
    capability=Capability.BEDROCK_GUARDRAIL,
)
NETWORK_FIREWALL = EmulatorGap(
    control="External model APIs by domain allow-list (Network Firewall, NAT and internet gateway of the serving VPC)",
    gap="moto implements no Network Firewall API (rule groups, firewall policies, firewalls, logging)",
    handling="`local` (when serving.model_apis.external is on) creates no egress path at all -- no firewall means no "
    "way out, never an unfiltered one: no internet or NAT gateway, no firewall, the named workloads stay in the "
    "private subnets; dev/staging/prod build it (asserted by tests/test_invariants_egress.py), and the drill decides "
    "the egress attempts on the synthesized rules of an environment that configures it",
    capability=Capability.NETWORK_FIREWALL,
)
FEATURE_SWITCHES: tuple[EmulatorGap, ...] = (BEDROCK_GUARDRAIL, NETWORK_FIREWALL)
GAPS = (*GAPS, *CAPABILITY_SWITCHES, *FEATURE_SWITCHES, S3_CONDITIONAL_DENIES, LAMBDA_DEAD_LETTER_CONFIG,
        TEARDOWN, LAMBDA_INVOCATION, PIPELINE_JOBS)

# -- the emulated organization (environments/organization-local.yaml) -----------------------------------------------
ORGANIZATION_POLICIES = EmulatorGap(
    control="Organization SCPs and RCP (guardrails and data perimeter)",
    gap="moto creates the organization, OUs, accounts and SERVICE_CONTROL_POLICY / RESOURCE_CONTROL_POLICY policies "
    "and attaches them (FullAWSAccess / RCPFullAWSAccess included), but enforces none of them; it assigns the ids of "
    "the member accounts it creates, and the `local` stack runs in its management account, which SCPs and RCPs "
    "never reach",
    handling="`organization-local` deploys the same stack and policies as `organization` (created accounts instead "
    "of adopted ones); the drill reads the attached policies back through the Organizations API and decides each "
    "attempt against a member account of the workload OU with AWS's semantics (blueprint/drill/organization.py)",
)
DELEGATED_ACCOUNTS_NAME = "Delegated accounts"  # the config's refusal (stacks/config/model.py) names it
DELEGATED_ACCOUNTS = EmulatorGap(
    control=f"{DELEGATED_ACCOUNTS_NAME} (evidence into the log-archive account; GuardDuty and Security Hub "
    "administered from the security-tooling account)",
    gap="moto's CreateAccount gives each account it creates a random id (organizations/utils.py, "
    "make_random_account_id) and there is no way to adopt an account by id, so the emulated organization's "
    "log-archive and security-tooling accounts cannot be named by id in an environment file; its Security Hub "
    "EnableOrganizationAdminAccount and Organizations RegisterDelegatedAdministrator refuse an account that is not "
    "such a member; GuardDuty's organization configuration (UpdateOrganizationConfiguration, auto-enable) is not "
    "implemented",
    handling="`local` keeps the single-account layout (the config refuses delegated_accounts for the emulator, "
    "naming this entry): its own log archive receives the trail, flow logs and access logs, and it runs its own "
    "GuardDuty detector; staging and prod deliver to the delegated accounts (asserted by "
    "tests/test_invariants_delegated.py)",
)
GAPS = (*GAPS, ORGANIZATION_POLICIES, DELEGATED_ACCOUNTS)
