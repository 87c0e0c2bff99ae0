/**
 * A worker thread of `verifyChain` (verify.ts): verifies one range of the chain over a
 * connection of its own (the log and the chain's links in one query) and posts
 * `{ kind: 'progress', checked, position }` after each page, then `{ kind: 'result', result }`.
 * Kept to what that needs (pg, the encoding, the range check), so a worker starts fast.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client, type PoolConfig } from 'pg';
import { postgresChainedLog } from './canonical-log';
import { verifyRange } from './verify-range';

/** What verify.ts hands a worker. Positions are decimal strings: a bigint does not cross threads in every Node. */
export interface VerifyWorkerData {
  connection: PoolConfig;
  after?: string;
  to: string;
  startLink: string;
  pageSize: number;
}

async function connect(connection: PoolConfig): Promise<Client> {
  const client = new Client(connection);
  await client.connect();
  // timestamps in UTC take the encoder's fast path (any zone gives the same encoding)
  await client.query("set time zone 'UTC'");
  return client;
}

async function run(data: VerifyWorkerData): Promise<void> {
  const client = await connect(data.connection);
  try {
    const result = await verifyRange(
      postgresChainedLog(client),
      client,
      { after: data.after === undefined ? undefined : BigInt(data.after), to: BigInt(data.to), startLink: data.startLink },
      { pageSize: data.pageSize, onProgress: (checked, position) => parentPort!.postMessage({ kind: 'progress', checked, position: position.toString() }) },
    );
    parentPort!.postMessage({ kind: 'result', result });
  } finally {
    await client.end();
  }
}

void run(workerData as VerifyWorkerData).catch((error: unknown) => {
  // thrown from here it reaches the parent as the worker's 'error' event
  setImmediate(() => {
    throw error;
  });
});
