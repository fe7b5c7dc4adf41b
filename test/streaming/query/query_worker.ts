// Child process for streaming-query crash tests: runs the tumbling-window query (bronze -> silver, append mode)
// with availableNow. Usage: node --import tsx query_worker.ts <bronze> <silver> <checkpoint> (the test bundles it)
// Prints one JSON line per batch, then "done"; errors go to stderr with exit code 1.
import { DeltaTable, tumblingWindow } from '../../../src/index.js';
import { sensorQuery } from './helpers.js';

const [bronzeUri, silverUri, checkpoint] = process.argv.slice(2);
try {
  const bronze = await DeltaTable.open(bronzeUri!);
  const res = await sensorQuery(bronze, tumblingWindow('ts', '10 seconds'))
    .writeTo(silverUri!, {
      checkpointLocation: checkpoint!,
      outputMode: 'append',
      trigger: { availableNow: true },
      onProgress: (p) => process.stdout.write(JSON.stringify({ batchId: p.batchId, rows: p.numOutputRows, recovered: p.recovered, noData: p.noData }) + '\n'),
    });
  process.stdout.write(`done ${res.batches}\n`);
} catch (e) {
  process.stderr.write(`${(e as Error).name}: ${(e as Error).message}\n`);
  process.exit(1);
}
