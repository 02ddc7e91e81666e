// Compression interop driver for KafkaJS 2.2.4, which has gzip built in (snappy, lz4 and zstd need codec
// packages that are not installed here).
//   produce <bootstrap> <topic> <codec: none|gzip> <prefix> <count>   sends to partition 0, prints {"produced": n}
//   consume <bootstrap> <topic> <count>                               reads partition 0 from the beginning with a
//                                                                     consumer group, prints {"records": [...]}
const { Kafka, CompressionTypes, logLevel } = require('kafkajs');

const valueOf = (prefix, i) => `${prefix}-${i}-` + `lorem ipsum dolor sit amet ${i % 7} `.repeat(6);

async function produce([bootstrap, topic, codec, prefix, count]) {
  const kafka = new Kafka({ clientId: 'samsa-compression', brokers: [bootstrap], logLevel: logLevel.ERROR });
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let i = 0; i < Number(count); i++) {
    messages.push({ key: `k${i}`, value: valueOf(prefix, i), partition: 0, headers: { codec }, timestamp: String(1700000000000 + i) });
  }
  await producer.send({ topic, acks: -1, compression: codec === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None, messages });
  await producer.disconnect();
  console.log(JSON.stringify({ produced: messages.length }));
}

async function consume([bootstrap, topic, count]) {
  const kafka = new Kafka({ clientId: 'samsa-compression', brokers: [bootstrap], logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: `compression-${topic}-${process.pid}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const records = [];
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${records.length} records after 60 s`)), 60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        records.push({
          offset: Number(message.offset), key: message.key.toString(), value: message.value.toString(),
          headers: Object.entries(message.headers).map(([k, v]) => [k, v.toString()]), timestamp: Number(message.timestamp),
        });
        if (records.length >= Number(count)) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await done;
  await consumer.disconnect();
  console.log(JSON.stringify({ records }));
}

const [command, ...rest] = process.argv.slice(2);
(command === 'produce' ? produce(rest) : consume(rest)).catch(e => { console.error(e.stack || String(e)); process.exit(1); });
