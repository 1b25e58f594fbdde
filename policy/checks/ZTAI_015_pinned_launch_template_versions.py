"""ZTAI_015: every launch-template reference pins a version (never ``$Latest`` or ``$Default``).

With ``$Latest`` whoever may call ``ec2:CreateLaunchTemplateVersion`` changes what the next instance
boots (AMI, user data, instance profile) without touching the Auto Scaling group or the compute
environment; ``$Default`` moves with ``ec2:ModifyLaunchTemplate``. A pinned number, or a reference to the
template's ``latest_version`` resolved at apply time, keeps the change in the reviewed plan. A reference
without a version means ``$Default``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from _common import first  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

_REFERENCE_KEYS = ("launch_template", "launch_template_specification")
_IDENTIFIERS = ("id", "name", "launch_template_id", "launch_template_name")
_MOVING = ("$latest", "$default")


def template_references(node: Any, key: str = "") -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from template_references(item, key)
    elif isinstance(node, dict):
        if key in _REFERENCE_KEYS and any(name in node for name in _IDENTIFIERS):
            yield node
        for child_key, child in node.items():
            if child_key != "//":
                yield from template_references(child, child_key)


class PinnedLaunchTemplateVersions(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Launch template references pin a version (not $Latest or $Default)",
            id="CKV_ZTAI_015",
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["aws_autoscaling_group", "aws_batch_compute_environment", "aws_instance",
                                 "aws_eks_node_group", "aws_ec2_fleet", "aws_spot_fleet_request"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        references = list(template_references(conf))
        if not references:
            return CheckResult.UNKNOWN  # not applicable: no launch template in use
        self.evaluated_keys = ["launch_template", "mixed_instances_policy", "compute_resources"]
        for reference in references:
            version = str(first(reference, "version", "") or "").strip()
            if not version or version.lower() in _MOVING:
                return CheckResult.FAILED
        return CheckResult.PASSED


check = PinnedLaunchTemplateVersions()
