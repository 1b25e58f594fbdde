"""The organisation perimeter of the workload stacks' VPC endpoints (issue 18), on every environment's synthesized JSON.

An environment that a cloud organization file names among its workloads is a member account: every endpoint admits
only principals of the organisation (aws:PrincipalOrgID) reaching resources of the organisation (aws:ResourceOrgID),
besides AWS-owned exceptions (aws-samples/data-perimeter-policy-examples, vpc_endpoint_policies). Every other
environment (``local``, whose stack runs in the emulator's management account) keeps the account-bound policies, and
tests/test_platform_equivalence.py proves its output unchanged.

What the requirement says is read from the organization files and the AWS documentation, never from the code under
test: which environments are members (environments/organization*.yaml), which actions name no resource (the Service
Authorization Reference), and the request contexts AWS produces
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprint.drill.policy_eval import Request, evaluate
from tests.conftest import PROJECT_ROOT, Synthesized
from tests.tfjson import as_list, by_path, policy, resources, statements

# Actions of the platform's endpoints whose Resource is "*" in the Service Authorization Reference
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html,
# list_amazonelasticcontainerregistry.html, list_amazonsagemaker.html, list_amazonelasticcontainerservice.html):
# their requests have no resource owner and so no aws:ResourceOrgID.
NO_RESOURCE = {"sts:GetCallerIdentity", "ecr:GetAuthorizationToken", "sagemaker:ListTrainingJobs",
               "ecs:DiscoverPollEndpoint"}
ORG_ID = "o-a1b2c3d4e5"  # what DescribeOrganization returns for the member accounts (the test's organisation)
OTHER_ORG_ID = "o-zz9y8x7w6v"
OTHER_ACCOUNT = "999999999999"


def members() -> dict[str, dict[str, Any]]:
    """environment -> its cloud organization file (read directly: the requirement, not the loader)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((PROJECT_ROOT / "environments").glob("organization*.yaml")):
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        if document.get("emulator") is None:
            for name in document["workloads"]:
                found[name] = document
    return found


def organization_reference(stack: dict[str, Any], organization: dict[str, Any]) -> str:
    """The id the endpoint policies must name: the adopted organization's, else the data source's (which must
    refuse an organization with another management account)."""
    if organization.get("existing_organization_id"):
        assert "aws_organizations_organization" not in stack.get("data", {})
        return str(organization["existing_organization_id"])
    (name, body), = stack["data"]["aws_organizations_organization"].items()
    (check,) = body["lifecycle"]["postcondition"]
    assert check["condition"] == f'${{self.master_account_id == "{organization["management_account_id"]}"}}'
    assert organization["management_account_id"] in check["error_message"]
    return f"${{data.aws_organizations_organization.{name}.id}}"


def endpoint_policies(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """construct path -> endpoint, for the two private networks' endpoints."""
    return {p: e for p, e in by_path(stack, "aws_vpc_endpoint").items()
            if p.split("/")[0] in ("training_network", "serving_network")}


def test_the_cloud_environments_are_members_and_local_is_not(synthesized: Synthesized) -> None:
    expected = members()
    assert set(expected) >= {"dev", "staging", "prod"}
    for name, environment in synthesized.environments.items():
        if name in expected:
            assert environment.organization is not None, name
            assert environment.organization.management_account_id == expected[name]["management_account_id"]
        else:
            assert environment.organization is None, name


def test_single_account_endpoints_never_name_an_organisation(synthesized: Synthesized, env_name: str) -> None:
    if env_name in members():
        pytest.skip("a member account: the organisation perimeter below")
    stack = synthesized.stack(env_name)
    assert "aws_organizations_organization" not in stack.get("data", {})
    for endpoint in resources(stack, "aws_vpc_endpoint").values():
        assert "OrgID" not in endpoint["policy"]


def test_member_interface_endpoints_admit_only_org_principals_on_org_resources(synthesized: Synthesized,
                                                                               env_name: str) -> None:
    organization = members().get(env_name)
    if organization is None:
        pytest.skip("a single-account environment")
    stack = synthesized.stack(env_name)
    account = synthesized.environments[env_name].config.account_id
    org = organization_reference(stack, organization)
    principal = {"aws:PrincipalOrgID": org, "aws:PrincipalAccount": account}
    interface = {p: e for p, e in endpoint_policies(stack).items() if e["vpc_endpoint_type"] == "Interface"}
    assert len(interface) >= 14
    for path, endpoint in interface.items():
        granted: set[str] = set()
        by_sid = {s["Sid"]: s for s in statements(endpoint["policy"])}
        assert all(s["Effect"] == "Allow" and s["Principal"] == {"AWS": "*"} and s["Resource"] == "*"
                   for s in by_sid.values()), path
        with_resource = by_sid.get("OrgPrincipalsToOrgResources")
        if with_resource is not None:
            assert with_resource["Condition"] == {"StringEquals": {**principal, "aws:ResourceOrgID": org}}, path
            assert not set(as_list(with_resource["Action"])) & NO_RESOURCE, path
            granted |= set(as_list(with_resource["Action"]))
        without = by_sid.get("OrgPrincipalsActionsWithoutResource")
        if without is not None:
            assert without["Condition"] == {"StringEquals": principal}, path
            assert set(as_list(without["Action"])) <= NO_RESOURCE, path  # only what cannot name a resource
            granted |= set(as_list(without["Action"]))
        service = by_sid["AwsServicePrincipals"]
        assert service["Condition"] == {"Bool": {"aws:PrincipalIsAWSService": "true"}}, path
        assert set(as_list(service["Action"])) == granted, path  # no more than the organisation's callers get
        assert set(by_sid) <= {"OrgPrincipalsToOrgResources", "OrgPrincipalsActionsWithoutResource",
                               "AwsServicePrincipals"}, path
        assert "*" not in granted and granted, path


def test_member_s3_endpoints_bind_org_callers_to_org_buckets(synthesized: Synthesized, env_name: str) -> None:
    organization = members().get(env_name)
    if organization is None:
        pytest.skip("a single-account environment")
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    org = organization_reference(stack, organization)
    gateways = [e for e in endpoint_policies(stack).values() if e["vpc_endpoint_type"] == "Gateway"]
    assert len(gateways) == 2
    for gateway in gateways:
        by_sid = {s["Sid"]: s for s in statements(gateway["policy"])}
        # no service-principal exception: it would be an Allow on every bucket of every owner (CKV_ZTAI_013)
        assert set(by_sid) == {"OrgPrincipalsToOrgBuckets", "EcrImageLayers"}
        platform = by_sid["OrgPrincipalsToOrgBuckets"]
        assert set(platform["Resource"]) == {f"arn:aws:s3:::ztai-{env_name}-*", f"arn:aws:s3:::ztai-{env_name}-*/*"}
        assert platform["Condition"] == {"StringEquals": {
            "aws:PrincipalOrgID": org, "aws:ResourceOrgID": org,
            "aws:PrincipalAccount": config.account_id, "aws:ResourceAccount": config.account_id}}
        layers = by_sid["EcrImageLayers"]  # signed by ECR's account (presigned URL): no principal condition
        assert (layers["Action"], layers["Resource"], layers.get("Condition")) == (
            "s3:GetObject", f"arn:aws:s3:::prod-{config.region}-starport-layer-bucket/*", None)


def test_the_bedrock_endpoint_names_its_roles_and_models(synthesized: Synthesized, env_name: str) -> None:
    """The bedrock-runtime endpoint needs no organisation key: its principals are this account's roles by ARN, and its
    resources are AWS-owned foundation models, which have no owner organisation (aws:ResourceOrgID is absent, so an
    Allow requiring it would refuse every invocation)."""
    stack = synthesized.stack(env_name)
    account = synthesized.environments[env_name].config.account_id
    bedrock = [e for e in resources(stack, "aws_vpc_endpoint").values()
               if e["service_name"].endswith("bedrock-runtime")]
    for endpoint in bedrock:
        for statement in statements(endpoint["policy"]):
            assert statement["Condition"]["StringEquals"] == {"aws:PrincipalAccount": account}
            assert all(re.fullmatch(rf"arn:aws:iam::{account}:role/[\w+=,.@-]+|\$\{{aws_iam_role\.\w+\.arn\}}", r)
                       for r in as_list(statement["Condition"]["ArnEquals"]["aws:PrincipalArn"]))
            if as_list(statement["Action"]) == ["bedrock:ApplyGuardrail"]:  # the platform's own guardrail
                assert all(re.fullmatch(r"\$\{aws_bedrock_guardrail\.\w+\.guardrail_arn\}", r)
                           for r in as_list(statement["Resource"]))
                continue
            assert all(re.fullmatch(r"arn:aws:bedrock:[a-z0-9-]+::foundation-model/.+", r)
                       for r in as_list(statement["Resource"]))


# -- the drill verdicts, decided with AWS's semantics (blueprint/drill/policy_eval.py) -----------------------------

def resolved(document: str, org: str) -> dict[str, Any]:
    """The endpoint policy as AWS stores it: the organization reference replaced by the id it resolves to."""
    return policy(document.replace(org, ORG_ID)) if org.startswith("${") else policy(document)


def gateway_policy(synthesized: Synthesized, env_name: str, network: str) -> dict[str, Any]:
    stack = synthesized.stack(env_name)
    org = organization_reference(stack, members()[env_name])
    endpoint = by_path(stack, "aws_vpc_endpoint")[f"{network}/s3_gateway"]
    return resolved(endpoint["policy"], org)


def interface_policy(synthesized: Synthesized, env_name: str, network: str, service: str) -> dict[str, Any]:
    stack = synthesized.stack(env_name)
    org = organization_reference(stack, members()[env_name])
    endpoint = by_path(stack, "aws_vpc_endpoint")[f"{network}/endpoint_{service}"]
    return resolved(endpoint["policy"], org)


MEMBERS = sorted(name for name in members() if name in ("dev", "staging", "prod"))
ALLOW_ALL_S3 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]}


def session(synthesized: Synthesized, env_name: str) -> str:
    account = synthesized.environments[env_name].config.account_id
    return f"arn:aws:sts::{account}:assumed-role/ztai-{env_name}-training-job/job-1"


@pytest.mark.parametrize("env_name", MEMBERS)
@pytest.mark.parametrize("other_org", [OTHER_ORG_ID, None], ids=["bucket-of-another-org", "bucket-of-no-org"])
def test_an_org_principal_reading_a_bucket_of_another_organisation_through_the_endpoint_is_denied(
        synthesized: Synthesized, env_name: str, other_org: str | None) -> None:
    """Drill verdict of issue 18. The look-alike bucket matches the endpoint's name pattern (names are global), the
    caller's identity policy allows every read and the other organisation's bucket policy grants it: only the
    endpoint stands between them. AWS's request context: aws:PrincipalOrgID of the caller; aws:ResourceOrgID of the
    bucket owner's organisation, absent when the owner is in none."""
    grant_to_caller = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": session(synthesized, env_name)}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::ztai-{env_name}-exfil/*"}]}
    context = {"aws:PrincipalOrgID": ORG_ID, **({"aws:ResourceOrgID": other_org} if other_org else {})}
    request = Request(session(synthesized, env_name), "s3:GetObject", f"arn:aws:s3:::ztai-{env_name}-exfil/data.csv",
                      context=context, resource_account=OTHER_ACCOUNT)
    without_endpoint = evaluate(request, identity_policies=[ALLOW_ALL_S3], resource_policies=[grant_to_caller])
    assert without_endpoint.allowed, without_endpoint.reason  # the control: nothing else refuses it
    for network in ("training_network", "serving_network"):
        decision = evaluate(request, identity_policies=[ALLOW_ALL_S3], resource_policies=[grant_to_caller],
                            endpoint_policies=[gateway_policy(synthesized, env_name, network)])
        assert not decision.allowed, (network, decision.reason)


@pytest.mark.parametrize("env_name", MEMBERS)
def test_the_perimeter_admits_the_platform_and_ecr_layers(synthesized: Synthesized, env_name: str) -> None:
    account = synthesized.environments[env_name].config.account_id
    region = synthesized.environments[env_name].config.region
    own = Request(session(synthesized, env_name), "s3:GetObject", f"arn:aws:s3:::ztai-{env_name}-features/f/x.parquet",
                  context={"aws:PrincipalOrgID": ORG_ID, "aws:ResourceOrgID": ORG_ID}, resource_account=account)
    # the layer download: a presigned URL signed by an ECR service account outside the organisation
    layer = Request(f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/ecr-layer-access/ecr", "s3:GetObject",
                    f"arn:aws:s3:::prod-{region}-starport-layer-bucket/sha256/abc", resource_account=OTHER_ACCOUNT)
    for network in ("training_network", "serving_network"):
        endpoint = [gateway_policy(synthesized, env_name, network)]
        decision = evaluate(own, identity_policies=[ALLOW_ALL_S3], endpoint_policies=endpoint)
        assert decision.allowed, decision.reason
        decision = evaluate(layer, identity_policies=[ALLOW_ALL_S3], endpoint_policies=endpoint)
        assert decision.allowed, decision.reason


@pytest.mark.parametrize("env_name", MEMBERS)
def test_keys_and_roles_of_another_organisation_are_out_of_reach(synthesized: Synthesized, env_name: str) -> None:
    """Through the interface endpoints: encrypting with another organisation's key (exfiltration into a key its owner
    can decrypt) and assuming its role are denied; the caller's own identity still answers (no resource, no
    aws:ResourceOrgID)."""
    caller = session(synthesized, env_name)
    allow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Encrypt", "sts:AssumeRole", "sts:GetCallerIdentity"], "Resource": "*"}]}
    foreign_key = f"arn:aws:kms:eu-west-1:{OTHER_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    key_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "kms:Encrypt", "Resource": "*"}]}
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "sts:AssumeRole"}]}
    in_org = {"aws:PrincipalOrgID": ORG_ID}
    for network in ("training_network", "serving_network"):
        kms = [interface_policy(synthesized, env_name, network, "kms")]
        sts = [interface_policy(synthesized, env_name, network, "sts")]
        request = Request(caller, "kms:Encrypt", foreign_key, context={**in_org, "aws:ResourceOrgID": OTHER_ORG_ID})
        assert evaluate(request, identity_policies=[allow], resource_policies=[key_policy]).allowed  # the control
        assert not evaluate(request, identity_policies=[allow], resource_policies=[key_policy],
                            endpoint_policies=kms).allowed
        request = Request(caller, "sts:AssumeRole", f"arn:aws:iam::{OTHER_ACCOUNT}:role/collector",
                          context={**in_org, "aws:ResourceOrgID": OTHER_ORG_ID})
        assert evaluate(request, identity_policies=[allow], resource_policies=[trust]).allowed  # the control
        assert not evaluate(request, identity_policies=[allow], resource_policies=[trust],
                            endpoint_policies=sts).allowed
        request = Request(caller, "sts:GetCallerIdentity", "*", context=in_org)
        decision = evaluate(request, identity_policies=[allow], endpoint_policies=sts)
        assert decision.allowed, decision.reason


def test_the_drill_policies_are_json(synthesized: Synthesized) -> None:
    """resolved() must leave a valid policy document behind (the reference sits inside a JSON string)."""
    for env_name in MEMBERS:
        document = gateway_policy(synthesized, env_name, "training_network")
        assert ORG_ID in json.dumps(document)
