// Opens the ObjectStore behind a URI for the streaming module (sources, sinks, checkpoint locations).
// A thin seam over src/storage/registry.ts: no fs / S3 code of its own.
import { openStore } from '../storage/registry.js';
import type { ObjectStore } from '../storage/store.js';

export async function openStreamStore(uri: string, storageOptions?: Record<string, string>): Promise<ObjectStore> {
  return openStore(uri, storageOptions);
}
