"""zero_trust_ai: reusable CDKTF constructs for a zero-trust AI platform on AWS.

The public API is re-exported here (``__all__``): every construct with its props, the whole platform
(:class:`ZeroTrustAiPlatform`, :class:`ZeroTrustAiPlatformProps` and its settings) and the value types the props
take. The names are resolved *lazily* (PEP 562): ``from zero_trust_ai import SecureBucket`` imports only
``zero_trust_ai.secure_bucket`` (and cdktf with it), while ``import zero_trust_ai.runtime.token_validator`` -- the
code that runs inside the platform -- never imports cdktf or jsii.

The folder that holds this package in the repository is called ``constructs/``, but it is deliberately *not* a
package itself: a top-level ``constructs`` package would shadow the ``constructs`` library that cdktf imports
(aws-cdk#19301). ``tests/test_import_guard.py`` keeps it that way.

Constructs never read files or environment variables; they take typed props and other constructs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zero_trust_ai._version import __version__

# public name -> the module (below zero_trust_ai) that defines it
_EXPORTS: dict[str, str] = {
    # the whole platform and its settings
    "ZeroTrustAiPlatform": "platform",
    "ZeroTrustAiPlatformProps": "platform",
    "AlertSettings": "platform",
    "BedrockSettings": "platform",
    "EmulatorAccommodations": "platform",
    "ExternalModelApiSettings": "platform",
    "IdentitySettings": "platform",
    "InferenceSettings": "platform",
    "LoggingSettings": "platform",
    "NetworkSettings": "platform",
    "OrganizationMembership": "platform",
    "PipelineSettings": "platform",
    "PlatformFunctions": "platform",
    "QuarantineSettings": "platform",
    "ServingCaller": "platform",
    "ServingSettings": "platform",
    "TrainingSettings": "platform",
    # keys
    "PlatformKeys": "platform_keys",
    "PlatformKeysProps": "platform_keys",
    "PlatformKey": "platform_key",
    "PlatformKeyProps": "platform_key",
    "ManifestSigningKey": "signing_key",
    "ManifestSigningKeyProps": "signing_key",
    # data and logs
    "SecureBucket": "secure_bucket",
    "SecureBucketProps": "secure_bucket",
    "LifecycleRule": "secure_bucket",
    "ObjectLock": "secure_bucket",
    "DataLake": "data_lake",
    "DataLakeProps": "data_lake",
    "LogArchive": "log_archive",
    "LogArchiveProps": "log_archive",
    "MlPipeline": "ml_pipeline",
    "MlPipelineProps": "ml_pipeline",
    "PipelineImages": "ml_pipeline",
    "RunRecorder": "run_recorder",
    "RunRecorderProps": "run_recorder",
    "EncryptedLogGroup": "encrypted_log_group",
    "EncryptedLogGroupProps": "encrypted_log_group",
    # network
    "PrivateNetwork": "private_network",
    "PrivateNetworkProps": "private_network",
    "DnsFirewall": "dns_firewall",
    "DnsFirewallProps": "dns_firewall",
    # identities
    "WorkloadRole": "workload_role",
    "WorkloadRoleProps": "workload_role",
    "PersonaRole": "persona_role",
    "PersonaRoleProps": "persona_role",
    "HumanFederation": "persona_role",
    "PermissionsBoundary": "permissions_boundary",
    "PermissionsBoundaryProps": "permissions_boundary",
    "PlatformIdentities": "platform_identities",
    "PlatformIdentitiesProps": "platform_identities",
    # training
    "TrainingCompute": "training_compute",
    "TrainingComputeProps": "training_compute",
    # monitoring and response
    "AlertTopic": "alert_topic",
    "AlertTopicProps": "alert_topic",
    "AuditTrail": "audit_trail",
    "AuditTrailProps": "audit_trail",
    "SecurityAlarms": "security_alarms",
    "SecurityAlarmsProps": "security_alarms",
    "ThreatDetection": "threat_detection",
    "ThreatDetectionProps": "threat_detection",
    "EvidenceDestinations": "evidence_destinations",
    "LocalEvidence": "evidence_destinations",
    "DelegatedEvidence": "evidence_destinations",
    "SignedFunction": "signed_function",
    "SignedFunctionProps": "signed_function",
    "FunctionCode": "signed_function",
    "QuarantineFunction": "quarantine_function",
    "QuarantineFunctionProps": "quarantine_function",
    "JwksPublisher": "jwks_publisher",
    "JwksPublisherProps": "jwks_publisher",
    # serving
    "TokenIssuer": "token_issuer",
    "TokenIssuerProps": "token_issuer",
    "ServingLoadBalancer": "serving_load_balancer",
    "ServingLoadBalancerProps": "serving_load_balancer",
    "ImportedCertificate": "serving_load_balancer",
    "PrivateCaCertificate": "serving_load_balancer",
    "InferenceFleet": "inference_fleet",
    "InferenceFleetProps": "inference_fleet",
    "ServingAlarms": "serving_alarms",
    "ServingAlarmsProps": "serving_alarms",
    # model APIs
    "ModelGateway": "model_gateway",
    "ModelGatewayProps": "model_gateway",
    "GuardrailPolicy": "model_gateway",
    "ContentFilter": "model_gateway",
    "DeniedTopic": "model_gateway",
    "PiiEntity": "model_gateway",
    "ModelEgress": "model_egress",
    "ModelEgressProps": "model_egress",
    # organization
    "OrganizationStructure": "organization_structure",
    "OrganizationStructureProps": "organization_structure",
    "MemberAccount": "organization_structure",
    "OrganizationGuardrails": "organization_guardrails",
    "OrganizationGuardrailsProps": "organization_guardrails",
    "DelegatedArchive": "delegated_accounts",
    "DelegatedLogArchive": "delegated_log_archive",
    "DelegatedLogArchiveProps": "delegated_log_archive",
    "DelegatedAdministration": "delegated_administration",
    "DelegatedAdministrationProps": "delegated_administration",
    # shared value types (no cdktf)
    "Capability": "capabilities",
    "InvalidInput": "validation",
    "FunctionPackage": "packaging",
    "function_packages": "packaging",
}

__all__ = [  # literal, so static tools see it; tests/test_library_api.py checks it equals _EXPORTS
    "AlertSettings",
    "AlertTopic",
    "AlertTopicProps",
    "AuditTrail",
    "AuditTrailProps",
    "BedrockSettings",
    "Capability",
    "ContentFilter",
    "DataLake",
    "DataLakeProps",
    "DelegatedAdministration",
    "DelegatedAdministrationProps",
    "DelegatedArchive",
    "DelegatedEvidence",
    "DelegatedLogArchive",
    "DelegatedLogArchiveProps",
    "DeniedTopic",
    "DnsFirewall",
    "DnsFirewallProps",
    "EmulatorAccommodations",
    "EncryptedLogGroup",
    "EncryptedLogGroupProps",
    "EvidenceDestinations",
    "ExternalModelApiSettings",
    "FunctionCode",
    "FunctionPackage",
    "GuardrailPolicy",
    "HumanFederation",
    "IdentitySettings",
    "ImportedCertificate",
    "InferenceFleet",
    "InferenceFleetProps",
    "InferenceSettings",
    "InvalidInput",
    "JwksPublisher",
    "JwksPublisherProps",
    "LifecycleRule",
    "LocalEvidence",
    "LogArchive",
    "LogArchiveProps",
    "LoggingSettings",
    "ManifestSigningKey",
    "ManifestSigningKeyProps",
    "MemberAccount",
    "MlPipeline",
    "MlPipelineProps",
    "ModelEgress",
    "ModelEgressProps",
    "ModelGateway",
    "ModelGatewayProps",
    "NetworkSettings",
    "ObjectLock",
    "OrganizationGuardrails",
    "OrganizationGuardrailsProps",
    "OrganizationMembership",
    "OrganizationStructure",
    "OrganizationStructureProps",
    "PermissionsBoundary",
    "PermissionsBoundaryProps",
    "PersonaRole",
    "PersonaRoleProps",
    "PiiEntity",
    "PipelineImages",
    "PipelineSettings",
    "PlatformFunctions",
    "PlatformIdentities",
    "PlatformIdentitiesProps",
    "PlatformKey",
    "PlatformKeyProps",
    "PlatformKeys",
    "PlatformKeysProps",
    "PrivateCaCertificate",
    "PrivateNetwork",
    "PrivateNetworkProps",
    "QuarantineFunction",
    "QuarantineFunctionProps",
    "QuarantineSettings",
    "RunRecorder",
    "RunRecorderProps",
    "SecureBucket",
    "SecureBucketProps",
    "SecurityAlarms",
    "SecurityAlarmsProps",
    "ServingAlarms",
    "ServingAlarmsProps",
    "ServingCaller",
    "ServingLoadBalancer",
    "ServingLoadBalancerProps",
    "ServingSettings",
    "SignedFunction",
    "SignedFunctionProps",
    "ThreatDetection",
    "ThreatDetectionProps",
    "TokenIssuer",
    "TokenIssuerProps",
    "TrainingCompute",
    "TrainingComputeProps",
    "TrainingSettings",
    "WorkloadRole",
    "WorkloadRoleProps",
    "ZeroTrustAiPlatform",
    "ZeroTrustAiPlatformProps",
    "__version__",
    "function_packages",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from zero_trust_ai.alert_topic import AlertTopic, AlertTopicProps
    from zero_trust_ai.audit_trail import AuditTrail, AuditTrailProps
    from zero_trust_ai.capabilities import Capability
    from zero_trust_ai.data_lake import DataLake, DataLakeProps
    from zero_trust_ai.delegated_accounts import DelegatedArchive
    from zero_trust_ai.delegated_administration import DelegatedAdministration, DelegatedAdministrationProps
    from zero_trust_ai.delegated_log_archive import DelegatedLogArchive, DelegatedLogArchiveProps
    from zero_trust_ai.dns_firewall import DnsFirewall, DnsFirewallProps
    from zero_trust_ai.encrypted_log_group import EncryptedLogGroup, EncryptedLogGroupProps
    from zero_trust_ai.evidence_destinations import DelegatedEvidence, EvidenceDestinations, LocalEvidence
    from zero_trust_ai.inference_fleet import InferenceFleet, InferenceFleetProps
    from zero_trust_ai.jwks_publisher import JwksPublisher, JwksPublisherProps
    from zero_trust_ai.log_archive import LogArchive, LogArchiveProps
    from zero_trust_ai.ml_pipeline import MlPipeline, MlPipelineProps, PipelineImages
    from zero_trust_ai.model_egress import ModelEgress, ModelEgressProps
    from zero_trust_ai.model_gateway import (
        ContentFilter,
        DeniedTopic,
        GuardrailPolicy,
        ModelGateway,
        ModelGatewayProps,
        PiiEntity,
    )
    from zero_trust_ai.organization_guardrails import OrganizationGuardrails, OrganizationGuardrailsProps
    from zero_trust_ai.organization_structure import MemberAccount, OrganizationStructure, OrganizationStructureProps
    from zero_trust_ai.packaging import FunctionPackage, function_packages
    from zero_trust_ai.permissions_boundary import PermissionsBoundary, PermissionsBoundaryProps
    from zero_trust_ai.persona_role import HumanFederation, PersonaRole, PersonaRoleProps
    from zero_trust_ai.platform import (
        AlertSettings,
        BedrockSettings,
        EmulatorAccommodations,
        ExternalModelApiSettings,
        IdentitySettings,
        InferenceSettings,
        LoggingSettings,
        NetworkSettings,
        OrganizationMembership,
        PipelineSettings,
        PlatformFunctions,
        QuarantineSettings,
        ServingCaller,
        ServingSettings,
        TrainingSettings,
        ZeroTrustAiPlatform,
        ZeroTrustAiPlatformProps,
    )
    from zero_trust_ai.platform_identities import PlatformIdentities, PlatformIdentitiesProps
    from zero_trust_ai.platform_key import PlatformKey, PlatformKeyProps
    from zero_trust_ai.platform_keys import PlatformKeys, PlatformKeysProps
    from zero_trust_ai.private_network import PrivateNetwork, PrivateNetworkProps
    from zero_trust_ai.quarantine_function import QuarantineFunction, QuarantineFunctionProps
    from zero_trust_ai.run_recorder import RunRecorder, RunRecorderProps
    from zero_trust_ai.secure_bucket import LifecycleRule, ObjectLock, SecureBucket, SecureBucketProps
    from zero_trust_ai.security_alarms import SecurityAlarms, SecurityAlarmsProps
    from zero_trust_ai.serving_alarms import ServingAlarms, ServingAlarmsProps
    from zero_trust_ai.serving_load_balancer import (
        ImportedCertificate,
        PrivateCaCertificate,
        ServingLoadBalancer,
        ServingLoadBalancerProps,
    )
    from zero_trust_ai.signed_function import FunctionCode, SignedFunction, SignedFunctionProps
    from zero_trust_ai.signing_key import ManifestSigningKey, ManifestSigningKeyProps
    from zero_trust_ai.threat_detection import ThreatDetection, ThreatDetectionProps
    from zero_trust_ai.token_issuer import TokenIssuer, TokenIssuerProps
    from zero_trust_ai.training_compute import TrainingCompute, TrainingComputeProps
    from zero_trust_ai.validation import InvalidInput
    from zero_trust_ai.workload_role import WorkloadRole, WorkloadRoleProps
