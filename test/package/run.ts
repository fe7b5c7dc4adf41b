// Consumer test (`npm run test:package`): packs deltats, installs the tarball into an empty temp project with
// production dependencies only, and uses it there as a user would (ESM import, strict TypeScript, `npx deltats`).
// Prints one line per check and `N passed, N failed`; exits 1 when a check fails. Removes its temp folders.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..');
const FIXTURES = join(import.meta.dirname, 'consumer');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a consumer: no npm_* variables of our own `npm run`, no loaders, no repo bin folder on PATH. */
function consumerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD') env[k] = v;
  }
  const repoBins = join(REPO, 'node_modules', '.bin');
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => p && !p.startsWith(repoBins) && !p.includes(`${join('node_modules', '.bin')}`))
    .join(delimiter);
  return env;
}

function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: consumerEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 600_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Throws with the command, exit code and output tail unless it exited 0; returns stdout. */
async function mustRun(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) {
    throw new Error(`\`${[cmd, ...args].join(' ')}\` exited ${r.code}\n${tail(r.stderr || r.stdout)}`);
  }
  return r.stdout;
}

function expect(cond: boolean, what: string): void {
  if (!cond) throw new Error(what);
}

let passed = 0;
let failed = 0;
async function check(name: string, body: () => Promise<string | void>): Promise<boolean> {
  try {
    const detail = await body();
    passed++;
    console.log(`PASS ${name}${detail ? `: ${detail}` : ''}`);
    return true;
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${(e as Error).message.replace(/\n/g, '\n     ')}`);
    return false;
  }
}

const root = mkdtempSync(join(tmpdir(), 'deltats-package-'));
const cleanup = (): void => rmSync(root, { recursive: true, force: true });
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    cleanup();
    process.exit(130);
  });
}

async function main(): Promise<void> {
  const app = join(root, 'app');
  const npm = 'npm';
  let tarball = '';

  const packed = await check('npm pack ships only dist, bin, README.md, LICENSE, package.json', async () => {
    // prepack builds dist/; --ignore-scripts=false in case the user's npm config disables scripts.
    const out = await mustRun(npm, ['pack', '--json', '--ignore-scripts=false', '--foreground-scripts=false', '--pack-destination', root], REPO);
    const info = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = info[0]!.files.map((f) => f.path);
    tarball = join(root, info[0]!.filename);
    const stray = files.filter((f) => !/^(dist\/.+|bin\/.+|README\.md|LICENSE|package\.json)$/.test(f));
    expect(stray.length === 0, `unexpected files in the tarball: ${stray.slice(0, 10).join(', ')}`);
    for (const need of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/storage/parquet_worker.js', 'bin/deltats.mjs', 'LICENSE', 'README.md']) {
      expect(files.includes(need), `${need} is missing from the tarball`);
    }
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length === 0, `source maps point at sources that are not shipped: ${maps.slice(0, 5).join(', ')}`);
    return `${files.length} files`;
  });
  if (!packed) return;

  const installed = await check('npm install <tarball> --omit=dev into an empty project', async () => {
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'deltats-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
    const r = await run(npm, ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
    if (r.code !== 0) throw new Error(`npm install exited ${r.code}\n${tail(r.stderr || r.stdout)}`);
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'deltats', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    const ours = INSTALL_SCRIPTS.filter((s) => pkg.scripts?.[s] !== undefined);
    expect(ours.length === 0, `deltats declares install scripts: ${ours.join(', ')}`);
    const warned = (r.stdout + r.stderr).split('\n').filter((l) => /install-scripts/.test(l) && /deltats/.test(l));
    expect(warned.length === 0, `npm warns about install scripts of deltats: ${warned.join(' | ')}`);
    for (const dev of ['tsx', 'typescript', 'vitest']) {
      expect(!existsSync(join(app, 'node_modules', dev)), `dev dependency ${dev} was installed into the consumer`);
    }
  });
  if (!installed) return;

  await check('ESM script: create, append (objects and Arrow), scan with a filter, time travel, history', async () => {
    copyFileSync(join(FIXTURES, 'smoke.mjs'), join(app, 'smoke.mjs'));
    return (await mustRun(process.execPath, ['smoke.mjs', join(app, 'smoke-table')], app)).trim();
  });

  await check("the README's example runs as written", async () => {
    const readme = readFileSync(join(app, 'node_modules', 'deltats', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Use it in your project'));
    const example = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example !== undefined, 'no ```js example under "## Use it in your project" in the shipped README');
    mkdirSync(join(app, 'readme'));
    writeFileSync(join(app, 'readme', 'example.mjs'), example!);
    const out = await mustRun(process.execPath, ['example.mjs'], join(app, 'readme'));
    expect(/id: 1n, kind: 'click'/.test(out) && !/view/.test(out), `the example printed:\n${tail(out)}`);
  });

  await check('TypeScript using the public types compiles with tsc --noEmit --strict', async () => {
    copyFileSync(join(FIXTURES, 'types.ts'), join(app, 'types.ts'));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          // Node's own types from the repo (a Node consumer has @types/node); deltats' types come from the tarball.
          typeRoots: [join(REPO, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['types.ts'],
      }),
    );
    await mustRun(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
  });

  await check('npx deltats --help', async () => {
    const out = await mustRun('npx', ['--no-install', 'deltats', '--help'], app);
    expect(/^Usage: deltats <command>/m.test(out), `--help printed no usage:\n${tail(out)}`);
  });

  await check('npx deltats create, import, cat; import creates a table from a CSV', async () => {
    writeFileSync(join(app, 'people.csv'), 'id,name\n1,ada\n2,"grace, rear admiral"\n');
    await mustRun('npx', ['--no-install', 'deltats', 'create', './people', '--schema', 'id:long not null,name:string'], app);
    const imp = await mustRun('npx', ['--no-install', 'deltats', 'import', './people', 'people.csv', '--json'], app);
    expect((JSON.parse(imp) as { version: number }).version === 1, `import did not commit version 1: ${imp}`);
    const out = await mustRun('npx', ['--no-install', 'deltats', 'cat', './people', '--format', 'jsonl'], app);
    const rows = out.trim().split('\n').map((l) => JSON.parse(l) as { id: number; name: string });
    const names = rows.map((r) => `${r.id}:${r.name}`).sort();
    expect(JSON.stringify(names) === JSON.stringify(['1:ada', '2:grace, rear admiral']), `cat printed ${out}`);
    const created = await mustRun('npx', ['--no-install', 'deltats', 'import', './inferred', 'people.csv', '--json'], app);
    const info = JSON.parse(created) as { created: boolean; schema: { fields: Array<{ name: string; type: unknown }> } };
    const cols = info.schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(',');
    expect(info.created && cols === 'id:long,name:string', `import into a new table: ${created}`);
  });
}

try {
  await main();
} catch (e) {
  failed++;
  console.log(`FAIL (runner): ${(e as Error).stack ?? String(e)}`);
} finally {
  cleanup();
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
