"""Driver for the group-commit crash test (confluent-kafka-python, acks=all).

produce: sends "<id>-<seq>" values round-robin over the partitions until killed,
         printing one line "<partition> <offset> <value>" per acknowledged record
         (delivery report without error), flushed at once, so whoever kills the
         process knows every record the broker acknowledged.
consume: reads every partition from the beginning to its high watermark and
         prints the same "<partition> <offset> <value>" lines, then "done".
"""

import argparse
import sys

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def produce(args):
    producer = Producer({
        "bootstrap.servers": args.bootstrap,
        "acks": "all",
        "linger.ms": 1,
        "enable.idempotence": False,
        "message.timeout.ms": 120000,
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 200,
    })
    out = sys.stdout

    def delivered(err, msg):
        if err is None:
            out.write(f"{msg.partition()} {msg.offset()} {msg.value().decode()}\n")
            out.flush()

    seq = 0
    while True:
        try:
            producer.produce(args.topic, value=f"{args.id}-{seq}".encode(),
                             partition=seq % args.partitions, on_delivery=delivered)
            seq += 1
        except BufferError:
            producer.poll(0.01)
            continue
        # A few hundred records per second per producer: enough to be mid-write at any moment.
        producer.poll(0.002 if seq % 4 == 0 else 0)


def consume(args):
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "crash-check",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
    })
    remaining = {}
    assignment = []
    for p in range(args.partitions):
        low, high = consumer.get_watermark_offsets(TopicPartition(args.topic, p), timeout=30)
        if high > low:
            remaining[p] = high
            assignment.append(TopicPartition(args.topic, p, low))
    consumer.assign(assignment)
    out = sys.stdout
    while remaining:
        msg = consumer.poll(10)
        if msg is None:
            raise SystemExit(f"no record within 10 s; still waiting for partitions {remaining}")
        if msg.error():
            if msg.error().code() == -191:  # _PARTITION_EOF
                continue
            raise KafkaException(msg.error())
        p = msg.partition()
        if p in remaining and msg.offset() < remaining[p]:
            out.write(f"{p} {msg.offset()} {msg.value().decode()}\n")
            if msg.offset() + 1 >= remaining[p]:
                del remaining[p]
    out.write("done\n")
    out.flush()
    consumer.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["produce", "consume"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--partitions", type=int, required=True)
    parser.add_argument("--id", default="p")
    args = parser.parse_args()
    produce(args) if args.command == "produce" else consume(args)


if __name__ == "__main__":
    main()
