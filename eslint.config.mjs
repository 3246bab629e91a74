import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Import direction (see ../shared/docs/house-style.md): apps wire libs together; libs never import
// apps; the model knows nothing of data, networking or Kubernetes.
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
            { sourceTag: 'scope:compute', onlyDependOnLibsWithTags: ['scope:compute'], bannedExternalImports: networkAndCluster },
            { sourceTag: 'scope:tokenizer', onlyDependOnLibsWithTags: [], bannedExternalImports: networkAndCluster },
            { sourceTag: 'scope:model', onlyDependOnLibsWithTags: ['scope:compute'], bannedExternalImports: networkAndCluster },
            { sourceTag: 'scope:data', onlyDependOnLibsWithTags: ['scope:tokenizer'], bannedExternalImports: networkAndCluster },
            { sourceTag: 'scope:proto', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:comm', onlyDependOnLibsWithTags: ['scope:proto'], bannedExternalImports: ['@kubernetes/*'] },
            {
              sourceTag: 'scope:trainer',
              onlyDependOnLibsWithTags: ['scope:model', 'scope:data', 'scope:tokenizer', 'scope:compute', 'scope:comm', 'scope:metrics'],
            },
          ],
        },
      ],
    },
  },
];
