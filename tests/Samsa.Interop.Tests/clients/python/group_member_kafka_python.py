#!/usr/bin/python3
"""Consumer-group member built on kafka-python 2.0.2 (pure Python).

Arguments and the JSON lines printed on stdout: see group_member_common.py.
kafka-python 2.0.2 has no static membership, so --instance-id is refused.
"ready" is printed once position() has resolved every assigned partition.
"""

import logging
import sys

from group_member_common import (StopCondition, emit, fail, parse_args,
                                 record_event)

try:
    from kafka import ConsumerRebalanceListener, KafkaConsumer
    from kafka.errors import KafkaError
    from kafka.structs import OffsetAndMetadata
except ImportError as error:
    fail("kafka-python cannot be imported by %s (%s). Install it with "
         "'apt-get install -y python3-kafka' and run this script with /usr/bin/python3."
         % (sys.executable, error), code=3)


class Listener(ConsumerRebalanceListener):
    def __init__(self, member):
        self.member = member

    def on_partitions_revoked(self, revoked):
        self.member.awaiting_ready = False
        emit({"event": "revoked", "partitions": sorted(tp.partition for tp in revoked)})

    def on_partitions_assigned(self, assigned):
        self.member.awaiting_ready = True
        emit({"event": "assigned", "partitions": sorted(tp.partition for tp in assigned)})


class Member:
    def __init__(self, args):
        self.args = args
        self.stop = StopCondition(args)
        self.awaiting_ready = False
        self.consumer = KafkaConsumer(
            bootstrap_servers=args.bootstrap,
            client_id=args.client_id,
            group_id=args.group,
            session_timeout_ms=args.session_timeout_ms,
            heartbeat_interval_ms=args.heartbeat_ms,
            auto_offset_reset=args.offset_reset,
            enable_auto_commit=args.commit == "auto",
            auto_commit_interval_ms=args.auto_commit_interval_ms,
            fetch_max_wait_ms=100,
            max_poll_records=100,
            api_version_auto_timeout_ms=10000,
        )

    def commit(self, offsets):
        try:
            self.consumer.commit(offsets)
        except KafkaError as error:
            emit({"event": "commit_failed", "message": "%s: %s" % (type(error).__name__, error)})

    def report_ready(self):
        try:
            assigned = sorted(self.consumer.assignment(), key=lambda tp: tp.partition)
            for tp in assigned:
                self.consumer.position(tp)
        except KafkaError as error:
            emit({"event": "error", "message": "position(): %s" % error})
            return
        if self.awaiting_ready:
            self.awaiting_ready = False
            emit({"event": "ready", "partitions": [tp.partition for tp in assigned]})

    def run(self):
        self.consumer.subscribe([self.args.topic], listener=Listener(self))
        reason = None
        while reason is None:
            batches = self.consumer.poll(timeout_ms=100)
            self.process(batches)
            if self.awaiting_ready:
                self.report_ready()
            reason = self.stop.reason()
        self.consumer.close(autocommit=self.args.commit == "auto")
        emit({"event": "closed", "reason": reason, "consumed": self.stop.consumed})

    def process(self, batches):
        next_offsets = {}
        for tp, records in sorted(batches.items(), key=lambda item: item[0].partition):
            for index, r in enumerate(records):
                if self.stop.count_reached():
                    # Rewind to the first record not printed, so a closing
                    # auto-commit covers exactly what was consumed.
                    self.consumer.seek(tp, r.offset)
                    break
                emit(record_event(r.partition, r.offset, r.key, r.value))
                self.stop.record_consumed()
                if self.args.commit == "record":
                    self.commit({tp: OffsetAndMetadata(r.offset + 1, None)})
                next_offsets[tp] = r.offset + 1
        if self.args.commit == "batch" and next_offsets:
            self.commit({tp: OffsetAndMetadata(o, None) for tp, o in next_offsets.items()})


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    args = parse_args(__doc__)
    if args.instance_id:
        fail("kafka-python 2.0.2 has no static membership (group.instance.id)", code=2)
    Member(args).run()


if __name__ == "__main__":
    main()
