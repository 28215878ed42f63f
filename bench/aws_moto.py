#!/usr/bin/env python3
"""moto_server on 127.0.0.1 (a free port; it prints "Running on http://127.0.0.1:PORT"),
serving one request at a time, with TransactWriteItems rolled back item by item.

    aws_moto.py        used by bench/aws_cost.sh

One request at a time as tests/aws/moto_server.h does (moto's DynamoDB takes no lock: two
concurrent conditional writes on one item could both pass). The second change is for speed
only: moto 5 backs up every table a transaction names with copy.deepcopy, once per item of
the transaction, before applying it, so a transaction costs time (and garbage) in proportion
to the whole table: a 200-task run crawled at about one task per second and moto's memory
grew by tens of MB a second. Here the backup is of the items the transaction touches, put
back (or deleted) when it is cancelled. What is recorded (MOTO_ENABLE_RECORDING) is each
request as it arrives, so the counts do not depend on this.
"""
import copy

import moto.dynamodb.models as ddb
import moto.server as server


def _key_of(table, op_type, op):
    if op_type == "Put":
        attrs = op["Item"]
        key = {table.hash_key_attr: attrs[table.hash_key_attr]}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = attrs[table.range_key_attr]
        return key
    return op["Key"]


_original = ddb.DynamoDBBackend.transact_write_items


def transact_write_items(self, transact_items):
    undo = []  # (table name, key, the item before or None)
    try:
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            table_name = op.get("TableName")
            if not table_name or table_name not in self.tables:
                continue
            table = self.tables[table_name]
            key = _key_of(table, op_type, op)
            before = self.get_item(table_name, key)
            undo.append((table_name, key, copy.deepcopy(before) if before else None))
    except Exception:  # malformed: let moto's own code report it
        undo = None
    tables = self.tables
    real_deepcopy = ddb.copy.deepcopy

    def deepcopy(x, memo=None):
        if isinstance(x, ddb.Table):
            return x
        return real_deepcopy(x, memo)

    ddb.copy.deepcopy = deepcopy
    try:
        return _original(self, transact_items)
    except Exception:
        if undo is not None:
            self.tables = tables
            for table_name, key, before in reversed(undo):
                table = self.tables[table_name]
                if before is None:
                    hash_value, range_value = self.get_keys_value(table, key)
                    if table.get_item(hash_value, range_value) is not None:
                        table.delete_item(hash_value, range_value)
                else:
                    table.put_item(before.to_json()["Attributes"], overwrite=True)
        raise
    finally:
        ddb.copy.deepcopy = real_deepcopy


ddb.DynamoDBBackend.transact_write_items = transact_write_items

run = server.run_simple
server.run_simple = lambda *a, **k: run(*a, **dict(k, threaded=False))
server.main(["-H", "127.0.0.1", "-p", "0"])
