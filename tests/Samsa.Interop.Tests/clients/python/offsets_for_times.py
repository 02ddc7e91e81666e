#!/usr/bin/python3
"""ListOffsets by timestamp through offsets_for_times of confluent-kafka-python and kafka-python.

Subcommands:
  produce  --bootstrap B --topic T --input FILE [--config k=v ...]
      Creates topic T (one partition, the given topic configs) with confluent-kafka-python's
      admin client, then produces the batches in FILE (JSON: a list of batches, each a list of
      {"value": text, "timestamp": ms}) in order, flushing after each batch so that every batch
      of the input becomes one record batch on the broker. Prints {"offsets": [[o, ...], ...]}.
  query    --client confluent|kafka-python --bootstrap B --topic T --input FILE
      FILE is a JSON list of target timestamps; asks offsets_for_times for partition 0 once per
      target and prints {"results": [{"target": t, "offset": o, "timestamp": ts|null}, ...]}.
      No match is offset -1 (librdkafka's answer; kafka-python's None is mapped to -1).
"""

import argparse
import json
import logging
import sys

from interop_common import emit, encode, fail


def confluent():
    try:
        import confluent_kafka
        return confluent_kafka
    except ImportError as error:
        fail("confluent-kafka-python cannot be imported by %s (%s). Install it with "
             "'apt-get install -y python3-confluent-kafka' and run this script with /usr/bin/python3."
             % (sys.executable, error), code=3)


def confluent_config(args):
    return {
        "bootstrap.servers": args.bootstrap,
        "client.id": "samsa-interop-offsets-for-times",
        "socket.timeout.ms": 30000,
        "broker.address.family": "v4",
    }


def produce(args):
    ck = confluent()
    from confluent_kafka.admin import AdminClient, NewTopic

    configs = dict(item.split("=", 1) for item in args.config)
    admin = AdminClient(confluent_config(args))
    futures = admin.create_topics(
        [NewTopic(args.topic, num_partitions=1, replication_factor=1, config=configs)],
        operation_timeout=args.timeout, request_timeout=args.timeout)
    try:
        futures[args.topic].result(timeout=args.timeout)
    except Exception as error:  # KafkaException carries the broker's error
        fail("create_topics(%s, %s) failed: %s" % (args.topic, configs, error))

    with open(args.input, "r", encoding="utf-8") as f:
        batches = json.load(f)
    config = confluent_config(args)
    config.update({
        "acks": "all",
        "enable.idempotence": False,
        "max.in.flight.requests.per.connection": 1,
        # Long linger: a batch is sent by the flush() after it, never split by a timer.
        "linger.ms": 10000,
        "message.timeout.ms": 10000 + int(args.timeout * 1000),
    })
    producer = ck.Producer(config)
    offsets = []
    errors = []
    for index, batch in enumerate(batches):
        delivered = [None] * len(batch)

        def on_delivery(position, delivered=delivered):
            def callback(err, msg):
                if err is not None:
                    errors.append("batch %d record %d: %s" % (index, position, err))
                else:
                    delivered[position] = msg.offset()
            return callback

        for position, record in enumerate(batch):
            producer.produce(args.topic, value=encode(record["value"]), partition=0,
                             timestamp=record["timestamp"], on_delivery=on_delivery(position))
        left = producer.flush(args.timeout)
        if left or errors or None in delivered:
            fail("batch %d not delivered: %d left, errors %s, reports %s" % (index, left, errors, delivered))
        offsets.append(delivered)
    emit({"offsets": offsets})


def query_confluent(args, targets):
    ck = confluent()
    config = confluent_config(args)
    config.update({"group.id": "samsa-interop-unused", "enable.auto.commit": False})
    consumer = ck.Consumer(config)
    results = []
    try:
        for target in targets:
            found = consumer.offsets_for_times([ck.TopicPartition(args.topic, 0, target)], timeout=args.timeout)
            if len(found) != 1 or found[0].error is not None:
                fail("offsets_for_times(%d) answered %s" % (target, found))
            results.append({"target": target, "offset": found[0].offset, "timestamp": None})
    finally:
        consumer.close()
    return results


def query_kafka_python(args, targets):
    try:
        from kafka import KafkaConsumer, TopicPartition
    except ImportError as error:
        fail("kafka-python cannot be imported by %s (%s). Install it with "
             "'apt-get install -y python3-kafka' and run this script with /usr/bin/python3."
             % (sys.executable, error), code=3)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, client_id="samsa-interop-offsets-for-times",
                             api_version_auto_timeout_ms=10000, request_timeout_ms=30000,
                             enable_auto_commit=False)
    partition = TopicPartition(args.topic, 0)
    results = []
    try:
        for target in targets:
            found = consumer.offsets_for_times({partition: target})[partition]
            results.append({"target": target,
                            "offset": -1 if found is None else found.offset,
                            "timestamp": None if found is None else found.timestamp})
    finally:
        consumer.close()
    return results


def query(args):
    with open(args.input, "r", encoding="utf-8") as f:
        targets = json.load(f)
    run = {"confluent": query_confluent, "kafka-python": query_kafka_python}[args.client]
    emit({"results": run(args, targets)})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("produce")
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--config", action="append", default=[])
    p.add_argument("--timeout", type=float, default=30.0)
    q = sub.add_parser("query")
    q.add_argument("--client", required=True, choices=["confluent", "kafka-python"])
    q.add_argument("--bootstrap", required=True)
    q.add_argument("--topic", required=True)
    q.add_argument("--input", required=True)
    q.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    {"produce": produce, "query": query}[args.command](args)


if __name__ == "__main__":
    main()
