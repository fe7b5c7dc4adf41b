// Store registry: maps a table URI to an ObjectStore by scheme (plain path / file:// -> LocalStore, s3:// s3a:// -> S3Store).
// Backends register a factory here; this file does no I/O itself.
import { InvalidArgumentError } from '../errors.js';
import { LocalStore } from './local.js';
import { S3Store, type StorageOptions } from './s3.js';
import type { ObjectStore } from './store.js';

export type { StorageOptions } from './s3.js';

export type StoreFactory = (uri: string, options: StorageOptions) => ObjectStore;

const factories = new Map<string, StoreFactory>();

/** Register (or replace) the factory for a URI scheme, e.g. `registerStore('gs', (uri, opts) => new GcsStore(uri, opts))`. */
export function registerStore(scheme: string, factory: StoreFactory): void {
  const s = scheme.toLowerCase().replace(/:(\/\/)?$/, '');
  if (!/^[a-z][a-z0-9+.-]*$/.test(s)) throw new InvalidArgumentError(`invalid URI scheme '${scheme}'`);
  factories.set(s, factory);
}

registerStore('file', (uri) => new LocalStore(uri));
registerStore('s3', (uri, opts) => new S3Store(uri, opts));
registerStore('s3a', (uri, opts) => new S3Store(uri, opts));

/** The URI's scheme, or null for a plain local path (including Windows drive paths like `C:\t`). */
function schemeOf(uri: string): string | null {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri);
  if (!m || /^[a-zA-Z]:[\\/]/.test(uri)) return null;
  return m[1]!.toLowerCase();
}

/** Open the ObjectStore for a table location: a plain path, `file://...`, `s3://bucket/prefix`, `s3a://...`. */
export function openStore(uri: string, options: StorageOptions = {}): ObjectStore {
  if (typeof uri !== 'string' || uri.trim() === '') throw new InvalidArgumentError('table URI must be a non-empty string');
  const scheme = schemeOf(uri);
  if (scheme === null) return new LocalStore(uri);
  const factory = factories.get(scheme);
  if (!factory) {
    throw new InvalidArgumentError(
      `unsupported storage scheme '${scheme}://' in ${uri} (supported: a local path, ${[...factories.keys()].map((s) => `${s}://`).join(', ')})`,
    );
  }
  return factory(uri, options);
}
