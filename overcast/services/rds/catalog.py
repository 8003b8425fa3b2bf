"""What RDS offers: engines, their versions and parameter group families, the instance classes
they run on (DescribeDBEngineVersions, DescribeOrderableDBInstanceOptions), and the default
settings of a new instance per engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from overcast.errors import ServiceError


@dataclass(frozen=True)
class EngineInfo:
    engine: str
    description: str
    versions: tuple[str, ...]  # newest first; the first is the default
    port: int
    license: str
    log_exports: tuple[str, ...]

    def family(self, version: str) -> str:
        major = version.split(".")[0]
        if self.engine == "postgres":
            return f"postgres{major}"
        if self.engine == "aurora-postgresql":
            return f"aurora-postgresql{major}"
        if self.engine == "aurora-mysql":
            return "aurora-mysql8.0" if version.startswith("8.0") else "aurora-mysql5.7"
        return f"{self.engine}{'.'.join(version.split('.')[:2])}"


ENGINES: dict[str, EngineInfo] = {
    info.engine: info
    for info in (
        EngineInfo(
            "postgres",
            "PostgreSQL",
            (
                "17.2",
                "16.6",
                "16.4",
                "16.3",
                "16.1",
                "15.10",
                "15.8",
                "15.5",
                "15.4",
                "14.15",
                "14.10",
                "13.18",
            ),
            5432,
            "postgresql-license",
            ("postgresql", "upgrade"),
        ),
        EngineInfo(
            "mysql",
            "MySQL Community Edition",
            ("8.0.40", "8.0.39", "8.0.35", "8.0.32", "5.7.44"),
            3306,
            "general-public-license",
            ("audit", "error", "general", "slowquery"),
        ),
        EngineInfo(
            "mariadb",
            "MariaDB Community Edition",
            ("11.4.4", "10.11.10", "10.11.9", "10.6.20", "10.5.27"),
            3306,
            "general-public-license",
            ("audit", "error", "general", "slowquery"),
        ),
        EngineInfo(
            "aurora-postgresql",
            "Aurora (PostgreSQL)",
            ("16.6", "16.4", "16.1", "15.10", "15.4", "14.15"),
            5432,
            "postgresql-license",
            ("postgresql",),
        ),
        EngineInfo(
            "aurora-mysql",
            "Aurora MySQL",
            ("8.0.mysql_aurora.3.08.0", "8.0.mysql_aurora.3.05.2", "5.7.mysql_aurora.2.12.4"),
            3306,
            "amazon-license",
            ("audit", "error", "general", "slowquery"),
        ),
    )
}

#: The instance classes every engine is offered on here (AWS's general-purpose and memory
#: optimized families); Overcast runs them all the same way.
INSTANCE_CLASSES: tuple[str, ...] = (
    *(
        f"db.{family}.{size}"
        for family, sizes in (
            ("t3", ("micro", "small", "medium", "large", "xlarge", "2xlarge")),
            ("t4g", ("micro", "small", "medium", "large", "xlarge", "2xlarge")),
            ("m5", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")),
            ("m6g", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")),
            ("m6i", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")),
            ("m7g", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")),
            ("r5", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")),
            ("r6g", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")),
            ("r6i", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")),
            ("r7g", ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")),
        )
        for size in sizes
    ),
    "db.serverless",
)

STORAGE_TYPES = ("gp2", "gp3", "io1", "io2", "standard")


def engine_info(engine: str) -> EngineInfo:
    info = ENGINES.get(engine)
    if info is None:
        raise ServiceError("InvalidParameterValue", f"Invalid DB engine: {engine}")
    return info


def resolve_version(engine: str, version: str | None) -> str:
    """The full version a request's EngineVersion names (a major alone picks its newest minor)."""
    info = engine_info(engine)
    if not version:
        return default_version(info)
    if version in info.versions:
        return version
    for known in info.versions:
        if known.startswith(version + "."):
            return known
    raise ServiceError("InvalidParameterCombination", f"Cannot find version {version} for {engine}")


def default_version(info: EngineInfo) -> str:
    """The version a create without EngineVersion gets: for PostgreSQL, the newest whose major
    is installed here (so that it runs on its own major), else the newest RDS offers."""
    if "postgres" in info.engine:
        from overcast.engines.process import installed_versions
        from overcast.services.rds.engines import POSTGRES

        installed = set(installed_versions(POSTGRES))
        for version in info.versions:
            if version.split(".")[0] in installed:
                return version
    return info.versions[0]


def families() -> dict[str, tuple[str, str]]:
    """Every parameter group family: (engine, its newest version)."""
    out: dict[str, tuple[str, str]] = {}
    for info in ENGINES.values():
        for version in info.versions:
            out.setdefault(info.family(version), (info.engine, version))
    return out


def engine_version_entry(info: EngineInfo, version: str) -> dict[str, Any]:
    return {
        "Engine": info.engine,
        "EngineVersion": version,
        "DBParameterGroupFamily": info.family(version),
        "DBEngineDescription": info.description,
        "DBEngineVersionDescription": f"{info.description} {version}",
        "MajorEngineVersion": version.split(".")[0]
        if "postgres" in info.engine
        else ".".join(version.split(".")[:2]),
        "ValidUpgradeTarget": [
            {
                "Engine": info.engine,
                "EngineVersion": newer,
                "Description": f"{info.description} {newer}",
                "AutoUpgrade": False,
                "IsMajorVersionUpgrade": newer.split(".")[0] != version.split(".")[0],
            }
            for newer in info.versions
            if _newer(newer, version)
        ],
        "ExportableLogTypes": list(info.log_exports),
        "SupportsLogExportsToCloudwatchLogs": True,
        "SupportsReadReplica": True,
        "SupportedFeatureNames": [],
        "Status": "available",
        "SupportsParallelQuery": False,
        "SupportsGlobalDatabases": info.engine.startswith("aurora"),
        "SupportsBabelfish": False,
        "SupportsCertificateRotationWithoutRestart": True,
        "SupportedCACertificateIdentifiers": ["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"],
        "SupportsLocalWriteForwarding": False,
        "SupportsIntegrations": False,
        "DefaultCharacterSet": {"CharacterSetName": "UTF8", "CharacterSetDescription": "UTF-8"}
        if "postgres" in info.engine
        else {"CharacterSetName": "latin1", "CharacterSetDescription": "latin1"},
    }


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.replace("mysql_aurora", "0").split(".") if part.isdigit())


def _newer(a: str, b: str) -> bool:
    return _version_tuple(a) > _version_tuple(b)


def orderable_option(engine: str, version: str, instance_class: str) -> dict[str, Any]:
    return {
        "Engine": engine,
        "EngineVersion": version,
        "DBInstanceClass": instance_class,
        "LicenseModel": engine_info(engine).license,
        "AvailabilityZones": [{"Name": f"us-east-1{zone}"} for zone in "abc"],
        "MultiAZCapable": True,
        "ReadReplicaCapable": True,
        "Vpc": True,
        "SupportsStorageEncryption": True,
        "StorageType": "gp3",
        "SupportsIops": True,
        "SupportsStorageThroughput": True,
        "SupportsEnhancedMonitoring": True,
        "SupportsIAMDatabaseAuthentication": True,
        "SupportsPerformanceInsights": True,
        "MinStorageSize": 20,
        "MaxStorageSize": 65536,
        "SupportedEngineModes": ["provisioned"],
        "SupportsStorageAutoscaling": True,
        "SupportsKerberosAuthentication": False,
        "SupportsGlobalDatabases": engine.startswith("aurora"),
        "SupportedNetworkTypes": ["IPV4", "DUAL"],
        "SupportsClusters": engine.startswith("aurora"),
        "SupportsDedicatedLogVolume": False,
        "SupportsHttpEndpoint": engine.startswith("aurora"),
    }
