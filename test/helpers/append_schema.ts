// The schema of the rows test/helpers/append_worker.ts appends ({writer, seq, payload}): tables that worker
// processes write to are created with it.
import type { StructType } from '../../src/index.js';

export const appendWorkerSchema: StructType = {
  type: 'struct',
  fields: [
    { name: 'writer', type: 'integer', nullable: false, metadata: {} },
    { name: 'seq', type: 'long', nullable: false, metadata: {} },
    { name: 'payload', type: 'string', nullable: true, metadata: {} },
  ],
};
