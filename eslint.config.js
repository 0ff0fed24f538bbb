import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * Module boundaries (docs/architecture.md): who may import whom, per folder. Flat config applies
 * only the last `no-restricted-imports` setting that matches a file, so these folders must not
 * overlap. The rule sees import and export specifiers (type-only imports included), not `import()`.
 */
const restrictImports = (files, restrictions) => ({
  files,
  rules: { 'no-restricted-imports': ['error', restrictions] },
});

const boundaries = [
  // common/ is what several modules share; it imports only infrastructure, never a feature.
  restrictImports(['src/common/**/*.ts'], {
    patterns: [
      {
        regex: '^(\\.\\./)+(?!(common|config|database|logging|metrics)/)[\\w-]+/',
        message:
          'common/ imports no feature module, only config/, database/, logging/ and metrics/ (docs/architecture.md).',
      },
      {
        regex: '^(\\.\\./)+(app\\.module|bootstrap|cli|main|server)\\.js$',
        message:
          'common/ imports no feature module and not the application (docs/architecture.md).',
      },
    ],
  }),
  // Auth and SCIM call the Workspace module; it never calls them back.
  restrictImports(['src/workspace/**/*.ts'], {
    patterns: [
      {
        regex: '^(\\.\\./)+(auth|scim)(/|\\.js$)',
        message:
          'workspace/ imports neither auth/ nor scim/: they call the Workspace module, not the other way round (docs/architecture.md).',
      },
    ],
  }),
  // SCIM protocol code is pure: parsing, matching and PATCH logic without Nest or TypeORM.
  restrictImports(
    ['src/scim/protocol/**/*.ts', 'src/scim/filter/**/*.ts', 'src/scim/patch/**/*.ts'],
    {
      paths: [
        {
          name: 'typeorm',
          message:
            'SCIM protocol code is pure: no TypeORM here; storage is in scim/store/ (docs/architecture.md).',
        },
      ],
      patterns: [
        {
          group: ['@nestjs/*', 'typeorm/*'],
          message:
            'SCIM protocol code is pure: no Nest or TypeORM here; HTTP is in scim/http/, storage in scim/store/ (docs/architecture.md).',
        },
      ],
    },
  ),
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'eslint.config.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // An interface that only extends one type names it (a DTO class's fields, merged in).
      '@typescript-eslint/no-empty-object-type': [
        'error',
        { allowInterfaces: 'with-single-extends' },
      ],
    },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript that runs before anything is compiled (scripts/build-if-changed.mjs):
    // outside the TypeScript project, so linted without type information, for Node.
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly' },
    },
  },
  ...boundaries,
  prettier,
);
