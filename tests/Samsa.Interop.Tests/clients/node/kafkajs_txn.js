#!/usr/bin/env node
// KafkaJS 2.2.4 transactions, one scenario:
//   node kafkajs_txn.js --bootstrap B --topic T --source S --group G --transactional-id X [--timeout S]
// 1. a transaction sends 6 records to T (partitions 0, 1, 2), sends offsets {S/0: 5, S/1: 3} for group G
//    (sendOffsets: AddOffsetsToTxn + TxnOffsetCommit) and commits;
// 2. a transaction sends 4 records, sends offsets {S/0: 9, S/2: 7} and aborts;
// 3. a transaction sends 3 records and commits.
// Then a KafkaJS consumer (read_committed is its default isolation level) in a fresh group reads T until it has
// read the last record of transaction 3 in every partition (anything aborted lies before those), and the admin
// client fetches G's committed offsets for S.
// Prints one JSON document: {"transactions": [{number, kind, records: [[partition, offset, key, value]]}],
// "consumed": [[partition, offset, key, value]], "group_offsets": {partition: offset}, "errors": [...]}.
'use strict';

const { fail, loadKafkajs, parseOptions, emit, text } = require('./driver_common');

const { Kafka, logLevel } = loadKafkajs();

function parseArgs(argv) {
  const options = parseOptions(argv, { timeout: '30' }, ['bootstrap', 'topic', 'source', 'group', 'transactional-id']);
  options.timeout = Number(options.timeout);
  return options;
}

// One transaction's send: the records with the offsets the broker gave them. Within one produce request the
// records of a partition get consecutive offsets from the partition's base offset, in send order.
async function send(transaction, topic, number, kind, count) {
  const messages = [];
  for (let j = 0; j < count; j++) {
    messages.push({ partition: j % 3, key: `t${number}`, value: `t${number}-${kind}-${j}` });
  }
  const results = await transaction.send({ topic, acks: -1, messages });
  const base = new Map();
  for (const result of results) {
    if (result.errorCode !== 0) throw new Error(`produce to partition ${result.partition} answered error ${result.errorCode}`);
    base.set(result.partition, BigInt(result.baseOffset));
  }
  const seen = new Map();
  return messages.map((m) => {
    if (!base.has(m.partition)) throw new Error(`no produce result for partition ${m.partition}: ${JSON.stringify(results)}`);
    const n = seen.get(m.partition) || 0n;
    seen.set(m.partition, n + 1n);
    return [m.partition, Number(base.get(m.partition) + n), m.key, m.value];
  });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const kafka = new Kafka({
    clientId: 'samsa-interop-kafkajs-txn',
    brokers: [options.bootstrap],
    connectionTimeout: 5000,
    requestTimeout: options.timeout * 1000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, label, log }) => {
      const { message, ...extra } = log;
      process.stderr.write(`[kafkajs ${label}] ${namespace}: ${message} ${JSON.stringify(extra)}\n`);
    },
  });
  const errors = [];
  const transactions = [];

  const producer = kafka.producer({
    transactionalId: options['transactional-id'],
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    let txn = await producer.transaction();
    transactions.push({ number: 0, kind: 'commit', records: await send(txn, options.topic, 0, 'commit', 6) });
    await txn.sendOffsets({
      consumerGroupId: options.group,
      topics: [{ topic: options.source, partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '3' }] }],
    });
    await txn.commit();

    txn = await producer.transaction();
    transactions.push({ number: 1, kind: 'abort', records: await send(txn, options.topic, 1, 'abort', 4) });
    await txn.sendOffsets({
      consumerGroupId: options.group,
      topics: [{ topic: options.source, partitions: [{ partition: 0, offset: '9' }, { partition: 2, offset: '7' }] }],
    });
    await txn.abort();

    txn = await producer.transaction();
    transactions.push({ number: 2, kind: 'commit', records: await send(txn, options.topic, 2, 'commit', 3) });
    await txn.commit();
  } finally {
    await producer.disconnect();
  }

  // The last committed record of each partition: the consumer has read everything visible once it passed them.
  const last = new Map();
  for (const [partition, offset] of transactions[2].records) last.set(partition, BigInt(offset));
  const consumed = [];
  const consumer = kafka.consumer({ groupId: `${options.group}-reader-${process.pid}`, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.CRASH, ({ payload }) => errors.push(`consumer crashed: ${payload.error}`));
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
  const next = new Map();
  const passed = () => [...last].every(([p, offset]) => (next.get(p) || 0n) > offset);
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      consumed.push([partition, Number(message.offset), text(message.key), text(message.value)]);
      next.set(partition, BigInt(message.offset) + 1n);
      if (passed()) done();
    },
  });
  const timer = setTimeout(() => { errors.push(`the consumer did not pass the last committed records within ${options.timeout} s`); done(); },
    options.timeout * 1000);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();

  const admin = kafka.admin();
  await admin.connect();
  const groupOffsets = {};
  try {
    const fetched = await admin.fetchOffsets({ groupId: options.group, topics: [options.source] });
    for (const topic of fetched) {
      for (const p of topic.partitions) groupOffsets[p.partition] = Number(p.offset);
    }
  } finally {
    await admin.disconnect();
  }
  await emit({ transactions, consumed, group_offsets: groupOffsets, errors });
}

main().then(() => process.exit(0), (error) => fail(`kafkajs_txn failed: ${error.stack || error}`));
