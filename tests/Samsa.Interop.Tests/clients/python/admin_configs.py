#!/usr/bin/python3
"""Topic configs and partitions through confluent-kafka-python's AdminClient (librdkafka).

Usage: admin_configs.py --bootstrap B --topic T
  Creates topic T (2 partitions, retention.ms=100000), then in order: describe_configs of T,
  alter_configs of T (retention.ms=200000, cleanup.policy=compact: AlterConfigs replaces the
  whole override set), describe_configs again, alter_configs with segment.bytes=10 (invalid),
  create_partitions to 4, create_partitions to 3 (not an increase), describe_configs of broker
  "0" and of a missing topic. Prints one JSON document with what each step saw:
  describe steps map a few keys to {value, source, read_only, default, sensitive}; the other
  steps give "ok" or the error name (INVALID_CONFIG, ...); "partitions" is the partition count
  list_topics reports after growing.
"""

import argparse
import sys

from interop_common import emit, fail

KEYS = ["retention.ms", "cleanup.policy", "segment.bytes"]
BROKER_KEYS = ["log.retention.ms", "num.partitions"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    try:
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic
    except ImportError as error:
        fail("confluent-kafka-python cannot be imported by %s (%s). Install it with "
             "'apt-get install -y python3-confluent-kafka' and run this script with /usr/bin/python3."
             % (sys.executable, error), code=3)

    admin = AdminClient({
        "bootstrap.servers": args.bootstrap,
        "client.id": "samsa-interop-admin-configs",
        "socket.timeout.ms": 30000,
        "broker.address.family": "v4",
    })
    timeout = args.timeout

    def outcome(future):
        try:
            future.result(timeout=timeout)
            return "ok"
        except KafkaException as error:
            return error.args[0].name()

    def describe(resource, keys):
        future = admin.describe_configs([resource], request_timeout=timeout)[resource]
        try:
            entries = future.result(timeout=timeout)
        except KafkaException as error:
            return error.args[0].name()
        seen = {"count": len(entries)}
        for key in keys:
            entry = entries.get(key)
            if entry is None:
                seen[key] = None
                continue
            source = entry.source
            seen[key] = {
                "value": entry.value,
                "source": getattr(source, "name", str(source)),
                "read_only": entry.is_read_only,
                "default": entry.is_default,
                "sensitive": entry.is_sensitive,
            }
        return seen

    topic_resource = ConfigResource("topic", args.topic)
    steps = {}
    created = admin.create_topics(
        [NewTopic(args.topic, num_partitions=2, replication_factor=1, config={"retention.ms": "100000"})],
        operation_timeout=timeout, request_timeout=timeout)
    steps["create"] = outcome(created[args.topic])
    steps["describe"] = describe(topic_resource, KEYS)

    altered = ConfigResource("topic", args.topic, set_config={"retention.ms": "200000", "cleanup.policy": "compact"})
    steps["alter"] = outcome(admin.alter_configs([altered], request_timeout=timeout)[altered])
    steps["describe_after_alter"] = describe(topic_resource, KEYS)

    invalid = ConfigResource("topic", args.topic, set_config={"segment.bytes": "10"})
    steps["alter_invalid"] = outcome(admin.alter_configs([invalid], request_timeout=timeout)[invalid])
    steps["describe_after_invalid"] = describe(topic_resource, ["segment.bytes", "retention.ms"])

    grow = admin.create_partitions([NewPartitions(args.topic, 4)], operation_timeout=timeout, request_timeout=timeout)
    steps["grow"] = outcome(grow[args.topic])
    metadata = admin.list_topics(topic=args.topic, timeout=timeout)
    steps["partitions"] = len(metadata.topics[args.topic].partitions)
    shrink = admin.create_partitions([NewPartitions(args.topic, 3)], operation_timeout=timeout, request_timeout=timeout)
    steps["shrink"] = outcome(shrink[args.topic])

    steps["describe_broker"] = describe(ConfigResource("broker", "0"), BROKER_KEYS)
    steps["describe_missing"] = describe(ConfigResource("topic", args.topic + "-missing"), KEYS)
    emit(steps)


if __name__ == "__main__":
    main()
