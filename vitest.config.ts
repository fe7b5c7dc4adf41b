import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // The globalSetup teardown may stop a radosgw it started (each daemon gets up to 15 s to exit).
    teardownTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/setup/s3.ts'],
  },
});
