import { defineConfig } from 'vitest/config';

// Tests import workspace packages by name; the `kinesis-kit-source` export condition points
// them at `src/` so a test run never depends on a stale `dist/`.
export default defineConfig({
  resolve: { conditions: ['kinesis-kit-source'] },
  ssr: { resolve: { conditions: ['kinesis-kit-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
