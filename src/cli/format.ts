// Human and machine output helpers of the CLI: aligned text tables, byte sizes, ISO timestamps, Arrow values as plain JSON.
// Pure functions: no I/O, no table logic.
import type { Plain } from '../index.js';

/** 1536 -> '1.5 KB' (binary units, as `du -h` / Spark UI show them). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/** Epoch milliseconds -> ISO-8601 UTC ('-' when absent). */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString();
}

/** Left-aligned text columns separated by two spaces; numeric-looking columns right-aligned. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.,]+( [KMGT]?B)?$|^-$/.test(r[i] ?? '')));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i]! - displayWidth(c)));
        return numeric[i] ? pad + c : c + pad;
      })
      .join('  ')
      .trimEnd();
  const out = [line(headers), line(widths.map((w) => '-'.repeat(w)))];
  for (const r of rows) out.push(line(r));
  return out.join('\n');
}

/** `key: value` lines with the keys padded to one width. */
export function renderKeyValues(pairs: Array<[string, string]>): string {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${(k + ':').padEnd(w + 1)} ${v}`).join('\n');
}

function displayWidth(s: string): number {
  return [...s].length;
}

/** Control characters and newlines shown escaped so one cell stays on one line. */
export function oneLine(s: string, max = 60): string {
  const flat = s.replace(/[\r\n\t]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
  return [...flat].length > max ? [...flat].slice(0, max - 1).join('') + '…' : flat;
}

/** JSON.stringify that writes bigints as numbers when safe and as strings otherwise. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v),
    indent,
  );
}

/** A plain value as one table cell ('NULL' for null, JSON for nested values). */
export function cellText(v: Plain): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return oneLine(v);
  if (typeof v === 'object') return oneLine(JSON.stringify(v));
  return String(v);
}

/** RFC 4180 CSV field: quoted when it holds a comma, quote, CR or LF; empty for null. */
export function csvField(v: Plain): string {
  if (v === null) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
