// Child process for concurrency tests: appends N single-row commits {writer, seq} to a table.
// Usage: node --import tsx test/helpers/append_worker.ts <uri> <writerId> <count> [storageOptionsJson]
import { DeltaTable } from '../../src/index.js';

const [uri, writer, count, opts] = process.argv.slice(2);
const storageOptions = opts ? JSON.parse(opts) : undefined;
const table = await DeltaTable.open(uri, { storageOptions });
for (let seq = 0; seq < Number(count); seq++) {
  await table.append([{ writer: Number(writer), seq: BigInt(seq), payload: `w${writer}-s${seq}` }]);
  if (process.env.DELTATS_WORKER_PROGRESS) process.stdout.write(`committed ${seq}\n`);
}
