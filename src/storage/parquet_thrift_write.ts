// Minimal Thrift compact-protocol encoder: struct field headers, integers, list headers and verbatim value bytes
// (spans read by parquet_thrift.ts), enough to rewrite a Parquet footer. It knows nothing about Parquet structures.

import { T_STOP } from './parquet_thrift.js';

export class CompactWriter {
  private buf = new Uint8Array(1024);
  private len = 0;
  /** Last field id written, one entry per open struct. */
  private readonly lastIds: number[] = [];

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  private uvarint(v: bigint): void {
    do {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      this.byte(v !== 0n ? b | 0x80 : b);
    } while (v !== 0n);
  }

  private zigzag(v: bigint): void {
    this.uvarint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }

  /** Opens a struct (top-level or as a list element / field value). */
  structBegin(): void {
    this.lastIds.push(0);
  }

  structEnd(): void {
    this.byte(T_STOP);
    this.lastIds.pop();
  }

  /** A field header; the value follows (by the caller). Ids must increase within a struct. */
  field(id: number, type: number): void {
    const last = this.lastIds[this.lastIds.length - 1]!;
    const delta = id - last;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.zigzag(BigInt(id));
    }
    this.lastIds[this.lastIds.length - 1] = id;
  }

  /** An i16/i32/i64 value (all zigzag varints in the compact protocol). */
  int(v: number | bigint): void {
    this.zigzag(BigInt(v));
  }

  listHeader(elemType: number, size: number): void {
    if (size < 15) this.byte((size << 4) | elemType);
    else {
      this.byte(0xf0 | elemType);
      this.uvarint(BigInt(size));
    }
  }

  /** A binary/string value: length, then the bytes. */
  binary(bytes: Uint8Array): void {
    this.uvarint(BigInt(bytes.length));
    this.raw(bytes);
  }

  /** Bytes copied as they are (an encoded value). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
