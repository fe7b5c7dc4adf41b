// parseCommit / serializeActions / readCommit and log file name parsing.
import { afterAll, describe, expect, it } from 'vitest';
import { ProtocolError, VersionNotFoundError } from '../../src/errors.js';
import { parseCommit, readCommit, serializeActions } from '../../src/log/codec.js';
import {
  LAST_CHECKPOINT,
  LOG_DIR,
  commitPath,
  multiPartCheckpointPath,
  parseLogFileName,
  sidecarPath,
  v2CheckpointPath,
} from '../../src/log/paths.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { add, metaData, newTable, protocol, writeRaw } from './log_helpers.js';

afterAll(cleanupTempDirs);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('paths', () => {
  it('formats commit paths and constants', () => {
    expect(LOG_DIR).toBe('_delta_log');
    expect(LAST_CHECKPOINT).toBe('_delta_log/_last_checkpoint');
    expect(commitPath(12)).toBe('_delta_log/00000000000000000012.json');
    expect(() => commitPath(-1)).toThrow(RangeError);
  });

  it('parses every log file kind', () => {
    expect(parseLogFileName('_delta_log/00000000000000000012.json')).toEqual({ kind: 'commit', version: 12 });
    expect(parseLogFileName('00000000000000000010.checkpoint.parquet')).toMatchObject({
      kind: 'checkpoint',
      checkpointKind: 'single',
      version: 10,
    });
    expect(parseLogFileName('00000000000000000001.checkpoint.0000000002.0000000003.parquet')).toMatchObject({
      kind: 'checkpoint',
      checkpointKind: 'multi',
      version: 1,
      part: 2,
      parts: 3,
    });
    const uuid = '6374b053-df23-479b-b2cf-c9c550132b49';
    expect(parseLogFileName(`00000000000000000002.checkpoint.${uuid}.json`)).toMatchObject({
      kind: 'checkpoint',
      checkpointKind: 'v2',
      version: 2,
      uuid,
      format: 'json',
    });
    expect(parseLogFileName(`00000000000000000002.checkpoint.${uuid}.parquet`)).toMatchObject({ format: 'parquet', uuid });
    expect(parseLogFileName('00000000000000000007.crc')).toEqual({ kind: 'crc', version: 7 });
    expect(parseLogFileName('00000000000000000003.00000000000000000009.compacted.json')).toMatchObject({
      kind: 'compacted',
      version: 3,
      endVersion: 9,
    });
    expect(parseLogFileName('_last_checkpoint')).toBeNull();
    expect(parseLogFileName('0000000000000000001.json')).toBeNull(); // 19 digits
    expect(parseLogFileName('00000000000000000001.checkpoint.0000000004.0000000003.parquet')).toBeNull();
  });

  it('resolves sidecar paths into _delta_log/_sidecars', () => {
    expect(sidecarPath('a.parquet')).toBe('_delta_log/_sidecars/a.parquet');
    expect(sidecarPath('s3://b/t/_delta_log/_sidecars/a%20b.parquet')).toBe('_delta_log/_sidecars/a b.parquet');
  });

  it('round-trips the path builders through the parser', () => {
    expect(parseLogFileName(multiPartCheckpointPath(5, 1, 2))).toMatchObject({ version: 5, part: 1, parts: 2 });
    expect(parseLogFileName(v2CheckpointPath(5, '6374b053-df23-479b-b2cf-c9c550132b49', 'json'))).toMatchObject({ version: 5 });
  });
});

describe('codec', () => {
  it('parses one action per line, skips blank lines and unknown actions', () => {
    const text = [
      JSON.stringify(protocol()),
      '',
      JSON.stringify({ futureAction: { x: 1 } }),
      JSON.stringify(metaData()),
      '   ',
      JSON.stringify(add('a.parquet', { newField: 'kept' } as never)),
    ].join('\n');
    const actions = parseCommit(enc(text), '_delta_log/00000000000000000000.json');
    expect(actions.map((a) => Object.keys(a)[0])).toEqual(['protocol', 'metaData', 'add']);
    expect((actions[2] as { add: Record<string, unknown> }).add.newField).toBe('kept');
  });

  it('names file and 1-based line of a malformed line', () => {
    const text = `${JSON.stringify(protocol())}\n${JSON.stringify(metaData())}\n{"add": {"path": "x"`;
    let err: unknown;
    try {
      parseCommit(enc(text), '_delta_log/00000000000000000003.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).file).toBe('_delta_log/00000000000000000003.json');
    expect((err as ProtocolError).line).toBe(3);
    expect((err as Error).message).toMatch(/malformed JSON.*\(_delta_log\/00000000000000000003\.json, line 3\)/);
  });

  it('names the missing required field', () => {
    const bad = JSON.stringify({ add: { path: 'a', partitionValues: {}, modificationTime: 1, dataChange: true } });
    expect(() => parseCommit(enc(`\n${bad}\n`), 'f.json')).toThrow(/required field 'add\.size' is missing \(f\.json, line 2\)/);
    expect(() => parseCommit(enc(JSON.stringify({ remove: { path: 'a' } })), 'f.json')).toThrow(/'remove\.dataChange' is missing/);
    expect(() => parseCommit(enc(JSON.stringify({ metaData: { id: 'x', partitionColumns: [] } })), 'f.json')).toThrow(
      /'metaData\.schemaString' is missing/,
    );
    expect(() => parseCommit(enc(JSON.stringify({ protocol: { minReaderVersion: '1', minWriterVersion: 2 } })), 'f.json')).toThrow(
      /'protocol\.minReaderVersion' must be a number/,
    );
    expect(() => parseCommit(enc('[1,2]'), 'f.json')).toThrow(/must be a JSON object/);
  });

  it('serializes one JSON object per line with a trailing newline and keeps unknown fields', () => {
    const actions = [protocol({ extra: { a: 1 } } as never), add('p=1/a b.parquet', { tags: { k: 'v' } })];
    const bytes = serializeActions(actions);
    const text = new TextDecoder().decode(bytes);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(3);
    expect(parseCommit(bytes, 'x')).toEqual(actions);
  });

  it('readCommit reads from a store and reports a missing version', async () => {
    const { store } = newTable();
    await writeRaw(store, commitPath(0), `${JSON.stringify(protocol())}\n`);
    expect(await readCommit(store, 0)).toEqual([protocol()]);
    await expect(readCommit(store, 1)).rejects.toBeInstanceOf(VersionNotFoundError);
  });
});
