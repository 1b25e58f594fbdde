"""The control catalogue: every zero-trust control of the platform, mapped to frameworks.

Each construct class declares the controls it implements (``implements = ("ZT-NET-1", ...)``);
``blueprint.docs.traceability`` joins that with the constructs present in an environment and with the tests
listed here to produce a coverage matrix per environment, gaps included.

NIST SP 800-207 tenets (numbered as in section 2.1): 1 all data sources and services are resources;
2 all communication is secured regardless of location; 3 access is granted per session; 4 access is
determined by dynamic policy; 5 integrity and security posture of assets are monitored; 6 authentication
and authorization are dynamic and strictly enforced; 7 information is collected to improve posture.
CISA Zero Trust Maturity Model v2 pillars: Identity, Devices, Networks, Applications & Workloads, Data
(+ cross-cutting Visibility & Analytics, Automation & Orchestration, Governance).
OWASP Machine Learning Security Top 10: ML01 input manipulation, ML02 data poisoning, ML05 model theft,
ML06 AI supply-chain attacks, ML10 model poisoning.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Control:
    id: str
    seed_step: int
    title: str
    nist_tenets: tuple[int, ...]
    cisa_pillars: tuple[str, ...]
    owasp_ml: tuple[str, ...]
    tests: tuple[str, ...]
    # A feature's control (model APIs): absent where the configuration does not turn the feature on, which is then
    # "off here", not a gap -- the invariants assert it present wherever the feature is configured.
    opt_in: bool = False


CATALOGUE: tuple[Control, ...] = (
    Control(
        "ZT-MAP-1",
        1,
        "Attack-surface map generated from code, drift-checked",
        (1, 7),
        ("Visibility & Analytics", "Governance"),
        (),
        ("tests/test_surface.py",),
    ),
    Control(
        "ZT-IAM-1",
        2,
        "Per-person roles with fresh MFA and source identity; no IAM users",
        (3, 6),
        ("Identity",),
        ("ML05",),
        ("tests/test_invariants_identity.py", "policy/checks/ZTAI_004, ZTAI_008"),
    ),
    Control(
        "ZT-IAM-2",
        2,
        "Least privilege: explicit grants per prefix, permissions boundary, no wildcards",
        (4, 6),
        ("Identity", "Data"),
        ("ML02", "ML05"),
        ("tests/test_invariants_identity.py",),
    ),
    Control(
        "ZT-IAM-3",
        4,
        "Workload roles trust one service with SourceAccount/SourceArn; sessions <= 1 h",
        (3, 6),
        ("Identity", "Applications & Workloads"),
        (),
        ("tests/test_invariants_identity.py",),
    ),
    Control(
        "ZT-DATA-1",
        3,
        "Buckets: SSE-KMS per domain, private, versioned, TLS >= 1.2 only, access-logged",
        (1, 2),
        ("Data",),
        ("ML02", "ML05"),
        ("tests/test_invariants_data.py", "policy/checks/ZTAI_005"),
    ),
    Control(
        "ZT-DATA-2",
        3,
        "Trainer denied validation data (explicit Deny)",
        (4,),
        ("Data", "Identity"),
        ("ML02", "ML10"),
        ("tests/test_invariants_data.py", "policy/checks/ZTAI_003"),
    ),
    Control(
        "ZT-DATA-3",
        3,
        "SHA-256 integrity and KMS-signed manifests; Object-Locked model registry",
        (5,),
        ("Data", "Applications & Workloads"),
        ("ML02", "ML06", "ML10"),
        ("tests/test_manifests.py", "tests/test_invariants_data.py"),
    ),
    Control(
        "ZT-KMS-1",
        3,
        "One CMK per data domain, rotation on, explicit key policy",
        (1, 4),
        ("Data",),
        ("ML05",),
        ("tests/test_invariants_data.py", "policy/checks/ZTAI_006"),
    ),
    Control(
        "ZT-NET-1",
        4,
        "Segmented private VPCs: no IGW/NAT/public IP (outside ZT-MDL-2's egress path), endpoints only, NACLs, "
        "empty default SG",
        (2,),
        ("Networks",),
        ("ML05",),
        ("tests/test_invariants_network.py", "policy/checks/ZTAI_001"),
    ),
    Control(
        "ZT-NET-2",
        4,
        "Flow logs of every VPC to the archive and CloudWatch",
        (5, 7),
        ("Networks", "Visibility & Analytics"),
        (),
        ("tests/test_invariants_network.py",),
    ),
    Control(
        "ZT-COMP-1",
        4,
        "GPU training in private subnets, IMDSv2, encrypted volumes, logged jobs",
        (2, 5),
        ("Devices", "Applications & Workloads"),
        ("ML06", "ML10"),
        ("tests/test_invariants_compute.py",),
    ),
    Control(
        "ZT-SRV-1",
        5,
        "Private serving with mutual TLS, short-lived tokens, WAF rate limit, anomaly alarms",
        (2, 3, 6),
        ("Applications & Workloads", "Networks"),
        ("ML01", "ML05"),
        ("tests/test_invariants_serving.py", "tests/test_token_validator.py", "policy/checks/ZTAI_002"),
    ),
    Control(
        "ZT-LOG-1",
        6,
        "Multi-region CloudTrail, encrypted log groups >= 365 d, CIS alarms, GuardDuty, Security Hub",
        (5, 7),
        ("Visibility & Analytics",),
        ("ML02",),
        ("tests/test_invariants_monitoring.py", "policy/checks/ZTAI_007"),
    ),
    Control(
        "ZT-LOG-2",
        6,
        "Automated quarantine of a compromised identity",
        (4, 5),
        ("Automation & Orchestration", "Identity"),
        ("ML05",),
        ("tests/test_quarantine_handler.py", "tests/test_invariants_monitoring.py"),
    ),
    Control(
        "ZT-DATA-4",
        3,
        "Resource-side data perimeter: keys give the account administration only, buckets deny every "
        "principal outside the granted set",
        (1, 4, 6),
        ("Data", "Identity"),
        ("ML02", "ML05"),
        ("tests/test_invariants_perimeter.py", "policy/checks/ZTAI_011, ZTAI_012"),
    ),
    Control(
        "ZT-DATA-5",
        3,
        "Registry integrity: no overwrite by key, signed payloads, release signing separate from training",
        (5,),
        ("Data", "Applications & Workloads"),
        ("ML06", "ML10"),
        ("tests/test_invariants_perimeter.py", "tests/test_manifests.py"),
    ),
    Control(
        "ZT-NET-3",
        4,
        "Network perimeter: workload data access only from the platform VPCs; S3 endpoints bind the owner; "
        "member accounts' endpoints bind the organisation (aws:PrincipalOrgID, aws:ResourceOrgID)",
        (2, 6),
        ("Networks", "Applications & Workloads"),
        ("ML05",),
        ("tests/test_invariants_perimeter.py", "tests/test_invariants_org_perimeter.py", "policy/checks/ZTAI_013"),
    ),
    Control(
        "ZT-NET-4",
        4,
        "DNS Firewall: private VPCs resolve only the AWS service names they need",
        (2,),
        ("Networks",),
        ("ML05",),
        ("tests/test_invariants_perimeter.py",),
    ),
    Control(
        "ZT-SRV-2",
        5,
        "Serving control plane: no persona can change listener security or launch templates; pinned versions",
        (4, 5),
        ("Applications & Workloads", "Identity"),
        ("ML10",),
        ("tests/test_invariants_perimeter.py", "policy/checks/ZTAI_015"),
    ),
    Control(
        "ZT-TEST-1",
        7,
        "Policy gate in CI (checkov + AI-platform pack) with one suppression register",
        (7,),
        ("Governance",),
        ("ML06",),
        ("tests/test_policy_gate.py", "tests/test_policy_checks.py"),
    ),
    Control(
        "ZT-TEST-2",
        7,
        "Red-team drill against the deployed emulator environment",
        (5, 7),
        ("Governance", "Visibility & Analytics"),
        ("ML01", "ML02", "ML05"),
        ("tests/test_deploy_e2e.py",),
    ),
    Control(
        "ZT-MDL-1",
        5,
        "Model APIs without egress: Bedrock runtime endpoint limited to configured models and roles, guardrail "
        "required, invocations logged and alarmed",
        (2, 4, 6),
        ("Networks", "Applications & Workloads", "Visibility & Analytics"),
        ("ML01", "ML05"),
        ("tests/test_invariants_model_apis.py", "tests/test_config_model_apis.py", "tests/test_drill_model_apis.py"),
        opt_in=True,
    ),
    Control(
        "ZT-MDL-2",
        5,
        "External model APIs by domain allow-list only, off by default: Network Firewall in the serving VPC (TLS SNI / "
        "HTTP Host allow-list, default drop + alert), only named workloads in its subnets, DNS Firewall answers only "
        "the allowed names, firewall logs to the archive, blocked-attempt alarms",
        (2, 4, 5),
        ("Networks", "Applications & Workloads", "Visibility & Analytics"),
        ("ML05", "ML06"),
        ("tests/test_invariants_egress.py", "tests/test_config_model_apis.py", "tests/test_drill_model_apis.py",
         "tests/constructs/test_model_egress.py"),
        opt_in=True,
    ),
    Control(
        "ZT-ORG-1",
        2,
        "Organisation guardrails: SCPs no account admin can lift, RCP data perimeter (aws:PrincipalOrgID, "
        "aws:SourceOrgID), security OU",
        (4, 6),
        ("Governance", "Identity", "Data"),
        ("ML05",),
        ("tests/test_invariants_organization.py", "tests/test_config_organization.py",
         "tests/test_organization_e2e.py", "tests/test_organization_delegated.py",
         "tests/test_delegated_archive_e2e.py"),
    ),
    Control(
        "ZT-PIPE-1",
        3,
        "Pipeline stages as workloads: ingestion, features, training, release and serving each with its own "
        "service-trusted identity (source conditions), image pinned by digest, least-privilege prefix grants; each "
        "stage verifies the signed manifest it receives (key, kind, subject, pinned versions, SHA-256) and signs "
        "what it produces; only release signs with the release key",
        (1, 4, 5, 6),
        ("Applications & Workloads", "Data", "Identity"),
        ("ML02", "ML06", "ML10"),
        ("tests/test_invariants_pipeline.py", "tests/test_pipeline_stages.py", "tests/test_deploy_e2e.py"),
    ),
    Control(
        "ZT-LOG-3",
        4,
        "Run records: every pipeline job's command, image digest and environment recorded by the platform (not the "
        "job) from Batch state changes of its own queues, create-only under run-records/ in the Object-Locked archive",
        (5, 7),
        ("Visibility & Analytics", "Applications & Workloads"),
        ("ML06",),
        ("tests/test_invariants_pipeline.py", "tests/test_run_recorder.py"),
    ),
)

BY_ID = {control.id: control for control in CATALOGUE}

# Controls provided by project tooling rather than by a construct in the stack.
TOOLING: dict[str, str] = {
    "ZT-MAP-1": "blueprint/docs/surface.py",
    "ZT-TEST-1": "blueprint/gate/runner.py + policy/checks/",
    "ZT-TEST-2": "blueprint/drill/platform.py + blueprint/drill/response.py + blueprint/drill/lifecycle.py + "
                 "blueprint/drill/model_apis.py",
}
# A workload environment's account is guarded by the organization stack (environments/organization*.yaml lists it).
TOOLING["ZT-ORG-1"] = "stacks/organization_stack.py (environments/organization*.yaml)"
