#!/usr/bin/python3
"""Compression interop driver for kafka-python and confluent-kafka-python.

produce --client C --codec X --bootstrap B --topic T --prefix P --count N
    Sends N records to partition 0 of T with codec X (none, gzip, snappy, lz4, zstd): key "k<i>",
    value "<P>-<i>-" plus filler text, header codec=<X>, and prints {"produced": N}.
consume --client C --bootstrap B --topic T --count N
    Reads partition 0 of T from the beginning by manual assignment until N records and prints
    {"records": [{"offset", "key", "value", "headers": [[k, v]], "timestamp"}]} with text fields.

Run with /usr/bin/python3 (Debian's modules). Exit code 3 means a module is missing.
"""

import argparse
import json
import sys
import time


def fail(message, code=1):
    sys.stderr.write(message + "\n")
    sys.exit(code)


def value_of(prefix, i):
    return "%s-%d-" % (prefix, i) + ("lorem ipsum dolor sit amet %d " % (i % 7)) * 6


def produce_kafka_python(args):
    from kafka import KafkaProducer
    producer = KafkaProducer(bootstrap_servers=args.bootstrap, acks="all", linger_ms=20,
                             compression_type=None if args.codec == "none" else args.codec,
                             api_version_auto_timeout_ms=10000, request_timeout_ms=30000)
    futures = [producer.send(args.topic, key=b"k%d" % i, value=value_of(args.prefix, i).encode(),
                             headers=[("codec", args.codec.encode())], partition=0,
                             timestamp_ms=1_700_000_000_000 + i)
               for i in range(args.count)]
    producer.flush(timeout=60)
    for f in futures:
        f.get(timeout=60)
    producer.close()


def produce_confluent(args):
    from confluent_kafka import Producer
    errors = []
    producer = Producer({"bootstrap.servers": args.bootstrap, "acks": "all", "linger.ms": 20,
                         "compression.codec": args.codec, "message.timeout.ms": 60000})
    for i in range(args.count):
        producer.produce(args.topic, key=b"k%d" % i, value=value_of(args.prefix, i).encode(), partition=0,
                         headers=[("codec", args.codec.encode())], timestamp=1_700_000_000_000 + i,
                         on_delivery=lambda err, msg: errors.append(err) if err else None)
    if producer.flush(60) != 0:
        fail("confluent-kafka: records still queued after 60 s")
    if errors:
        fail("confluent-kafka: delivery failed: %s" % errors[0])


def consume_kafka_python(args):
    from kafka import KafkaConsumer, TopicPartition
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, enable_auto_commit=False, group_id=None,
                             auto_offset_reset="earliest", api_version_auto_timeout_ms=10000,
                             consumer_timeout_ms=1000)
    tp = TopicPartition(args.topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    records = []
    deadline = time.time() + 60
    while len(records) < args.count and time.time() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            for m in batch:
                records.append({"offset": m.offset, "key": m.key.decode(), "value": m.value.decode(),
                                "headers": [[k, v.decode()] for k, v in m.headers], "timestamp": m.timestamp})
    consumer.close()
    return records


def consume_confluent(args):
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "unused", "enable.auto.commit": False,
                         "check.crcs": True})
    consumer.assign([TopicPartition(args.topic, 0, OFFSET_BEGINNING)])
    records = []
    deadline = time.time() + 60
    while len(records) < args.count and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is None:
            continue
        if m.error():
            fail("confluent-kafka consume error: %s" % m.error())
        records.append({"offset": m.offset(), "key": m.key().decode(), "value": m.value().decode(),
                        "headers": [[k, v.decode()] for k, v in (m.headers() or [])], "timestamp": m.timestamp()[1]})
    consumer.close()
    return records


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["produce", "consume"])
    parser.add_argument("--client", choices=["kafka-python", "confluent-kafka-python"], required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--codec", default="none")
    parser.add_argument("--prefix", default="r")
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()
    try:
        if args.command == "produce":
            (produce_kafka_python if args.client == "kafka-python" else produce_confluent)(args)
            print(json.dumps({"produced": args.count}))
        else:
            records = (consume_kafka_python if args.client == "kafka-python" else consume_confluent)(args)
            print(json.dumps({"records": records}))
    except ImportError as error:
        fail("%s cannot be imported (%s): apt-get install -y python3-kafka python3-confluent-kafka python3-snappy python3-lz4"
             % (args.client, error), code=3)


if __name__ == "__main__":
    main()
