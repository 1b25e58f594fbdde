"""The platform's capability switches: controls an emulator may be unable to run.

Kept free of cdktf imports, so a configuration layer can name them before anything is synthesized.
"""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    """Controls an emulator may be unable to run. Each can be switched off only with a reason, and the platform lists
    the switched-off ones by name (``capability_gaps``)."""

    MUTUAL_TLS_TRUST_STORE = "mutual_tls_trust_store"
    LAMBDA_CODE_SIGNING = "lambda_code_signing"
    SECURITY_HUB_STANDARDS = "security_hub_standards"
    DNS_FIREWALL = "dns_firewall"
    BEDROCK_GUARDRAIL = "bedrock_guardrail"
    NETWORK_FIREWALL = "network_firewall"
