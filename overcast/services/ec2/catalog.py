"""What AWS publishes rather than the account creates: regions, availability zones, instance
types and the public AMI catalogue (the Amazon Linux ids are the very ones SSM's public
parameters hold: overcast.services.ssm.public)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

#: Zone letters per region, as most accounts see them (AWS maps letters per account).
ZONE_LETTERS = {
    "us-east-1": "abcdef",
    "us-west-1": "ac",
    "us-west-2": "abcd",
    "ap-northeast-1": "acd",
    "ap-northeast-2": "abcd",
    "ap-south-1": "abc",
    "ca-central-1": "abd",
    "sa-east-1": "abc",
    "eu-west-1": "abc",
}
#: Zone id numbers where they do not follow the letters (us-east-1a is use1-az6 for many).
ZONE_NUMBERS = {
    "us-east-1": (6, 1, 2, 4, 3, 5),
    "us-west-1": (1, 3),
    "ap-northeast-1": (4, 1, 2),
    "ca-central-1": (1, 2, 4),
}
_DIRECTIONS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
    "northeast": "ne",
    "southeast": "se",
    "northwest": "nw",
    "southwest": "sw",
}


@lru_cache(maxsize=1)
def regions() -> dict[str, str]:
    """Region name → partition, for every region botocore knows."""
    from botocore.loaders import create_loader

    found: dict[str, str] = {}
    for part in create_loader().load_data("endpoints")["partitions"]:
        for region in part["regions"]:
            found[region] = part["partition"]
    return found


def _zone_prefix(region: str) -> str:
    parts = region.split("-")
    if len(parts) < 3:
        return region
    return parts[0] + "".join(_DIRECTIONS.get(p, p[:1]) for p in parts[1:-1]) + parts[-1]


@lru_cache(maxsize=64)
def zones(region: str) -> list[dict[str, Any]]:
    letters = ZONE_LETTERS.get(region, "abc")
    numbers = ZONE_NUMBERS.get(region) or tuple(range(1, len(letters) + 1))
    prefix = _zone_prefix(region)
    return [
        {
            "OptInStatus": "opt-in-not-required",
            "Messages": [],
            "RegionName": region,
            "ZoneName": f"{region}{letter}",
            "ZoneId": f"{prefix}-az{number}",
            "GroupName": region,
            "NetworkBorderGroup": region,
            "ZoneType": "availability-zone",
            "GroupLongName": region,
            "State": "available",
        }
        for letter, number in zip(letters, numbers, strict=False)
    ]


def zone_id(region: str, zone_name: str) -> str | None:
    for zone in zones(region):
        if zone["ZoneName"] == zone_name:
            return zone["ZoneId"]
    return None


def zone_name(region: str, zone_ident: str) -> str | None:
    for zone in zones(region):
        if zone["ZoneId"] == zone_ident:
            return zone["ZoneName"]
    return None


# ---------------------------------------------------------------------------- instance types

#: size → (vCPUs, memory MiB) of a general-purpose family; other families scale memory.
_SIZES = {
    "nano": (2, 512),
    "micro": (2, 1024),
    "small": (2, 2048),
    "medium": (2, 4096),
    "large": (2, 8192),
    "xlarge": (4, 16384),
    "2xlarge": (8, 32768),
    "4xlarge": (16, 65536),
    "8xlarge": (32, 131072),
    "12xlarge": (48, 196608),
    "16xlarge": (64, 262144),
    "24xlarge": (96, 393216),
}
#: family → (architecture, burstable, memory factor vs general purpose, sizes, processor, clock GHz)
_FAMILIES: dict[str, tuple[str, bool, float, tuple[str, ...], str, float]] = {
    "t2": (
        "x86_64",
        True,
        0.5,
        ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"),
        "Intel",
        3.3,
    ),
    "t3": (
        "x86_64",
        True,
        1,
        ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"),
        "Intel",
        3.1,
    ),
    "t3a": (
        "x86_64",
        True,
        1,
        ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"),
        "AMD",
        2.5,
    ),
    "t4g": ("arm64", True, 1, ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"), "AWS", 2.5),
    "m5": (
        "x86_64",
        False,
        1,
        ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
        "Intel",
        3.1,
    ),
    "m6i": (
        "x86_64",
        False,
        1,
        ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
        "Intel",
        3.5,
    ),
    "m6g": (
        "arm64",
        False,
        1,
        ("medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
        "AWS",
        2.5,
    ),
    "m7i": (
        "x86_64",
        False,
        1,
        ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
        "Intel",
        3.2,
    ),
    "c5": (
        "x86_64",
        False,
        0.5,
        ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
        "Intel",
        3.4,
    ),
    "c6i": (
        "x86_64",
        False,
        0.5,
        ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
        "Intel",
        3.5,
    ),
    "c6g": (
        "arm64",
        False,
        0.5,
        ("medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
        "AWS",
        2.5,
    ),
    "r5": (
        "x86_64",
        False,
        2,
        ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
        "Intel",
        3.1,
    ),
    "r6i": (
        "x86_64",
        False,
        2,
        ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
        "Intel",
        3.5,
    ),
    "g4dn": (
        "x86_64",
        False,
        1,
        ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
        "Intel",
        2.5,
    ),
    "g5": (
        "x86_64",
        False,
        1,
        ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
        "AMD",
        3.3,
    ),
    "i3": (
        "x86_64",
        False,
        1.9,
        ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"),
        "Intel",
        2.3,
    ),
    "i4i": (
        "x86_64",
        False,
        2,
        ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"),
        "Intel",
        3.5,
    ),
}
#: Burstable sizes whose vCPUs differ from the general table.
_BURST_CPUS = {"nano": 2, "micro": 2, "small": 2, "medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8}
_T2_CPUS = {"nano": 1, "micro": 1, "small": 1, "medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8}
_FREE_TIER = frozenset({"t2.micro", "t3.micro", "t4g.micro"})


def _type_info(family: str, size: str) -> dict[str, Any]:
    arch, burstable, factor, _sizes, maker, clock = _FAMILIES[family]
    cpus, memory = _SIZES[size]
    if family == "t2":
        cpus = _T2_CPUS[size]
    elif burstable:
        cpus = _BURST_CPUS[size]
    memory = int(memory * factor)
    name = f"{family}.{size}"
    gpus = family in ("g4dn", "g5")
    storage = family in ("i3", "i4i", "g4dn")
    info: dict[str, Any] = {
        "InstanceType": name,
        "CurrentGeneration": family != "t2",
        "FreeTierEligible": name in _FREE_TIER,
        "SupportedUsageClasses": ["on-demand", "spot"],
        "SupportedRootDeviceTypes": ["ebs"],
        "SupportedVirtualizationTypes": ["hvm"],
        "BareMetal": False,
        "Hypervisor": "xen" if family in ("t2", "i3") else "nitro",
        "ProcessorInfo": {
            "SupportedArchitectures": [arch]
            if arch == "arm64"
            else ["i386", "x86_64"]
            if family == "t2"
            else [arch],
            "SustainedClockSpeedInGhz": clock,
            "Manufacturer": maker,
        },
        "VCpuInfo": {
            "DefaultVCpus": cpus,
            "DefaultCores": max(cpus // (1 if arch == "arm64" or family == "t2" else 2), 1),
            "DefaultThreadsPerCore": 1 if arch == "arm64" or family == "t2" else 2,
        },
        "MemoryInfo": {"SizeInMiB": memory},
        "InstanceStorageSupported": storage,
        "EbsInfo": {
            "EbsOptimizedSupport": "unsupported" if family == "t2" else "default",
            "EncryptionSupport": "supported",
            "NvmeSupport": "unsupported" if family in ("t2", "i3") else "required",
        },
        "NetworkInfo": {
            "NetworkPerformance": "Up to 5 Gigabit" if burstable else "Up to 12.5 Gigabit",
            "MaximumNetworkInterfaces": 2
            if size in ("nano", "micro")
            else 3
            if size in ("small", "medium")
            else 4,
            "MaximumNetworkCards": 1,
            "DefaultNetworkCardIndex": 0,
            "NetworkCards": [
                {
                    "NetworkCardIndex": 0,
                    "NetworkPerformance": "Up to 5 Gigabit" if burstable else "Up to 12.5 Gigabit",
                    "MaximumNetworkInterfaces": 4,
                }
            ],
            "Ipv4AddressesPerInterface": 2 if size == "nano" else 6 if size in ("micro", "small") else 10,
            "Ipv6AddressesPerInterface": 2 if size == "nano" else 6 if size in ("micro", "small") else 10,
            "Ipv6Supported": True,
            "EnaSupport": "unsupported" if family == "t2" else "required",
            "EfaSupported": False,
            "EncryptionInTransitSupported": False,
            "EnaSrdSupported": False,
        },
        "PlacementGroupInfo": {
            "SupportedStrategies": ["partition", "spread"]
            if burstable
            else ["cluster", "partition", "spread"]
        },
        "HibernationSupported": not gpus,
        "BurstablePerformanceSupported": burstable,
        "DedicatedHostsSupported": not burstable,
        "AutoRecoverySupported": not storage,
        "SupportedBootModes": ["uefi"] if arch == "arm64" else ["legacy-bios", "uefi"],
        "NitroEnclavesSupport": "unsupported" if burstable else "supported",
        "NitroTpmSupport": "unsupported" if family in ("t2", "i3") else "supported",
        "PhcSupport": "unsupported",
    }
    if storage:
        disk = max(cpus // 2, 1) * (475 if family != "g4dn" else 125)
        info["InstanceStorageInfo"] = {
            "TotalSizeInGB": disk,
            "Disks": [{"SizeInGB": disk, "Count": 1, "Type": "ssd"}],
            "NvmeSupport": "required",
            "EncryptionSupport": "required",
        }
    if gpus:
        info["GpuInfo"] = {
            "Gpus": [
                {
                    "Name": "T4" if family == "g4dn" else "A10G",
                    "Manufacturer": "NVIDIA",
                    "Count": 1,
                    "MemoryInfo": {"SizeInMiB": 16384 if family == "g4dn" else 24576},
                }
            ],
            "TotalGpuMemoryInMiB": 16384 if family == "g4dn" else 24576,
        }
    return info


@lru_cache(maxsize=1)
def instance_types() -> dict[str, dict[str, Any]]:
    return {
        f"{family}.{size}": _type_info(family, size) for family, spec in _FAMILIES.items() for size in spec[3]
    }


# ---------------------------------------------------------------------------- public images

#: Owners of the public catalogue: alias → account.
AMAZON = "137112412989"
CANONICAL = "099720109477"
MICROSOFT = "801119661308"
OWNER_ALIASES = {"amazon": (AMAZON, MICROSOFT), "aws-marketplace": ("679593333241",)}
PUBLISHED = datetime(2024, 12, 17, tzinfo=UTC)

#: Publisher and description of the other public images (SSM's OTHER_IMAGES), by name prefix.
_PUBLISHERS = {
    "ubuntu/": (CANONICAL, "", "Canonical, Ubuntu, {version}, {arch} image"),
    "Windows_Server-": (
        MICROSOFT,
        "windows",
        "Microsoft Windows Server {version} Full Locale English AMI provided by Amazon",
    ),
}


def _image(
    image_id: str, name: str, arch: str, platform: str, owner: str, description: str, param: str
) -> dict[str, Any]:
    windows = platform == "windows"
    root = "/dev/sda1" if windows or name.startswith("ubuntu") else "/dev/xvda"
    image: dict[str, Any] = {
        "ImageId": image_id,
        "ImageLocation": f"{'amazon' if owner in (AMAZON, MICROSOFT) else owner}/{name}",
        "State": "available",
        "OwnerId": owner,
        "CreationDate": PUBLISHED.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "Public": True,
        "Architecture": arch,
        "ImageType": "machine",
        "Name": name,
        "Description": description,
        "EnaSupport": True,
        "Hypervisor": "xen",
        "RootDeviceName": root,
        "RootDeviceType": "ebs",
        "SriovNetSupport": "simple",
        "VirtualizationType": "hvm",
        "BootMode": "uefi" if arch == "arm64" else "uefi-preferred",
        "PlatformDetails": "Windows" if windows else "Linux/UNIX",
        "UsageOperation": "RunInstances:0002" if windows else "RunInstances",
        "ImdsSupport": "v2.0",
        "DeprecationTime": "2026-12-17T00:00:00.000Z",
        "BlockDeviceMappings": [
            {
                "DeviceName": root,
                "Ebs": {
                    "DeleteOnTermination": True,
                    "SnapshotId": "snap-" + image_id[4:],
                    "VolumeSize": 30 if windows else 8,
                    "VolumeType": "gp3" if "gp3" in name or name.startswith("al2023") else "gp2",
                    "Encrypted": False,
                },
            }
        ],
        "_kind": "ami",
        "_id": image_id,
        "_ssm": param,
    }
    if windows:
        image["Platform"] = "windows"
    if owner in (AMAZON, MICROSOFT):
        image["ImageOwnerAlias"] = "amazon"
    return image


@lru_cache(maxsize=32)
def public_images(region: str) -> dict[str, dict[str, Any]]:
    from overcast.services.ssm import public

    found: dict[str, dict[str, Any]] = {}
    for entry in public.amazon_linux_images(region):
        image = _image(
            entry["ImageId"],
            entry["Name"],
            entry["Architecture"],
            "",
            AMAZON,
            f"Amazon Linux {'2023' if entry['Name'].startswith('al2023') else '2'} AMI {entry['Name']}",
            entry["Parameter"],
        )
        found.setdefault(image["ImageId"], image)
    for param, name, arch in public.OTHER_IMAGES:
        prefix = next(p for p in _PUBLISHERS if name.startswith(p))
        owner, platform, description = _PUBLISHERS[prefix]
        parts = name.rsplit("/", 1)[-1].split("-")
        version = f"{parts[2]}, {parts[1]}" if prefix == "ubuntu/" else parts[1]
        image_id = public.image_id(region, name)
        text = description.format(version=version, arch="arm64" if arch == "arm64" else "amd64")
        found[image_id] = _image(image_id, name, arch, platform, owner, text, param)
    return found
