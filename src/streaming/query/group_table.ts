// The groups (window x keys) of a streaming aggregation by slot: window bounds in typed arrays, key values, and a map
// from window start and the keys' exact text to the slot; freed slots are reused. Accumulator state lives beside it.
import type { Value } from '../../schema/access/get.js';

export class GroupTable {
  /** Window start / end (µs; 0 without a window) and the watermark at which the group is complete (Infinity: never). */
  start = new Float64Array(0);
  end = new Float64Array(0);
  closeAt = new Float64Array(0);
  readonly keys: Value[][] = [];
  /** The keys' exact text (aggregation.ts keyText) by slot. */
  private readonly keyTexts: string[] = [];
  private used = new Uint8Array(0);
  /** window start -> key text -> slot. */
  private readonly index = new Map<number, Map<string, number>>();
  private count = 0;
  private readonly free: number[] = [];
  private top = 0;

  /** `grow(capacity)` is called before a slot at or above the current capacity is handed out. */
  constructor(private readonly grow: (capacity: number) => void) {}

  get size(): number {
    return this.count;
  }

  /** One past the highest slot ever used (iterate 0..limit and check isLive). */
  get limit(): number {
    return this.top;
  }

  isLive(slot: number): boolean {
    return this.used[slot] === 1;
  }

  slotOf(start: number, keyText: string): number | undefined {
    return this.index.get(start)?.get(keyText);
  }

  /** The group's id in saved state: `<start>|<key text>`. */
  idOf(slot: number): string {
    return `${this.start[slot]}|${this.keyTexts[slot]}`;
  }

  /** A new group's slot (the caller initializes its accumulators). */
  add(start: number, keyText: string, end: number, closeAt: number, keys: Value[]): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.top++;
      if (slot >= this.used.length) {
        const cap = Math.max(64, this.used.length * 2);
        const g = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
          const b = make(cap);
          b.set(a);
          return b;
        };
        this.start = g(this.start, (n) => new Float64Array(n));
        this.end = g(this.end, (n) => new Float64Array(n));
        this.closeAt = g(this.closeAt, (n) => new Float64Array(n));
        this.used = g(this.used, (n) => new Uint8Array(n));
        this.grow(cap);
      }
    }
    this.start[slot] = start;
    this.end[slot] = end;
    this.closeAt[slot] = closeAt;
    this.keys[slot] = keys;
    this.keyTexts[slot] = keyText;
    this.used[slot] = 1;
    let byKey = this.index.get(start);
    if (!byKey) this.index.set(start, (byKey = new Map()));
    byKey.set(keyText, slot);
    this.count++;
    return slot;
  }

  remove(slot: number): void {
    const start = this.start[slot]!;
    const byKey = this.index.get(start)!;
    byKey.delete(this.keyTexts[slot]!);
    if (byKey.size === 0) this.index.delete(start);
    this.used[slot] = 0;
    this.keys[slot] = [];
    this.keyTexts[slot] = '';
    this.count--;
    this.free.push(slot);
  }

  clear(): void {
    for (let s = 0; s < this.top; s++) if (this.used[s]) this.remove(s);
  }
}
