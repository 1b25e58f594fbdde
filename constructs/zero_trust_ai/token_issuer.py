"""TokenIssuer: the short-lived-token issuer of the serving tier (Amazon Cognito, client credentials)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import ClassVar

from cdktf import Fn
from cdktf_cdktf_provider_aws.cognito_resource_server import CognitoResourceServer, CognitoResourceServerScope
from cdktf_cdktf_provider_aws.cognito_user_pool import (
    CognitoUserPool,
    CognitoUserPoolAdminCreateUserConfig,
    CognitoUserPoolPasswordPolicy,
)
from cdktf_cdktf_provider_aws.cognito_user_pool_client import (
    CognitoUserPoolClient,
    CognitoUserPoolClientTokenValidityUnits,
)
from cdktf_cdktf_provider_aws.cognito_user_pool_domain import CognitoUserPoolDomain
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_policy import SecretsmanagerSecretPolicy
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field, field_validator

from zero_trust_ai import actions
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.policy import Grantee, PolicyDocument, Statement, require_statements
from zero_trust_ai.runtime.token_validator import (
    PARAM_ALLOWED_CLIENT_IDS,
    PARAM_ISSUER,
    PARAM_JWKS_URL,
    PARAM_MAX_TOKEN_TTL_SECONDS,
    PARAM_SCOPES,
    SSM_PARAMETER_NAMES,
)
from zero_trust_ai.validation import MAX_TOKEN_TTL_MINUTES, InvalidInput, TokenTtlMinutes

OPERATIONS: Mapping[str, str] = {
    "invoke": "Call the model endpoints",
    "update-routing": "Change which model version receives traffic",
}
__all__ = ["MAX_TOKEN_TTL_MINUTES", "OPERATIONS", "TokenIssuer", "TokenIssuerProps"]


class TokenIssuerProps(BaseModel):
    """Props of :class:`TokenIssuer`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    account_id: str = Field(pattern=r"^\d{12}$")
    region: str
    token_ttl_minutes: TokenTtlMinutes = Field(description="Access-token lifetime, 5..15 minutes (the token "
                                               "validator refuses anything longer).")
    callers: Mapping[str, Sequence[str]] = Field(
        min_length=1, description="Calling role name -> operations it may perform (its scopes)."
    )
    deletion_protection: bool = Field(default=True, description="Default: the pool cannot be deleted by accident.")
    secret_recovery_window_days: int = Field(
        default=30, ge=0, le=30, description="Default: deleted client secrets are recoverable for 30 days.")

    @field_validator("callers")
    @classmethod
    def _known_operations(cls, callers: Mapping[str, Sequence[str]]) -> Mapping[str, Sequence[str]]:
        for caller, operations in callers.items():
            unknown = sorted(set(operations) - set(OPERATIONS))
            if unknown:
                raise InvalidInput(f"caller {caller!r} names unknown serving operation(s) {unknown}",
                                   fix=f"use operations of {sorted(OPERATIONS)}", field=(caller,))
            if not operations:
                raise InvalidInput(f"caller {caller!r} has no operation, so its token could do nothing",
                                   fix=f"give it at least one of {sorted(OPERATIONS)}", field=(caller,))
        return callers


class TokenIssuer(PlatformConstruct):
    """A Cognito user pool used only as an OAuth 2.0 token issuer: no users, no sign-up; a resource
    server ``<prefix>-serving`` with one scope per operation; one client-credentials app client per
    calling role, each allowed only its own operations, with access tokens valid at most 15 minutes.

    The validator's settings (issuer, JWKS URL, allowed client ids, scope per operation, maximum token
    lifetime) are published as SecureString SSM parameters under ``/<prefix>/serving/token/`` for the
    serving targets (``grant_read_settings``); see ``zero_trust_ai/runtime/token_validator.py``.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-SRV-1',)

    def __init__(self, scope: Construct, id: str, *, props: TokenIssuerProps, key: PlatformKey) -> None:
        super().__init__(scope, id)
        self.props = props
        self.key = key
        prefix = props.name_prefix
        self.pool = CognitoUserPool(
            self, "pool", name=f"{prefix}-serving-tokens",
            admin_create_user_config=CognitoUserPoolAdminCreateUserConfig(allow_admin_create_user_only=True),
            password_policy=CognitoUserPoolPasswordPolicy(
                minimum_length=16, require_lowercase=True, require_uppercase=True, require_numbers=True,
                require_symbols=True, temporary_password_validity_days=1),
            mfa_configuration="OFF",  # no users exist: only machine clients (client credentials) use this pool
            deletion_protection="ACTIVE" if props.deletion_protection else "INACTIVE",
        )
        self.domain = CognitoUserPoolDomain(self, "domain", domain=f"{prefix}-tokens-{props.account_id}",
                                            user_pool_id=self.pool.id)
        self.resource_server_identifier = f"{prefix}-serving"
        self.resource_server = CognitoResourceServer(
            self, "resource_server", identifier=self.resource_server_identifier, name=f"{prefix} model serving",
            user_pool_id=self.pool.id,
            scope=[CognitoResourceServerScope(scope_name=op, scope_description=text)
                   for op, text in OPERATIONS.items()],
        )
        self.scopes = {op: f"{self.resource_server_identifier}/{op}" for op in OPERATIONS}
        self.clients: dict[str, CognitoUserPoolClient] = {}
        for caller, operations in sorted(props.callers.items()):
            self.clients[caller] = CognitoUserPoolClient(
                self, f"client_{caller.replace('-', '_')}", name=f"{prefix}-{caller}", user_pool_id=self.pool.id,
                generate_secret=True,
                allowed_oauth_flows=["client_credentials"],
                allowed_oauth_flows_user_pool_client=True,
                allowed_oauth_scopes=[self.scopes[op] for op in operations],
                supported_identity_providers=["COGNITO"],
                explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],
                access_token_validity=props.token_ttl_minutes,
                id_token_validity=props.token_ttl_minutes,
                refresh_token_validity=60,
                token_validity_units=[CognitoUserPoolClientTokenValidityUnits(
                    access_token="minutes", id_token="minutes", refresh_token="minutes")],
                enable_token_revocation=True,
                prevent_user_existence_errors="ENABLED",
                depends_on=[self.resource_server],
            )
        self.token_endpoint = (f"https://{prefix}-tokens-{props.account_id}.auth.{props.region}.amazoncognito.com"
                               "/oauth2/token")
        self.client_secrets: dict[str, SecretsmanagerSecret] = {}
        self._secret_policies: dict[str, PolicyDocument] = {}
        for caller, client in self.clients.items():
            label = caller.replace("-", "_")
            secret = SecretsmanagerSecret(
                self, f"client_secret_{label}", name=f"{prefix}/serving/clients/{caller}", kms_key_id=key.key_arn,
                description=f"Client-credentials id and secret of serving caller '{caller}' (token endpoint inside)",
                recovery_window_in_days=props.secret_recovery_window_days,
            )
            SecretsmanagerSecretVersion(self, f"client_secret_{label}_value", secret_id=secret.id,
                                        secret_string=Fn.jsonencode({
                                            "client_id": client.id, "client_secret": client.client_secret,
                                            "token_endpoint": self.token_endpoint,
                                            "scopes": " ".join(self.scopes[op] for op in props.callers[caller]),
                                        }))
            policy = PolicyDocument()
            SecretsmanagerSecretPolicy(self, f"client_secret_{label}_policy", secret_arn=secret.arn,
                                       policy=policy.lazy_json(), block_public_policy=True)
            require_statements(self, policy, f"client secret of {caller}")
            self.client_secrets[caller] = secret
            self._secret_policies[caller] = policy
        self.issuer = f"https://cognito-idp.{props.region}.amazonaws.com/{self.pool.id}"
        self.parameter_path = f"/{prefix}/serving/token/"
        # exactly the parameters the validator reads (zero_trust_ai.runtime.token_validator.SSM_PARAMETER_NAMES)
        settings = {
            PARAM_ISSUER: self.issuer,
            PARAM_JWKS_URL: f"{self.issuer}/.well-known/jwks.json",
            PARAM_ALLOWED_CLIENT_IDS: Fn.join(",", [client.id for client in self.clients.values()]),
            PARAM_SCOPES: json.dumps(self.scopes, sort_keys=True),
            PARAM_MAX_TOKEN_TTL_SECONDS: str(props.token_ttl_minutes * 60),
        }
        assert tuple(settings) == SSM_PARAMETER_NAMES
        self.parameters = {
            name: SsmParameter(self, f"setting_{name}", name=f"{self.parameter_path}{name}", type="SecureString",
                               key_id=key.key_arn, value=value,
                               description=f"Token validator setting '{name}' (zero_trust_ai.runtime.token_validator)")
            for name, value in settings.items()
        }

    def grant_client_secret(self, caller: str, grantee: Grantee) -> None:
        """Let a platform role read one caller's client credentials (identity policy, secret policy, key)."""
        secret = self.client_secrets[caller]
        label = "".join(part.title() for part in caller.split("-"))
        grantee.add_to_policy(Statement(sid=f"ReadClientSecret{label}", effect="Allow",
                                        actions=actions.SECRET_READ, resources=[secret.arn]))
        self.allow_client_secret_principals(caller, [grantee.role_arn], sid=f"Read{grantee.grant_name}")
        self.key.grant_decrypt(grantee, via_service=f"secretsmanager.{self.props.region}.amazonaws.com")

    def allow_client_secret_principals(self, caller: str, role_arns: Sequence[str], *,
                                       sid: str = "ReadCallers") -> None:
        """Name the roles (e.g. an application's, outside this stack) allowed by the caller's secret policy;
        they still need an identity policy of their own. The key policy names them too (decrypt through Secrets
        Manager only): the account root's statement grants no data-plane use, so nothing else would let them."""
        self._secret_policies[caller].add(Statement(
            sid=sid, effect="Allow", principals={"AWS": list(role_arns)}, actions=actions.SECRET_READ,
            resources=["*"]))
        if sid == "ReadCallers":  # platform grantees get their key statement from grant_decrypt
            label = "".join(part.title() for part in caller.split("-"))
            self.key.grant_aws_principal(
                sid=f"Caller{label}DecryptsItsSecret", principal_arn=list(role_arns), key_actions=actions.KMS_DECRYPT,
                conditions={"StringEquals": {
                    "kms:ViaService": f"secretsmanager.{self.props.region}.amazonaws.com"}})

    def grant_read_settings(self, grantee: Grantee) -> None:
        """Let a serving role read (and decrypt) the validator settings, nothing else in SSM."""
        account, region = self.props.account_id, self.props.region
        grantee.add_to_policy(Statement(
            sid="ReadTokenValidatorSettings", effect="Allow", actions=actions.SSM_READ_PARAMETERS,
            resources=[f"arn:aws:ssm:{region}:{account}:parameter{self.parameter_path}*"]))
        self.key.grant_decrypt(grantee, via_service=f"ssm.{region}.amazonaws.com")
