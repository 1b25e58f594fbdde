"""Input validation shared by the construct props and the app's configuration edge.

Every rule is a plain function (raising :class:`InvalidInput`, a ``ValueError`` that names the bad value and the
fix) and, where it applies to one field, an ``Annotated`` type that props models use directly::

    class MyProps(BaseModel):
        cidr_block: PrivateCidr
        retention_in_days: RetentionDays = 365

Pydantic turns the error into a ``ValidationError`` naming the field. The app's configuration layer
(``stacks/config/model.py``) calls the same functions, so a rule and its message live in one place; its loader
reads ``message``, ``fix`` and ``field`` to report file, field, value and fix.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field

from zero_trust_ai.runtime.token_validator import MAX_TOKEN_TTL_SECONDS

__all__ = [
    "CLOUDWATCH_RETENTION_DAYS",
    "EGRESS_MAX_ZONES",
    "EGRESS_WORKLOAD_NAMES",
    "FOUNDATION_MODEL_ARN",
    "GPU_INSTANCE_PATTERN",
    "MAX_SESSION_SECONDS",
    "MAX_TOKEN_TTL_MINUTES",
    "MAX_VPC_PREFIX_LENGTH",
    "MIN_OPT_OUT_REASON_CHARS",
    "MIN_SESSION_SECONDS",
    "MIN_TOKEN_TTL_MINUTES",
    "MIN_VPC_PREFIX_LENGTH",
    "PRIVATE_RANGES",
    "REGION_PATTERN",
    "AccountId",
    "AllowedDomain",
    "BucketName",
    "EgressWorkloadName",
    "GpuInstanceType",
    "IdpGroup",
    "InvalidInput",
    "OptOutReason",
    "PrivateCidr",
    "PrivateRange",
    "RetentionDays",
    "SamlProviderArn",
    "SessionDuration",
    "SessionTagKey",
    "TokenTtlMinutes",
    "TrustOptOutReason",
    "allowed_domain",
    "cloudwatch_retention_days",
    "disjoint_networks",
    "egress_block_in_vpc",
    "egress_cidr_block",
    "gpu_instance_type",
    "listed_once",
    "opt_out_reason",
    "private_cidr",
    "private_ipv4_network",
    "private_ipv4_range",
    "private_range",
    "private_subnet_cidrs",
    "s3_bucket_name",
    "session_duration_seconds",
    "subnet_prefix_fits",
    "subnets_for_zones",
    "zone_in_region",
]


class InvalidInput(ValueError):
    """A value a construct (or the configuration) refuses: ``message`` names the value, ``fix`` says what to do,
    ``field`` is the (sub)field path relative to the validated field or model (empty: the field itself)."""

    def __init__(self, message: str, *, fix: str, field: tuple[str | int, ...] = ()) -> None:
        super().__init__(f"{message}. Fix: {fix}")
        self.message = message
        self.fix = fix
        self.field = field

    def at(self, *field: str | int) -> InvalidInput:
        """The same problem, reported ``field`` deeper (e.g. the index of a list item)."""
        return InvalidInput(self.message, fix=self.fix, field=(*field, *self.field))


# -- networks -----------------------------------------------------------------------------------------------------

PRIVATE_RANGES = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
)
# The VPC sizes the platform accepts (AWS allows /16../28; /24 leaves room for one subnet per AZ).
MIN_VPC_PREFIX_LENGTH = 16
MAX_VPC_PREFIX_LENGTH = 24


def private_ipv4_range(value: str) -> ipaddress.IPv4Network:
    """``value`` as a private (RFC 1918) IPv4 network of any size, written as its network address."""
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise InvalidInput(
            f"{value!r} is not a valid IPv4 CIDR block ({exc})",
            fix="write a network address with its prefix length, e.g. 10.10.0.0/16",
        ) from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise InvalidInput(f"{value!r} is IPv6", fix="use an IPv4 private range such as 10.10.0.0/16")
    if not any(network.subnet_of(private) for private in PRIVATE_RANGES):
        raise InvalidInput(
            f"{value!r} is not a private (RFC 1918) range",
            fix="use a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
        )
    return network


def private_ipv4_network(value: str) -> ipaddress.IPv4Network:
    """``value`` as a private (RFC 1918) IPv4 network of /16../24 (a VPC), written as its network address."""
    network = private_ipv4_range(value)
    if not MIN_VPC_PREFIX_LENGTH <= network.prefixlen <= MAX_VPC_PREFIX_LENGTH:
        raise InvalidInput(
            f"{value!r} has prefix /{network.prefixlen}; AWS VPCs must be between /{MIN_VPC_PREFIX_LENGTH} and "
            f"/{MAX_VPC_PREFIX_LENGTH} here",
            fix=f"choose a prefix length between /{MIN_VPC_PREFIX_LENGTH} and /{MAX_VPC_PREFIX_LENGTH}",
        )
    return network


def private_cidr(value: str) -> str:
    """:func:`private_ipv4_network` for a field that keeps the text."""
    private_ipv4_network(value)
    return value


def disjoint_networks(cidrs: Mapping[str, str], *, fix: str | None = None) -> None:
    """Refuse two overlapping networks of ``cidrs`` (name -> CIDR); the later name is the one reported."""
    names = list(cidrs)
    for later_index, later in enumerate(names):
        for earlier in names[:later_index]:
            if ipaddress.ip_network(cidrs[later]).overlaps(ipaddress.ip_network(cidrs[earlier])):
                raise InvalidInput(
                    f"{later} {cidrs[later]!r} overlaps {earlier} {cidrs[earlier]!r}; the two VPCs must be segmented",
                    fix=fix or f"pick non-overlapping ranges for {earlier} and {later}, e.g. 10.10.0.0/16 and "
                    "10.20.0.0/16",
                    field=(later,),
                )


def subnet_prefix_fits(name: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network, prefix_length: int) -> None:
    """Refuse a subnet prefix that is not longer than the network's own."""
    if prefix_length <= network.prefixlen:
        raise InvalidInput(
            f"subnet_prefix_length /{prefix_length} does not fit inside {name} {network} (/{network.prefixlen})",
            fix=f"use a subnet_prefix_length longer than /{network.prefixlen}",
            field=("subnet_prefix_length",),
        )


def subnets_for_zones(networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network], prefix_length: int,
                      zones: int, *, field: tuple[str | int, ...] = ("subnet_prefix_length",)) -> None:
    """Refuse a plan where the smallest network cannot hold one subnet of ``prefix_length`` per zone."""
    capacity = 2 ** (prefix_length - max(network.prefixlen for network in networks))
    if capacity < zones:
        longer = prefix_length + math.ceil(math.log2(zones / capacity))
        what = "the VPCs hold" if len(networks) > 1 else "the VPC holds"
        raise InvalidInput(
            f"{what} {capacity} subnet(s) of /{prefix_length} but {zones} availability zones need one each",
            fix=f"use a subnet_prefix_length of at least /{longer} or larger VPCs",
            field=field,
        )


def zone_in_region(zone: str, region: str) -> None:
    if not re.fullmatch(re.escape(region) + r"[a-z]", zone):
        raise InvalidInput(f"availability zone {zone!r} is not in region {region!r}",
                           fix=f"use zones of {region}, e.g. {region}a and {region}b")


def listed_once(values: Sequence[str], *, what: str = "a value", fix: str = "list each value once") -> None:
    if len(set(values)) != len(values):
        raise InvalidInput(f"{what} is listed twice", fix=fix)


def private_range(value: str) -> str:
    """:func:`private_ipv4_range` for a field that keeps the text."""
    private_ipv4_range(value)
    return value


PrivateCidr = Annotated[str, AfterValidator(private_cidr)]
"""A VPC's CIDR: private (RFC 1918) IPv4, /16../24."""
PrivateRange = Annotated[str, AfterValidator(private_range)]
"""A private (RFC 1918) IPv4 range of any size (e.g. the clients a security group admits)."""

REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"

# The constructs write ARNs (``arn:aws:...``), service principals and endpoint names of the ``aws`` partition only.
# In another partition those would name nothing -- and a Deny keyed on an ARN that never matches is a control that
# silently does nothing -- so a region of another partition is refused rather than synthesized.
CONSTRUCT_PARTITION = "aws"
_OTHER_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"), ("us-iso-", "aws-iso"),
                     ("eu-isoe-", "aws-iso-e"), ("us-isof-", "aws-iso-f"))


def partition_of(region: str) -> str:
    """The partition a region belongs to, by its documented name prefix."""
    return next((partition for prefix, partition in _OTHER_PARTITIONS if region.startswith(prefix)),
                CONSTRUCT_PARTITION)


def platform_region(value: str) -> str:
    """A region of the partition the constructs are written for (see ``CONSTRUCT_PARTITION``)."""
    partition = partition_of(value)
    if partition != CONSTRUCT_PARTITION:
        raise InvalidInput(
            f"{value!r} is in partition {partition}; the constructs write ARNs and service principals of partition "
            f"{CONSTRUCT_PARTITION} only (arn:{CONSTRUCT_PARTITION}:...), so their policies would name nothing there",
            fix=f"deploy to a region of partition {CONSTRUCT_PARTITION}, e.g. eu-west-1 or us-east-1")
    return value


PlatformRegion = Annotated[str, Field(pattern=REGION_PATTERN), AfterValidator(platform_region)]
"""A region of the ``aws`` partition (see :func:`platform_region`)."""
AccountId = Annotated[str, Field(pattern=r"^\d{12}$", description="12-digit AWS account id.")]

# -- logs ------------------------------------------------------------------------------------------------------------

# CloudWatch Logs only accepts these retention values (days) at or above one year.
CLOUDWATCH_RETENTION_DAYS = (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


def cloudwatch_retention_days(value: int) -> int:
    if value not in CLOUDWATCH_RETENTION_DAYS:
        raise InvalidInput(f"{value} is not a CloudWatch retention of at least one year",
                           fix=f"use one of {', '.join(map(str, CLOUDWATCH_RETENTION_DAYS))}")
    return value


RetentionDays = Annotated[int, AfterValidator(cloudwatch_retention_days)]
"""A CloudWatch Logs retention CloudWatch accepts, at least one year."""

# -- sessions and tokens ------------------------------------------------------------------------------------------

MAX_SESSION_SECONDS = 3600
MIN_SESSION_SECONDS = 900  # the AWS minimum of a role's maximum session duration


def session_duration_seconds(value: int) -> int:
    if value > MAX_SESSION_SECONDS:
        raise InvalidInput(f"{value} s is longer than the one-hour ceiling for ephemeral credentials",
                           fix=f"set it to {MAX_SESSION_SECONDS} or less")
    if value < MIN_SESSION_SECONDS:
        raise InvalidInput(f"{value} s is below the AWS minimum of {MIN_SESSION_SECONDS} s",
                           fix=f"set it between {MIN_SESSION_SECONDS} and {MAX_SESSION_SECONDS}")
    return value


SessionDuration = Annotated[int, AfterValidator(session_duration_seconds)]
"""A role's maximum session, 900..3600 seconds."""

# The token validator refuses tokens living longer than MAX_TOKEN_TTL_SECONDS: the issuer can never mint them.
MAX_TOKEN_TTL_MINUTES = MAX_TOKEN_TTL_SECONDS // 60
MIN_TOKEN_TTL_MINUTES = 5
TokenTtlMinutes = Annotated[int, Field(ge=MIN_TOKEN_TTL_MINUTES, le=MAX_TOKEN_TTL_MINUTES)]
"""Access-token lifetime in minutes (5..15)."""

# -- identities ----------------------------------------------------------------------------------------------------

SamlProviderArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:saml-provider/[\w+=,.@-]{1,128}$")]
SessionTagKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:/=+@-]{1,128}$")]
IdpGroup = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[\w +\-=.:/@]+$")]

# -- opt-outs ------------------------------------------------------------------------------------------------------

MIN_OPT_OUT_REASON_CHARS = 20


def opt_out_reason(min_chars: int = MIN_OPT_OUT_REASON_CHARS) -> Callable[[str], str]:
    """A validator: the reason for an insecure opt-out explains itself in at least ``min_chars`` characters
    (surrounding whitespace does not count)."""

    def check(value: str) -> str:
        if len(value.strip()) < min_chars:
            raise InvalidInput(f"opt-out reason {value!r} has {len(value.strip())} characters",
                               fix=f"say why the secure default cannot apply, in at least {min_chars} characters "
                               "(or remove the opt-out)")
        return value

    return check


OptOutReason = Annotated[str, AfterValidator(opt_out_reason())]
"""Why an insecure opt-out is taken (at least 20 characters)."""
TrustOptOutReason = Annotated[str, AfterValidator(opt_out_reason(30))]
"""Why a trust or guardrail scope is relaxed (at least 30 characters)."""

# -- compute ------------------------------------------------------------------------------------------------------

GPU_INSTANCE_PATTERN = re.compile(r"^(p3|p3dn|p4d|p4de|p5|p5e|p5en|g4dn|g5|g6|g6e|gr6|trn1|trn1n|trn2)\.\w+$")


def gpu_instance_type(value: str) -> str:
    if not GPU_INSTANCE_PATTERN.match(value):
        raise InvalidInput(
            f"{value!r} is not a GPU/accelerator instance type",
            fix="use GPU families such as g5.xlarge, g6.2xlarge, p4d.24xlarge, p5.48xlarge or trn1.2xlarge",
        )
    return value


GpuInstanceType = Annotated[str, AfterValidator(gpu_instance_type)]

# -- S3 ----------------------------------------------------------------------------------------------------------

_S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def s3_bucket_name(value: str) -> str:
    """The S3 general purpose bucket naming rules a pattern cannot express."""
    problem = None
    if ".." in value:
        problem = "has two adjacent periods"
    elif re.fullmatch(r"\d+\.\d+\.\d+\.\d+", value):
        problem = "is formatted as an IP address"
    elif value.startswith(_S3_RESERVED_PREFIXES):
        problem = f"starts with a prefix S3 reserves ({', '.join(_S3_RESERVED_PREFIXES)})"
    elif value.endswith(_S3_RESERVED_SUFFIXES):
        problem = f"ends with a suffix S3 reserves ({', '.join(_S3_RESERVED_SUFFIXES)})"
    if problem:
        raise InvalidInput(
            f"bucket name {value!r} {problem}, which S3 refuses",
            fix="use 3-63 lowercase letters, digits, hyphens and single periods between them, "
            "e.g. zt-ai-platform-tfstate-<account id>",
        )
    return value


BucketName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"), AfterValidator(s3_bucket_name)]
"""An S3 general purpose bucket name."""

# -- model APIs ----------------------------------------------------------------------------------------------------

# arn:<partition>:bedrock:<region>::foundation-model/<provider>.<model>[:<version>]
FOUNDATION_MODEL_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):bedrock:(?P<region>[a-z]{2}(-gov)?-[a-z]+-\d)::"
    r"foundation-model/(?P<model_id>[a-z0-9-]+\.[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)*)$")


# -- egress: Network Firewall domain-list entries and the egress address block ------------------------------------
# RulesSourceList.Targets: an explicit name ("abc.example.com" matches only itself) or a leading dot (".example.com"
# matches example.com and every subdomain). No other wildcard exists.
# https://docs.aws.amazon.com/network-firewall/latest/APIReference/API_RulesSourceList.html
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^\.?(?:{_LABEL}\.)+(?!\d+$){_LABEL}$")


def allowed_domain(value: str) -> str:
    """One allow-list entry: an exact, lowercase FQDN (``api.example.com``) or its leading-dot suffix form
    (``.example.com``: the domain and all its subdomains). Refuses wildcards, IP literals, upper case, a trailing dot,
    a bare TLD and anything a domain list would not read as a name."""
    fix = "write an exact lowercase name (api.example.com) or a leading dot for a domain and all its subdomains " \
          "(.example.com)"
    if not value:
        raise InvalidInput("an empty domain", fix=fix)
    if "*" in value:
        raise InvalidInput(f"domain {value!r} contains a wildcard '*', which Network Firewall domain lists do not "
                           "support (only a leading dot)", fix=fix)
    candidate = value.strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        pass
    else:
        raise InvalidInput(f"domain {value!r} is an IP literal; the allow-list names hosts, it does not open addresses",
                           fix=fix)
    if value != value.lower():
        raise InvalidInput(f"domain {value!r} is not lowercase", fix=f"write {value.lower()!r}")
    if value.endswith("."):
        raise InvalidInput(f"domain {value!r} ends with a dot (a TLS SNI or HTTP Host never does)",
                           fix=f"write {value.rstrip('.')!r}")
    if len(value.lstrip(".")) > 253 or not _DOMAIN.fullmatch(value):
        raise InvalidInput(f"domain {value!r} is not a fully qualified name (labels of a-z, 0-9 and inner hyphens, "
                           "at least two labels, a non-numeric top-level label)", fix=fix)
    return value


AllowedDomain = Annotated[str, AfterValidator(allowed_domain)]
"""One Network Firewall domain-list entry: ``api.example.com`` or ``.example.com``."""


# Zone slots ModelEgress's address plan reserves (adding a zone later never moves an existing subnet).
EGRESS_MAX_ZONES = 4
# The platform's workloads that can be placed on the egress path (ZeroTrustAiPlatform composes them): the serving
# inference fleet. Only a workload named here gets the egress-workload subnets and security group.
EgressWorkloadName = Literal["inference_fleet"]
EGRESS_WORKLOAD_NAMES: tuple[str, ...] = get_args(EgressWorkloadName)


def egress_cidr_block(value: str) -> str:
    """The private block (/16../24) from which the egress subnets of a VPC are cut (ModelEgress's address plan: at
    /24 the firewall and NAT subnets are /28, the smallest AWS allows)."""
    network = private_ipv4_range(value)
    if not 16 <= network.prefixlen <= 24:
        raise InvalidInput(f"cidr_block {value!r} has prefix /{network.prefixlen}; the egress plan needs /16../24",
                           fix="use a /20 (workload subnets /23) or up to a /24 (firewall and NAT subnets /28)")
    return value


def private_subnet_cidrs(vpc_cidr: str, prefix_length: int, zones: int) -> list[str]:
    """The CIDRs PrivateNetwork gives its private subnets: the first ``zones`` blocks of ``prefix_length``."""
    blocks = ipaddress.ip_network(vpc_cidr).subnets(new_prefix=prefix_length)
    return [str(block) for _, block in zip(range(zones), blocks, strict=False)]


def egress_block_in_vpc(block: str, *, vpc_cidr: str, private_subnets: Sequence[str], network: str) -> None:
    """The egress block lies inside the VPC's CIDR and overlaps none of its private subnets."""
    egress = ipaddress.IPv4Network(block)
    vpc = ipaddress.IPv4Network(vpc_cidr)
    if not egress.subnet_of(vpc):
        raise InvalidInput(f"cidr_block {block!r} is not inside the VPC's {vpc}",
                           fix=f"pick a block inside {vpc}, e.g. its top /20 or /24", field=("cidr_block",))
    for subnet in private_subnets:
        if egress.overlaps(ipaddress.IPv4Network(subnet)):
            raise InvalidInput(f"cidr_block {block!r} overlaps the private subnet {subnet} of {network}",
                               fix="pick a block above the private subnets, e.g. the top of the VPC range",
                               field=("cidr_block",))
