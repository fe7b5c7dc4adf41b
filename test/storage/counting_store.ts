// Test helper: an ObjectStore wrapper counting reads (get, getRange) and the bytes they return.
import type { ObjectStore } from '../../src/storage/store.js';

/** A store wrapper counting ranged reads and the bytes they return (whole-object gets are counted too). */
export function countingStore(inner: ObjectStore): { store: ObjectStore; reads: () => number; bytes: () => number } {
  let reads = 0;
  let bytes = 0;
  const store: ObjectStore = Object.create(inner) as ObjectStore;
  store.getRange = async (p, s, e) => {
    reads++;
    const b = await inner.getRange(p, s, e);
    bytes += b.length;
    return b;
  };
  store.get = async (p) => {
    reads++;
    const b = await inner.get(p);
    bytes += b.length;
    return b;
  };
  return { store, reads: () => reads, bytes: () => bytes };
}
