// Child process for concurrency tests: appends N single-row commits {writer, seq} to a table.
// Usage: node --import tsx test/helpers/append_worker.ts <uri> <writerId> <count> [storageOptionsJson]
// DELTATS_WORKER_PROGRESS=1 prints "committed <seq> <version> <retries>" per commit; DELTATS_WORKER_CLOCK_SKEW_MS
// shifts this process's wall clock (Date.now) by that many ms, as a host with a wrong clock would.
import { DeltaTable } from '../../src/index.js';

const skew = Number(process.env.DELTATS_WORKER_CLOCK_SKEW_MS ?? 0);
if (skew) {
  const now = Date.now.bind(Date);
  Date.now = () => now() + skew;
}
const [uri, writer, count, opts] = process.argv.slice(2);
const storageOptions = opts ? JSON.parse(opts) : undefined;
const table = await DeltaTable.open(uri, { storageOptions });
for (let seq = 0; seq < Number(count); seq++) {
  const res = await table.append([{ writer: Number(writer), seq: BigInt(seq), payload: `w${writer}-s${seq}` }]);
  if (process.env.DELTATS_WORKER_PROGRESS) process.stdout.write(`committed ${seq} ${res.version} ${res.retries}\n`);
}
