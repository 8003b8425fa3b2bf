"""Amazon DynamoDB Streams: reading the change records DynamoDB writes (services/dynamodb/
streams.py). One shard per stream; iterators are opaque tokens naming a position in it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from overcast.common.pagination import decode_token, encode_token
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.dynamodb.streams import sequence_text

if TYPE_CHECKING:
    from overcast.services.dynamodb.provider import Provider as DynamoDBProvider

ITERATOR_LIFETIME = 15 * 60
MAX_RECORDS = 1000


def _not_found(message: str = "Requested resource not found") -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


class Provider(BaseProvider):
    service = "dynamodbstreams"

    @property
    def _dynamodb(self) -> DynamoDBProvider:
        """The streams are DynamoDB's: this service reads them through its public methods."""
        return self.runtime.provider("dynamodb")

    def _meta(self, context: RequestContext, arn: str) -> dict:
        meta = self._dynamodb.stream(context.account, context.region, arn)
        if meta is None:
            raise _not_found(f"Requested resource not found: Stream: {arn} not found")
        return meta

    def list_streams(self, context: RequestContext, params: dict) -> dict:
        table = params.get("TableName")
        limit = params.get("Limit") or 100
        start = params.get("ExclusiveStartStreamArn")
        found: list[dict] = []
        more = False
        for meta in self._dynamodb.stream_list(context.account, context.region, start_after=start):
            arn = meta["arn"]
            if table is not None and meta["table"] != table:
                continue
            if len(found) == limit:
                more = True
                break
            found.append({"StreamArn": arn, "TableName": meta["table"], "StreamLabel": meta["label"]})
        out: dict = {"Streams": found}
        if more:
            out["LastEvaluatedStreamArn"] = found[-1]["StreamArn"]
        return out

    def describe_stream(self, context: RequestContext, params: dict) -> dict:
        meta = self._meta(context, params["StreamArn"])
        oldest, newest = self._dynamodb.stream_bounds(context.account, context.region, meta["arn"])
        starting = sequence_text(oldest if oldest is not None else newest + 1)
        shard: dict = {"ShardId": meta["shard"], "SequenceNumberRange": {"StartingSequenceNumber": starting}}
        if meta["status"] == "DISABLED":
            shard["SequenceNumberRange"]["EndingSequenceNumber"] = sequence_text(meta.get("last", 0))
        exclusive = params.get("ExclusiveStartShardId")
        shards = [] if exclusive == meta["shard"] else [shard]
        return {
            "StreamDescription": {
                "StreamArn": meta["arn"],
                "StreamLabel": meta["label"],
                "StreamStatus": meta["status"],
                "StreamViewType": meta["view"],
                "CreationRequestDateTime": meta["created"],
                "TableName": meta["table"],
                "KeySchema": meta["KeySchema"],
                "Shards": shards,
            }
        }

    def get_shard_iterator(self, context: RequestContext, params: dict) -> dict:
        meta = self._meta(context, params["StreamArn"])
        if params["ShardId"] != meta["shard"]:
            raise _not_found("Requested resource not found: Shard does not exist")
        kind = params["ShardIteratorType"]
        sequence = params.get("SequenceNumber")
        first, last = self._dynamodb.stream_bounds(context.account, context.region, meta["arn"])
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            if sequence is None or not sequence.isdigit():
                raise _validation(
                    "Sequence number must be specified for AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER"
                    " iterator types"
                    if sequence is None
                    else f"Invalid SequenceNumber: {sequence}"
                )
            number = int(sequence)
            if first is not None and number < first - 1:
                raise ServiceError(
                    "TrimmedDataAccessException",
                    "The operation attempted to read past the oldest stream record in a shard.",
                    400,
                )
            # An empty shard starts at the number after the last one written: reading at it waits.
            if number > last and not (kind == "AT_SEQUENCE_NUMBER" and number == last + 1):
                raise _validation(
                    f"Invalid SequenceNumber for ShardIterator: {sequence} is beyond the end of the shard"
                )
            position = number - 1 if kind == "AT_SEQUENCE_NUMBER" else number
        elif kind == "TRIM_HORIZON":
            position = 0
        else:  # LATEST
            position = last
        token = {"a": meta["arn"], "s": meta["shard"], "p": position, "t": time.time()}
        return {"ShardIterator": self._iterator(token)}

    def _iterator(self, token: dict) -> str:
        # AWS's iterators read `<stream arn>|1|<opaque>`; clients match on that shape.
        return f"{token['a']}|1|{encode_token(self.store, 'ShardIterator', token)}"

    def get_records(self, context: RequestContext, params: dict) -> dict:
        try:
            token = decode_token(self.store, "ShardIterator", params["ShardIterator"].rpartition("|")[2])
            arn, position, issued = token["a"], int(token["p"]), float(token["t"])
        except (ValueError, KeyError, TypeError):
            raise _validation("Invalid ShardIterator") from None
        if issued < time.time() - ITERATOR_LIFETIME:
            raise ServiceError(
                "ExpiredIteratorException",
                "Iterator expired. The iterator was created at time"
                f" {time.strftime('%a %b %d %H:%M:%S UTC %Y', time.gmtime(issued))} while right now"
                f" it is {time.strftime('%a %b %d %H:%M:%S UTC %Y', time.gmtime())} which is further"
                " in the future than the tolerated delay of 900000 milliseconds.",
                400,
            )
        meta = self._meta(context, arn)
        limit = params.get("Limit") or MAX_RECORDS
        records = self._dynamodb.stream_records(context.account, context.region, arn, position, limit)
        if records:
            position = int(records[-1]["dynamodb"]["SequenceNumber"])
        out: dict = {"Records": records}
        closed = meta["status"] == "DISABLED" and position >= meta.get("last", 0)
        if not closed:
            token = {"a": arn, "s": meta["shard"], "p": position, "t": time.time()}
            out["NextShardIterator"] = self._iterator(token)
        return out
