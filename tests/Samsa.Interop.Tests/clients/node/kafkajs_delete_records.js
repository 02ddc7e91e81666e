#!/usr/bin/env node
// DeleteRecords through KafkaJS 2.2.4's admin.deleteTopicRecords (DeleteRecords v0/v1).
//
//   kafkajs_delete_records.js --bootstrap B --topic T [--timeout S]
//
// Creates T with one partition, produces 10 records, deletes the records before
// offset 4, then tries offset 100 (above the high watermark), then -1 (the high
// watermark), and prints the low/high watermarks seen after each step as one
// JSON document. KafkaJS logs go to stderr.
'use strict';

let kafkajs;
try {
  kafkajs = require('kafkajs');
} catch (error) {
  process.stderr.write(`kafkajs cannot be loaded from ${__dirname} (${error.message}). Run 'npm ci' in ${__dirname}.\n`);
  process.exit(3);
}
const { Kafka, logLevel } = kafkajs;

function parseArgs(argv) {
  const options = { timeout: 30 };
  for (let i = 0; i < argv.length; i += 2) {
    options[argv[i].replace(/^--/, '')] = argv[i + 1];
  }
  options.timeout = Number(options.timeout);
  return options;
}

async function watermarks(admin, topic) {
  const [p] = await admin.fetchTopicOffsets(topic);
  return { low: Number(p.low), high: Number(p.high) };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const kafka = new Kafka({
    clientId: 'samsa-interop-delete-records',
    brokers: [options.bootstrap],
    connectionTimeout: 5000,
    requestTimeout: options.timeout * 1000,
    retry: { retries: 2, initialRetryTime: 100 },
    logLevel: logLevel.ERROR,
    logCreator: () => ({ namespace, label, log }) =>
      process.stderr.write(`[kafkajs ${label}] ${namespace}: ${log.message}\n`),
  });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  const result = {};
  try {
    await admin.createTopics({ topics: [{ topic: options.topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await producer.send({
      topic: options.topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `record-${i}` })),
    });
    result.before = await watermarks(admin, options.topic);

    await admin.deleteTopicRecords({ topic: options.topic, partitions: [{ partition: 0, offset: '4' }] });
    result.afterFour = await watermarks(admin, options.topic);

    try {
      await admin.deleteTopicRecords({ topic: options.topic, partitions: [{ partition: 0, offset: '100' }] });
      result.aboveHighWatermark = 'no error';
    } catch (error) {
      // KafkaJS wraps the per-partition errors (KafkaJSDeleteTopicRecordsError) in its retrier's error.
      let cause = error;
      while (cause && !cause.partitions && cause.cause) cause = cause.cause;
      const partitionErrors = ((cause && cause.partitions) || []).map((p) => p.error && p.error.type);
      result.aboveHighWatermark = partitionErrors.length > 0 ? partitionErrors.join(',') : `${error.name}: ${error.message}`;
    }

    await admin.deleteTopicRecords({ topic: options.topic, partitions: [{ partition: 0, offset: '-1' }] });
    result.afterAll = await watermarks(admin, options.topic);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
  await new Promise((resolve) => process.stdout.write(`${JSON.stringify(result)}\n`, resolve));
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`kafkajs delete-records failed: ${error.stack || error}\n`);
  process.exit(1);
});
