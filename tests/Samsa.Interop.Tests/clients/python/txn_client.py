#!/usr/bin/python3
"""Transaction and idempotence driver on confluent-kafka-python (librdkafka).

Every subcommand prints JSON lines on stdout, one event per line, flushed at
once, so a harness that kills the process knows what happened before the kill.
Records travel as [partition, offset, key, value]; keys and values are text.

  produce-input  plain acks=all producer: --count records "k<i>"/"v<i:05>" to partition i % P
  transactions   --plan commit:4,abort:3,... runs those transactions, then with
                 --open N starts one more, sends N records, flushes, and reports
                 what read_committed and read_uncommitted consumers see while it
                 is open (watermarks and records), then commits it
  consume        reads every partition from the beginning until end of
                 partition (the LSO under read_committed) with --isolation
  transform      consume-transform-produce: a group member reading --input with
                 read_committed, writing "T:<value>" to the same partition of
                 --output in transactions of --per-txn records with the input
                 offsets sent through send_offsets_to_transaction; exits when
                 the group's committed offsets reach the input's end. Events:
                 sent / delivered (per record, with the transaction's number
                 and count), committed (per transaction); at most --rate
                 records/s
  fence          two producers with one transactional.id: the second fences the
                 first in the middle of its transaction
  idempotent     enable.idempotence=true producer of --count numbered records at
                 about --rate records/s, reporting acknowledgements as they come;
                 --request-timeout-ms bounds each produce request
  commit-once    one transaction over every partition, then a commit bounded by
                 --commit-timeout (the broker may die during it)
"""

import argparse
import json
import os
import sys
import time

try:
    from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError,
                                 KafkaException, Producer, TopicPartition)
except ImportError as error:
    sys.stderr.write("confluent-kafka-python cannot be imported by %s (%s); install python3-confluent-kafka "
                     "and run this script with /usr/bin/python3\n" % (sys.executable, error))
    sys.exit(3)


def emit(event):
    sys.stdout.write(json.dumps(event, ensure_ascii=True) + "\n")
    sys.stdout.flush()


def text(data):
    return None if data is None else bytes(data).decode("utf-8", errors="backslashreplace")


def error_json(error):
    """A KafkaError as the harness checks it."""
    return {"code": error.code(), "name": error.name(), "fatal": error.fatal(),
            "retriable": error.retriable(), "abortable": error.txn_requires_abort(), "text": error.str()}


def base_config(args):
    return {
        "bootstrap.servers": args.bootstrap,
        "broker.address.family": "v4",
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 500,
    }


def transactional_producer(args, transactional_id):
    config = base_config(args)
    config.update({
        "transactional.id": transactional_id,
        "transaction.timeout.ms": args.transaction_timeout_ms,
        "linger.ms": 5,
    })
    return Producer(config)


def watermarks(args, isolation):
    """(low, high) per partition as a consumer with that isolation level asks for them (ListOffsets)."""
    config = base_config(args)
    config.update({"group.id": "txn-watermarks", "isolation.level": isolation})
    consumer = Consumer(config)
    try:
        return {p: list(consumer.get_watermark_offsets(TopicPartition(args.topic, p), timeout=args.timeout, cached=False))
                for p in range(args.partitions)}
    finally:
        consumer.close()


def read_all(args, isolation, topic=None):
    """Every record of every partition from the beginning to the end of partition, in partition order."""
    topic = topic or args.topic
    config = base_config(args)
    config.update({
        "group.id": "txn-reader-%d" % os.getpid(),
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "isolation.level": isolation,
        "fetch.wait.max.ms": 100,
    })
    consumer = Consumer(config)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(args.partitions)])
    pending = set(range(args.partitions))
    records = []
    deadline = time.monotonic() + args.timeout
    try:
        while pending:
            if time.monotonic() > deadline:
                raise SystemExit("consume (%s) did not reach the end of partitions %s within %.0f s; %d records read"
                                 % (isolation, sorted(pending), args.timeout, len(records)))
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error() is not None:
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    pending.discard(msg.partition())
                    continue
                raise KafkaException(msg.error())
            records.append([msg.partition(), msg.offset(), text(msg.key()), text(msg.value())])
            # A record after end of partition: the partition grew; read on to its new end.
            pending.add(msg.partition())
    finally:
        consumer.close()
    return records


class Deliveries:
    """Delivery reports of one producer: offsets of the delivered records, errors of the others."""

    def __init__(self):
        self.delivered = []
        self.errors = []

    def __call__(self, err, msg):
        if err is None:
            self.delivered.append([msg.partition(), msg.offset(), text(msg.key()), text(msg.value())])
        else:
            self.errors.append(dict(error_json(err), value=text(msg.value())))


def produce_input(args):
    config = base_config(args)
    config.update({"acks": "all", "linger.ms": 5, "enable.idempotence": False})
    producer = Producer(config)
    reports = Deliveries()
    for i in range(args.count):
        while True:
            try:
                producer.produce(args.topic, key=b"k%d" % i, value=b"v%05d" % i, partition=i % args.partitions,
                                 on_delivery=reports)
                break
            except BufferError:
                producer.poll(0.05)
    left = producer.flush(args.timeout)
    if left or reports.errors or len(reports.delivered) != args.count:
        raise SystemExit("produce-input: %d delivered, %d not flushed, errors %s"
                         % (len(reports.delivered), left, reports.errors[:3]))
    emit({"event": "done", "delivered": len(reports.delivered)})


def transactions(args):
    producer = transactional_producer(args, args.transactional_id)
    producer.init_transactions(args.timeout)
    plan = [item.split(":") for item in args.plan.split(",") if item]
    for number, (kind, count) in enumerate(plan):
        if kind not in ("commit", "abort"):
            raise SystemExit("bad plan item %s:%s" % (kind, count))
        reports = Deliveries()
        producer.begin_transaction()
        for j in range(int(count)):
            producer.produce(args.topic, key=b"t%d" % number, value=("t%d-%s-%d" % (number, kind, j)).encode(),
                             partition=j % args.partitions, on_delivery=reports)
        # Delivered before the end of the transaction, so the aborted records are in the log.
        producer.flush(args.timeout)
        if kind == "commit":
            producer.commit_transaction(args.timeout)
        else:
            producer.abort_transaction(args.timeout)
        emit({"event": "transaction", "number": number, "kind": kind, "delivered": reports.delivered,
              "errors": reports.errors})

    if args.open > 0:
        number = len(plan)
        reports = Deliveries()
        producer.begin_transaction()
        for j in range(args.open):
            producer.produce(args.topic, key=b"t%d" % number, value=("t%d-open-%d" % (number, j)).encode(),
                             partition=j % args.partitions, on_delivery=reports)
        producer.flush(args.timeout)
        emit({"event": "open", "number": number, "delivered": reports.delivered, "errors": reports.errors,
              "committed_watermarks": watermarks(args, "read_committed"),
              "uncommitted_watermarks": watermarks(args, "read_uncommitted"),
              "committed_records": read_all(args, "read_committed")})
        producer.commit_transaction(args.timeout)
        emit({"event": "transaction", "number": number, "kind": "commit", "delivered": reports.delivered,
              "errors": reports.errors})
    emit({"event": "done"})


def consume(args):
    records = read_all(args, args.isolation)
    emit({"event": "records", "isolation": args.isolation, "records": records,
          "watermarks": watermarks(args, args.isolation)})


def transform(args):
    producer = transactional_producer(args, args.transactional_id)
    producer.init_transactions(args.timeout)
    emit({"event": "initialized"})

    config = base_config(args)
    config.update({
        "group.id": args.group,
        # Static membership: a restarted transformer takes its predecessor's place at once
        # instead of waiting for the killed member's session to expire.
        "group.instance.id": args.transactional_id,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "fetch.wait.max.ms": 50,
    })
    consumer = Consumer(config)
    ends = {p: consumer.get_watermark_offsets(TopicPartition(args.input, p), timeout=args.timeout, cached=False)[1]
            for p in range(args.partitions)}
    consumer.subscribe([args.input])

    def committed_to_end():
        committed = consumer.committed([TopicPartition(args.input, p) for p in range(args.partitions)], timeout=args.timeout)
        return all(tp.offset >= ends[tp.partition] for tp in committed)

    # Acknowledged records of the open transaction are in the output log: a kill after one leaves an
    # aborted-to-be record there.
    acknowledged = {}

    def delivered(err, txn):
        if err is None:
            acknowledged[txn] = acknowledged.get(txn, 0) + 1
            emit({"event": "delivered", "txn": txn, "n": acknowledged[txn]})
        else:
            emit({"event": "delivery-error", "txn": txn, "error": error_json(err)})

    deadline = time.monotonic() + args.timeout
    start = time.monotonic()
    processed = 0
    number = 0
    in_txn = 0
    producer.begin_transaction()
    while True:
        if time.monotonic() > deadline:
            raise SystemExit("transform did not finish within %.0f s" % args.timeout)
        msg = consumer.poll(0.1)
        if msg is not None:
            if msg.error() is not None:
                emit({"event": "consumer-error", "error": error_json(msg.error())})
                if msg.error().fatal():
                    raise KafkaException(msg.error())
                continue
            producer.produce(args.output, key=msg.key(), value=b"T:" + msg.value(), partition=msg.partition(),
                             on_delivery=lambda err, _, txn=number: delivered(err, txn))
            in_txn += 1
            emit({"event": "sent", "txn": number, "n": in_txn})
            producer.poll(0)
            processed += 1
            # Paced so the harness can see a transaction with acknowledged records before its commit.
            while processed > (time.monotonic() - start) * args.rate:
                producer.poll(0.001)
        if in_txn >= args.per_txn or (msg is None and in_txn > 0):
            positions = consumer.position(consumer.assignment())
            # Partitions this run has not consumed from have no position yet (OFFSET_INVALID): nothing to commit.
            consumed = [tp for tp in positions if tp.offset >= 0]
            producer.send_offsets_to_transaction(consumed, consumer.consumer_group_metadata(), args.timeout)
            producer.commit_transaction(args.timeout)
            emit({"event": "committed", "txn": number, "n": in_txn,
                  "positions": {tp.partition: tp.offset for tp in positions}})
            number += 1
            in_txn = 0
            if all(tp.offset >= ends[tp.partition] for tp in positions) and len(positions) == args.partitions:
                break
            producer.begin_transaction()
        elif msg is None and in_txn == 0 and committed_to_end():
            # Everything was committed by an earlier run that was killed before it could say so.
            producer.abort_transaction(args.timeout)
            break
    consumer.close()
    emit({"event": "done", "transactions": number})


def fence(args):
    first = transactional_producer(args, args.transactional_id)
    first.init_transactions(args.timeout)
    first_reports = Deliveries()
    first.begin_transaction()
    first.produce(args.topic, key=b"first", value=b"first-1", partition=0, on_delivery=first_reports)
    first.flush(args.timeout)
    emit({"event": "first-sent", "delivered": first_reports.delivered, "errors": first_reports.errors})

    second = transactional_producer(args, args.transactional_id)
    second.init_transactions(args.timeout)
    second_reports = Deliveries()
    second.begin_transaction()
    for j in range(3):
        second.produce(args.topic, key=b"second", value=b"second-%d" % j, partition=j % args.partitions,
                       on_delivery=second_reports)
    second.commit_transaction(args.timeout)
    emit({"event": "second-committed", "delivered": second_reports.delivered, "errors": second_reports.errors})

    # The first producer does not know yet: its next send and its commit must fail fatally.
    produce_error = None
    try:
        first.produce(args.topic, key=b"first", value=b"first-2", partition=1 % args.partitions,
                      on_delivery=first_reports)
        first.flush(args.timeout)
    except KafkaException as e:
        produce_error = error_json(e.args[0])
    commit_error = None
    try:
        first.commit_transaction(args.timeout)
    except KafkaException as e:
        commit_error = error_json(e.args[0])
    emit({"event": "first-after-fence", "delivered": first_reports.delivered, "errors": first_reports.errors,
          "produce_error": produce_error, "commit_error": commit_error})
    emit({"event": "done"})
    sys.stdout.flush()
    # A fenced producer can take a while to tear down; nothing is left to check in it.
    os._exit(0)


def idempotent(args):
    config = base_config(args)
    config.update({
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": int(args.timeout * 1000),
        "retry.backoff.ms": 50,
        # Short, so a paused broker makes requests time out (and be retried) while it may still hold them:
        # librdkafka times out a produce request on the client side after socket.timeout.ms.
        "request.timeout.ms": args.request_timeout_ms,
        "socket.timeout.ms": args.request_timeout_ms,
    })
    producer = Producer(config)
    reports = Deliveries()
    state = {"acked": 0}

    def delivered(err, msg):
        reports(err, msg)
        if err is None:
            state["acked"] += 1
            if state["acked"] % 250 == 0:
                emit({"event": "acked", "count": state["acked"]})

    producer.poll(0)
    start = time.monotonic()
    for i in range(args.count):
        # Paced so the broker's restarts fall in the middle of the stream.
        while i > (time.monotonic() - start) * args.rate:
            producer.poll(0.005)
        while True:
            try:
                producer.produce(args.topic, key=b"k%d" % i, value=b"%06d" % i, partition=i % args.partitions,
                                 on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    left = producer.flush(args.timeout)
    emit({"event": "done", "acked": state["acked"], "not_flushed": left, "errors": reports.errors[:10],
          "error_count": len(reports.errors)})


def commit_once(args):
    producer = transactional_producer(args, args.transactional_id)
    producer.init_transactions(args.timeout)
    reports = Deliveries()
    producer.begin_transaction()
    for j in range(args.count):
        producer.produce(args.topic, key=b"crash", value=b"crash-%d" % j, partition=j % args.partitions,
                         on_delivery=reports)
    producer.flush(args.timeout)
    emit({"event": "produced", "delivered": reports.delivered, "errors": reports.errors})
    try:
        producer.commit_transaction(args.commit_timeout)
        emit({"event": "commit-returned"})
    except KafkaException as e:
        emit({"event": "commit-failed", "error": error_json(e.args[0])})
    sys.stdout.flush()
    # The broker is gone: do not wait for the producer to tear down.
    os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["produce-input", "transactions", "consume", "transform", "fence",
                                            "idempotent", "commit-once"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic")
    parser.add_argument("--partitions", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--transactional-id")
    parser.add_argument("--transaction-timeout-ms", type=int, default=60000)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--plan", default="")
    parser.add_argument("--open", type=int, default=0)
    parser.add_argument("--isolation", choices=["read_committed", "read_uncommitted"], default="read_committed")
    parser.add_argument("--input")
    parser.add_argument("--output")
    parser.add_argument("--group")
    parser.add_argument("--per-txn", type=int, default=100)
    parser.add_argument("--rate", type=float, default=4000.0)
    parser.add_argument("--commit-timeout", type=float, default=5.0)
    parser.add_argument("--request-timeout-ms", type=int, default=30000)
    args = parser.parse_args()
    {
        "produce-input": produce_input,
        "transactions": transactions,
        "consume": consume,
        "transform": transform,
        "fence": fence,
        "idempotent": idempotent,
        "commit-once": commit_once,
    }[args.command](args)


if __name__ == "__main__":
    main()
