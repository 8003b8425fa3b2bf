"""The layouts of DynamoDB's store tables that have had more than one, and the migration from
the older ones, run once by the store when DynamoDB loads.

`tables` layout 3: every table's items and index entries are keyed by the MD5 hash bucket of
their partition key first (schema.py). Tables created before that keyed them by the encoded key
alone (no `key_layout` in their record) or by a CRC-32 bucket (layout 2); the step rekeys such a
table's items and index entries, in the same transaction as its record, which it marks hashed.
"""

from __future__ import annotations

from typing import Any

from overcast.services.dynamodb.rows import unpack
from overcast.services.dynamodb.schema import HASHED_LAYOUT, Schema, build
from overcast.store import Step, Store, TableLayout

__all__ = ["LAYOUTS"]


def _rekey(store: Store, scope: str, prefix: str, new_key: Any) -> None:
    """Move every row under `prefix` of the items table to new_key(item)."""
    items = store.table("dynamodb", "items")
    # Read them all before writing: old and new keys share the prefix.
    rows = list(items.scan(scope, prefix=prefix))
    for key, _ in rows:
        items.delete(scope, key)
    for _, row in rows:
        items.put(scope, new_key(unpack(row[1])), row)


def _hash_keys(store: Store, scope: str, name: str, record: dict) -> dict:
    if record.get("key_layout") == HASHED_LAYOUT:
        return record
    hashed = {**record, "key_layout": HASHED_LAYOUT}
    schema: Schema = build(hashed)
    _rekey(store, scope, schema.storage, schema.item_key)
    for index in schema.indexes.values():
        # An entry holds at least the index's and the table's key attributes (Index.project).
        _rekey(store, scope, index.storage, lambda entry, index=index: index.entry_key(entry, schema))
    return hashed


LAYOUTS = (TableLayout("tables", 3, (Step(1, 2, _hash_keys), Step(2, 3, _hash_keys))),)
