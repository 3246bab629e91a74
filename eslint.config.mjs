import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Import direction (docs/architecture.md): apps wire libs together; libs never import apps; the
// model knows nothing of data, networking or Kubernetes; every lib may import libs/core (the error
// base class and shared constants), which imports nothing.
// Libraries take their settings as arguments: only apps/ read the environment. A later flat-config
// block replaces an earlier one's options for the same rule, so each no-restricted-imports block
// below spreads these in.
const ENV_MESSAGE = 'Libraries take settings as arguments; read the environment in apps/ and pass it down.';
const processEnvImports = [
  { name: 'node:process', importNames: ['env'], message: ENV_MESSAGE },
  { name: 'process', importNames: ['env'], message: ENV_MESSAGE },
];
const networkAndCluster = ['@grpc/*', '@kubernetes/*', 'node:net', 'net', 'better-sqlite3'];

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/build/**', 'libs/proto/src/gen/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // Apps wire libs; only the CLI (one binary: coordinator, worker, train) may wrap other apps.
            { sourceTag: 'scope:coordinator', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:worker', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['type:lib', 'scope:coordinator', 'scope:worker'] },
            { sourceTag: 'scope:core', onlyDependOnLibsWithTags: [], bannedExternalImports: networkAndCluster },
            { sourceTag: 'scope:compute', onlyDependOnLibsWithTags: ['scope:core', 'scope:compute'], bannedExternalImports: networkAndCluster },
            { sourceTag: 'scope:tokenizer', onlyDependOnLibsWithTags: ['scope:core'], bannedExternalImports: networkAndCluster },
            { sourceTag: 'scope:model', onlyDependOnLibsWithTags: ['scope:core', 'scope:compute'], bannedExternalImports: networkAndCluster },
            { sourceTag: 'scope:data', onlyDependOnLibsWithTags: ['scope:core', 'scope:tokenizer'], bannedExternalImports: networkAndCluster },
            { sourceTag: 'scope:proto', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:comm', onlyDependOnLibsWithTags: ['scope:core', 'scope:proto'], bannedExternalImports: ['@kubernetes/*'] },
            // Prometheus metric definitions and the /metrics server; apps wire it, the trainer sees an interface.
            { sourceTag: 'scope:metrics', onlyDependOnLibsWithTags: ['scope:core'], bannedExternalImports: ['@grpc/*', '@kubernetes/*', 'better-sqlite3'] },
            // Charts, report.html and the live page; apps serve it.
            { sourceTag: 'scope:report', onlyDependOnLibsWithTags: ['scope:core'], bannedExternalImports: ['@grpc/*', '@kubernetes/*', 'better-sqlite3', 'prom-client'] },
            // A run's one configuration (RunSpec) and the reading of its model, tokenizer and data.
            { sourceTag: 'scope:run', onlyDependOnLibsWithTags: ['scope:core', 'scope:model', 'scope:data', 'scope:tokenizer', 'scope:trainer', 'scope:compute'], bannedExternalImports: networkAndCluster },
            {
              sourceTag: 'scope:trainer',
              onlyDependOnLibsWithTags: ['scope:core', 'scope:model', 'scope:data', 'scope:tokenizer', 'scope:compute', 'scope:comm'],
            },
          ],
        },
      ],
    },
  },
  {
    // Configuration is read once, at the edge: only apps/ read the environment; a library takes its
    // settings as arguments (house style: "No process.env below apps").
    files: ['libs/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/test-support.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: ENV_MESSAGE }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...processEnvImports,
          ],
        },
      ],
    },
  },
  {
    // libs/comm's ring core (ring all-reduce, mailbox, wire codec, the Transport interface) knows no
    // network: gRPC and sockets live in its sibling rooms grpc/ and data-plane/, which build on it.
    files: ['libs/comm/src/ring/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...processEnvImports,
            { name: 'node:net', message: 'The ring core knows no sockets; the TCP data plane lives in libs/comm/src/data-plane/.' },
            { name: 'net', message: 'The ring core knows no sockets; the TCP data plane lives in libs/comm/src/data-plane/.' },
            { name: 'node:tls', message: 'The ring core knows no sockets; the TCP data plane lives in libs/comm/src/data-plane/.' },
            { name: 'tls', message: 'The ring core knows no sockets; the TCP data plane lives in libs/comm/src/data-plane/.' },
          ],
          patterns: [
            { group: ['@grpc/*'], message: 'The ring core knows no gRPC; the Collective endpoint and GrpcTransport live in libs/comm/src/grpc/.' },
            { group: ['../grpc', '../grpc/*', '../data-plane', '../data-plane/*'], message: 'The ring core must not import its sibling rooms (grpc/, data-plane/); they import it.' },
          ],
        },
      ],
    },
  },
  {
    // The data plane (TCP and shared memory) is gRPC-free: the gRPC room negotiates it and builds on it.
    files: ['libs/comm/src/data-plane/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...processEnvImports,
          ],
          patterns: [
            { group: ['@grpc/*', '../grpc', '../grpc/*'], message: 'The data plane knows no gRPC; the grpc/ room negotiates it and imports it, not the other way round.' },
          ],
        },
      ],
    },
  },
];
