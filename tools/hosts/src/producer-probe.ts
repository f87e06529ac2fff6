/**
 * Investigation (issue 17): does an outbox-style relay (send a batch, wait for acks=all with a
 * timeout, send everything unacknowledged again) lose events on the three-node cluster while
 * one node is cut off? Idempotent or not (argv[2] = 'idempotent' | 'plain').
 *   node -r ./tools/register.cjs tools/hosts/src/producer-probe.ts idempotent|plain [checked]
 * (as root, with `npm run hosts -- up` done). 'checked' does what apps/api's outbox publisher
 * does: chooses each message's partition before the send and fails a send whose
 * acknowledgements miss one. Each variant's latest run lands in
 * tools/lab/results/kafka-partition-probe.json.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gitState, machineDescription } from '@tenk/lab';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { unacknowledged } from '@tenk/messaging';
import { hostsConfig } from './hosts-env';
import { heal, partition } from './network';
import { host } from './topology';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const idempotent = process.argv[2] === 'idempotent';
  // 'checked': partitions chosen before the send, and a send whose acknowledgements miss one fails (apps/api's outbox publisher).
  const checked = process.argv[3] === 'checked';
  const config = hostsConfig();
  const kafka = new Kafka({ clientId: 'probe', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const topic = `probe-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 6, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
    waitForLeaders: true,
  });
  await sleep(2_000);
  const producer = kafka.producer({ idempotent, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const choose = Partitioners.DefaultPartitioner();
  const meta = Array.from({ length: 6 }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [], isr: [], partitionErrorCode: 0 }));
  const partitionOf = (key: string) => choose({ topic, partitionMetadata: meta, message: { key, value: null } });
  const pending: string[] = [];
  const acked = new Set<string>();
  const where = new Map<string, string>();
  let cutAt = 0;
  let healedAt = 0;
  let sending = true;
  let rounds = 0;
  let failures = 0;
  const relay = (async () => {
    while (sending || pending.length > 0) {
      const batch = pending.slice(0, 50);
      if (batch.length === 0) {
        await sleep(50);
        continue;
      }
      rounds += 1;
      try {
        const sentAt = Date.now();
        const metadata = await Promise.race([
          producer
            .sendBatch({
              acks: -1,
              topicMessages: [
                {
                  topic,
                  messages: batch.map((id) => ({
                    key: id.slice(0, 4),
                    value: id,
                    ...(checked ? { partition: partitionOf(id.slice(0, 4)) } : {}),
                  })),
                },
              ],
            })
            .then((result) => {
              const missing = checked
                ? unacknowledged(
                    batch.map((id) => ({ topic, partition: partitionOf(id.slice(0, 4)) })),
                    result,
                  )
                : [];
              if (missing.length > 0) throw new Error(`unacknowledged ${missing.join(' ')}`);
              return result;
            }),
          sleep(10_000).then(() => {
            throw new Error('timeout');
          }),
        ]);
        for (const id of batch) {
          acked.add(id);
          where.set(id, `sent ${sentAt - cutAt} ms after cut, acked ${Date.now() - cutAt} ms; ${JSON.stringify(metadata)}`);
        }
        pending.splice(0, batch.length);
      } catch {
        failures += 1;
        await sleep(500);
      }
    }
  })();
  const feeder = setInterval(() => pending.push(randomUUID()), 50);
  await sleep(3_000);
  cutAt = Date.now();
  await partition(host('kafka-2'));
  await sleep(15_000);
  await heal(host('kafka-2'));
  healedAt = Date.now() - cutAt;
  await sleep(5_000);
  clearInterval(feeder);
  sending = false;
  await relay;
  // Read everything back.
  const consumer = kafka.consumer({ groupId: `probe-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Map<string, number>();
  await consumer.run({
    eachMessage: async ({ message }) => void seen.set(String(message.value), (seen.get(String(message.value)) ?? 0) + 1),
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && [...acked].some((id) => !seen.has(id))) await sleep(500);
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  const lostIds = [...acked].filter((id) => !seen.has(id));
  const lost = lostIds.length;
  console.log(`healed at ${healedAt} ms after the cut`);
  for (const id of lostIds.slice(0, 20)) console.log(`lost ${id}: ${where.get(id)}`);
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  const result = {
    idempotent,
    checked,
    acked: acked.size,
    lost,
    duplicated,
    rounds,
    failed_rounds: failures,
    cut_ms: healedAt,
    at: new Date().toISOString(),
  };
  console.log(JSON.stringify(result));
  // tools/lab/results/kafka-partition-probe.json: one entry per variant, the latest run's.
  const file = path.resolve(__dirname, '../../lab/results/kafka-partition-probe.json');
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { runs: Record<string, unknown> }) : { runs: {} };
  previous.runs[`${idempotent ? 'idempotent' : 'plain'}-${checked ? 'checked' : 'unchecked'}`] = result;
  writeFileSync(file, `${JSON.stringify({ ...previous, run: { ...gitState(), machine: machineDescription() } }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
