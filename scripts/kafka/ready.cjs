// Exit 0 if a Kafka broker answers a metadata request at the address given (host:port), else 1.
// Used by scripts/kafka-broker.sh to wait for the broker and to stay idempotent.
const { Kafka, logLevel } = require('kafkajs');

const broker = process.argv[2] ?? '127.0.0.1:9092';
const admin = new Kafka({
  clientId: 'postledger-broker-script',
  brokers: [broker],
  connectionTimeout: 1000,
  requestTimeout: 3000,
  retry: { retries: 0 },
  logLevel: logLevel.NOTHING,
}).admin();

admin
  .connect()
  .then(() => admin.describeCluster())
  .then(
    () => admin.disconnect().then(() => process.exit(0)),
    () => admin.disconnect().finally(() => process.exit(1)),
  );
