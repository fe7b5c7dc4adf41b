// Filter expressions: a small typed AST (=, !=, <, <=, >, >=, IN, IS [NOT] NULL, AND, OR, NOT), the builder API,
// the SQL-like `parsePredicate`, printing, and validation / literal coercion against a Delta schema. No I/O.
import { InvalidArgumentError } from '../errors.js';
import { fieldByNameCaseInsensitive, isStruct, typeToString } from '../schema/json.js';
import type { DataType, StructField, StructType } from '../schema/types.js';
import { MICROS_PER_DAY, floorDiv, formatDate, formatTimestamp } from '../schema/values.js';
import {
  type Domain,
  type Key,
  domainOf,
  numberToRational,
  parseDecimalText,
  parseTimestampText,
  rescale,
  type Rational,
} from './typed_values.js';

// ---------------------------------------------------------------------------------------------------------
// AST

export interface ColumnRef {
  kind: 'column';
  /** Path through struct fields, e.g. ['a', 'b'] for `a.b`. */
  path: string[];
}

export type Literal =
  | { kind: 'literal'; type: 'null' }
  | { kind: 'literal'; type: 'string'; value: string }
  /** `text` keeps the exact decimal text typed in a predicate (e.g. `12345678901234567.89`). */
  | { kind: 'literal'; type: 'number'; value: number; text?: string }
  | { kind: 'literal'; type: 'bigint'; value: bigint }
  | { kind: 'literal'; type: 'boolean'; value: boolean }
  /** Days since 1970-01-01. */
  | { kind: 'literal'; type: 'date'; days: number }
  /** Microseconds since the epoch (UTC). */
  | { kind: 'literal'; type: 'timestamp'; micros: bigint }
  | { kind: 'literal'; type: 'binary'; value: Uint8Array };

export type Operand = ColumnRef | Literal;

export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Expr =
  | { kind: 'cmp'; op: ComparisonOp; left: Operand; right: Operand }
  | { kind: 'in'; operand: Operand; values: Literal[] }
  | { kind: 'isNull'; operand: Operand; negated: boolean }
  | { kind: 'and'; children: Expr[] }
  | { kind: 'or'; children: Expr[] }
  | { kind: 'not'; child: Expr };

/** Values accepted wherever the builder takes a literal. */
export type LiteralValue = string | number | bigint | boolean | null | Date | Uint8Array;

// ---------------------------------------------------------------------------------------------------------
// Builder

export function lit(v: LiteralValue | Literal): Literal {
  if (v === null) return { kind: 'literal', type: 'null' };
  if (typeof v === 'string') return { kind: 'literal', type: 'string', value: v };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`predicate literal must be a finite number, got ${v}`);
    return { kind: 'literal', type: 'number', value: v };
  }
  if (typeof v === 'bigint') return { kind: 'literal', type: 'bigint', value: v };
  if (typeof v === 'boolean') return { kind: 'literal', type: 'boolean', value: v };
  if (v instanceof Date) {
    const ms = v.getTime();
    if (Number.isNaN(ms)) throw new InvalidArgumentError('predicate literal is an invalid Date');
    return { kind: 'literal', type: 'timestamp', micros: BigInt(ms) * 1000n };
  }
  if (v instanceof Uint8Array) return { kind: 'literal', type: 'binary', value: v };
  if (typeof v === 'object' && (v as Literal).kind === 'literal') return v as Literal;
  throw new InvalidArgumentError(`unsupported predicate literal ${String(v)}`);
}

/** A DATE literal from `YYYY-MM-DD`. */
export function dateLit(text: string): Literal {
  const p = parseTimestampText(text);
  if (!p || !p.dateOnly) throw new InvalidArgumentError(`invalid DATE literal '${text}' (expected YYYY-MM-DD)`);
  return { kind: 'literal', type: 'date', days: Number(p.micros / MICROS_PER_DAY) };
}

/** A TIMESTAMP literal from text (`YYYY-MM-DD HH:MM:SS[.ffffff]`, ISO-8601; no zone = UTC) or microseconds. */
export function timestampLit(v: string | bigint): Literal {
  if (typeof v === 'bigint') return { kind: 'literal', type: 'timestamp', micros: v };
  const p = parseTimestampText(v);
  if (!p) throw new InvalidArgumentError(`invalid TIMESTAMP literal '${v}' (expected YYYY-MM-DD HH:MM:SS[.ffffff])`);
  return { kind: 'literal', type: 'timestamp', micros: p.micros };
}

type OperandInput = LiteralValue | Literal | ColumnRef | ColumnBuilder;

function operand(v: OperandInput): Operand {
  if (v instanceof ColumnBuilder) return { kind: 'column', path: [...v.path] };
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    if ((v as Operand).kind === 'column') return { kind: 'column', path: [...(v as ColumnRef).path] };
    if ((v as Operand).kind === 'literal') return v as Literal;
  }
  return lit(v as LiteralValue);
}

/** Column reference with comparison methods: `col('a').eq(1)`, `col('s.x').in(['a','b'])`, `col('y').isNull()`. */
export class ColumnBuilder implements ColumnRef {
  readonly kind = 'column' as const;
  readonly path: string[];
  constructor(path: string[]) {
    if (path.length === 0 || path.some((p) => p.length === 0)) {
      throw new InvalidArgumentError(`invalid column name '${path.join('.')}'`);
    }
    this.path = path;
  }
  private cmp(op: ComparisonOp, v: OperandInput): Expr {
    return { kind: 'cmp', op, left: { kind: 'column', path: [...this.path] }, right: operand(v) };
  }
  eq(v: OperandInput): Expr {
    return this.cmp('=', v);
  }
  ne(v: OperandInput): Expr {
    return this.cmp('!=', v);
  }
  lt(v: OperandInput): Expr {
    return this.cmp('<', v);
  }
  lte(v: OperandInput): Expr {
    return this.cmp('<=', v);
  }
  gt(v: OperandInput): Expr {
    return this.cmp('>', v);
  }
  gte(v: OperandInput): Expr {
    return this.cmp('>=', v);
  }
  in(values: readonly (LiteralValue | Literal)[]): Expr {
    if (values.length === 0) throw new InvalidArgumentError(`IN list for column '${this.path.join('.')}' is empty`);
    return { kind: 'in', operand: { kind: 'column', path: [...this.path] }, values: values.map((v) => lit(v)) };
  }
  notIn(values: readonly (LiteralValue | Literal)[]): Expr {
    return not(this.in(values));
  }
  isNull(): Expr {
    return { kind: 'isNull', operand: { kind: 'column', path: [...this.path] }, negated: false };
  }
  isNotNull(): Expr {
    return { kind: 'isNull', operand: { kind: 'column', path: [...this.path] }, negated: true };
  }
}

/** `col('a')`, `col('a.b')` (dotted = nested struct field), or `col(['weird.name'])` for a name containing dots. */
export function col(name: string | readonly string[]): ColumnBuilder {
  return new ColumnBuilder(typeof name === 'string' ? name.split('.') : [...name]);
}

export function and(...children: Expr[]): Expr {
  if (children.length === 0) throw new InvalidArgumentError('and() needs at least one expression');
  if (children.length === 1) return children[0]!;
  return { kind: 'and', children };
}

export function or(...children: Expr[]): Expr {
  if (children.length === 0) throw new InvalidArgumentError('or() needs at least one expression');
  if (children.length === 1) return children[0]!;
  return { kind: 'or', children };
}

export function not(child: Expr): Expr {
  return { kind: 'not', child };
}

// ---------------------------------------------------------------------------------------------------------
// Parser

type TokenKind = 'ident' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  /** For 'ident': the name (backticks removed); for 'string': the unescaped value. */
  value: string;
  /** 0-based character offset in the input. */
  pos: number;
  quoted?: boolean;
}

function syntaxError(src: string, pos: number, expected: string, got: Token | null): never {
  const found = got ? (got.kind === 'eof' ? 'end of input' : `'${got.text}'`) : 'invalid character';
  throw new InvalidArgumentError(
    `invalid predicate at position ${pos + 1}: expected ${expected}, found ${found} in: ${src}`,
  );
}

/** A quoted token starting at `start` (the opening quote); a doubled quote is one literal quote. */
function readQuoted(src: string, start: number, quote: string, expected: string): { value: string; end: number } {
  let v = '';
  let i = start + 1;
  for (;;) {
    if (i >= src.length) syntaxError(src, start, expected, { kind: 'eof', text: '', value: '', pos: i });
    if (src[i] === quote) {
      if (src[i + 1] === quote) {
        v += quote;
        i += 2;
        continue;
      }
      return { value: v, end: i + 1 };
    }
    v += src[i];
    i++;
  }
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c, value: c, pos: start });
      i++;
    } else if (c === "'") {
      const { value: v, end } = readQuoted(src, i, "'", "closing quote (') of the string literal");
      i = end;
      out.push({ kind: 'string', text: src.slice(start, i), value: v, pos: start });
    } else if (c === '`') {
      const { value: v, end } = readQuoted(src, i, '`', 'closing backtick (`) of the identifier');
      i = end;
      if (v === '') syntaxError(src, start, 'a non-empty quoted identifier', { kind: 'ident', text: '``', value: '', pos: start });
      out.push({ kind: 'ident', text: src.slice(start, i), value: v, pos: start, quoted: true });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(\d*\.?\d*(?:[eE][+-]?\d+)?)/.exec(src.slice(i))!;
      i += m[1]!.length;
      out.push({ kind: 'number', text: m[1]!, value: m[1]!, pos: start });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(src.slice(i))!;
      i += m[0].length;
      out.push({ kind: 'ident', text: m[0], value: m[0], pos: start });
    } else if (c === '.') {
      out.push({ kind: 'op', text: '.', value: '.', pos: start });
      i++;
    } else {
      const two = src.slice(i, i + 2);
      const op = ['<=', '>=', '!=', '<>', '=='].includes(two) ? two : ['=', '<', '>', '-', '+'].includes(c) ? c : null;
      if (!op) syntaxError(src, start, 'an operator, identifier or literal', { kind: 'op', text: c, value: c, pos: start });
      i += op.length;
      out.push({ kind: 'op', text: op, value: op, pos: start });
    }
  }
  out.push({ kind: 'eof', text: '', value: '', pos: src.length });
  return out;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE', 'DATE', 'TIMESTAMP', 'TIMESTAMP_NTZ', 'BETWEEN', 'X']);

class Parser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Token[],
  ) {}

  private peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  private isKw(t: Token, kw: string): boolean {
    return t.kind === 'ident' && !t.quoted && t.value.toUpperCase() === kw;
  }
  private expectKw(kw: string, expected: string): void {
    const t = this.next();
    if (!this.isKw(t, kw)) syntaxError(this.src, t.pos, expected, t);
  }

  parse(): Expr {
    if (this.peek().kind === 'eof') syntaxError(this.src, 0, 'a predicate', this.peek());
    const e = this.orExpr();
    const t = this.peek();
    if (t.kind !== 'eof') syntaxError(this.src, t.pos, 'AND, OR or end of input', t);
    return e;
  }

  private orExpr(): Expr {
    const parts = [this.andExpr()];
    while (this.isKw(this.peek(), 'OR')) {
      this.next();
      parts.push(this.andExpr());
    }
    return parts.length === 1 ? parts[0]! : { kind: 'or', children: parts };
  }

  private andExpr(): Expr {
    const parts = [this.notExpr()];
    while (this.isKw(this.peek(), 'AND')) {
      this.next();
      parts.push(this.notExpr());
    }
    return parts.length === 1 ? parts[0]! : { kind: 'and', children: parts };
  }

  private notExpr(): Expr {
    if (this.isKw(this.peek(), 'NOT')) {
      this.next();
      return { kind: 'not', child: this.notExpr() };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.peek();
    if (t.kind === 'lparen') {
      // '(' starts a parenthesized predicate (operands are never parenthesized in this grammar).
      this.next();
      const e = this.orExpr();
      const close = this.next();
      if (close.kind !== 'rparen') syntaxError(this.src, close.pos, "')'", close);
      return e;
    }
    return this.predicate();
  }

  private predicate(): Expr {
    const left = this.operand('a column name or literal');
    const t = this.peek();
    if (t.kind === 'op' && ['=', '==', '!=', '<>', '<', '<=', '>', '>='].includes(t.value)) {
      this.next();
      const right = this.operand(`a column name or literal after '${t.value}'`);
      const op: ComparisonOp = t.value === '==' ? '=' : t.value === '<>' ? '!=' : (t.value as ComparisonOp);
      return { kind: 'cmp', op, left, right };
    }
    if (this.isKw(t, 'IS')) {
      this.next();
      let negated = false;
      if (this.isKw(this.peek(), 'NOT')) {
        this.next();
        negated = true;
      }
      this.expectKw('NULL', negated ? "NULL after 'IS NOT'" : "NULL or NOT NULL after 'IS'");
      return { kind: 'isNull', operand: left, negated };
    }
    let negated = false;
    if (this.isKw(t, 'NOT') && (this.isKw(this.peek(1), 'IN') || this.isKw(this.peek(1), 'BETWEEN'))) {
      this.next();
      negated = true;
    }
    if (this.isKw(this.peek(), 'IN')) {
      this.next();
      const open = this.next();
      if (open.kind !== 'lparen') syntaxError(this.src, open.pos, "'(' after IN", open);
      const values: Literal[] = [this.literal('a literal in the IN list')];
      for (;;) {
        const s = this.next();
        if (s.kind === 'rparen') break;
        if (s.kind !== 'comma') syntaxError(this.src, s.pos, "',' or ')' in the IN list", s);
        values.push(this.literal('a literal in the IN list'));
      }
      const e: Expr = { kind: 'in', operand: left, values };
      return negated ? { kind: 'not', child: e } : e;
    }
    if (this.isKw(this.peek(), 'BETWEEN')) {
      this.next();
      const lo = this.operand('the lower bound of BETWEEN');
      this.expectKw('AND', "AND in 'BETWEEN x AND y'");
      const hi = this.operand('the upper bound of BETWEEN');
      const e: Expr = {
        kind: 'and',
        children: [
          { kind: 'cmp', op: '>=', left, right: lo },
          { kind: 'cmp', op: '<=', left, right: hi },
        ],
      };
      return negated ? { kind: 'not', child: e } : e;
    }
    return syntaxError(this.src, t.pos, 'a comparison operator (=, !=, <>, <, <=, >, >=), IN, BETWEEN or IS [NOT] NULL', t);
  }

  private operand(expected: string): Operand {
    const t = this.peek();
    if (t.kind === 'ident') {
      const kw = t.quoted ? '' : t.value.toUpperCase();
      const isLiteral =
        kw === 'NULL' || kw === 'TRUE' || kw === 'FALSE' ||
        (['DATE', 'TIMESTAMP', 'TIMESTAMP_NTZ', 'X'].includes(kw) && this.peek(1).kind === 'string');
      if (!isLiteral) {
        if (['AND', 'OR', 'NOT', 'IN', 'IS', 'BETWEEN'].includes(kw)) syntaxError(this.src, t.pos, expected, t);
        this.next();
        const path = [t.value];
        while (this.peek().kind === 'op' && this.peek().value === '.') {
          this.next();
          const p = this.next();
          if (p.kind !== 'ident') syntaxError(this.src, p.pos, "a field name after '.'", p);
          path.push(p.value);
        }
        return { kind: 'column', path };
      }
    }
    return this.literal(expected);
  }

  private literal(expected: string): Literal {
    const t = this.next();
    if (t.kind === 'string') return { kind: 'literal', type: 'string', value: t.value };
    if (t.kind === 'op' && (t.value === '-' || t.value === '+')) {
      const n = this.next();
      if (n.kind !== 'number') syntaxError(this.src, n.pos, `a number after '${t.value}'`, n);
      return numberLiteral(t.value === '-' ? `-${n.text}` : n.text, this.src, n.pos);
    }
    if (t.kind === 'number') return numberLiteral(t.text, this.src, t.pos);
    if (t.kind === 'ident' && !t.quoted) {
      const kw = t.value.toUpperCase();
      if (kw === 'NULL') return { kind: 'literal', type: 'null' };
      if (kw === 'TRUE' || kw === 'FALSE') return { kind: 'literal', type: 'boolean', value: kw === 'TRUE' };
      if (kw === 'DATE' || kw === 'TIMESTAMP' || kw === 'TIMESTAMP_NTZ' || kw === 'X') {
        const s = this.next();
        if (s.kind !== 'string') syntaxError(this.src, s.pos, `a quoted string after ${kw}`, s);
        if (kw === 'X') {
          if (!/^([0-9a-fA-F]{2})*$/.test(s.value)) syntaxError(this.src, s.pos, 'an even number of hex digits in X\'...\'', s);
          const bytes = new Uint8Array(s.value.length / 2);
          for (let k = 0; k < bytes.length; k++) bytes[k] = parseInt(s.value.slice(2 * k, 2 * k + 2), 16);
          return { kind: 'literal', type: 'binary', value: bytes };
        }
        const p = parseTimestampText(s.value);
        if (kw === 'DATE') {
          if (!p || !p.dateOnly) syntaxError(this.src, s.pos, 'a date in the form YYYY-MM-DD', s);
          return { kind: 'literal', type: 'date', days: Number(p.micros / MICROS_PER_DAY) };
        }
        if (!p) syntaxError(this.src, s.pos, 'a timestamp in the form YYYY-MM-DD HH:MM:SS[.ffffff]', s);
        return { kind: 'literal', type: 'timestamp', micros: p.micros };
      }
    }
    return syntaxError(this.src, t.pos, expected, t);
  }
}

function numberLiteral(text: string, src: string, pos: number): Literal {
  if (/^[+-]?\d+$/.test(text)) {
    const b = BigInt(text);
    if (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER)) {
      return { kind: 'literal', type: 'number', value: Number(b) };
    }
    return { kind: 'literal', type: 'bigint', value: b };
  }
  const v = Number(text);
  if (!Number.isFinite(v) || !parseDecimalText(text)) {
    syntaxError(src, pos, 'a finite number', { kind: 'number', text, value: text, pos });
  }
  return { kind: 'literal', type: 'number', value: v, text };
}

/**
 * Parse a SQL-like predicate: `a = 1 AND (b IN ('x','y') OR c IS NOT NULL) AND NOT d < 2.5`.
 * Identifiers may be `back-quoted` and dotted (`s.field`); strings use single quotes ('' escapes a quote);
 * literals: numbers, true/false/null, DATE 'YYYY-MM-DD', TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC),
 * X'hex'. Also `x NOT IN (...)`, `x [NOT] BETWEEN a AND b`, `<>`, `==`. Throws InvalidArgumentError naming
 * the position (1-based) and what was expected.
 */
export function parsePredicate(sql: string): Expr {
  return new Parser(sql, tokenize(sql)).parse();
}

// ---------------------------------------------------------------------------------------------------------
// Printing

const PLAIN_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function identToString(name: string): string {
  if (PLAIN_IDENT.test(name) && !KEYWORDS.has(name.toUpperCase())) return name;
  return '`' + name.replace(/`/g, '``') + '`';
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function numberToSql(v: number): string {
  const r = numberToRational(v)!;
  // plain (non-exponent) text that parses back to the same double; integers beyond 2^53 get '.0' so that
  // they stay (double) numbers rather than exact bigints
  if (r.scale === 0) return Number.isSafeInteger(v) ? r.unscaled.toString() : `${r.unscaled.toString()}.0`;
  const neg = r.unscaled < 0n;
  let digits = (neg ? -r.unscaled : r.unscaled).toString().padStart(r.scale + 1, '0');
  digits = `${digits.slice(0, digits.length - r.scale)}.${digits.slice(digits.length - r.scale)}`;
  return neg ? `-${digits}` : digits;
}

export function literalToString(l: Literal): string {
  switch (l.type) {
    case 'null':
      return 'NULL';
    case 'string':
      return `'${l.value.replace(/'/g, "''")}'`;
    case 'number':
      return l.text ?? numberToSql(l.value);
    case 'bigint':
      return l.value.toString();
    case 'boolean':
      return l.value ? 'true' : 'false';
    case 'date':
      return `DATE '${formatDate(l.days)}'`;
    case 'timestamp':
      return `TIMESTAMP '${formatTimestamp(l.micros)}'`;
    case 'binary':
      return `X'${hex(l.value)}'`;
  }
}

function operandToString(o: Operand): string {
  return o.kind === 'column' ? o.path.map(identToString).join('.') : literalToString(o);
}

/** SQL text of an expression; `parsePredicate(exprToString(e))` gives back an equal expression. */
export function exprToString(e: Expr): string {
  switch (e.kind) {
    case 'cmp':
      return `${operandToString(e.left)} ${e.op} ${operandToString(e.right)}`;
    case 'in':
      return `${operandToString(e.operand)} IN (${e.values.map(literalToString).join(', ')})`;
    case 'isNull':
      return `${operandToString(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    case 'and':
    case 'or': {
      const sep = e.kind === 'and' ? ' AND ' : ' OR ';
      return e.children.map((c) => (c.kind === 'and' || c.kind === 'or' ? `(${exprToString(c)})` : exprToString(c))).join(sep);
    }
    case 'not':
      return `NOT (${exprToString(e.child)})`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Columns, validation, literal coercion

function collectOperands(e: Expr, out: Operand[]): void {
  switch (e.kind) {
    case 'cmp':
      out.push(e.left, e.right);
      return;
    case 'in':
    case 'isNull':
      out.push(e.operand);
      return;
    case 'and':
    case 'or':
      for (const c of e.children) collectOperands(c, out);
      return;
    case 'not':
      collectOperands(e.child, out);
  }
}

/** Distinct column paths the expression references, in first-use order. */
export function referencedColumnPaths(e: Expr): string[][] {
  const ops: Operand[] = [];
  collectOperands(e, ops);
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const o of ops) {
    if (o.kind !== 'column') continue;
    const k = JSON.stringify(o.path);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(o.path);
    }
  }
  return out;
}

/** Distinct referenced columns as dotted names (`a`, `s.x`), in first-use order. */
export function referencedColumns(e: Expr): string[] {
  return referencedColumnPaths(e).map((p) => p.join('.'));
}

export interface ResolvedColumn {
  /** Actual field names along the path (exact schema spelling). */
  path: string[];
  /** The fields along the path (last = the referenced column). */
  fields: StructField[];
  type: DataType;
}

/**
 * Find a (nested) column: exact name first, then case-insensitive (Delta/Spark column names are
 * case-insensitive). Null when absent.
 */
export function resolveColumn(schema: StructType, path: readonly string[]): ResolvedColumn | null {
  let cur: StructType = schema;
  const fields: StructField[] = [];
  for (let i = 0; i < path.length; i++) {
    const name = path[i]!;
    const f = cur.fields.find((x) => x.name === name) ?? fieldByNameCaseInsensitive(cur, name);
    if (!f) return null;
    fields.push(f);
    if (i < path.length - 1) {
      if (!isStruct(f.type)) return null;
      cur = f.type;
    }
  }
  const last = fields[fields.length - 1]!;
  return { path: fields.map((f) => f.name), fields, type: last.type };
}

/**
 * A literal converted into a column's comparison domain. `between`: the literal is not representable in the
 * column type (e.g. 2.5 vs an integer column) and lies strictly between `floor` and `ceil`.
 */
export type CoercedLiteral =
  | { kind: 'null' }
  | { kind: 'exact'; key: Key }
  | { kind: 'between'; floor: Key; ceil: Key };

function literalTypeName(l: Literal): string {
  return l.type === 'number' || l.type === 'bigint' ? 'number' : l.type;
}

function incompatible(l: Literal, column: string, t: DataType): never {
  throw new InvalidArgumentError(
    `predicate literal ${literalToString(l)} (${literalTypeName(l)}) cannot be compared with column '${column}' of type ${typeToString(t)}`,
  );
}

function literalRational(l: Literal): Rational | null {
  if (l.type === 'number') return l.text !== undefined ? parseDecimalText(l.text) : numberToRational(l.value);
  if (l.type === 'bigint') return { unscaled: l.value, scale: 0 };
  if (l.type === 'string') return /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(l.value) ? parseDecimalText(l.value) : null;
  return null;
}

function temporalMicros(l: Literal): { micros: bigint; dateOnly: boolean } | null {
  if (l.type === 'timestamp') return { micros: l.micros, dateOnly: false };
  if (l.type === 'date') return { micros: BigInt(l.days) * MICROS_PER_DAY, dateOnly: true };
  if (l.type === 'string') {
    const p = parseTimestampText(l.value);
    return p ? { micros: p.micros, dateOnly: p.dateOnly } : null;
  }
  return null;
}

/**
 * Convert a literal to the comparison domain of a column of Delta type `t` (see typed_values.ts `Domain`).
 * Comparisons follow Spark: a date compared with a timestamp is promoted to a timestamp (midnight UTC); strings
 * compared with date/timestamp/numeric columns are cast. Throws InvalidArgumentError when incomparable.
 */
export function coerceLiteral(l: Literal, t: DataType, column: string): CoercedLiteral {
  if (l.type === 'null') return { kind: 'null' };
  const d: Domain | null = domainOf(t);
  if (!d) {
    throw new InvalidArgumentError(`column '${column}' of type ${typeToString(t)} cannot be compared with a literal`);
  }
  switch (d.kind) {
    case 'int':
    case 'long':
    case 'decimal': {
      const r = literalRational(l);
      if (!r) return incompatible(l, column, t);
      const scale = d.kind === 'decimal' ? d.scale : 0;
      const s = rescale(r, scale);
      const conv = (x: bigint): Key => (d.kind === 'int' ? Number(x) : x);
      return s.exact ? { kind: 'exact', key: conv(s.value) } : { kind: 'between', floor: conv(s.floor), ceil: conv(s.ceil) };
    }
    case 'float': {
      if (l.type === 'number') return { kind: 'exact', key: l.value };
      if (l.type === 'bigint') return { kind: 'exact', key: Number(l.value) };
      const r = literalRational(l);
      if (!r || l.type !== 'string') return incompatible(l, column, t);
      return { kind: 'exact', key: Number(l.value) };
    }
    case 'string':
      if (l.type !== 'string') return incompatible(l, column, t);
      return { kind: 'exact', key: l.value };
    case 'binary':
      if (l.type === 'binary') return { kind: 'exact', key: l.value };
      if (l.type === 'string') return { kind: 'exact', key: new TextEncoder().encode(l.value) };
      return incompatible(l, column, t);
    case 'boolean':
      if (l.type !== 'boolean') return incompatible(l, column, t);
      return { kind: 'exact', key: l.value };
    case 'date': {
      const m = temporalMicros(l);
      if (!m) return incompatible(l, column, t);
      const floor = floorDiv(m.micros, MICROS_PER_DAY);
      if (floor * MICROS_PER_DAY === m.micros) return { kind: 'exact', key: Number(floor) };
      return { kind: 'between', floor: Number(floor), ceil: Number(floor) + 1 };
    }
    case 'timestamp': {
      const m = temporalMicros(l);
      if (!m) return incompatible(l, column, t);
      return { kind: 'exact', key: m.micros };
    }
  }
}

/**
 * Check that every column exists in `schema` and every literal is comparable with its column.
 * Throws InvalidArgumentError naming the unknown column or the incompatible literal.
 */
export function validateExpr(e: Expr, schema: StructType): void {
  const check = (o: Operand): ResolvedColumn | null => {
    if (o.kind !== 'column') return null;
    const r = resolveColumn(schema, o.path);
    if (!r) {
      const name = o.path.join('.');
      throw new InvalidArgumentError(
        `predicate references unknown column '${name}' (table columns: ${schema.fields.map((f) => f.name).join(', ')})`,
      );
    }
    if (!domainOf(r.type)) {
      throw new InvalidArgumentError(
        `column '${r.path.join('.')}' of type ${typeToString(r.type)} cannot be used in a predicate comparison`,
      );
    }
    return r;
  };
  switch (e.kind) {
    case 'cmp': {
      const l = check(e.left);
      const r = check(e.right);
      if (l && e.right.kind === 'literal') coerceLiteral(e.right, l.type, l.path.join('.'));
      if (r && e.left.kind === 'literal') coerceLiteral(e.left, r.type, r.path.join('.'));
      if (l && r) {
        const dl = domainOf(l.type)!;
        const dr = domainOf(r.type)!;
        const numeric = (k: string) => k === 'int' || k === 'long' || k === 'decimal' || k === 'float';
        const temporal = (k: string) => k === 'date' || k === 'timestamp';
        if (dl.kind !== dr.kind && !(numeric(dl.kind) && numeric(dr.kind)) && !(temporal(dl.kind) && temporal(dr.kind))) {
          throw new InvalidArgumentError(
            `cannot compare column '${l.path.join('.')}' (${typeToString(l.type)}) with column '${r.path.join('.')}' (${typeToString(r.type)})`,
          );
        }
      }
      return;
    }
    case 'in': {
      const c = check(e.operand);
      if (c) for (const v of e.values) coerceLiteral(v, c.type, c.path.join('.'));
      return;
    }
    case 'isNull':
      if (e.operand.kind === 'column') {
        const r = resolveColumn(schema, e.operand.path);
        if (!r) check(e.operand);
      }
      return;
    case 'and':
    case 'or':
      for (const c of e.children) validateExpr(c, schema);
      return;
    case 'not':
      validateExpr(e.child, schema);
  }
}
