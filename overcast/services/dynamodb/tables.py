"""DynamoDB's control plane: tables, their indexes, stream settings and warm throughput (TTL,
continuous backups, tags and limits are in settings.py). Mixed into the Provider (provider.py)."""

from __future__ import annotations

import re
import time
import uuid
from typing import TYPE_CHECKING

from overcast.common.arns import build_arn
from overcast.common.tagging import (
    DEFAULT_MESSAGES,
    TagProblem,
    TagRules,
    refusals,
    tag_map,
)
from overcast.common.times import iso_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.dynamodb.kmskeys import sse_description
from overcast.services.dynamodb.schema import HASHED_LAYOUT, Schema, build
from overcast.services.dynamodb.values import invalid, validation
from overcast.store import scope as make_scope

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from overcast.services.dynamodb.provider import Provider
#: DynamoDB words every tag problem as "One or more parameter values were invalid: ...".
TAG_RULES = TagRules(
    refuse=refusals(
        "ValidationException",
        {
            problem: "One or more parameter values were invalid: " + message
            for problem, message in {
                **DEFAULT_MESSAGES,
                TagProblem.TOO_MANY: "The number of tags exceeds the limit of 50",
            }.items()
        },
    )
)

_NAME = re.compile(r"[a-zA-Z0-9_.-]+")
MAX_TABLES_PAGE = 100
#: UpdateTable parameters a global table (2019.11.21) applies to every replica alike.
SHARED_BY_REPLICAS = (
    "AttributeDefinitions",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexUpdates",
)
#: UpdateTable parameters that may come with ReplicaUpdates without being a change of their own.
REPLICA_ONLY = frozenset({"TableName", "ReplicaUpdates", "AttributeDefinitions"})
#: An on-demand table's warm throughput before any traffic (AWS's documented initial values).
ON_DEMAND_WARM_READS, ON_DEMAND_WARM_WRITES = 12000, 4000


def table_not_found(name: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"Requested resource not found: Table: {name} not found", 400
    )


def table_name(name: str) -> str:
    """Operations take a table's name or its ARN."""
    if name.startswith("arn:") and ":table/" in name:
        return name.split(":table/", 1)[1].split("/", 1)[0]
    return name


def in_use(message: str) -> ServiceError:
    return ServiceError("ResourceInUseException", message, 400)


class TablesMixin:
    # Provided by the Provider: self.store, self.runtime, self._tables, self._schemas.

    # -- records ------------------------------------------------------------------------------

    def _record(self: Provider, scope: str, name: str) -> dict | None:  # type: ignore[misc]
        return self._tables.get(scope, table_name(name))

    def _require(self: Provider, scope: str, name: str) -> dict:  # type: ignore[misc]
        name = table_name(name)
        record = self._tables.get(scope, name)
        if record is None:
            raise table_not_found(name)
        return record

    def schema(self: Provider, scope: str, name: str) -> Schema | None:  # type: ignore[misc]
        """The data plane's view of a table (cached; dropped whenever the record changes)."""
        cached = self._schemas.get((scope, name))
        if cached is not None:
            return cached
        record = self._tables.get(scope, name)
        if record is None:
            return None
        schema = self._schemas[(scope, name)] = build(record)
        return schema

    def _save(self: Provider, scope: str, record: dict) -> None:  # type: ignore[misc]
        self._tables.put(scope, record["TableName"], record)
        self._schemas.pop((scope, record["TableName"]), None)

    def _describe(self: Provider, scope: str, record: dict) -> dict:  # type: ignore[misc]
        out = {
            key: record[key]
            for key in (
                "AttributeDefinitions",
                "TableName",
                "KeySchema",
                "TableStatus",
                "CreationDateTime",
                "TableArn",
                "TableId",
                "DeletionProtectionEnabled",
            )
        }
        billing = record["billing"]
        throughput = record.get("throughput") or {}
        out["ProvisionedThroughput"] = {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": throughput.get("ReadCapacityUnits", 0),
            "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 0),
        }
        # AWS shows the billing summary once a table is, or has been, on demand.
        if billing == "PAY_PER_REQUEST" or record.get("billing_switched"):
            out["BillingModeSummary"] = {
                "BillingMode": billing,
                "LastUpdateToPayPerRequestDateTime": record["billing_changed"],
            }
        count = self._items.count(scope, record["storage"] + "|")
        out["ItemCount"] = count
        out["TableSizeBytes"] = self._size_estimate(scope, record["storage"] + "|", count)
        # The class summary appears only when a class was asked for (at creation or since).
        if record.get("table_class"):
            out["TableClassSummary"] = {"TableClass": record["table_class"]}
        out["WarmThroughput"] = {**self._warm_throughput(record, record, billing), "Status": "ACTIVE"}
        if record.get("LocalSecondaryIndexes"):
            out["LocalSecondaryIndexes"] = [
                {
                    **{k: v for k, v in index.items() if k != "storage"},
                    "IndexSizeBytes": 0,
                    "ItemCount": self._items.count(scope, index["storage"] + "|"),
                }
                for index in record["LocalSecondaryIndexes"]
            ]
        if record.get("GlobalSecondaryIndexes"):
            gsis = []
            for index in record["GlobalSecondaryIndexes"]:
                entry = {k: v for k, v in index.items() if k not in ("storage", "throughput", "warm")}
                entry["ProvisionedThroughput"] = {
                    "NumberOfDecreasesToday": 0,
                    "ReadCapacityUnits": (index.get("throughput") or {}).get("ReadCapacityUnits", 0),
                    "WriteCapacityUnits": (index.get("throughput") or {}).get("WriteCapacityUnits", 0),
                }
                entry["WarmThroughput"] = {
                    **self._warm_throughput(index, record, billing),
                    "Status": index.get("IndexStatus", "ACTIVE"),
                }
                entry["IndexSizeBytes"] = 0
                entry["ItemCount"] = self._items.count(scope, index["storage"] + "|")
                gsis.append(entry)
            out["GlobalSecondaryIndexes"] = gsis
        stream = record.get("stream")
        if stream:
            if stream["enabled"]:
                out["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["view"]}
            out["LatestStreamLabel"] = stream["label"]
            out["LatestStreamArn"] = stream["arn"]
        if record.get("sse"):
            out["SSEDescription"] = record["sse"]
        if record.get("VectorIndexes"):
            out["VectorIndexes"] = self._vector_descriptions(scope, record)
        if record.get("restore"):
            out["RestoreSummary"] = record["restore"]
        if record.get("global_version") == "2019.11.21":
            out["GlobalTableVersion"] = record["global_version"]
            out["Replicas"] = self._replicas_of(record, scope.partition("/")[2])
        return out

    def _warm_throughput(self: Provider, holder: dict, record: dict, billing: str) -> dict:  # type: ignore[misc]
        """A table's or index's warm throughput: what was asked for, else what its capacity
        (provisioned) or on-demand's initial 12,000 reads and 4,000 writes a second give."""
        warm = holder.get("warm")
        if warm:
            return dict(warm)
        throughput = holder.get("throughput") or {}
        if billing == "PROVISIONED" and throughput:
            return {
                "ReadUnitsPerSecond": throughput["ReadCapacityUnits"],
                "WriteUnitsPerSecond": throughput["WriteCapacityUnits"],
            }
        return {"ReadUnitsPerSecond": ON_DEMAND_WARM_READS, "WriteUnitsPerSecond": ON_DEMAND_WARM_WRITES}

    def _size_estimate(self: Provider, scope: str, prefix: str, count: int) -> int:  # type: ignore[misc]
        # AWS refreshes this figure about every six hours; a sample of up to 1,000 items scaled
        # to the count keeps DescribeTable cheap on big tables.
        if not count:
            return 0
        sizes = [row[0] for _, row in self._items.scan(scope, prefix=prefix, limit=1000)]
        return round(sum(sizes) * count / len(sizes)) if sizes else 0

    # -- validation ---------------------------------------------------------------------------

    def _check_name(self: Provider, name: str, member: str) -> None:  # type: ignore[misc]
        if not 3 <= len(name) <= 255:
            bound = "greater than or equal to 3" if len(name) < 3 else "less than or equal to 255"
            raise validation(
                f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must"
                f" have length {bound}"
            )
        if not _NAME.fullmatch(name):
            raise validation(
                f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must"
                " satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
            )

    def _check_key_schema(  # type: ignore[misc]
        self: Provider, key_schema: list, defined: dict, label: str = "", composite: bool = False
    ) -> None:
        if key_schema[0]["KeyType"] != "HASH":
            raise validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
        if composite and len(key_schema) > 2:
            # A global index's key: up to four HASH attributes, then up to four RANGE ones.
            kinds = [k["KeyType"] for k in key_schema]
            hashes = kinds.count("HASH")
            if kinds != ["HASH"] * hashes + ["RANGE"] * (len(kinds) - hashes):
                raise validation(
                    "Invalid KeySchema: HASH key attributes must come before RANGE key attributes"
                )
            if hashes > 4 or len(kinds) - hashes > 4:
                raise validation(
                    "Invalid KeySchema: An index key can have at most 4 HASH and 4 RANGE key attributes"
                )
            names = [k["AttributeName"] for k in key_schema]
            if len(set(names)) != len(names):
                raise validation("Invalid KeySchema: Some key attributes are repeated")
        elif len(key_schema) > 1:
            if key_schema[1]["KeyType"] != "RANGE":
                raise validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
            if key_schema[0]["AttributeName"] == key_schema[1]["AttributeName"]:
                raise validation(
                    "Both the Hash Key and the Range Key element in the KeySchema have the same name"
                )
        missing = [k["AttributeName"] for k in key_schema if k["AttributeName"] not in defined]
        if missing:
            raise invalid(
                "Some index key attributes are not defined in AttributeDefinitions. Keys: "
                f"[{', '.join(missing)}], AttributeDefinitions: [{', '.join(defined)}]"
            )

    def _check_projection(self: Provider, projection: dict, index: str) -> dict:  # type: ignore[misc]
        kind = projection.get("ProjectionType")
        extra = projection.get("NonKeyAttributes")
        if kind is None:
            kind = "ALL" if extra is None else "INCLUDE"
        if kind == "INCLUDE" and not extra:
            raise invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
        if kind != "INCLUDE" and extra is not None:
            raise invalid(f"ProjectionType is {kind}, but NonKeyAttributes is specified")
        out = {"ProjectionType": kind}
        if extra:
            out["NonKeyAttributes"] = list(extra)
        return out

    def _check_throughput(  # type: ignore[misc]
        self: Provider, billing: str, throughput: dict | None, index: str | None = None
    ) -> dict | None:
        if billing == "PAY_PER_REQUEST":
            if throughput is not None:
                raise invalid(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
                )
            return None
        if throughput is None:
            if index is not None:
                raise invalid(f"ProvisionedThroughput must be specified for index: {index}")
            raise validation("No provisioned throughput specified for the table")
        return {
            "ReadCapacityUnits": throughput["ReadCapacityUnits"],
            "WriteCapacityUnits": throughput["WriteCapacityUnits"],
        }

    def _index_record(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        table_arn: str,
        spec: dict,
        defined: dict,
        billing: str,
        local: bool,
    ) -> dict:
        name = spec["IndexName"]
        self._check_name(name, "indexName")
        self._check_key_schema(spec["KeySchema"], defined, composite=not local)
        record = {
            "IndexName": name,
            "KeySchema": spec["KeySchema"],
            "Projection": self._check_projection(spec["Projection"], name),
            "IndexArn": f"{table_arn}/index/{name}",
            "storage": uuid.uuid4().hex,
        }
        if not local:
            record["IndexStatus"] = "ACTIVE"
            throughput = self._check_throughput(billing, spec.get("ProvisionedThroughput"), name)
            if throughput:
                record["throughput"] = throughput
            if spec.get("WarmThroughput"):
                record["warm"] = {
                    **self._warm_throughput(record, {}, billing),
                    **self._check_warm(spec["WarmThroughput"], billing, f"index {name}"),
                }
        return record

    def _check_warm(self: Provider, spec: dict, billing: str = "PROVISIONED", holder: str = "table") -> dict:  # type: ignore[misc]
        warm = {k: spec[k] for k in ("ReadUnitsPerSecond", "WriteUnitsPerSecond") if spec.get(k) is not None}
        if not warm:
            raise validation(
                "One or more parameter values were invalid: At least one of ReadUnitsPerSecond or"
                " WriteUnitsPerSecond must be specified in WarmThroughput"
            )
        if billing == "PAY_PER_REQUEST":
            # An on-demand table (or index) starts warm at 12,000 reads and 4,000 writes a second.
            for member, floor in (
                ("ReadUnitsPerSecond", ON_DEMAND_WARM_READS),
                ("WriteUnitsPerSecond", ON_DEMAND_WARM_WRITES),
            ):
                if warm.get(member, floor) < floor:
                    raise invalid(
                        f"Requested {member} for WarmThroughput for {holder} is lower than initial throughput"
                        " for OnDemand"
                    )
        return warm

    def _stream_settings(  # type: ignore[misc]
        self: Provider, context: RequestContext, table_arn: str, spec: dict | None
    ) -> dict | None:
        if not spec or not spec.get("StreamEnabled"):
            if spec and spec.get("StreamViewType") is not None and not spec.get("StreamEnabled"):
                raise invalid("StreamViewType cannot be specified when StreamEnabled is false")
            return None
        view = spec.get("StreamViewType")
        if view is None:
            raise invalid("StreamViewType is required when StreamEnabled is true")
        label = iso_millis(zone="")
        return {"enabled": True, "view": view, "label": label, "arn": f"{table_arn}/stream/{label}"}

    # -- operations ---------------------------------------------------------------------------

    def create_table(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        name = params["TableName"]
        self._check_name(name, "tableName")
        for member, wire in (("AttributeDefinitions", "attributeDefinitions"), ("KeySchema", "keySchema")):
            if params.get(member) is None:
                raise validation(
                    f"1 validation error detected: Value null at '{wire}' failed to satisfy constraint:"
                    " Member must not be null"
                )
        definitions = params["AttributeDefinitions"]
        defined: dict[str, str] = {}
        for definition in definitions:
            if definition["AttributeName"] in defined:
                raise invalid("Cannot have two attributes with the same name")
            defined[definition["AttributeName"]] = definition["AttributeType"]
        key_schema = params["KeySchema"]
        self._check_key_schema(key_schema, defined)
        billing = params.get("BillingMode") or "PROVISIONED"
        throughput = self._check_throughput(billing, params.get("ProvisionedThroughput"))
        arn = build_arn("dynamodb", context.region, context.account, f"table/{name}")
        used = {k["AttributeName"] for k in key_schema}
        names: set[str] = set()
        lsis, gsis = [], []
        table_range = key_schema[1]["AttributeName"] if len(key_schema) > 1 else None
        for kind in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
            if params.get(kind) == []:
                raise invalid(f"List of {kind} is empty")
        for spec in params.get("LocalSecondaryIndexes") or ():
            if table_range is None:
                raise invalid(
                    "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
                )
            if spec["IndexName"] in names:
                raise invalid(f"Duplicate index name: {spec['IndexName']}")
            if len(spec["KeySchema"]) != 2:
                raise invalid(f"Index KeySchema does not have a range key for index: {spec['IndexName']}")
            if spec["KeySchema"][0]["AttributeName"] != key_schema[0]["AttributeName"]:
                raise invalid(
                    f"Index KeySchema does not have the same leading hash key as table KeySchema for index:"
                    f" {spec['IndexName']}. index hash key: {spec['KeySchema'][0]['AttributeName']},"
                    f" table hash key: {key_schema[0]['AttributeName']}"
                )
            names.add(spec["IndexName"])
            lsis.append(self._index_record(context, arn, spec, defined, billing, True))
            used.update(k["AttributeName"] for k in spec["KeySchema"])
        for spec in params.get("GlobalSecondaryIndexes") or ():
            if spec["IndexName"] in names:
                raise invalid(f"Duplicate index name: {spec['IndexName']}")
            names.add(spec["IndexName"])
            gsis.append(self._index_record(context, arn, spec, defined, billing, False))
            used.update(k["AttributeName"] for k in spec["KeySchema"])
        vectors: list[dict] = []
        for spec in params.get("VectorIndexes") or ():
            vectors.append(self._vector_index_record(arn, spec, defined, names))
            names.add(spec["IndexName"])
            used.update(e["AttributeName"] for e in spec.get("SearchSchema") or ())
        if set(defined) - used:
            raise invalid(
                "Some AttributeDefinitions are not used. AttributeDefinitions: "
                f"[{', '.join(defined)}], keys used: [{', '.join(k for k in defined if k in used)}]"
            )
        if self._record(scope, name) is not None:
            raise in_use(f"Table already exists: {name}")
        now = time.time()
        table_id = str(uuid.uuid4())
        record = {
            "TableName": name,
            "AttributeDefinitions": definitions,
            "KeySchema": key_schema,
            "TableStatus": "ACTIVE",
            "CreationDateTime": now,
            "TableArn": arn,
            "TableId": table_id,
            "DeletionProtectionEnabled": bool(params.get("DeletionProtectionEnabled", False)),
            "billing": billing,
            "billing_changed": now,
            "throughput": throughput,
            "table_class": params.get("TableClass"),
            "storage": table_id.replace("-", ""),
            "key_layout": HASHED_LAYOUT,
            "tags": tag_map(params.get("Tags"), TAG_RULES),
            "ttl": None,
            "pitr": False,
        }
        if params.get("WarmThroughput"):
            record["warm"] = {
                **self._warm_throughput(record, record, billing),
                **self._check_warm(params["WarmThroughput"], billing),
            }
        if lsis:
            record["LocalSecondaryIndexes"] = lsis
        if gsis:
            record["GlobalSecondaryIndexes"] = gsis
        if vectors:
            record["VectorIndexes"] = vectors
        if params.get("ResourcePolicy"):
            record["policy"] = self._policy_entry(params["ResourcePolicy"], None)
        sse = params.get("SSESpecification")
        if sse and sse.get("Enabled"):
            record["sse"] = sse_description(
                self.runtime, context.account, context.region, sse.get("KMSMasterKeyId")
            )
        stream = self._stream_settings(context, arn, params.get("StreamSpecification"))
        with self.store.transaction():
            if stream:
                record["stream"] = stream
                self.streams.open_stream(scope, record, stream)
            self._save(scope, record)
        description = self._describe(scope, record)
        # The table is usable at once; the answer to the create itself says CREATING, as AWS's does.
        description["TableStatus"] = "CREATING"
        for index in description.get("GlobalSecondaryIndexes", ()):
            index["IndexStatus"] = "CREATING"
            index.pop("WarmThroughput", None)  # an index's warm throughput shows once it exists
        # The create's answer carries warm throughput only when it was asked for: still warming.
        if record.get("warm"):
            description["WarmThroughput"]["Status"] = "UPDATING"
        else:
            description.pop("WarmThroughput")
        return {"TableDescription": description}

    def describe_table(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        return {"Table": self._describe(scope, self._require(scope, params["TableName"]))}

    def list_tables(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        limit = params.get("Limit") or MAX_TABLES_PAGE
        start = params.get("ExclusiveStartTableName")
        names = [key for key, _ in self._tables.scan(scope, start_after=start, limit=limit + 1)]
        out: dict = {"TableNames": names[:limit]}
        if len(names) > limit:
            out["LastEvaluatedTableName"] = names[limit - 1]
        return out

    def delete_table(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        record = self._require(scope, params["TableName"])
        if record.get("DeletionProtectionEnabled"):
            raise in_use(
                "Resource cannot be deleted as it is currently protected against deletion. Disable"
                " deletion protection first."
            )
        description = self._describe(scope, record)
        description["TableStatus"] = "DELETING"
        description.pop("WarmThroughput")  # AWS's answer to a delete leaves it out
        self._backup_deleted_table(scope, record)
        with self.store.transaction():
            self._drop_table(scope, record)
            self._leave_group(scope, record)
        return {"TableDescription": description}

    def _drop_table(self: Provider, scope: str, record: dict) -> None:  # type: ignore[misc]
        """Delete a table's record, close its stream and schedule the purge of its rows."""
        prefixes = [record["storage"]] + [
            index["storage"]
            for kind in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes")
            for index in record.get(kind) or ()
        ]
        with self.store.transaction():
            self._tables.delete(scope, record["TableName"])
            self._schemas.pop((scope, record["TableName"]), None)
            if record.get("stream") and record["stream"]["enabled"]:
                self.streams.close_stream(scope, record["stream"]["arn"])
            for prefix in prefixes:
                self._purges.put(scope, prefix, {"since": time.time()})
        self._schedule_purge()

    def update_table(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = make_scope(context.account, context.region)
        record = self._require(scope, params["TableName"])
        if params.get("ReplicaUpdates"):
            self._update_replicas(context, scope, record, params["ReplicaUpdates"])
            record = self._require(scope, record["TableName"])
            if not any(params.get(k) is not None for k in params if k not in REPLICA_ONLY):
                return {"TableDescription": self._describe(scope, record)}
        record = dict(record)
        changed = False
        defined = {a["AttributeName"]: a["AttributeType"] for a in record["AttributeDefinitions"]}
        for definition in params.get("AttributeDefinitions") or ():
            if (
                definition["AttributeName"] in defined
                and defined[definition["AttributeName"]] != definition["AttributeType"]
            ):
                raise invalid(f"Cannot change the type of attribute {definition['AttributeName']}")
            if definition["AttributeName"] not in defined:
                defined[definition["AttributeName"]] = definition["AttributeType"]
                record["AttributeDefinitions"] = record["AttributeDefinitions"] + [definition]
        billing = params.get("BillingMode")
        if billing is not None and billing != record["billing"]:
            record["billing"] = billing
            record["billing_changed"] = time.time()
            record["billing_switched"] = True
            if billing == "PAY_PER_REQUEST":
                record["throughput"] = None
                for index in record.get("GlobalSecondaryIndexes") or ():
                    index.pop("throughput", None)
            changed = True
        if params.get("ProvisionedThroughput") is not None:
            record["throughput"] = self._check_throughput(record["billing"], params["ProvisionedThroughput"])
            changed = True
        elif billing == "PROVISIONED" and not record.get("throughput"):
            raise validation(
                "One or more parameter values were invalid: ProvisionedThroughput must be specified"
                " when BillingMode is PROVISIONED"
            )
        if params.get("WarmThroughput") is not None:
            record["warm"] = {
                **self._warm_throughput(record, record, record["billing"]),
                **self._check_warm(params["WarmThroughput"], record["billing"]),
            }
            changed = True
        if params.get("TableClass") is not None:
            record["table_class"] = params["TableClass"]
            changed = True
        if params.get("DeletionProtectionEnabled") is not None:
            record["DeletionProtectionEnabled"] = params["DeletionProtectionEnabled"]
            changed = True
        sse_before = record.get("sse")
        if params.get("SSESpecification") is not None:
            sse = params["SSESpecification"]
            record["sse"] = (
                sse_description(
                    self.runtime,
                    context.account,
                    context.region,
                    sse.get("KMSMasterKeyId") or (sse_before or {}).get("KMSMasterKeyArn"),
                )
                if sse.get("Enabled", True)
                else None
            )
            changed = True
        backfill = None
        purge = []
        updates = params.get("GlobalSecondaryIndexUpdates") or []
        if len([u for u in updates if "Create" in u or "Delete" in u]) > 1:
            raise ServiceError(
                "LimitExceededException",
                "Subscriber limit exceeded: Only 1 online index can be created"
                " or deleted simultaneously per table",
                400,
            )
        gsis = [dict(i) for i in record.get("GlobalSecondaryIndexes") or ()]
        for update in updates:
            if "Create" in update:
                spec = update["Create"]
                if any(
                    i["IndexName"] == spec["IndexName"]
                    for i in gsis + list(record.get("LocalSecondaryIndexes") or ())
                ):
                    raise validation(
                        f"One or more parameter values were invalid: Index with name {spec['IndexName']}"
                        " already exists"
                    )
                index = self._index_record(
                    context, record["TableArn"], spec, defined, record["billing"], False
                )
                index["IndexStatus"] = "CREATING"
                index["Backfilling"] = True
                gsis.append(index)
                backfill = index
            elif "Delete" in update:
                name = update["Delete"]["IndexName"]
                found = [i for i in gsis if i["IndexName"] == name]
                if not found:
                    raise ServiceError(
                        "ResourceNotFoundException",
                        f"Requested resource not found: Index: {name} not found"
                        f" for table: {record['TableName']}",
                        400,
                    )
                gsis.remove(found[0])
                purge.append(found[0]["storage"])
            elif "Update" in update:
                name = update["Update"]["IndexName"]
                found = [i for i in gsis if i["IndexName"] == name]
                if not found:
                    raise ServiceError(
                        "ResourceNotFoundException",
                        f"Requested resource not found: Index: {name} not found"
                        f" for table: {record['TableName']}",
                        400,
                    )
                if "ProvisionedThroughput" in update["Update"]:
                    found[0]["throughput"] = self._check_throughput(
                        record["billing"], update["Update"]["ProvisionedThroughput"], name
                    )
            changed = True
        if updates:
            if gsis:
                record["GlobalSecondaryIndexes"] = gsis
            else:
                record.pop("GlobalSecondaryIndexes", None)
        if params.get("VectorIndexUpdates"):
            record = self._update_vector_indexes(record, params["VectorIndexUpdates"])
            changed = True
        stream_spec = params.get("StreamSpecification")
        old_stream = record.get("stream")
        new_stream = None
        close_arn = None
        if stream_spec is not None:
            enabled = stream_spec.get("StreamEnabled")
            if enabled:
                if old_stream and old_stream["enabled"]:
                    raise validation(f"Table already has an enabled stream: {old_stream['arn']}")
                new_stream = self._stream_settings(context, record["TableArn"], stream_spec)
                record["stream"] = new_stream
            else:
                if not old_stream or not old_stream["enabled"]:
                    raise validation("Table already has a disabled stream")  # nothing to disable
                record["stream"] = {**old_stream, "enabled": False}
                close_arn = old_stream["arn"]
            changed = True
        if not changed:
            raise validation(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates"
                " or SSESpecification or ReplicaUpdates is required"
            )
        if backfill is not None:
            record["TableStatus"] = "UPDATING"
        with self.store.transaction():
            if new_stream:
                self.streams.open_stream(scope, record, new_stream)
            if close_arn:
                self.streams.close_stream(scope, close_arn)
            for prefix in purge:
                self._purges.put(scope, prefix, {"since": time.time()})
            self._save(scope, record)
        if purge:
            self._schedule_purge()
        if backfill is not None:
            self._start_backfill(scope, record["TableName"], backfill["IndexName"])
        if record.get("global_version") == "2019.11.21" and not context.extra.get("replicating"):
            self._update_other_replicas(context, record, params)
        description = self._describe(scope, record)
        if sse_before and record.get("sse") is None:
            # Moving back to the AWS owned key: the answer shows the KMS key being let go.
            description["SSEDescription"] = {**sse_before, "Status": "UPDATING"}
        return {"TableDescription": description}

    def _update_other_replicas(self: Provider, context: RequestContext, record: dict, params: dict) -> None:  # type: ignore[misc]
        """The settings a global table keeps alike in every replica (its attributes, indexes,
        billing and write capacity) follow a change made to one of them."""
        shared = {k: params[k] for k in SHARED_BY_REPLICAS if params.get(k) is not None}
        if not set(shared) - {"AttributeDefinitions"}:
            return  # definitions alone change nothing
        for region in sorted(record.get("replica_group") or ()):
            if region == context.region:
                continue
            replica_context = RequestContext.internal("dynamodb", context.account, region)
            replica_context.extra["replicating"] = True
            self.update_table(replica_context, {"TableName": record["TableName"], **shared})
