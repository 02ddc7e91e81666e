#!/usr/bin/python3
"""Interop driver built on confluent-kafka-python (librdkafka).

Subcommands: create-topic, metadata, produce, consume. See interop_common.py
for the arguments and the JSON printed on stdout.
"""

import ctypes
import sys
import time

from interop_common import (decode, emit, encode, fail, headers_to_json,
                            parse_args, read_records)

try:
    from confluent_kafka import (OFFSET_BEGINNING, TIMESTAMP_CREATE_TIME,
                                 TIMESTAMP_LOG_APPEND_TIME, Consumer,
                                 KafkaError, Producer, TopicPartition)
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError as error:
    fail("confluent-kafka-python cannot be imported by %s (%s). Install it with "
         "'apt-get install -y python3-confluent-kafka' and run this script with /usr/bin/python3."
         % (sys.executable, error), code=3)


def base_config(args):
    return {
        "bootstrap.servers": args.bootstrap,
        "client.id": "samsa-interop-confluent",
        "socket.timeout.ms": 30000,
        "broker.address.family": "v4",
    }


def create_topic(args):
    admin = AdminClient(base_config(args))
    futures = admin.create_topics(
        [NewTopic(args.topic, num_partitions=args.partitions, replication_factor=1)],
        operation_timeout=args.timeout, request_timeout=args.timeout)
    try:
        futures[args.topic].result(timeout=args.timeout)
    except Exception as error:  # KafkaException carries the broker's error
        fail("create_topics(%s) failed: %s" % (args.topic, error))
    emit({"topic": args.topic, "created": True})


def metadata(args):
    admin = AdminClient(base_config(args))
    cluster = admin.list_topics(topic=args.topic, timeout=args.timeout)
    topic = cluster.topics.get(args.topic)
    if topic is None:
        fail("metadata has no entry for topic %s: %s" % (args.topic, sorted(cluster.topics)))
    emit({
        "topic": args.topic,
        "error": topic.error.code() if topic.error is not None else 0,
        "controller": cluster.controller_id,
        "brokers": [{"id": b.id, "host": b.host, "port": b.port}
                    for b in sorted(cluster.brokers.values(), key=lambda b: b.id)],
        "partitions": [{"partition": p.id, "leader": p.leader, "replicas": list(p.replicas),
                        "isr": list(p.isrs), "error": p.error.code() if p.error is not None else 0}
                       for p in sorted(topic.partitions.values(), key=lambda p: p.id)],
    })


def produce(args):
    records = read_records(args.input)
    config = base_config(args)
    config.update({
        "acks": "all",
        "enable.idempotence": False,
        # One request in flight keeps per-partition order even across retries.
        "max.in.flight.requests.per.connection": 1,
        "linger.ms": 5,
        "message.timeout.ms": int(args.timeout * 1000),
    })
    producer = Producer(config)
    reports = [None] * len(records)
    errors = []

    def on_delivery(index):
        def callback(err, msg):
            if err is not None:
                errors.append("record %d: %s" % (index, err))
            else:
                reports[index] = {"partition": msg.partition(), "offset": msg.offset()}
        return callback

    for index, r in enumerate(records):
        headers = [(k, encode(v)) for k, v in r["headers"]] or None
        producer.produce(args.topic, value=encode(r.get("value")), key=encode(r.get("key")),
                         partition=r["partition"], headers=headers, timestamp=r["timestamp"],
                         on_delivery=on_delivery(index))
        producer.poll(0)
    left = producer.flush(args.timeout + 5)
    if left:
        errors.append("%d records still undelivered after flush" % left)
    missing = [i for i, rep in enumerate(reports) if rep is None]
    if errors or missing:
        fail("delivery failed: %s; records without a report: %s" % (errors, missing))
    emit({"deliveries": reports})


def message_headers(msg):
    """msg.headers(), repairing a reference-count bug of confluent-kafka-python 1.7.

    That version's C extension builds each (name, None) header tuple without
    taking a reference to None and then releases one, so every null header
    value costs None a reference; on Python < 3.12 the interpreter aborts at
    exit ("deallocating None"). The repair puts back exactly what was lost.
    """
    before = sys.getrefcount(None)
    headers = msg.headers()
    expected = sum(1 for _, v in headers or [] if v is None)
    lost = expected - (sys.getrefcount(None) - before)
    for _ in range(max(0, lost)):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
    return headers


def consume(args):
    config = base_config(args)
    config.update({
        # librdkafka insists on a group id; the consumer never joins: assign() only.
        "group.id": "samsa-interop-unused",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
    })
    consumer = Consumer(config)
    consumer.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in range(args.partitions)])
    records = []
    errors = []
    at_end = set()
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if len(records) >= args.count and len(at_end) == args.partitions:
            break
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error() is not None:
            if msg.error().code() == KafkaError._PARTITION_EOF:
                at_end.add(msg.partition())
            else:
                errors.append(str(msg.error()))
                sys.stderr.write("consumer error: %s\n" % msg.error())
            continue
        at_end.discard(msg.partition())
        ts_type, ts = msg.timestamp()
        records.append({
            "partition": msg.partition(),
            "offset": msg.offset(),
            "key": decode(msg.key()),
            "value": decode(msg.value()),
            "headers": headers_to_json(message_headers(msg)),
            "timestamp": ts,
            "timestamp_type": {TIMESTAMP_CREATE_TIME: "create",
                               TIMESTAMP_LOG_APPEND_TIME: "log_append"}.get(ts_type, "none"),
        })
    consumer.close()
    emit({"records": records, "complete": len(at_end) == args.partitions and len(records) >= args.count,
          "errors": errors})


def main():
    args = parse_args(__doc__)
    {"create-topic": create_topic, "metadata": metadata, "produce": produce,
     "consume": consume}[args.command](args)


if __name__ == "__main__":
    main()
