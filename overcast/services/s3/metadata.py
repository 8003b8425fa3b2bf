"""S3 Metadata: a bucket's metadata configuration (V2: journal, inventory and annotation
tables in an AWS managed table bucket) and its V1 metadata table configuration (a journal
table in a table bucket of the user's).

S3 Metadata writes its records into S3 Tables, which Overcast does not run: the configuration
is validated, stored and returned as S3 does, and each table it asks for reports the state S3
reports when it cannot create the table (FAILED, with S3's documented error code for the
cause), never a table that seems to be filling."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.services.s3.configstore import invalid_argument, malformed_xml, s3_error

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

#: S3's documented ErrorDetails for a table it could not create, by cause.
_TABLE_BUCKET_NOT_FOUND = {
    "ErrorCode": "TableBucketNotFound",
    "ErrorMessage": "The table bucket that you specified doesn't exist in this Amazon Web Services Region and "
    "account. Create or choose a different table bucket. To create a new metadata table, you must delete the "
    "metadata configuration for this bucket, and then create a new metadata configuration.",
}
_CANNOT_CREATE = {
    "ErrorCode": "ServerInternalError",
    "ErrorMessage": "An internal error has occurred. To create a new metadata table, you must delete the "
    "metadata configuration for this bucket, and then create a new metadata configuration.",
}
#: The namespace S3 Metadata V1 puts its journal table in.
V1_NAMESPACE = "aws_s3_metadata"
#: The configuration kinds under the bucket's configuration rows.
V2_KIND, V1_KIND = "metadata", "metadata_table"


def _not_found():
    return s3_error("MetadataConfigurationNotFound", "The metadata table configuration does not exist.", 404)


def _check_encryption(configuration: dict) -> None:
    encryption = configuration.get("EncryptionConfiguration")
    if encryption is None:
        return
    algorithm, key = encryption.get("SseAlgorithm"), encryption.get("KmsKeyArn")
    if algorithm == "aws:kms" and not key:
        raise invalid_argument("KmsKeyArn is required when SseAlgorithm is aws:kms", "KmsKeyArn")
    if algorithm == "AES256" and key:
        raise invalid_argument("KmsKeyArn is not allowed when SseAlgorithm is AES256", "KmsKeyArn", key)


def _check_expiration(expiration: dict) -> None:
    days = expiration.get("Days")
    if expiration.get("Expiration") == "ENABLED":
        if days is None or days < 7:
            raise invalid_argument("Days must be at least 7 when record expiration is enabled", "Days", days)
    elif days is not None:
        raise invalid_argument("Days is not allowed when record expiration is disabled", "Days", days)


def _failed_table(name: str) -> dict[str, Any]:
    return {"TableStatus": "FAILED", "Error": dict(_CANNOT_CREATE), "TableName": name}


def _optional_table(configuration: dict | None, name: str, extra: tuple[str, ...] = ()) -> dict:
    """An inventory or annotation table's result: only an enabled table has a status."""
    configuration = configuration or {"ConfigurationState": "DISABLED"}
    _check_encryption(configuration)
    result: dict[str, Any] = {"ConfigurationState": configuration["ConfigurationState"]}
    if configuration["ConfigurationState"] == "ENABLED":
        result.update(_failed_table(name))
    result.update({member: configuration[member] for member in extra if configuration.get(member)})
    return result


class MetadataOperations:
    # -- V2: the metadata configuration ---------------------------------------------------------

    def create_bucket_metadata_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        configuration = params.get("MetadataConfiguration") or {}
        journal = configuration.get("JournalTableConfiguration") or {}
        if not journal.get("RecordExpiration"):
            raise malformed_xml()
        _check_expiration(journal["RecordExpiration"])
        _check_encryption(journal)
        if self.configs.get(bucket, V2_KIND) or self.configs.get(bucket, V1_KIND):
            raise s3_error("InvalidRequest", "A metadata configuration already exists for this bucket.")
        region, account = bucket["Region"], bucket["Account"]
        result = {
            "DestinationResult": {
                "TableBucketType": "aws",
                "TableBucketArn": f"arn:{partition(region)}:s3tables:{region}:{account}:bucket/aws-s3",
                "TableNamespace": f"b_{bucket['Name']}",
            },
            "JournalTableConfigurationResult": {
                **_failed_table("journal"),
                "RecordExpiration": journal["RecordExpiration"],
            },
            "InventoryTableConfigurationResult": _optional_table(
                configuration.get("InventoryTableConfiguration"), "inventory"
            ),
        }
        if configuration.get("AnnotationTableConfiguration") is not None:
            result["AnnotationTableConfigurationResult"] = _optional_table(
                configuration["AnnotationTableConfiguration"], "annotation", ("Role",)
            )
        self.configs.put(bucket, V2_KIND, result)
        return {}

    def get_bucket_metadata_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        result = self.configs.get(bucket, V2_KIND)
        if result is None:
            raise _not_found()
        return {"GetBucketMetadataConfigurationResult": {"MetadataConfigurationResult": result}}

    def delete_bucket_metadata_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        if self.configs.get(bucket, V2_KIND) is None:
            raise _not_found()
        self.configs.delete(bucket, V2_KIND)
        return {}

    def _update_metadata(self: Provider, context: RequestContext, params: dict, member: str, table) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        result = self.configs.get(bucket, V2_KIND)
        if result is None:
            raise _not_found()
        updated = dict(result)
        table(updated, params.get(member) or {})
        self.configs.put(bucket, V2_KIND, updated)
        return {}

    def update_bucket_metadata_journal_table_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        def journal(result: dict, configuration: dict) -> None:
            expiration = configuration.get("RecordExpiration")
            if not expiration:
                raise malformed_xml()
            _check_expiration(expiration)
            result["JournalTableConfigurationResult"] = {
                **result["JournalTableConfigurationResult"],
                "RecordExpiration": expiration,
            }

        return self._update_metadata(context, params, "JournalTableConfiguration", journal)

    def update_bucket_metadata_inventory_table_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        def inventory(result: dict, configuration: dict) -> None:
            result["InventoryTableConfigurationResult"] = _optional_table(configuration, "inventory")

        return self._update_metadata(context, params, "InventoryTableConfiguration", inventory)

    def update_bucket_metadata_annotation_table_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        def annotation(result: dict, configuration: dict) -> None:
            result["AnnotationTableConfigurationResult"] = _optional_table(
                configuration, "annotation", ("Role",)
            )

        return self._update_metadata(context, params, "AnnotationTableConfiguration", annotation)

    # -- V1: the metadata table configuration ---------------------------------------------------

    def create_bucket_metadata_table_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        bucket = self.config_bucket(context, params)
        destination = (params.get("MetadataTableConfiguration") or {}).get("S3TablesDestination") or {}
        table_bucket, table = destination.get("TableBucketArn"), destination.get("TableName")
        if not table_bucket or not table:
            raise malformed_xml()
        parts = table_bucket.split(":")
        if (
            len(parts) != 6
            or parts[0] != "arn"
            or parts[2] != "s3tables"
            or not parts[5].startswith("bucket/")
        ):
            raise invalid_argument("Invalid table bucket ARN", "TableBucketArn", table_bucket)
        if self.configs.get(bucket, V1_KIND) or self.configs.get(bucket, V2_KIND):
            raise s3_error("InvalidRequest", "A metadata configuration already exists for this bucket.")
        # No table bucket exists here (Overcast runs no S3 Tables): S3 reports the table failed.
        self.configs.put(
            bucket,
            V1_KIND,
            {
                "MetadataTableConfigurationResult": {
                    "S3TablesDestinationResult": {
                        "TableBucketArn": table_bucket,
                        "TableName": table,
                        "TableNamespace": V1_NAMESPACE,
                    }
                },
                "Status": "FAILED",
                "Error": dict(_TABLE_BUCKET_NOT_FOUND),
            },
        )
        return {}

    def get_bucket_metadata_table_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        bucket = self.config_bucket(context, params)
        result = self.configs.get(bucket, V1_KIND)
        if result is None:
            raise _not_found()
        return {"GetBucketMetadataTableConfigurationResult": result}

    def delete_bucket_metadata_table_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        bucket = self.config_bucket(context, params)
        if self.configs.get(bucket, V1_KIND) is None:
            raise _not_found()
        self.configs.delete(bucket, V1_KIND)
        return {}
