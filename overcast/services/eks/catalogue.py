"""What EKS offers, as data: Kubernetes versions with their support calendar, the add-ons and
their versions, the access policies. A version's support status follows from today's date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime


@dataclass(frozen=True)
class Version:
    minor: str
    released: date
    end_of_standard: date
    end_of_extended: date
    platform: str  # the newest platform version, "eks.N"
    patch: str  # the Kubernetes patch version the platform runs

    def status(self, today: date) -> str:
        if today >= self.end_of_extended:
            return "UNSUPPORTED"
        return "EXTENDED_SUPPORT" if today >= self.end_of_standard else "STANDARD_SUPPORT"


#: Amazon EKS's release calendar (14 months of standard support, then 12 of extended support).
VERSIONS: tuple[Version, ...] = (
    Version("1.28", date(2023, 9, 26), date(2024, 11, 26), date(2025, 11, 26), "eks.47", "1.28.15"),
    Version("1.29", date(2024, 1, 23), date(2025, 3, 23), date(2026, 3, 23), "eks.45", "1.29.15"),
    Version("1.30", date(2024, 5, 23), date(2025, 7, 23), date(2026, 7, 23), "eks.42", "1.30.14"),
    Version("1.31", date(2024, 9, 26), date(2025, 11, 26), date(2026, 11, 26), "eks.38", "1.31.13"),
    Version("1.32", date(2025, 1, 23), date(2026, 3, 23), date(2027, 3, 23), "eks.27", "1.32.9"),
    Version("1.33", date(2025, 5, 29), date(2026, 7, 29), date(2027, 7, 29), "eks.20", "1.33.5"),
    Version("1.34", date(2025, 10, 2), date(2026, 12, 2), date(2027, 12, 2), "eks.9", "1.34.2"),
    Version("1.35", date(2026, 1, 28), date(2027, 3, 27), date(2028, 3, 27), "eks.4", "1.35.0"),
)
BY_MINOR = {v.minor: v for v in VERSIONS}
#: The version a cluster gets when CreateCluster names none (AWS's default trails the newest).
DEFAULT_VERSION = "1.34"


def today() -> date:
    return datetime.now(UTC).date()


def supported(minor: str) -> Version | None:
    """The version if a new cluster may run it (in standard or extended support)."""
    version = BY_MINOR.get(minor)
    if version is None or version.status(today()) == "UNSUPPORTED":
        return None
    return version


def minors_after(minor: str) -> str | None:
    """The next minor version EKS offers after `minor`, if any."""
    names = [v.minor for v in VERSIONS]
    index = names.index(minor) if minor in names else -1
    return names[index + 1] if 0 <= index < len(names) - 1 else None


@dataclass(frozen=True)
class AddonSpec:
    name: str
    kind: str  # AddonInfo.type
    namespace: str
    #: (addon version, the oldest and newest Kubernetes minor it runs on), newest first
    versions: tuple[tuple[str, str, str], ...]
    #: JSON schema of its configurationValues (DescribeAddonConfiguration)
    schema: str = '{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{}}'


def _per_minor(prefix: str, builds: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    """kube-proxy's versions: one per Kubernetes minor, each for that minor only."""
    return tuple((f"{prefix}{patch}", minor, minor) for minor, patch in sorted(builds.items(), reverse=True))


ADDONS: tuple[AddonSpec, ...] = (
    AddonSpec(
        "vpc-cni",
        "networking",
        "kube-system",
        (("v1.20.4-eksbuild.1", "1.28", "1.35"), ("v1.19.6-eksbuild.1", "1.28", "1.34")),
        '{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":'
        '{"env":{"type":"object"},"resources":{"type":"object"},"enableNetworkPolicy":{"type":"string"}}}',
    ),
    AddonSpec(
        "coredns",
        "networking",
        "kube-system",
        (
            ("v1.12.4-eksbuild.1", "1.33", "1.35"),
            ("v1.11.4-eksbuild.14", "1.29", "1.32"),
            ("v1.10.1-eksbuild.38", "1.28", "1.28"),
        ),
        '{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":'
        '{"replicaCount":{"type":"integer"},"resources":{"type":"object"},"tolerations":{"type":"array"}}}',
    ),
    AddonSpec(
        "kube-proxy",
        "networking",
        "kube-system",
        _per_minor(
            "v",
            {
                "1.28": "1.28.15-eksbuild.34",
                "1.29": "1.29.15-eksbuild.26",
                "1.30": "1.30.14-eksbuild.18",
                "1.31": "1.31.13-eksbuild.12",
                "1.32": "1.32.9-eksbuild.6",
                "1.33": "1.33.5-eksbuild.4",
                "1.34": "1.34.2-eksbuild.2",
                "1.35": "1.35.0-eksbuild.1",
            },
        ),
    ),
    AddonSpec("aws-ebs-csi-driver", "storage", "kube-system", (("v1.53.0-eksbuild.1", "1.28", "1.35"),)),
    AddonSpec("aws-efs-csi-driver", "storage", "kube-system", (("v2.1.15-eksbuild.1", "1.28", "1.35"),)),
    AddonSpec(
        "aws-mountpoint-s3-csi-driver", "storage", "kube-system", (("v2.2.1-eksbuild.1", "1.28", "1.35"),)
    ),
    AddonSpec("snapshot-controller", "storage", "kube-system", (("v8.3.0-eksbuild.1", "1.28", "1.35"),)),
    AddonSpec("eks-pod-identity-agent", "security", "kube-system", (("v1.3.10-eksbuild.1", "1.28", "1.35"),)),
    AddonSpec("metrics-server", "observability", "kube-system", (("v0.8.0-eksbuild.3", "1.28", "1.35"),)),
    AddonSpec(
        "amazon-cloudwatch-observability",
        "observability",
        "amazon-cloudwatch",
        (("v4.7.0-eksbuild.1", "1.28", "1.35"),),
    ),
)
ADDONS_BY_NAME = {a.name: a for a in ADDONS}


def minor_key(minor: str) -> tuple[int, ...]:
    return tuple(int(part) for part in minor.split("."))


def addon_versions(spec: AddonSpec, minor: str | None) -> list[str]:
    """The add-on's versions that run on Kubernetes `minor` (all when None), newest first."""
    return [
        version
        for version, low, high in spec.versions
        if minor is None or minor_key(low) <= minor_key(minor) <= minor_key(high)
    ]


#: The cluster access policies EKS defines (ListAccessPolicies), by name.
ACCESS_POLICIES: tuple[str, ...] = (
    "AmazonAIOpsAssistantPolicy",
    "AmazonARCRegionSwitchScalingPolicy",
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSClusterInsightsPolicy",
    "AmazonEKSComputeClusterPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSLoadBalancingClusterPolicy",
    "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSViewPolicy",
)
ACCESS_POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
#: The access entry types and whether they take Kubernetes groups and a username.
ACCESS_ENTRY_TYPES = ("STANDARD", "FARGATE_LINUX", "EC2_LINUX", "EC2_WINDOWS", "EC2", "HYBRID_LINUX",
                      "HYPERPOD_LINUX")  # fmt: skip
