#!/usr/bin/env python3
"""Counts the AWS requests in a moto recording (MOTO_ENABLE_RECORDING), by service and action,
and prices them at list prices.

    aws_requests.py RECORDING TASKS   prints a JSON object:
      {"tasks": N,
       "requests": {"sqs": {"ReceiveMessage": n, ...}, "s3": {...}, ...},
       "per_task": the same divided by N,
       "billed": {"s3": {"put_copy_post_list": n, "get_and_other": n, "free": n},
                  "sqs": {"requests_64k": n}, "dynamodb": {"wru": x, "rru": y, ...}},
       "usd_per_million_tasks": {"s3": x, "sqs": y, "dynamodb": z, "total": t}}

The service of a request is read from its signature's credential scope; the action from
X-Amz-Target (JSON protocols) or, for S3, from the method, the query and the copy header, as
S3's pricing groups them. Used by bench/aws_cost.sh.

DynamoDB capacity is estimated from the request bodies (the recording has no responses):
an item's size is counted by DynamoDB's rules (attribute names plus values; a number about
half its digits plus one byte) from the latest Put of its key in the recording; an update of
an item never seen whole counts its key and the update's values. Writes cost 1 WRU per KB
(2 in TransactWriteItems), reads 1 RRU per 4 KB when consistent, 0.5 when not (2 in
TransactGetItems); a Query reads the items of its partition key seen so far (at least one
unit). A write that gives an item its `uq` attribute (the sparse index `unenqueued`) or takes
it away adds 1 WRU for the index. Free tiers are ignored.
"""
import base64
import json
import math
import re
import sys
from urllib.parse import parse_qs, urlparse

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")

# us-east-1 list prices (see bench/AWS_COST.md for the pages and their date).
S3_PUT_PER_1000 = 0.005  # PUT, COPY, POST, LIST
S3_GET_PER_1000 = 0.0004  # GET, SELECT and all other requests
SQS_PER_MILLION = 0.40  # standard queue, per 64 KiB chunk of a request's payload
DDB_WRU_PER_MILLION = 0.625
DDB_RRU_PER_MILLION = 0.125

S3_PUT_CLASS = {"PutObject", "CopyObject", "UploadPart", "UploadPartCopy", "CreateBucket",
                "CreateMultipartUpload", "CompleteMultipartUpload", "ListObjectsV2",
                "ListParts", "ListMultipartUploads", "POST"}
S3_FREE = {"DeleteObject", "DeleteObjects", "AbortMultipartUpload"}
INDEX_ATTR = "uq"


def header(headers, name):
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return ""


def s3_action(method, url, headers):
    query = parse_qs(urlparse(url).query, keep_blank_values=True)
    path = urlparse(url).path.strip("/")
    if method == "PUT":
        if "partNumber" in query:
            return "UploadPartCopy" if header(headers, "x-amz-copy-source") else "UploadPart"
        if header(headers, "x-amz-copy-source"):
            return "CopyObject"
        return "PutObject" if "/" in path else "CreateBucket"
    if method == "POST":
        if "uploads" in query:
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return "CompleteMultipartUpload"
        if "delete" in query:
            return "DeleteObjects"
        return "POST"
    if method == "GET":
        if "uploadId" in query:
            return "ListParts"
        if "uploads" in query:
            return "ListMultipartUploads"
        if "list-type" in query or "/" not in path:
            return "ListObjectsV2"
        return "GetObject"
    if method == "HEAD":
        return "HeadObject" if "/" in path else "HeadBucket"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in query else "DeleteObject"
    return method


def body_of(entry):
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8") if isinstance(body, str) else b""


def value_size(v):
    """The size DynamoDB counts for one attribute value (DynamoDB JSON)."""
    if not isinstance(v, dict) or len(v) != 1:
        return 0
    (t, x), = v.items()
    if t == "S":
        return len(x.encode("utf-8"))
    if t == "N":
        digits = len(x.lstrip("-").replace(".", "").strip("0")) or 1
        return (digits + 1) // 2 + 1
    if t == "B":
        return len(base64.b64decode(x))
    if t in ("BOOL", "NULL"):
        return 1
    if t in ("SS", "NS", "BS"):
        return sum(value_size({t[0]: e}) for e in x)
    if t == "L":
        return 3 + sum(1 + value_size(e) for e in x)
    if t == "M":
        return 3 + sum(len(k.encode()) + 1 + value_size(e) for k, e in x.items())
    return 0


def item_size(attrs):
    return sum(len(k.encode("utf-8")) + value_size(v) for k, v in attrs.items())


def key_id(key):
    return json.dumps(key, sort_keys=True)


class Capacity:
    """WRU and RRU of the DynamoDB requests, estimated from their bodies (see the docstring)."""

    def __init__(self):
        self.size = {}  # key id -> item size (bytes)
        self.indexed = {}  # key id -> has the index attribute
        self.partition = {}  # pk id -> {key id}
        self.wru = 0.0
        self.rru = 0.0
        self.index_wru = 0.0

    def _remember(self, key, size, indexed):
        k = key_id(key)
        self.size[k] = size
        if indexed is not None:
            if indexed != self.indexed.get(k, False):
                self.index_wru += 1
            self.indexed[k] = indexed
        pk = next(iter(key.items())) if key else None
        if pk is not None:
            self.partition.setdefault(key_id(dict([pk])), set()).add(k)

    def write(self, op_type, op, factor):
        if op_type == "Put":
            attrs = op.get("Item", {})
            key = {a: attrs[a] for a in ("pk", "sk") if a in attrs}
            size = item_size(attrs)
            self._remember(key, size, INDEX_ATTR in attrs)
        else:
            key = op.get("Key", {})
            known = self.size.get(key_id(key))
            if op_type == "Delete":
                size = known or item_size(key)
                self.size.pop(key_id(key), None)
                if self.indexed.pop(key_id(key), False):
                    self.index_wru += 1
            elif op_type == "ConditionCheck":
                size = known or item_size(key)
            else:  # Update: the larger of the item before and the update's values
                values = op.get("ExpressionAttributeValues", {})
                size = max(known or 0, item_size(key) + sum(value_size(v) for v in values.values()))
                expr = op.get("UpdateExpression", "")
                names = op.get("ExpressionAttributeNames", {})
                removes = re.search(r"\bREMOVE\b(.*?)(\bSET\b|\bADD\b|\bDELETE\b|$)", expr)
                removed = set()
                if removes:
                    removed = {names.get(n.strip(), n.strip()) for n in removes.group(1).split(",")}
                self._remember(key, size, False if INDEX_ATTR in removed
                               else self.indexed.get(key_id(key)))
        self.wru += factor * max(1, math.ceil(size / 1024))

    def read(self, key, consistent, factor=1.0):
        size = self.size.get(key_id(key), 1)
        self.rru += factor * math.ceil(size / 4096) * (1.0 if consistent else 0.5)

    def query(self, op):
        consistent = bool(op.get("ConsistentRead")) and "IndexName" not in op
        size = 0
        if "IndexName" not in op:
            values = op.get("ExpressionAttributeValues", {})
            pk = values.get(":pk")
            if pk is not None:
                size = sum(self.size.get(k, 0) for k in self.partition.get(key_id({"pk": pk}), ()))
        self.rru += max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)

    def request(self, action, body):
        try:
            op = json.loads(body or b"{}")
        except ValueError:
            return
        if not isinstance(op, dict):
            return
        if action == "PutItem":
            self.write("Put", op, 1)
        elif action in ("UpdateItem", "DeleteItem"):
            self.write(action[:-4], op, 1)
        elif action == "TransactWriteItems":
            for item in op.get("TransactItems", []):
                for op_type, inner in item.items():
                    self.write(op_type, inner, 2)
        elif action == "BatchWriteItem":
            for requests in op.get("RequestItems", {}).values():
                for r in requests:
                    if "PutRequest" in r:
                        self.write("Put", r["PutRequest"], 1)
                    elif "DeleteRequest" in r:
                        self.write("Delete", r["DeleteRequest"], 1)
        elif action == "GetItem":
            self.read(op.get("Key", {}), op.get("ConsistentRead", False))
        elif action == "BatchGetItem":
            for table in op.get("RequestItems", {}).values():
                for key in table.get("Keys", []):
                    self.read(key, table.get("ConsistentRead", False))
        elif action == "TransactGetItems":
            for item in op.get("TransactItems", []):
                self.read(item.get("Get", {}).get("Key", {}), True, 2.0)
        elif action in ("Query", "Scan"):
            self.query(op)


def first_pk(op):
    """The partition-key prefix ("TASK", "COUNT", ...) of the first key a request names."""
    keys = []
    if "Key" in op:
        keys = [op["Key"]]
    elif "Item" in op:
        keys = [op["Item"]]
    for table in op.get("RequestItems", {}).values():
        keys += table.get("Keys", []) if isinstance(table, dict) else []
    for key in keys:
        pk = key.get("pk", {}).get("S", "")
        return pk.split("#")[0]
    values = op.get("ExpressionAttributeValues", {})
    pk = values.get(":pk", {}).get("S", "")
    return pk.split("#")[0]


def transaction_label(op):
    """What a TransactWriteItems of the state store does, from the items it writes."""
    items = []
    for item in op.get("TransactItems", []):
        for op_type, inner in item.items():
            key = inner.get("Item", inner.get("Key", {}))
            items.append((op_type, key.get("pk", {}).get("S", "").split("#")[0],
                          inner.get("Item", {}).get("state", {}).get("S", "")))
    kinds = {p for _, p, _ in items}
    if "JOB" in kinds:
        return "create job (job, job ref, counter, task, member)"
    states = [s for _, p, s in items if p == "TASK" and s]
    counters = sum(1 for _, p, _ in items if p == "COUNT")
    if states and not counters and len(items) == 1:
        return "heartbeat (task)"
    if states:
        return "commit to %s (%d items)" % (states[0], len(items))
    return "other (%d items)" % len(items)


# What drives each kind of request: "task" (once per task or attempt), "run" (once per run,
# or per job in the table's history), "poll" (per second of a run, whatever the tasks).
def classify(service, action, body):
    """(label, kind) of one request."""
    try:
        op = json.loads(body or b"{}") if service in ("sqs", "dynamodb") else {}
    except ValueError:
        op = {}
    if not isinstance(op, dict):
        op = {}
    if service == "sqs":
        if action == "GetQueueAttributes":
            names = op.get("AttributeNames", [])
            if "ApproximateNumberOfMessages" in names:
                return "GetQueueAttributes (depth)", "poll"
            return "GetQueueAttributes (%s)" % ",".join(names), "run"
        if action in ("SendMessage", "DeleteMessage", "DeleteMessageBatch",
                      "ChangeMessageVisibility", "ReceiveMessage"):
            return action, "task"
        return action, "run"
    if service == "dynamodb":
        pk = first_pk(op)
        if action == "TransactWriteItems":
            return "TransactWriteItems: " + transaction_label(op), "task"
        if action == "BatchGetItem":
            if pk == "COUNT":
                return "BatchGetItem (the counters)", "poll"
            return "BatchGetItem (tasks)", "run"
        if action == "Query":
            if "IndexName" in op:
                return "Query (index unenqueued)", "run"
            return "Query (%s#)" % pk, "run"
        if action in ("GetItem", "UpdateItem", "PutItem", "DeleteItem"):
            what = {"SEQ": "job seq", "TASK": "task", "JOB": "job"}.get(pk, pk)
            return "%s (%s)" % (action, what), "task"
        return action, "run"
    if service == "s3":
        if action in ("GetObject", "PutObject", "CopyObject", "DeleteObject", "HeadObject",
                      "UploadPart", "CreateMultipartUpload", "CompleteMultipartUpload"):
            return action, "task"
        return action, "run"
    return action, "run"


def s3_usd(action):
    if action in S3_PUT_CLASS:
        return S3_PUT_PER_1000 / 1000
    if action in S3_FREE:
        return 0.0
    return S3_GET_PER_1000 / 1000


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: aws_requests.py RECORDING TASKS")
    tasks = int(sys.argv[2])
    counts = {}
    rows = {}  # (service, label) -> {"kind", "n", "wru", "rru", "usd"}
    capacity = Capacity()
    sqs_billed = 0
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            entry = json.loads(line)
            headers = entry.get("headers", {})
            scope = SCOPE.search(header(headers, "authorization"))
            service = scope.group(1) if scope else "unsigned"
            target = header(headers, "x-amz-target")
            body = body_of(entry)
            if target:
                action = target.split(".", 1)[-1]
            elif service == "s3":
                action = s3_action(entry["method"], entry["url"], headers)
            else:
                # The query protocol names its action in the form body or the query.
                text = body.decode("utf-8", "replace")
                query = parse_qs(urlparse(entry["url"]).query)
                form = parse_qs(text) if "=" in text else {}
                action = (query.get("Action") or form.get("Action") or
                          [entry["method"] + " " + urlparse(entry["url"]).path])[0]
            counts.setdefault(service, {}).setdefault(action, 0)
            counts[service][action] += 1
            label, kind = classify(service, action, body)
            row = rows.setdefault((service, label),
                                  {"kind": kind, "n": 0, "wru": 0.0, "rru": 0.0, "usd": 0.0})
            row["n"] += 1
            if service == "dynamodb":
                wru, rru = capacity.wru + capacity.index_wru, capacity.rru
                capacity.request(action, body)
                row["wru"] += capacity.wru + capacity.index_wru - wru
                row["rru"] += capacity.rru - rru
                row["usd"] += ((capacity.wru + capacity.index_wru - wru) * DDB_WRU_PER_MILLION +
                               (capacity.rru - rru) * DDB_RRU_PER_MILLION) / 1e6
            elif service == "sqs":
                billed = max(1, math.ceil(len(body) / 65536))
                sqs_billed += billed
                row["usd"] += billed * SQS_PER_MILLION / 1e6
            elif service == "s3":
                row["usd"] += s3_usd(action)

    # A worker reads the task of each message it receives (GetItem of a TASK# key); the other
    # receives found the queue empty: the idle workers' polls.
    receives = rows.pop(("sqs", "ReceiveMessage"), None)
    if receives is not None:
        got = min(receives["n"], rows.get(("dynamodb", "GetItem (task)"), {}).get("n", 0))
        each = receives["usd"] / receives["n"]
        for label, kind, n in (("ReceiveMessage (a message)", "task", got),
                               ("ReceiveMessage (empty)", "poll", receives["n"] - got)):
            if n:
                rows[("sqs", label)] = {"kind": kind, "n": n, "wru": 0.0, "rru": 0.0,
                                        "usd": each * n}

    s3 = counts.get("s3", {})
    put = sum(n for a, n in s3.items() if a in S3_PUT_CLASS)
    free = sum(n for a, n in s3.items() if a in S3_FREE)
    get = sum(s3.values()) - put - free
    usd = {
        "s3": (put * S3_PUT_PER_1000 + get * S3_GET_PER_1000) / 1000,
        "sqs": sqs_billed * SQS_PER_MILLION / 1e6,
        "dynamodb": ((capacity.wru + capacity.index_wru) * DDB_WRU_PER_MILLION +
                     capacity.rru * DDB_RRU_PER_MILLION) / 1e6,
    }
    per_million = {k: round(v / tasks * 1e6, 2) for k, v in usd.items()}
    per_million["total"] = round(sum(usd.values()) / tasks * 1e6, 2)
    by_kind = {}
    for (service, _), row in rows.items():
        k = by_kind.setdefault(row["kind"], {})
        k[service] = k.get(service, 0.0) + row["usd"]
    print(json.dumps({
        "tasks": tasks,
        "requests": counts,
        "per_task": {s: {a: round(n / tasks, 3) for a, n in c.items()} for s, c in counts.items()},
        "rows": [{"service": s, "label": l, "kind": r["kind"], "requests": r["n"],
                  "per_task": round(r["n"] / tasks, 3), "wru": r["wru"], "rru": r["rru"],
                  "usd_per_million_tasks": round(r["usd"] / tasks * 1e6, 3)}
                 for (s, l), r in sorted(rows.items())],
        "billed": {
            "s3": {"put_copy_post_list": put, "get_and_other": get, "free": free},
            "sqs": {"requests_64k": sqs_billed},
            "dynamodb": {"wru": capacity.wru, "index_wru": capacity.index_wru,
                         "rru": capacity.rru},
        },
        "usd_per_million_tasks": per_million,
        "usd_per_million_tasks_by_kind": {
            k: dict({s: round(v / tasks * 1e6, 3) for s, v in d.items()},
                    total=round(sum(d.values()) / tasks * 1e6, 3))
            for k, d in by_kind.items()},
    }, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
