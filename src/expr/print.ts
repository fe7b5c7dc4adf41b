// SQL text of expressions: `parseExpression(exprToString(e))` gives back an equal expression. Used for commit
// info (replaceWhere predicates), error messages and logs. No evaluation here.
import { typeToString } from '../schema/json.js';
import { formatDate, formatTimestamp, MICROS_PER_DAY } from '../schema/values.js';
import type { Expr, Literal } from './ast.js';
import { KEYWORDS } from './parse.js';
import { numberToRational } from './typed_values.js';

const PLAIN_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function identToString(name: string): string {
  const u = name.toUpperCase();
  if (PLAIN_IDENT.test(name) && !KEYWORDS.has(u)) return name;
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

const MICRO_UNITS: [string, bigint][] = [
  ['DAY', MICROS_PER_DAY],
  ['HOUR', 3_600_000_000n],
  ['MINUTE', 60_000_000n],
  ['SECOND', 1_000_000n],
  ['MILLISECOND', 1000n],
  ['MICROSECOND', 1n],
];

function intervalToString(months: number, micros: bigint): string {
  const parts: string[] = [];
  if (months !== 0 || micros === 0n) parts.push(months % 12 === 0 && months !== 0 ? `INTERVAL '${months / 12}' YEAR` : `INTERVAL '${months}' MONTH`);
  if (micros !== 0n) {
    const [unit, per] = MICRO_UNITS.find(([, p]) => micros % p === 0n)!;
    parts.push(`INTERVAL '${micros / per}' ${unit}`);
  }
  return parts.length === 1 ? parts[0]! : `(${parts.join(' + ')})`;
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
    case 'interval':
      return intervalToString(l.months, l.micros);
  }
}

/** Operands that print as one token (no parentheses needed around them). */
function atomic(e: Expr): boolean {
  return e.kind === 'column' || (e.kind === 'literal' && !(e.type === 'number' && e.value < 0) && !(e.type === 'bigint' && e.value < 0n)) || e.kind === 'call' || e.kind === 'cast' || e.kind === 'case';
}

function operand(e: Expr): string {
  return atomic(e) ? exprToString(e) : `(${exprToString(e)})`;
}

/** An operand of a comparison / IN / IS / LIKE: value expressions print bare when they are atomic or arithmetic. */
function valueOperand(e: Expr): string {
  return atomic(e) || e.kind === 'literal' || e.kind === 'arith' || e.kind === 'neg' || e.kind === 'concat' ? exprToString(e) : `(${exprToString(e)})`;
}

/** SQL text of an expression. */
export function exprToString(e: Expr): string {
  switch (e.kind) {
    case 'column':
      return e.path.map(identToString).join('.');
    case 'literal':
      return literalToString(e);
    case 'cmp':
      return `${valueOperand(e.left)} ${e.op} ${valueOperand(e.right)}`;
    case 'in':
      return `${valueOperand(e.operand)} IN (${e.values.map(exprToString).join(', ')})`;
    case 'isNull':
      return `${valueOperand(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    case 'like':
      return `${valueOperand(e.operand)} LIKE ${valueOperand(e.pattern)}`;
    case 'and':
    case 'or': {
      const sep = e.kind === 'and' ? ' AND ' : ' OR ';
      return e.children.map((c) => (c.kind === 'and' || c.kind === 'or' ? `(${exprToString(c)})` : exprToString(c))).join(sep);
    }
    case 'not':
      return `NOT (${exprToString(e.child)})`;
    case 'arith':
      return `${operand(e.left)} ${e.op} ${operand(e.right)}`;
    case 'neg':
      return `-${operand(e.operand)}`;
    case 'concat':
      return `${operand(e.left)} || ${operand(e.right)}`;
    case 'case': {
      const branches = e.branches.map((b) => `WHEN ${exprToString(b.when)} THEN ${exprToString(b.then)}`).join(' ');
      return `CASE ${branches}${e.else ? ` ELSE ${exprToString(e.else)}` : ''} END`;
    }
    case 'cast':
      return `CAST(${exprToString(e.operand)} AS ${typeof e.to === 'string' ? e.to.toUpperCase().replace(/^INTEGER$/, 'INT') : typeToString(e.to)})`;
    case 'call':
      return e.name === 'CURRENT_TIMESTAMP' && e.args.length === 0 ? 'CURRENT_TIMESTAMP()' : `${e.name}(${e.args.map(exprToString).join(', ')})`;
  }
}
