#!/usr/bin/env python
"""The whole zero-trust AI platform (ZeroTrustAiPlatform) in a stack of your own, with your own AwsProvider.

Keys, log archive and data lake, the training and serving VPCs (no internet path), workload and persona roles with
the access table, CloudTrail, detections, GuardDuty/Security Hub and automated quarantine, private mutual-TLS
serving with short-lived tokens, all secure by default. Everything you would configure per environment is in the
props below. Run ``python main.py``: the stack is written to ``cdktf.out/`` next to this file.

Before deploying, replace the example values: the account, the SAML provider of your IdP and its groups, the
pipeline stages' images (pinned by digest), the ACM private CA that issues the listener certificate, and
``pki/client-ca.pem`` with the CA that issues your callers' client certificates (the one shipped here is a
public example certificate; its private key was discarded).
"""

from __future__ import annotations

from pathlib import Path

from cdktf import App, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from zero_trust_ai import (
    AlertSettings,
    HumanFederation,
    IdentitySettings,
    InferenceSettings,
    NetworkSettings,
    PipelineImages,
    PipelineSettings,
    PrivateCaCertificate,
    ServingCaller,
    ServingSettings,
    ZeroTrustAiPlatform,
    ZeroTrustAiPlatformProps,
)

HERE = Path(__file__).resolve().parent
ACCOUNT_ID = "111111111111"  # your account
REGION = "eu-west-1"


def platform_props() -> ZeroTrustAiPlatformProps:
    return ZeroTrustAiPlatformProps(
        name_prefix="acme-ml",  # every name starts with it (short: load balancer names are limited)
        account_id=ACCOUNT_ID,
        region=REGION,
        availability_zones=[f"{REGION}a", f"{REGION}b"],
        network=NetworkSettings(training_vpc_cidr="10.210.0.0/16", serving_vpc_cidr="10.220.0.0/16"),
        identity=IdentitySettings(
            # People sign in through your IdP (SAML); it enforces MFA and sets the session tag.
            federation=HumanFederation(saml_provider_arn=f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/corp-idp",
                                       mfa_session_tag="ztai-mfa"),
            idp_groups={"data_engineer": "ml-data-engineers", "model_trainer": "ml-researchers",
                        "model_deployer": "ml-ops", "security_auditor": "security-audit",
                        "break_glass": "platform-break-glass"}),
        serving=ServingSettings(
            certificate=PrivateCaCertificate(
                certificate_authority_arn=f"arn:aws:acm-pca:{REGION}:{ACCOUNT_ID}:certificate-authority/"
                "11111111-2222-3333-4444-555555555555",
                domain_name="serving.ml.acme.internal"),
            client_ca_bundle_file=HERE / "pki" / "client-ca.pem",
            inference=InferenceSettings(
                image_id="resolve:ssm:/aws/service/deeplearning/ami/x86_64/"
                "base-oss-nvidia-driver-gpu-amazon-linux-2023/latest/ami-id"),
            callers={"model-deployer": ServingCaller(operations=["invoke", "update-routing"],
                                                     persona="model_deployer")}),
        # The ML lifecycle's job stages: your images, each pinned by digest (a tag is refused).
        pipeline=PipelineSettings(images=PipelineImages(**{
            stage: f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/acme-ml-pipeline-{stage}@sha256:{'0' * 64}"
            for stage in ("ingestion", "features", "training", "release")})),
        alerts=AlertSettings(email_addresses=["ml-platform-alerts@example.com"]),
    )


class MyPlatformStack(TerraformStack):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        AwsProvider(self, "aws", region=REGION, allowed_account_ids=[ACCOUNT_ID],
                    default_tags=[{"tags": {"project": "platform-in-your-stack-example"}}])
        platform = ZeroTrustAiPlatform(self, "platform", props=platform_props())
        # Each tier is an attribute: wire your own resources to it or export what you need.
        TerraformOutput(self, "serving_vpc_id", value=platform.networks["serving_network"].vpc_id)
        TerraformOutput(self, "model_registry_bucket", value=platform.data_lake.buckets["models"].bucket_name)
        TerraformOutput(self, "serving_load_balancer_arn", value=platform.load_balancer.load_balancer.arn)
        TerraformOutput(self, "token_issuer_url", value=platform.token_issuer.issuer)


def main() -> None:
    app = App(outdir=str(HERE / "cdktf.out"))
    MyPlatformStack(app, "platform-in-your-stack")
    app.synth()


if __name__ == "__main__":
    main()
