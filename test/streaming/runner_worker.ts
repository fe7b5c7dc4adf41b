// Child process for streaming crash tests: runs one query (Delta source -> Delta sink) with availableNow.
// Usage: node --import tsx test/streaming/runner_worker.ts <sourceUri> <sinkUri> <checkpoint> <queryId> <maxFiles>
// Prints one JSON line per batch ({batchId, rows, skipped}), then "done"; errors go to stderr with exit code 1.
import { DeltaSource } from '../../src/streaming/source.js';
import { DeltaSink } from '../../src/streaming/sink.js';
import { runStream } from '../../src/streaming/runner.js';

const [sourceUri, sinkUri, checkpoint, queryId, maxFiles] = process.argv.slice(2);
try {
  const res = await runStream({
    source: new DeltaSource(sourceUri!, { startingVersion: 0, maxFilesPerTrigger: Number(maxFiles ?? '1') }),
    sink: new DeltaSink(sinkUri!, { queryId: queryId! }),
    checkpointLocation: checkpoint!,
    trigger: { availableNow: true },
    onProgress: (p) => process.stdout.write(JSON.stringify({ batchId: p.batchId, rows: p.numInputRows, skipped: p.skipped, recovered: p.recovered }) + '\n'),
  });
  process.stdout.write(`done ${res.batches}\n`);
} catch (e) {
  process.stderr.write(`${(e as Error).name}: ${(e as Error).message}\n`);
  process.exit(1);
}
