// The SQL-text parser of expressions (Spark SQL's expression syntax, the subset the engine evaluates):
// `parseExpression` for any expression and `parsePredicate` for a boolean one. Errors point at the offending token.
import { ExpressionError } from '../errors.js';
import type { DataType } from '../schema/types.js';
import { MICROS_PER_DAY } from '../schema/values.js';
import { type ArithmeticOp, type ComparisonOp, type Expr, type Literal, setPosition } from './ast.js';
import { intervalLiteral } from './literals.js';
import { parseDecimalText, parseTimestampText } from './typed_values.js';

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

function syntaxError(src: string, pos: number, expected: string, got: Token | null, what = 'expression'): never {
  const found = got ? (got.kind === 'eof' ? 'end of input' : `'${got.text}'`) : 'invalid character';
  throw new ExpressionError(`invalid ${what} at position ${pos + 1}: expected ${expected}, found ${found} in: ${src}`, src, pos + 1);
}

/** A quoted token starting at `start` (the opening quote); a doubled quote is one literal quote. */
function readQuoted(src: string, start: number, quote: string, expected: string, what: string): { value: string; end: number } {
  let v = '';
  let i = start + 1;
  for (;;) {
    if (i >= src.length) syntaxError(src, start, expected, { kind: 'eof', text: '', value: '', pos: i }, what);
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

const OPERATORS_2 = ['<=', '>=', '!=', '<>', '==', '||'];
const OPERATORS_1 = ['=', '<', '>', '-', '+', '*', '/', '%', '.'];

function tokenize(src: string, what: string): Token[] {
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
      const { value: v, end } = readQuoted(src, i, "'", "closing quote (') of the string literal", what);
      i = end;
      out.push({ kind: 'string', text: src.slice(start, i), value: v, pos: start });
    } else if (c === '`') {
      const { value: v, end } = readQuoted(src, i, '`', 'closing backtick (`) of the identifier', what);
      i = end;
      if (v === '') syntaxError(src, start, 'a non-empty quoted identifier', { kind: 'ident', text: '``', value: '', pos: start }, what);
      out.push({ kind: 'ident', text: src.slice(start, i), value: v, pos: start, quoted: true });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? '') && !/[\w`)]/.test(src[i - 1] ?? ''))) {
      const m = /^(\d*\.?\d*(?:[eE][+-]?\d+)?)/.exec(src.slice(i))!;
      i += m[1]!.length;
      out.push({ kind: 'number', text: m[1]!, value: m[1]!, pos: start });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(src.slice(i))!;
      i += m[0].length;
      out.push({ kind: 'ident', text: m[0], value: m[0], pos: start });
    } else {
      const two = src.slice(i, i + 2);
      const op = OPERATORS_2.includes(two) ? two : OPERATORS_1.includes(c) ? c : null;
      if (!op) syntaxError(src, start, 'an operator, identifier or literal', { kind: 'op', text: c, value: c, pos: start }, what);
      i += op.length;
      out.push({ kind: 'op', text: op, value: op, pos: start });
    }
  }
  out.push({ kind: 'eof', text: '', value: '', pos: src.length });
  return out;
}

/** Words that cannot be a column name where an operand starts (a column of that name needs backticks). */
const RESERVED = new Set(['AND', 'OR', 'NOT', 'IN', 'IS', 'BETWEEN']);

/**
 * Words the printer back-quotes as column names: the reserved ones, literal words, and the words that start an
 * expression when what follows fits (`CASE WHEN`, `CAST(`, `INTERVAL '5'`); elsewhere they are column names,
 * as in earlier versions of the predicate grammar.
 */
export const KEYWORDS = new Set([
  ...RESERVED, 'NULL', 'TRUE', 'FALSE', 'LIKE', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'CAST', 'AS', 'INTERVAL',
  'DATE', 'TIMESTAMP', 'TIMESTAMP_NTZ', 'X', 'CURRENT_TIMESTAMP',
]);

const BINARY_WORDS = new Set(['AND', 'OR', 'IN', 'IS', 'LIKE', 'BETWEEN', 'NOT', 'WHEN', 'THEN', 'ELSE', 'END', 'AS']);

/** Words that start a typed literal when a quoted string follows (`DATE '2024-01-01'`, `X'00ff'`). */
const TYPED_LITERALS = ['DATE', 'TIMESTAMP', 'TIMESTAMP_NTZ', 'X'];

const CMP_OPS = ['=', '==', '!=', '<>', '<', '<=', '>', '>='];

class Parser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly toks: Token[],
    private readonly what: string,
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
  private isOp(t: Token, op: string): boolean {
    return t.kind === 'op' && t.value === op;
  }
  private fail(t: Token, expected: string): never {
    return syntaxError(this.src, t.pos, expected, t, this.what);
  }
  private expectKw(kw: string, expected: string): Token {
    const t = this.next();
    if (!this.isKw(t, kw)) this.fail(t, expected);
    return t;
  }
  private expect(kind: TokenKind, expected: string): Token {
    const t = this.next();
    if (t.kind !== kind) this.fail(t, expected);
    return t;
  }
  private at<E extends Expr>(e: E, pos: number): E {
    setPosition(e, this.src, pos);
    return e;
  }

  parse(expected: string): Expr {
    if (this.peek().kind === 'eof') this.fail(this.peek(), expected);
    const e = this.orExpr('a column name or literal');
    const t = this.peek();
    if (t.kind !== 'eof') this.fail(t, 'AND, OR or end of input');
    return e;
  }

  private orExpr(expected: string): Expr {
    const start = this.peek().pos;
    const parts = [this.andExpr(expected)];
    while (this.isKw(this.peek(), 'OR')) {
      this.next();
      parts.push(this.andExpr('a column name or literal after OR'));
    }
    return parts.length === 1 ? parts[0]! : this.at({ kind: 'or', children: parts }, start);
  }

  private andExpr(expected: string): Expr {
    const start = this.peek().pos;
    const parts = [this.notExpr(expected)];
    while (this.isKw(this.peek(), 'AND')) {
      this.next();
      parts.push(this.notExpr('a column name or literal after AND'));
    }
    return parts.length === 1 ? parts[0]! : this.at({ kind: 'and', children: parts }, start);
  }

  private notExpr(expected: string): Expr {
    const t = this.peek();
    if (this.isKw(t, 'NOT')) {
      this.next();
      return this.at({ kind: 'not', child: this.notExpr('a column name or literal after NOT') }, t.pos);
    }
    return this.predicate(expected);
  }

  /** A value expression optionally followed by a comparison, IS [NOT] NULL, [NOT] IN / BETWEEN / LIKE. */
  private predicate(expected: string): Expr {
    const start = this.peek().pos;
    const left = this.additive(expected);
    const t = this.peek();
    if (t.kind === 'op' && CMP_OPS.includes(t.value)) {
      this.next();
      const right = this.additive(`a column name or literal after '${t.value}'`);
      const op: ComparisonOp = t.value === '==' ? '=' : t.value === '<>' ? '!=' : (t.value as ComparisonOp);
      return this.at({ kind: 'cmp', op, left, right }, t.pos);
    }
    if (this.isKw(t, 'IS')) {
      this.next();
      let negated = false;
      if (this.isKw(this.peek(), 'NOT')) {
        this.next();
        negated = true;
      }
      this.expectKw('NULL', negated ? "NULL after 'IS NOT'" : "NULL or NOT NULL after 'IS'");
      return this.at({ kind: 'isNull', operand: left, negated }, t.pos);
    }
    let negated = false;
    const nt = this.peek(1);
    if (this.isKw(t, 'NOT') && (this.isKw(nt, 'IN') || this.isKw(nt, 'BETWEEN') || this.isKw(nt, 'LIKE'))) {
      this.next();
      negated = true;
    }
    const kw = this.peek();
    const wrap = (e: Expr): Expr => (negated ? this.at({ kind: 'not', child: e }, start) : e);
    if (this.isKw(kw, 'IN')) {
      this.next();
      this.expect('lparen', "'(' after IN");
      const values: Expr[] = [this.additive('a literal in the IN list')];
      for (;;) {
        const s = this.next();
        if (s.kind === 'rparen') break;
        if (s.kind !== 'comma') this.fail(s, "',' or ')' in the IN list");
        values.push(this.additive('a literal in the IN list'));
      }
      return wrap(this.at({ kind: 'in', operand: left, values }, kw.pos));
    }
    if (this.isKw(kw, 'BETWEEN')) {
      this.next();
      const lo = this.additive('the lower bound of BETWEEN');
      this.expectKw('AND', "AND in 'BETWEEN x AND y'");
      const hi = this.additive('the upper bound of BETWEEN');
      const ge = this.at({ kind: 'cmp', op: '>=', left, right: lo } as Expr, kw.pos);
      const le = this.at({ kind: 'cmp', op: '<=', left, right: hi } as Expr, kw.pos);
      return wrap(this.at({ kind: 'and', children: [ge, le] }, kw.pos));
    }
    if (this.isKw(kw, 'LIKE')) {
      this.next();
      const pattern = this.additive('a pattern after LIKE');
      return wrap(this.at({ kind: 'like', operand: left, pattern }, kw.pos));
    }
    if (negated) this.fail(this.peek(), 'IN, BETWEEN or LIKE after NOT');
    return left;
  }

  private additive(expected: string): Expr {
    let left = this.multiplicative(expected);
    for (;;) {
      const t = this.peek();
      if (!(this.isOp(t, '+') || this.isOp(t, '-') || this.isOp(t, '||'))) return left;
      this.next();
      const right = this.multiplicative(`an operand after '${t.value}'`);
      left =
        t.value === '||'
          ? this.at({ kind: 'concat', left, right }, t.pos)
          : this.at({ kind: 'arith', op: t.value as ArithmeticOp, left, right }, t.pos);
    }
  }

  private multiplicative(expected: string): Expr {
    let left = this.unary(expected);
    for (;;) {
      const t = this.peek();
      if (!(this.isOp(t, '*') || this.isOp(t, '/') || this.isOp(t, '%'))) return left;
      this.next();
      const right = this.unary(`an operand after '${t.value}'`);
      left = this.at({ kind: 'arith', op: t.value as ArithmeticOp, left, right }, t.pos);
    }
  }

  private unary(expected: string): Expr {
    const t = this.peek();
    if (this.isOp(t, '-') || this.isOp(t, '+')) {
      this.next();
      const n = this.peek();
      // A signed number is one literal (so `-1` prints and compares as the literal it is).
      if (n.kind === 'number') {
        this.next();
        return this.at(numberLiteral(t.value === '-' ? `-${n.text}` : n.text, this.src, n.pos, this.what), t.pos);
      }
      const operand = this.unary(`an operand after '${t.value}'`);
      return t.value === '-' ? this.at({ kind: 'neg', operand }, t.pos) : operand;
    }
    return this.primary(expected);
  }

  private primary(expected: string): Expr {
    const t = this.peek();
    if (t.kind === 'lparen') {
      this.next();
      const e = this.orExpr('an expression after (');
      const close = this.next();
      if (close.kind !== 'rparen') this.fail(close, "')'");
      return e;
    }
    if (t.kind === 'string') {
      this.next();
      return this.at({ kind: 'literal', type: 'string', value: t.value }, t.pos);
    }
    if (t.kind === 'number') {
      this.next();
      return this.at(numberLiteral(t.text, this.src, t.pos, this.what), t.pos);
    }
    if (t.kind !== 'ident') return this.fail(t, expected);
    const kw = t.quoted ? '' : t.value.toUpperCase();
    if (kw === 'NULL') {
      this.next();
      return this.at({ kind: 'literal', type: 'null' }, t.pos);
    }
    if (kw === 'TRUE' || kw === 'FALSE') {
      this.next();
      return this.at({ kind: 'literal', type: 'boolean', value: kw === 'TRUE' }, t.pos);
    }
    if (TYPED_LITERALS.includes(kw) && this.peek(1).kind === 'string') return this.typedLiteral(kw);
    const n = this.peek(1);
    const startsOperand = ['number', 'string', 'lparen'].includes(n.kind) || (n.kind === 'ident' && (n.quoted || !BINARY_WORDS.has(n.value.toUpperCase())));
    if (kw === 'INTERVAL' && (n.kind === 'string' || n.kind === 'number' || (this.isOp(n, '-') && this.peek(2).kind === 'number'))) return this.interval();
    if (kw === 'CASE' && (startsOperand || this.isKw(n, 'WHEN'))) return this.caseExpr();
    if (kw === 'CAST' && n.kind === 'lparen') return this.cast();
    if (kw === 'CURRENT_TIMESTAMP' && this.peek(1).kind !== 'lparen') {
      this.next();
      return this.at({ kind: 'call', name: 'CURRENT_TIMESTAMP', args: [] }, t.pos);
    }
    if (RESERVED.has(kw)) return this.fail(t, expected);
    this.next();
    if (!t.quoted && this.peek().kind === 'lparen') return this.call(t);
    const path = [t.value];
    while (this.isOp(this.peek(), '.')) {
      this.next();
      const p = this.next();
      if (p.kind !== 'ident') this.fail(p, "a field name after '.'");
      path.push(p.value);
    }
    return this.at({ kind: 'column', path }, t.pos);
  }

  private call(name: Token): Expr {
    this.next(); // '('
    const args: Expr[] = [];
    if (this.peek().kind === 'rparen') this.next();
    else {
      for (;;) {
        args.push(this.orExpr(`an argument of ${name.value.toUpperCase()}`));
        const s = this.next();
        if (s.kind === 'rparen') break;
        if (s.kind !== 'comma') this.fail(s, `',' or ')' in the arguments of ${name.value.toUpperCase()}`);
      }
    }
    return this.at({ kind: 'call', name: name.value.toUpperCase(), args }, name.pos);
  }

  private caseExpr(): Expr {
    const start = this.next();
    let subject: Expr | undefined;
    if (!this.isKw(this.peek(), 'WHEN')) subject = this.additive('WHEN or an expression after CASE');
    const branches: { when: Expr; then: Expr }[] = [];
    while (this.isKw(this.peek(), 'WHEN')) {
      const w = this.next();
      let when = this.orExpr('a condition after WHEN');
      if (subject) when = this.at({ kind: 'cmp', op: '=', left: subject, right: when }, w.pos);
      this.expectKw('THEN', 'THEN after the WHEN condition');
      branches.push({ when, then: this.orExpr('a value after THEN') });
    }
    if (branches.length === 0) this.fail(this.peek(), 'WHEN after CASE');
    let otherwise: Expr | undefined;
    if (this.isKw(this.peek(), 'ELSE')) {
      this.next();
      otherwise = this.orExpr('a value after ELSE');
    }
    this.expectKw('END', 'WHEN, ELSE or END in CASE');
    const e: Expr = otherwise ? { kind: 'case', branches, else: otherwise } : { kind: 'case', branches };
    return this.at(e, start.pos);
  }

  private cast(): Expr {
    const start = this.next();
    this.expect('lparen', "'(' after CAST");
    const operand = this.orExpr('an expression to CAST');
    this.expectKw('AS', 'AS in CAST(x AS type)');
    const to = this.typeName();
    this.expect('rparen', "')' after the CAST type");
    return this.at({ kind: 'cast', operand, to }, start.pos);
  }

  private typeName(): DataType {
    const t = this.next();
    if (t.kind !== 'ident') this.fail(t, 'a type name');
    const name = t.value.toLowerCase();
    if (name === 'decimal' || name === 'dec' || name === 'numeric') {
      if (this.peek().kind !== 'lparen') return 'decimal(10,0)';
      this.next();
      const p = this.expect('number', 'the precision of DECIMAL');
      let s = '0';
      if (this.peek().kind === 'comma') {
        this.next();
        s = this.expect('number', 'the scale of DECIMAL').text;
      }
      const close = this.expect('rparen', "')' after DECIMAL(p, s)");
      const precision = Number(p.text);
      const scale = Number(s);
      if (!Number.isInteger(precision) || !Number.isInteger(scale) || precision < 1 || precision > 38 || scale > precision) {
        this.fail(close, 'DECIMAL(p, s) with 1 <= p <= 38 and 0 <= s <= p');
      }
      return `decimal(${precision},${scale})`;
    }
    if (name === 'varchar' || name === 'char') {
      if (this.peek().kind === 'lparen') {
        this.next();
        this.expect('number', `the length of ${name.toUpperCase()}`);
        this.expect('rparen', `')' after ${name.toUpperCase()}(n)`);
      }
      return 'string';
    }
    const type = TYPE_NAMES[name];
    if (!type) this.fail(t, 'a type name (string, boolean, byte, short, int, long, float, double, decimal(p,s), date, timestamp, timestamp_ntz, binary)');
    return type;
  }

  private typedLiteral(kw: string): Literal {
    const t = this.next();
    const s = this.next();
    if (kw === 'X') {
      if (!/^([0-9a-fA-F]{2})*$/.test(s.value)) this.fail(s, "an even number of hex digits in X'...'");
      const bytes = new Uint8Array(s.value.length / 2);
      for (let k = 0; k < bytes.length; k++) bytes[k] = parseInt(s.value.slice(2 * k, 2 * k + 2), 16);
      return this.at({ kind: 'literal', type: 'binary', value: bytes }, t.pos);
    }
    const p = parseTimestampText(s.value);
    if (kw === 'DATE') {
      if (!p || !p.dateOnly) this.fail(s, 'a date in the form YYYY-MM-DD');
      return this.at({ kind: 'literal', type: 'date', days: Number(p.micros / MICROS_PER_DAY) }, t.pos);
    }
    if (!p) this.fail(s, 'a timestamp in the form YYYY-MM-DD HH:MM:SS[.ffffff]');
    return this.at({ kind: 'literal', type: 'timestamp', micros: p.micros }, t.pos);
  }

  /** `INTERVAL '5' MINUTE`, `INTERVAL 5 MINUTES`, `INTERVAL '-1' DAY`. */
  private interval(): Literal {
    const start = this.next();
    const v = this.next();
    let text: string;
    if (v.kind === 'string') text = v.value.trim();
    else if (v.kind === 'number') text = v.text;
    else if (this.isOp(v, '-') && this.peek().kind === 'number') text = `-${this.next().text}`;
    else return this.fail(v, "a quoted number after INTERVAL (INTERVAL '5' MINUTE)");
    const unit = this.next();
    if (unit.kind !== 'ident') this.fail(unit, 'an interval unit (YEAR, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND)');
    const lit = intervalLiteral(text, unit.value);
    if (lit === null) {
      const bad = /^[+-]?\d+(\.\d+)?$/.test(text) ? unit : v;
      this.fail(bad, bad === v ? 'a number in the interval' : 'an interval unit (YEAR, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND)');
    }
    return this.at(lit, start.pos);
  }
}

const TYPE_NAMES: Record<string, DataType> = {
  string: 'string',
  boolean: 'boolean',
  bool: 'boolean',
  byte: 'byte',
  tinyint: 'byte',
  short: 'short',
  smallint: 'short',
  int: 'integer',
  integer: 'integer',
  long: 'long',
  bigint: 'long',
  float: 'float',
  real: 'float',
  double: 'double',
  date: 'date',
  timestamp: 'timestamp',
  timestamp_ltz: 'timestamp',
  timestamp_ntz: 'timestamp_ntz',
  binary: 'binary',
};

function numberLiteral(text: string, src: string, pos: number, what: string): Literal {
  if (/^[+-]?\d+$/.test(text)) {
    const b = BigInt(text);
    if (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER)) {
      return { kind: 'literal', type: 'number', value: Number(b) };
    }
    return { kind: 'literal', type: 'bigint', value: b };
  }
  const v = Number(text);
  if (!Number.isFinite(v) || !parseDecimalText(text)) {
    syntaxError(src, pos, 'a finite number', { kind: 'number', text, value: text, pos }, what);
  }
  return { kind: 'literal', type: 'number', value: v, text };
}

/**
 * Parse a SQL expression: `price * (1 + tax) > 100 AND name LIKE 'a%'`, `CASE WHEN x > 0 THEN 'pos' END`,
 * `CAST(s AS int)`, `ts + INTERVAL '5' MINUTE`, `COALESCE(a, 0)`, `t.id = s.id`. Identifiers may be
 * `back-quoted` and dotted (`s.field`, or `rel.column` for a named relation); strings use single quotes ('' escapes
 * a quote); literals: numbers, true/false/null, DATE 'YYYY-MM-DD', TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC),
 * X'hex', INTERVAL 'n' UNIT. Throws ExpressionError naming the position (1-based) and what was expected.
 */
export function parseExpression(sql: string): Expr {
  return new Parser(sql, tokenize(sql, 'expression'), 'expression').parse('an expression');
}

/**
 * Parse a SQL predicate (an expression used as a filter): `a = 1 AND (b IN ('x','y') OR c IS NOT NULL)`.
 * Also `x NOT IN (...)`, `x [NOT] BETWEEN a AND b`, `x [NOT] LIKE 'p%'`, `<>`, `==`. That the result is boolean
 * is checked when it is compiled against a schema.
 */
export function parsePredicate(sql: string): Expr {
  return new Parser(sql, tokenize(sql, 'predicate'), 'predicate').parse('a predicate');
}
