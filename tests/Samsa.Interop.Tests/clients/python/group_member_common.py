"""Shared plumbing for the long-running consumer-group member drivers.

A member subscribes to one topic in one group and prints one JSON line per
event on stdout, flushed at once so the test reads them live:

  {"event": "assigned", "partitions": [0, 3]}       after each (re)assignment
  {"event": "revoked", "partitions": [0, 3]}        before a rebalance takes them
  {"event": "ready", "partitions": [0, 3]}          once every assigned partition
                                                    has a fetch position (offset
                                                    reset or committed offset resolved)
  {"event": "record", "partition": 0, "offset": 7, "key": "k", "value": "v"}
  {"event": "commit_failed", "message": "..."}      a manual commit the broker refused
  {"event": "error", "message": "..."}              any other error the client reported
  {"event": "closed", "reason": "...", "consumed": N}
                                                    after the consumer closed (LeaveGroup)

It stops cleanly (closing the consumer) on SIGTERM, after --expect records,
after --idle-exit-ms without a record, or at --max-seconds. In the manual
commit modes a record is printed before its offset is committed; in "record"
mode each commit is synchronous and finishes before the next record is read.
"""

import argparse
import json
import signal
import sys
import time

COMMIT_MODES = ("auto", "record", "batch", "none")


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--offset-reset", choices=("earliest", "latest"), default="earliest")
    parser.add_argument("--commit", choices=COMMIT_MODES, default="auto",
                        help="auto: the client's auto-commit; record: synchronous commit after each "
                             "record; batch: synchronous commit after each batch; none: never commit")
    parser.add_argument("--session-timeout-ms", type=int, default=6000)
    parser.add_argument("--heartbeat-ms", type=int, default=500)
    parser.add_argument("--auto-commit-interval-ms", type=int, default=200)
    parser.add_argument("--instance-id", default=None, help="group.instance.id (static membership)")
    parser.add_argument("--expect", type=int, default=0, help="stop after this many records (0: no limit)")
    parser.add_argument("--idle-exit-ms", type=int, default=0,
                        help="stop after this long without a record (0: never)")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="stop after this long in any case")
    return parser.parse_args()


def emit(document):
    sys.stdout.write(json.dumps(document, ensure_ascii=True))
    sys.stdout.write("\n")
    sys.stdout.flush()


def decode(data):
    if data is None:
        return None
    if isinstance(data, str):
        return data
    return bytes(data).decode("utf-8", errors="backslashreplace")


def fail(message, code=1):
    sys.stderr.write(message.rstrip() + "\n")
    sys.stderr.flush()
    sys.exit(code)


class StopCondition:
    """Decides when the member loop ends; SIGTERM only sets a flag the loop checks."""

    def __init__(self, args):
        self._expect = args.expect
        self._idle = args.idle_exit_ms / 1000.0
        self._deadline = time.monotonic() + args.max_seconds
        self._last_activity = time.monotonic()
        self._terminated = False
        self.consumed = 0
        signal.signal(signal.SIGTERM, self._on_sigterm)

    def _on_sigterm(self, signum, frame):
        self._terminated = True

    def record_consumed(self):
        self.consumed += 1
        self._last_activity = time.monotonic()

    def count_reached(self):
        return 0 < self._expect <= self.consumed

    def reason(self):
        """Why the loop must stop now, or None to go on."""
        if self._terminated:
            return "sigterm"
        if self.count_reached():
            return "count"
        now = time.monotonic()
        if self._idle > 0 and now - self._last_activity >= self._idle:
            return "idle"
        if now >= self._deadline:
            return "deadline"
        return None


def record_event(partition, offset, key, value):
    return {"event": "record", "partition": partition, "offset": offset,
            "key": decode(key), "value": decode(value)}
