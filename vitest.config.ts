import { defineConfig } from 'vitest/config';

// One vitest run over every project; each lib keeps its *.spec.ts files beside the code.
export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'core', root: 'libs/core', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'compute', root: 'libs/compute', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'model', root: 'libs/model', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'tokenizer', root: 'libs/tokenizer', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'data', root: 'libs/data', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'run', root: 'libs/run', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'trainer', root: 'libs/trainer', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'metrics', root: 'libs/metrics', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'report', root: 'libs/report', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'comm', root: 'libs/comm', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'proto', root: 'libs/proto', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'native-kernels', root: 'libs/native-kernels', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'coordinator', root: 'apps/coordinator', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'worker', root: 'apps/worker', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'cli', root: 'apps/cli', include: ['src/**/*.spec.ts'] } },
      { extends: true, test: { name: 'e2e', root: 'test', include: ['**/*.spec.ts'] } },
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
