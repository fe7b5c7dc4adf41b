// Minimal Thrift compact-protocol decoder (the encoding of Parquet footers and page headers), read-only.
// It decodes into generic field maps, or into field spans for re-encoding (parquet_thrift_write.ts); it knows nothing
// about Parquet structures.
import { ProtocolError } from '../errors.js';

/** A decoded Thrift value: integers as bigint (i64) or number (i8/i16/i32), binary as bytes. */
export type ThriftValue = boolean | number | bigint | Uint8Array | ThriftStruct | ThriftValue[] | ThriftMap;
export type ThriftStruct = Map<number, ThriftValue>;
export interface ThriftMap {
  readonly entries: Array<[ThriftValue, ThriftValue]>;
}

export const T_STOP = 0;
const T_TRUE = 1;
const T_FALSE = 2;
const T_BYTE = 3;
const T_I16 = 4;
export const T_I32 = 5;
export const T_I64 = 6;
const T_DOUBLE = 7;
export const T_BINARY = 8;
export const T_LIST = 9;
const T_SET = 10;
const T_MAP = 11;
export const T_STRUCT = 12;

const MAX_DEPTH = 64;

/** Where one struct field lies in the encoded bytes: [start, end) is its value (empty for a boolean field, whose
 *  value is its compact type, T_TRUE or T_FALSE). */
export interface ThriftFieldSpan {
  id: number;
  type: number;
  start: number;
  end: number;
}

export class CompactReader {
  pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
    private readonly what = 'thrift',
  ) {
    this.pos = start;
  }

  private fail(msg: string): never {
    throw new ProtocolError(`malformed ${this.what}: ${msg} at byte ${this.pos}`);
  }

  private byte(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data');
    return this.buf[this.pos++]!;
  }

  private uvarint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) this.fail('varint too long');
    }
  }

  private zigzag(): bigint {
    const u = this.uvarint();
    return (u >> 1n) ^ -(u & 1n);
  }

  private small(): number {
    const v = this.zigzag();
    if (v > 2147483647n || v < -2147483648n) this.fail('32-bit integer out of range');
    return Number(v);
  }

  private lengthValue(): number {
    const n = this.uvarint();
    if (n > BigInt(this.end - this.pos) && n > 0x7fffffffn) this.fail('length out of range');
    return Number(n);
  }

  private value(type: number, depth: number): ThriftValue {
    switch (type) {
      case T_TRUE:
        return true;
      case T_FALSE:
        return false;
      case T_BYTE: {
        const b = this.byte();
        return b > 127 ? b - 256 : b;
      }
      case T_I16:
      case T_I32:
        return this.small();
      case T_I64:
        return this.zigzag();
      case T_DOUBLE: {
        if (this.pos + 8 > this.end) this.fail('unexpected end of data');
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
        this.pos += 8;
        return v;
      }
      case T_BINARY: {
        const n = this.lengthValue();
        if (this.pos + n > this.end) this.fail('binary runs past end of data');
        const v = this.buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        return v;
      }
      case T_LIST:
      case T_SET: {
        const { elemType: elem, size } = this.listHeader();
        if (size > this.end - this.pos) this.fail(`list of ${size} elements runs past end of data`);
        const out: ThriftValue[] = [];
        for (let i = 0; i < size; i++) {
          // Booleans inside a collection are one byte each (1 = true).
          if (elem === T_TRUE || elem === T_FALSE) out.push(this.byte() === 1);
          else out.push(this.value(elem, depth + 1));
        }
        return out;
      }
      case T_MAP: {
        const size = this.lengthValue();
        const entries: Array<[ThriftValue, ThriftValue]> = [];
        if (size > 0) {
          const kv = this.byte();
          const kt = kv >> 4;
          const vt = kv & 0x0f;
          for (let i = 0; i < size; i++) {
            const k = kt === T_TRUE || kt === T_FALSE ? this.byte() === 1 : this.value(kt, depth + 1);
            const v = vt === T_TRUE || vt === T_FALSE ? this.byte() === 1 : this.value(vt, depth + 1);
            entries.push([k, v]);
          }
        }
        return { entries };
      }
      case T_STRUCT:
        return this.struct(depth + 1);
      default:
        return this.fail(`unknown compact type ${type}`);
    }
  }

  /** Reads one struct's fields as they lie on the wire (id, compact type, value bytes), without keeping values. */
  structSpans(): ThriftFieldSpan[] {
    const out: ThriftFieldSpan[] = [];
    for (let last = 0; ; ) {
      const { type, id } = this.fieldHeader(last);
      if (type === T_STOP) return out;
      last = id;
      const start = this.pos;
      this.skip(type, 1);
      out.push({ id, type, start, end: this.pos });
    }
  }

  /** Steps over a varint without decoding it. */
  private skipVarint(): void {
    for (let n = 0; ; n++) {
      if (n > 10) this.fail('varint too long');
      if ((this.byte() & 0x80) === 0) return;
    }
  }

  /** Steps over one value of compact type `type` without building it (what value() reads, checked the same way). */
  private skip(type: number, depth: number): void {
    switch (type) {
      case T_TRUE:
      case T_FALSE:
        return;
      case T_BYTE:
        this.byte();
        return;
      case T_I16:
      case T_I32:
      case T_I64:
        this.skipVarint();
        return;
      case T_DOUBLE:
        if (this.pos + 8 > this.end) this.fail('unexpected end of data');
        this.pos += 8;
        return;
      case T_BINARY: {
        const n = this.lengthValue();
        if (this.pos + n > this.end) this.fail('binary runs past end of data');
        this.pos += n;
        return;
      }
      case T_LIST:
      case T_SET: {
        const { elemType: elem, size } = this.listHeader();
        if (size > this.end - this.pos) this.fail(`list of ${size} elements runs past end of data`);
        for (let i = 0; i < size; i++) {
          if (elem === T_TRUE || elem === T_FALSE) this.byte();
          else this.skip(elem, depth + 1);
        }
        return;
      }
      case T_STRUCT: {
        if (depth > MAX_DEPTH) this.fail('nesting too deep');
        for (let last = 0; ; ) {
          const { type: t, id } = this.fieldHeader(last);
          if (t === T_STOP) return;
          last = id;
          this.skip(t, depth + 1);
        }
      }
      default:
        this.value(type, depth); // maps (absent from Parquet footers) are read the slow way
    }
  }

  /** Reads a list header: element compact type and count. */
  listHeader(): { elemType: number; size: number } {
    const h = this.byte();
    let size = h >> 4;
    if (size === 15) size = this.lengthValue();
    return { elemType: h & 0x0f, size };
  }

  /** Reads one struct (fields until STOP). */
  struct(depth = 0): ThriftStruct {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    const out: ThriftStruct = new Map();
    for (let last = 0; ; ) {
      const { type, id } = this.fieldHeader(last);
      if (type === T_STOP) return out;
      last = id;
      out.set(id, this.value(type, depth));
    }
  }

  /** Reads a field header after field id `last`: the compact type (T_STOP ends the struct) and the field id. */
  private fieldHeader(last: number): { type: number; id: number } {
    const h = this.byte();
    const type = h & 0x0f;
    if (type === T_STOP) return { type, id: last };
    const delta = h >> 4;
    return { type, id: delta !== 0 ? last + delta : this.small() };
  }
}

/** Decodes one compact-protocol struct starting at `start`; returns it and the position after it. */
export function readThriftStruct(buf: Uint8Array, start: number, what: string, end = buf.length): { value: ThriftStruct; end: number } {
  const r = new CompactReader(buf, start, end, what);
  const value = r.struct();
  return { value, end: r.pos };
}
