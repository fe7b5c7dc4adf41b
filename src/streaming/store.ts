// Opens the ObjectStore behind a URI for the streaming module (sources, sinks, checkpoint locations).
// A thin seam over the storage layer: no fs / S3 code of its own.
import { LocalStore } from '../storage/local.js';
import type { ObjectStore } from '../storage/store.js';
import { InvalidArgumentError } from '../errors.js';

export async function openStreamStore(uri: string, _storageOptions?: Record<string, string>): Promise<ObjectStore> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith('file://')) {
    throw new InvalidArgumentError(`unsupported URI scheme for a streaming location: ${uri}`);
  }
  return new LocalStore(uri);
}
