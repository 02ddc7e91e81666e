#!/usr/bin/env node
// Consumer-group member built on KafkaJS 2.2.4; the same arguments and JSON
// lines as clients/python/group_member_common.py:
//   --bootstrap B --topic T --group G --client-id C
//   [--offset-reset earliest|latest] [--commit auto|record|batch|none]
//   [--session-timeout-ms N] [--heartbeat-ms N] [--auto-commit-interval-ms N]
//   [--expect N] [--idle-exit-ms N] [--max-seconds S]
// KafkaJS 2.2.4 has no static membership, so --instance-id is refused.
// Records are handled in eachBatch with offsets resolved one by one, so an
// auto-commit (KafkaJS commits resolved offsets after each batch) never covers
// a record that was not printed. "ready" is printed after the first fetch that
// starts after a join: KafkaJS resolves every assigned partition's offset
// before it sends a fetch.
'use strict';

const { fail, loadKafkajs, parseOptions, emit, text } = require('./driver_common');

const { Kafka, logLevel } = loadKafkajs();

const DEFAULTS = {
  'offset-reset': 'earliest',
  commit: 'auto',
  'session-timeout-ms': '6000',
  'heartbeat-ms': '500',
  'auto-commit-interval-ms': '200',
  expect: '0',
  'idle-exit-ms': '0',
  'max-seconds': '120',
};
const REQUIRED = ['bootstrap', 'topic', 'group', 'client-id'];

function parseArgs(argv) {
  const options = parseOptions(argv, DEFAULTS, REQUIRED);
  if (!['auto', 'record', 'batch', 'none'].includes(options.commit)) fail(`bad --commit ${options.commit}`, 2);
  if (!['earliest', 'latest'].includes(options['offset-reset'])) fail(`bad --offset-reset ${options['offset-reset']}`, 2);
  if (options['instance-id']) fail('KafkaJS 2.2.4 has no static membership (group.instance.id)', 2);
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const topic = options.topic;
  const mode = options.commit;
  const expect = Number(options.expect);
  const idleMs = Number(options['idle-exit-ms']);
  const deadline = Date.now() + Number(options['max-seconds']) * 1000;

  const kafka = new Kafka({
    clientId: options['client-id'],
    brokers: [options.bootstrap],
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, label, log }) => {
      const { message, ...extra } = log;
      process.stderr.write(`[kafkajs ${label}] ${namespace}: ${message} ${JSON.stringify(extra)}\n`);
    },
  });
  const consumer = kafka.consumer({
    groupId: options.group,
    sessionTimeout: Number(options['session-timeout-ms']),
    heartbeatInterval: Number(options['heartbeat-ms']),
    rebalanceTimeout: 30000,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
  });

  let consumed = 0;
  let lastActivity = Date.now();
  let stopping = null;
  let readiness = null; // null, 'joined' (after GROUP_JOIN), 'fetching' (a fetch started after it)
  let assigned = [];

  const { GROUP_JOIN, REBALANCING, FETCH_START, FETCH, CRASH } = consumer.events;
  consumer.on(GROUP_JOIN, ({ payload }) => {
    assigned = [...(payload.memberAssignment[topic] || [])].sort((a, b) => a - b);
    readiness = 'joined';
    emit({ event: 'assigned', partitions: assigned });
  });
  consumer.on(REBALANCING, () => {
    readiness = null;
    emit({ event: 'revoked', partitions: assigned });
    assigned = [];
  });
  consumer.on(FETCH_START, () => {
    if (readiness === 'joined') readiness = 'fetching';
  });
  consumer.on(FETCH, () => {
    if (readiness === 'fetching') {
      readiness = null;
      emit({ event: 'ready', partitions: assigned });
    }
  });
  consumer.on(CRASH, ({ payload }) => emit({ event: 'error', message: `consumer crashed: ${payload.error}` }));

  let finished;
  const done = new Promise((resolve) => { finished = resolve; });
  const shutdown = (reason) => {
    if (stopping) return;
    stopping = reason;
    finished();
  };
  process.on('SIGTERM', () => shutdown('sigterm'));
  const watchdog = setInterval(() => {
    if (idleMs > 0 && Date.now() - lastActivity >= idleMs) shutdown('idle');
    else if (Date.now() >= deadline) shutdown('deadline');
  }, 50);

  const commit = async (partition, nextOffset) => {
    try {
      await consumer.commitOffsets([{ topic, partition, offset: nextOffset.toString() }]);
    } catch (error) {
      emit({ event: 'commit_failed', message: `partition ${partition}: ${error.type || error.name}: ${error.message}` });
    }
  };

  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: options['offset-reset'] === 'earliest' });
  await consumer.run({
    autoCommit: mode === 'auto',
    autoCommitInterval: Number(options['auto-commit-interval-ms']),
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      let next = null;
      for (const message of batch.messages) {
        if (stopping || !isRunning() || isStale()) break;
        emit({ event: 'record', partition: batch.partition, offset: Number(message.offset), key: text(message.key), value: text(message.value) });
        consumed += 1;
        lastActivity = Date.now();
        resolveOffset(message.offset);
        next = BigInt(message.offset) + 1n;
        if (mode === 'record') await commit(batch.partition, next);
        if (expect > 0 && consumed >= expect) {
          shutdown('count');
          break;
        }
      }
      if (mode === 'batch' && next !== null) await commit(batch.partition, next);
      await heartbeat();
    },
  });

  await done;
  clearInterval(watchdog);
  await consumer.disconnect();
  await new Promise((resolve) => process.stdout.write(
    `${JSON.stringify({ event: 'closed', reason: stopping, consumed })}\n`, resolve));
}

main().then(() => process.exit(0), (error) => fail(`group member failed: ${error.stack || error}`));
