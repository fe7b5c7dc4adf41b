// `npm run bench`: every benchmark of the project, one after another. Figures are ratios against a baseline
// measured in the same run, plus absolute numbers. Select with: npm run bench -- core|streaming
import { run as core } from './core.js';

const which = process.argv[2];
const suites: Record<string, () => Promise<void>> = { core };
try {
  const streaming = await import('./streaming.js');
  if (typeof streaming.run === 'function') suites.streaming = streaming.run;
} catch {
  // The streaming benchmark is optional while it is being built.
}
for (const [name, run] of Object.entries(suites)) {
  if (which && which !== name) continue;
  console.log(`\n######## ${name}`);
  await run();
}
