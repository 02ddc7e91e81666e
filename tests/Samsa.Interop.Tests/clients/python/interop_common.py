"""Shared command line and JSON plumbing for the Python interop drivers.

Every driver prints exactly one JSON document on stdout; libraries log to
stderr. Keys, values and header values travel as UTF-8 text (null stays
null).
"""

import argparse
import json
import sys


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    sub = parser.add_subparsers(dest="command", required=True)

    create = sub.add_parser("create-topic", help="create a topic through the admin API")
    create.add_argument("--bootstrap", required=True)
    create.add_argument("--topic", required=True)
    create.add_argument("--partitions", type=int, required=True)
    create.add_argument("--timeout", type=float, default=30.0)

    metadata = sub.add_parser("metadata", help="print a topic's partitions and leaders")
    metadata.add_argument("--bootstrap", required=True)
    metadata.add_argument("--topic", required=True)
    metadata.add_argument("--timeout", type=float, default=30.0)

    produce = sub.add_parser("produce", help="send records from a JSON file")
    produce.add_argument("--bootstrap", required=True)
    produce.add_argument("--topic", required=True)
    produce.add_argument("--input", required=True)
    produce.add_argument("--timeout", type=float, default=30.0)

    consume = sub.add_parser("consume", help="read partitions from the beginning")
    consume.add_argument("--bootstrap", required=True)
    consume.add_argument("--topic", required=True)
    consume.add_argument("--partitions", type=int, required=True)
    consume.add_argument("--count", type=int, required=True)
    consume.add_argument("--timeout", type=float, default=30.0)

    return parser.parse_args()


def encode(text):
    return None if text is None else text.encode("utf-8")


def decode(data):
    if data is None:
        return None
    if isinstance(data, str):
        return data
    return bytes(data).decode("utf-8", errors="backslashreplace")


def read_records(path):
    with open(path, "r", encoding="utf-8") as f:
        records = json.load(f)
    for r in records:
        r.setdefault("headers", [])
    return records


def headers_to_json(headers):
    if not headers:
        return []
    return [[decode(k), decode(v)] for k, v in headers]


def emit(document):
    sys.stdout.write(json.dumps(document, ensure_ascii=True))
    sys.stdout.write("\n")
    sys.stdout.flush()


def fail(message, code=1):
    sys.stderr.write(message.rstrip() + "\n")
    sys.stderr.flush()
    sys.exit(code)
