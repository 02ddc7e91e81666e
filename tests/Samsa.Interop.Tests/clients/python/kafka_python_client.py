#!/usr/bin/python3
"""Interop driver built on kafka-python (pure Python client).

Subcommands: create-topic, metadata, produce, consume. See interop_common.py
for the arguments and the JSON printed on stdout.
"""

import logging
import sys
import time

from interop_common import (decode, emit, encode, fail, headers_to_json,
                            parse_args, read_records)

try:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic
except ImportError as error:
    fail("kafka-python cannot be imported by %s (%s). Install it with "
         "'apt-get install -y python3-kafka' and run this script with /usr/bin/python3."
         % (sys.executable, error), code=3)


def common(args):
    return {
        "bootstrap_servers": args.bootstrap,
        "client_id": "samsa-interop-kafka-python",
        "api_version_auto_timeout_ms": 10000,
        "request_timeout_ms": 30000,
    }


def create_topic(args):
    admin = KafkaAdminClient(**common(args))
    try:
        response = admin.create_topics(
            [NewTopic(name=args.topic, num_partitions=args.partitions, replication_factor=1)],
            timeout_ms=int(args.timeout * 1000))
    finally:
        admin.close()
    # The admin client returns the raw response; errors are per topic.
    problems = [t for t in response.topic_errors if t[1] != 0]
    if problems:
        fail("CreateTopics v%d answered errors: %s" % (response.API_VERSION, problems))
    emit({"topic": args.topic, "created": True})


def metadata(args):
    admin = KafkaAdminClient(**common(args))
    try:
        topics = admin.describe_topics([args.topic])
        cluster = admin.describe_cluster()
    finally:
        admin.close()
    matching = [t for t in topics if t["topic"] == args.topic]
    if not matching:
        fail("metadata has no entry for topic %s: %s" % (args.topic, topics))
    topic = matching[0]
    emit({
        "topic": args.topic,
        "error": topic["error_code"],
        "controller": cluster.get("controller_id", -1),
        "brokers": [{"id": b["node_id"], "host": b["host"], "port": b["port"]}
                    for b in sorted(cluster["brokers"], key=lambda b: b["node_id"])],
        "partitions": [{"partition": p["partition"], "leader": p["leader"], "replicas": list(p["replicas"]),
                        "isr": list(p["isr"]), "error": p["error_code"]}
                       for p in sorted(topic["partitions"], key=lambda p: p["partition"])],
    })


def produce(args):
    records = read_records(args.input)
    producer = KafkaProducer(acks="all", retries=5, linger_ms=5,
                             max_in_flight_requests_per_connection=1, **common(args))
    futures = []
    for r in records:
        headers = [(k, encode(v)) for k, v in r["headers"]]
        futures.append(producer.send(args.topic, key=encode(r.get("key")), value=encode(r.get("value")),
                                     partition=r["partition"], headers=headers,
                                     timestamp_ms=r["timestamp"]))
    producer.flush(timeout=args.timeout)
    reports = []
    errors = []
    for index, future in enumerate(futures):
        try:
            md = future.get(timeout=max(1.0, args.timeout))
            reports.append({"partition": md.partition, "offset": md.offset})
        except Exception as error:  # KafkaError subclasses carry the broker's error
            errors.append("record %d: %r" % (index, error))
            reports.append(None)
    producer.close(timeout=5)
    if errors:
        fail("delivery failed: %s" % errors)
    emit({"deliveries": reports})


def consume(args):
    consumer = KafkaConsumer(group_id=None, enable_auto_commit=False, auto_offset_reset="earliest",
                             **common(args))
    partitions = [TopicPartition(args.topic, p) for p in range(args.partitions)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    end = consumer.end_offsets(partitions)
    records = []
    complete = False
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if len(records) >= args.count and all(consumer.position(tp) >= end[tp] for tp in partitions):
            complete = True
            break
        for tp, batch in consumer.poll(timeout_ms=200).items():
            for m in batch:
                records.append({
                    "partition": m.partition,
                    "offset": m.offset,
                    "key": decode(m.key),
                    "value": decode(m.value),
                    "headers": headers_to_json(m.headers),
                    "timestamp": m.timestamp,
                    "timestamp_type": {0: "create", 1: "log_append"}.get(m.timestamp_type, "none"),
                })
    consumer.close(autocommit=False)
    emit({"records": records, "complete": complete, "errors": [],
          "end_offsets": {str(tp.partition): off for tp, off in end.items()}})


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    args = parse_args(__doc__)
    {"create-topic": create_topic, "metadata": metadata, "produce": produce,
     "consume": consume}[args.command](args)


if __name__ == "__main__":
    main()
