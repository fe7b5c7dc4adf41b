// Child process for streaming crash tests: runs one query (Delta source -> Delta sink) with availableNow.
// Usage: node --import tsx test/streaming/runner_worker.ts <sourceUri> <sinkUri> <checkpoint> <queryId> <maxFiles> [pause]
// Prints one JSON line per batch ({batchId, rows, skipped}), then "done"; errors go to stderr with exit code 1.
// `pause` = <latestOffset|getBatch>:<n>: on the n-th call (1-based) of that source method, print "paused <method>"
// and wait for a line on stdin before making it. latestOffset:n+1 stops between batches once n batches have
// committed; getBatch:n+1 stops inside batch n, after its offsets are logged and before the sink commit.
import { createInterface } from 'node:readline';
import { DeltaSource } from '../../src/streaming/source.js';
import { DeltaSink } from '../../src/streaming/sink.js';
import { runStream } from '../../src/streaming/runner.js';

const [sourceUri, sinkUri, checkpoint, queryId, maxFiles, pause] = process.argv.slice(2);
const source = new DeltaSource(sourceUri!, { startingVersion: 0, maxFilesPerTrigger: Number(maxFiles ?? '1') });
if (pause) {
  const [method, at] = pause.split(':') as ['latestOffset' | 'getBatch', string];
  const original = source[method].bind(source) as (...a: unknown[]) => Promise<unknown>;
  let calls = 0;
  (source as unknown as Record<string, unknown>)[method] = async (...a: unknown[]): Promise<unknown> => {
    if (++calls === Number(at)) {
      const lines = createInterface({ input: process.stdin });
      const resumed = new Promise<void>((resolve) => lines.once('line', () => resolve()));
      process.stdout.write(`paused ${method}\n`);
      await resumed;
      lines.close();
    }
    return original(...a);
  };
}
try {
  const res = await runStream({
    source,
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
