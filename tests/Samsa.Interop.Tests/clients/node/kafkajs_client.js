#!/usr/bin/env node
// Interop driver built on KafkaJS 2.2.4.
//
// Subcommands (same arguments as the Python drivers):
//   create-topic --bootstrap B --topic T --partitions N [--timeout S]
//   metadata     --bootstrap B --topic T [--timeout S]
//   produce      --bootstrap B --topic T --input FILE [--timeout S]
//   consume      --bootstrap B --topic T --partitions N --count N [--timeout S]
// Prints one JSON document on stdout; KafkaJS logs go to stderr.
// KafkaJS has no group-less consumer: `consume` joins a throwaway consumer
// group and so needs a broker with the group APIs.
'use strict';

const fs = require('fs');

let kafkajs;
try {
  kafkajs = require('kafkajs');
} catch (error) {
  process.stderr.write(`kafkajs cannot be loaded from ${__dirname} (${error.message}). ` +
    `Run 'npm ci' in ${__dirname}.\n`);
  process.exit(3);
}
const { Kafka, logLevel } = kafkajs;

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const options = { timeout: 30 };
  for (let i = 0; i < rest.length; i += 2) {
    if (!rest[i].startsWith('--') || i + 1 >= rest.length) {
      fail(`bad argument list: ${argv.join(' ')}`, 2);
    }
    options[rest[i].slice(2)] = rest[i + 1];
  }
  options.timeout = Number(options.timeout);
  return { command, options };
}

function fail(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

// Resolves once the document is handed to the OS: process.exit() would
// otherwise cut a long write to a pipe short.
function emit(document) {
  return new Promise((resolve) => process.stdout.write(`${JSON.stringify(document)}\n`, resolve));
}

function stderrLogCreator() {
  return ({ namespace, level, label, log }) => {
    const { message, ...extra } = log;
    process.stderr.write(`[kafkajs ${label}] ${namespace}: ${message} ${JSON.stringify(extra)}\n`);
  };
}

function client(options) {
  return new Kafka({
    clientId: 'samsa-interop-kafkajs',
    brokers: [options.bootstrap],
    connectionTimeout: 5000,
    requestTimeout: options.timeout * 1000,
    retry: { retries: 5, initialRetryTime: 100 },
    logLevel: logLevel.WARN,
    logCreator: stderrLogCreator,
  });
}

function text(buffer) {
  return buffer === null || buffer === undefined ? null : buffer.toString('utf8');
}

function headersToJson(headers) {
  const pairs = [];
  for (const [key, value] of Object.entries(headers || {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) pairs.push([key, text(v)]);
  }
  return pairs;
}

function headersFromJson(pairs) {
  const headers = {};
  for (const [key, value] of pairs || []) {
    const v = value === null ? null : Buffer.from(value, 'utf8');
    if (!(key in headers)) headers[key] = v;
    else if (Array.isArray(headers[key])) headers[key].push(v);
    else headers[key] = [headers[key], v];
  }
  return headers;
}

async function createTopic(options) {
  const admin = client(options).admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic: options.topic, numPartitions: Number(options.partitions), replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: options.timeout * 1000,
    });
    if (!created) fail(`createTopics answered that ${options.topic} already exists`);
  } finally {
    await admin.disconnect();
  }
  await emit({ topic: options.topic, created: true });
}

async function metadata(options) {
  const admin = client(options).admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    const { topics } = await admin.fetchTopicMetadata({ topics: [options.topic] });
    const topic = topics.find((t) => t.name === options.topic);
    if (!topic) fail(`metadata has no entry for topic ${options.topic}: ${JSON.stringify(topics)}`);
    await emit({
      topic: options.topic,
      error: 0,
      controller: cluster.controller,
      brokers: cluster.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port })),
      partitions: [...topic.partitions]
        .sort((a, b) => a.partitionId - b.partitionId)
        .map((p) => ({
          partition: p.partitionId,
          leader: p.leader,
          replicas: p.replicas,
          isr: p.isr,
          error: p.partitionErrorCode,
        })),
    });
  } finally {
    await admin.disconnect();
  }
}

// Sends the records in slices so every partition receives several batches;
// each slice waits for acks=-1 before the next one goes out.
async function produce(options) {
  const records = JSON.parse(fs.readFileSync(options.input, 'utf8'));
  const producer = client(options).producer({ allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: 1 });
  await producer.connect();
  const deliveries = new Array(records.length).fill(null);
  const slice = 16;
  try {
    for (let start = 0; start < records.length; start += slice) {
      const chunk = records.slice(start, start + slice);
      const results = await producer.send({
        topic: options.topic,
        acks: -1,
        timeout: options.timeout * 1000,
        messages: chunk.map((r) => ({
          partition: r.partition,
          key: r.key === null ? null : Buffer.from(r.key, 'utf8'),
          value: r.value === null ? null : Buffer.from(r.value, 'utf8'),
          headers: headersFromJson(r.headers),
          timestamp: String(r.timestamp),
        })),
      });
      const base = new Map();
      for (const result of results) {
        if (result.errorCode !== 0) fail(`produce to partition ${result.partition} answered error ${result.errorCode}`);
        base.set(result.partition, BigInt(result.baseOffset));
      }
      // Within one request the records of a partition get consecutive offsets in send order.
      const seen = new Map();
      chunk.forEach((r, i) => {
        if (!base.has(r.partition)) fail(`no produce result for partition ${r.partition}: ${JSON.stringify(results)}`);
        const n = seen.get(r.partition) || 0n;
        seen.set(r.partition, n + 1n);
        deliveries[start + i] = { partition: r.partition, offset: Number(base.get(r.partition) + n) };
      });
    }
  } finally {
    await producer.disconnect();
  }
  await emit({ deliveries });
}

// KafkaJS has no manual assignment: the consumer joins a throwaway group,
// commits nothing, and reads until it has passed every partition's end
// offset (taken before it starts) and holds at least --count records.
async function consume(options) {
  const count = Number(options.count);
  const kafka = client(options);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map();
  try {
    for (const { partition, high } of await admin.fetchTopicOffsets(options.topic)) {
      ends.set(partition, BigInt(high));
    }
  } finally {
    await admin.disconnect();
  }
  const next = new Map();
  const atEnd = () => [...ends].every(([p, high]) => (next.get(p) || 0n) >= high);
  const records = [];
  const errors = [];
  const consumer = kafka.consumer({ groupId: `samsa-interop-${options.topic}-${process.pid}-${Date.now()}` });
  consumer.on(consumer.events.CRASH, ({ payload }) => errors.push(`consumer crashed: ${payload.error}`));
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      records.push({
        partition,
        offset: Number(message.offset),
        key: text(message.key),
        value: text(message.value),
        headers: headersToJson(message.headers),
        timestamp: Number(message.timestamp),
        timestamp_type: null,
      });
      next.set(partition, BigInt(message.offset) + 1n);
      if (records.length >= count && atEnd()) done();
    },
  });
  if (count === 0 && atEnd()) done();
  const timer = setTimeout(done, options.timeout * 1000);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  await emit({
    records,
    complete: records.length >= count && atEnd(),
    errors,
    end_offsets: Object.fromEntries([...ends].map(([p, high]) => [p, high.toString()])),
  });
}

async function main() {
  const { command, options } = parseArgs(process.argv.slice(2));
  const commands = { 'create-topic': createTopic, metadata, produce, consume };
  if (!commands[command]) fail(`unknown command ${command}`, 2);
  await commands[command](options);
}

main().then(() => process.exit(0), (error) => fail(`kafkajs ${process.argv[2]} failed: ${error.stack || error}`));
