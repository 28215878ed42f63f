#!/usr/bin/env python3
"""Counts the AWS requests in a moto recording (MOTO_ENABLE_RECORDING), by service and action.

    aws_requests.py RECORDING TASKS   prints a JSON object:
      {"tasks": N, "requests": {"sqs": {"ReceiveMessage": n, ...}, "s3": {...}, ...}}

The service of a request is read from its signature's credential scope; the action from
X-Amz-Target (JSON protocols) or, for S3, from the method, the query and the copy header, as
S3's pricing groups them. Used by bench/aws_cost.sh.
"""
import json
import re
import sys
from urllib.parse import parse_qs, urlparse

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


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


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: aws_requests.py RECORDING TASKS")
    counts = {}
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            entry = json.loads(line)
            headers = entry.get("headers", {})
            scope = SCOPE.search(header(headers, "authorization"))
            service = scope.group(1) if scope else "unsigned"
            target = header(headers, "x-amz-target")
            if target:
                action = target.split(".", 1)[-1]
            elif service == "s3":
                action = s3_action(entry["method"], entry["url"], headers)
            else:
                action = entry["method"] + " " + urlparse(entry["url"]).path
            counts.setdefault(service, {}).setdefault(action, 0)
            counts[service][action] += 1
    print(json.dumps({"tasks": int(sys.argv[2]), "requests": counts}, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
