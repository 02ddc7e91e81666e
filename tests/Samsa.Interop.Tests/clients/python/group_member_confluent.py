#!/usr/bin/python3
"""Consumer-group member built on confluent-kafka-python (librdkafka).

Arguments and the JSON lines printed on stdout: see group_member_common.py.
"ready" comes from librdkafka's statistics: every assigned partition's
fetch_state is "active", i.e. its start offset is resolved.
"""

import json
import sys

from group_member_common import (StopCondition, emit, fail, parse_args,
                                 record_event)

try:
    from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
except ImportError as error:
    fail("confluent-kafka-python cannot be imported by %s (%s). Install it with "
         "'apt-get install -y python3-confluent-kafka' and run this script with /usr/bin/python3."
         % (sys.executable, error), code=3)


class Member:
    def __init__(self, args):
        self.args = args
        self.stop = StopCondition(args)
        self.assigned = []
        self.awaiting_ready = False
        config = {
            "bootstrap.servers": args.bootstrap,
            "broker.address.family": "v4",
            "group.id": args.group,
            "client.id": args.client_id,
            "session.timeout.ms": args.session_timeout_ms,
            "heartbeat.interval.ms": args.heartbeat_ms,
            "auto.offset.reset": args.offset_reset,
            "enable.auto.commit": args.commit == "auto",
            "auto.commit.interval.ms": args.auto_commit_interval_ms,
            # The offset of a record is stored when poll() hands it out, so
            # auto-commit never covers a record the driver has not printed.
            "enable.auto.offset.store": True,
            "fetch.wait.max.ms": 100,
            "statistics.interval.ms": 100,
            "stats_cb": self.on_stats,
            "error_cb": self.on_error,
        }
        if args.instance_id:
            config["group.instance.id"] = args.instance_id
        self.consumer = Consumer(config)

    def on_error(self, error):
        emit({"event": "error", "message": str(error)})

    def on_assign(self, consumer, partitions):
        self.assigned = sorted(p.partition for p in partitions)
        self.awaiting_ready = True
        emit({"event": "assigned", "partitions": self.assigned})

    def on_revoke(self, consumer, partitions):
        self.awaiting_ready = False
        self.assigned = []
        emit({"event": "revoked", "partitions": sorted(p.partition for p in partitions)})

    def on_lost(self, consumer, partitions):
        self.awaiting_ready = False
        self.assigned = []
        emit({"event": "lost", "partitions": sorted(p.partition for p in partitions)})

    def on_stats(self, text):
        if not self.awaiting_ready:
            return
        partitions = json.loads(text).get("topics", {}).get(self.args.topic, {}).get("partitions", {})
        states = [partitions.get(str(p), {}).get("fetch_state") for p in self.assigned]
        if all(state == "active" for state in states):
            self.awaiting_ready = False
            emit({"event": "ready", "partitions": self.assigned})

    def handle(self, msg):
        """Prints a record; False for an error event instead."""
        if msg.error() is not None:
            if msg.error().code() != KafkaError._PARTITION_EOF:
                emit({"event": "error", "message": str(msg.error())})
            return False
        emit(record_event(msg.partition(), msg.offset(), msg.key(), msg.value()))
        self.stop.record_consumed()
        return True

    def commit(self, **what):
        try:
            results = self.consumer.commit(asynchronous=False, **what)
        except KafkaException as error:
            emit({"event": "commit_failed", "message": str(error)})
            return
        for tp in results or []:
            if tp.error is not None:
                emit({"event": "commit_failed", "message": "partition %d: %s" % (tp.partition, tp.error)})

    def run(self):
        self.consumer.subscribe([self.args.topic], on_assign=self.on_assign,
                                on_revoke=self.on_revoke, on_lost=self.on_lost)
        reason = None
        while reason is None:
            if self.args.commit == "batch":
                self.run_batch()
            else:
                msg = self.consumer.poll(0.1)
                if msg is not None and self.handle(msg) and self.args.commit == "record":
                    self.commit(message=msg)
            reason = self.stop.reason()
        self.consumer.close()
        emit({"event": "closed", "reason": reason, "consumed": self.stop.consumed})

    def run_batch(self):
        next_offsets = {}
        for msg in self.consumer.consume(num_messages=100, timeout=0.1):
            if self.stop.count_reached():
                break
            if self.handle(msg):
                next_offsets[msg.partition()] = msg.offset() + 1
        if next_offsets:
            self.commit(offsets=[TopicPartition(self.args.topic, p, o) for p, o in sorted(next_offsets.items())])


def main():
    args = parse_args(__doc__)
    Member(args).run()


if __name__ == "__main__":
    main()
