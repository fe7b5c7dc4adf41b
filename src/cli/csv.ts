// RFC 4180 CSV parsing for `deltats import`: records with their 1-based line numbers, so errors can name file:line:column.
// Parsing only: converting the text fields to the table's types lives in src/cli/convert.ts.
import { InvalidArgumentError } from '../errors.js';

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
  /** Whether each field was quoted (a quoted empty field is an empty string, an unquoted one is null). */
  quoted: boolean[];
}

/** Parse CSV text (comma separator, '"' quotes, CRLF or LF). The first record is the header. */
export function parseCsv(text: string, file: string): { header: string[]; records: CsvRecord[] } {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // BOM
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    const quoted: boolean[] = [];
    let col = 1;
    for (;;) {
      let value = '';
      let wasQuoted = false;
      if (text[i] === '"') {
        wasQuoted = true;
        const qLine = line;
        const qCol = col;
        i++;
        for (;;) {
          if (i >= n) throw new InvalidArgumentError(`${file}:${qLine}:${qCol}: unterminated quoted field`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          value += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw new InvalidArgumentError(`${file}:${line}:${col}: unexpected character '${text[i]}' after a closing quote`);
        }
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') {
          if (text[j] === '"') throw new InvalidArgumentError(`${file}:${line}:${col}: quote inside an unquoted field`);
          j++;
        }
        value = text.slice(i, j);
        i = j;
      }
      fields.push(value);
      quoted.push(wasQuoted);
      if (i < n && text[i] === ',') {
        i++;
        col++;
        continue;
      }
      // End of record.
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    // Skip blank lines (a record of one empty unquoted field).
    if (fields.length === 1 && fields[0] === '' && !quoted[0]) continue;
    records.push({ line: start, fields, quoted });
  }
  const head = records.shift();
  if (!head) throw new InvalidArgumentError(`${file}: empty CSV file (a header row is required)`);
  const header = head.fields.map((h) => h.trim());
  for (const r of records) {
    if (r.fields.length !== header.length) {
      throw new InvalidArgumentError(
        `${file}:${r.line}: expected ${header.length} fields (header ${header.join(',')}), found ${r.fields.length}`,
      );
    }
  }
  return { header, records };
}
