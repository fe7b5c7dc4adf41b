// CSV reading for `deltats import`, by csv-parse: records with their 1-based start lines and SQL nulls, so errors
// can name file:line. Parsing only: inferring types (infer.ts) and converting fields (convert.ts) live elsewhere.
import { CsvError, parse } from 'csv-parse/sync';
import { InvalidArgumentError } from '../index.js';

export interface CsvOptions {
  /** Field separator, one character or a string (default ','). */
  delimiter?: string;
  /** Unquoted text read as null, besides the empty unquoted field (e.g. 'NULL', '\N'). */
  nullValue?: string;
  /** false: the first record is data, not column names. */
  header?: boolean;
}

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  /** null: an unquoted empty field or the null marker. A quoted empty field is ''. */
  fields: Array<string | null>;
}

interface Field {
  value: string;
  quoted: boolean;
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * 1-based line numbers of byte offsets. csv-parse's own line count is off after a CRLF inside a quoted field (it
 * counts CR and LF apart), so lines are counted here from the byte offsets it reports, CRLF, LF and CR alike.
 */
class Lines {
  private readonly starts: number[] = [0];
  constructor(private readonly buf: Uint8Array) {
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (c === LF || (c === CR && buf[i + 1] !== LF)) this.starts.push(i + 1);
    }
  }

  /** Line of the first character at or after `offset` that is not a line break (skipped empty lines), skipping a BOM. */
  startingAt(offset: number): number {
    let i = offset;
    if (i === 0 && this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) i = 3;
    while (this.buf[i] === CR || this.buf[i] === LF) i++;
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

function describeError(e: CsvError): string {
  switch (e.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      return e.message.replace(/^Invalid Record Length: expect (\d+), got (\d+) on line \d+$/, 'expected $1 fields, found $2');
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'quoted field not closed (it runs to the end of the file)';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `field ${Number(e.index) + 1}: unexpected character after a closing quote (a quote inside a quoted field is written "")`;
    case 'INVALID_OPENING_QUOTE':
      return `field ${Number(e.index) + 1}: quote inside an unquoted field (quote the whole field and write the quote as "")`;
    default:
      return e.message.replace(/ (at|on) line \d+/, '');
  }
}

/**
 * Parse CSV (UTF-8, BOM, quotes, embedded newlines, CRLF, LF or CR). Without `header: false`, the first record names
 * the columns. A malformed record fails naming the line it starts on.
 */
export function parseCsv(input: string | Uint8Array, file: string, options: CsvOptions = {}): { header: string[] | null; records: CsvRecord[] } {
  const bytes = typeof input === 'string' ? Buffer.from(input) : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const lines = new Lines(bytes);
  const delimiter = options.delimiter ?? ',';
  if (delimiter === '' || /[\r\n"]/.test(delimiter)) {
    throw new InvalidArgumentError(`--delimiter must be a non-empty string without quotes or line breaks (got ${JSON.stringify(delimiter)})`);
  }
  // Each record is kept with the line it starts on, from where the previous record ended (on_record returns null:
  // csv-parse keeps nothing itself).
  const rows: Array<{ record: Field[]; line: number }> = [];
  let end = 0;
  try {
    parse(bytes, {
      bom: true,
      delimiter,
      record_delimiter: ['\r\n', '\n', '\r'],
      skip_empty_lines: true,
      cast: (value, ctx): Field => ({ value, quoted: ctx.quoting }),
      on_record: (record, ctx) => {
        rows.push({ record: record as unknown as Field[], line: lines.startingAt(end) }); // cast made each field a Field
        end = ctx.bytes;
        return null;
      },
    });
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    throw new InvalidArgumentError(`${file}:${lines.startingAt(end)}: ${describeError(e)}`);
  }
  const nullValue = options.nullValue;
  const head = options.header === false ? undefined : rows.shift();
  const records: CsvRecord[] = rows.map(({ record, line }) => ({
    line,
    fields: record.map((f) => (!f.quoted && (f.value === '' || f.value === nullValue) ? null : f.value)),
  }));
  if (options.header === false) return { header: null, records };
  if (!head) throw new InvalidArgumentError(`${file}: empty CSV file (a header row is required; --no-header reads the first row as data)`);
  const header = head.record.map((f, i) => {
    const name = f.value.trim();
    if (!name) throw new InvalidArgumentError(`${file}:${head.line}: column ${i + 1} of the header has no name`);
    return name;
  });
  return { header, records };
}
