// ESLint flat config: type-aware typescript-eslint rules over src/, test/, bench/, scripts/ and
// ormconfig.ts, with Prettier owning formatting (eslint-config-prettier comes last).
import { readdirSync } from 'node:fs';
import { posix } from 'node:path';
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Which folder of src/ may import which (docs/ARCHITECTURE.md, "Dependency rules"). Groups from
// the bottom up: a folder may import the folders of the groups below its own, never its own
// group's other folders nor anything above. Files of src/ import each other by relative paths only,
// and each folder of src/ gets its own rule holding the exact relative path from it to every folder
// it must not reach, so an import is judged by the folder it reaches, from any depth.
const LAYERS = [
  {
    kind: 'infrastructure',
    groups: [
      ['config', 'http'],
      ['logging'],
      ['errors'],
      ['common'],
      ['request-body', 'redis', 'database', 'queue'],
      ['metrics'],
      ['security'],
    ],
  },
  {
    kind: 'domain',
    groups: [
      ['template', 'sms', 'phone'],
      ['inbound'],
      ['rate-limit'],
      ['accounts'],
      ['quota'],
      ['consent'],
      ['error-log'],
      ['batch'],
    ],
  },
  { kind: 'edge', groups: [['monitoring', 'dashboard', 'openapi', 'webhooks']] },
];
// Where a name is not a folder of src/: the error log is a read model of its own in src/errors/.
const DIRS = { 'error-log': 'errors/error-log' };
// Entry points and composition roots import whatever they assemble, like src/app.module.ts and
// src/main.ts: the operator's CLIs, and the data source's list of every entity.
const ROOTS = ['src/**/*.cli.ts', 'src/database/data-source-options.ts'];
// Why an import the layering forbids is wrong, where a sentence says more than the layering.
const REASONS = {
  'batch>monitoring': 'monitoring consumes batch events (src/batch/events)',
  'metrics>rate-limit': 'metrics labels by the tiers of rate-limit/tier-rates.ts only',
};
// Metrics counts by priority tier: that vocabulary, and nothing else of rate-limit, is below it.
const ALLOWED = { metrics: { 'rate-limit': '(?!tier-rates$)' } };

const elements = LAYERS.flatMap(({ kind, groups }, layer) =>
  groups.flatMap((group, rank) =>
    group.map((name) => ({ name, kind, layer, rank, dir: DIRS[name] ?? name })),
  ),
);
// A folder no rule names could import anything: every folder of src/ takes a place above.
const unplaced = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !elements.some((e) => e.dir === entry.name))
  .map((entry) => entry.name);
if (unplaced.length)
  throw new Error(`eslint.config.mjs: place src/${unplaced.join(', src/')} in LAYERS.`);

const below = (a, b) => a.layer > b.layer || (a.layer === b.layer && a.rank > b.rank);

function reason(from, to) {
  const why = REASONS[`${from.name}>${to.name}`];
  if (why) return why;
  if (from.kind === 'infrastructure' && to.kind !== 'infrastructure')
    return 'infrastructure imports no domain or edge folder';
  if (to.kind === 'edge') return `${to.name} is an edge: it consumes the domain, never the reverse`;
  if (from.layer === to.layer && from.rank === to.rank)
    return `${from.name} and ${to.name} are peers: neither imports the other`;
  return `${to.name} sits above ${from.name}: ${from.kind} folders import only what is below them`;
}

// Imports every file of src/ obeys, roots included: a path the folder rules below cannot judge.
const UNCHECKABLE = [
  {
    regex: '^src(?:/|$)',
    message:
      'import from src/ with a relative path: a bare src/ path (tsconfig baseUrl) escapes the dependency rules (docs/ARCHITECTURE.md, "Dependency rules").',
  },
  {
    regex: '/\\.(?:/|$)|(?:^|/)(?!\\.\\.(?:/|$))[^/]+/\\.\\.(?:/|$)',
    message:
      'write the relative path in its shortest form (no `./..`, `/./` or `dir/..`): the dependency rules match imports by the folder they name (docs/ARCHITECTURE.md, "Dependency rules").',
  },
];
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The import of `to`'s folder from a file of src/`dir`, as the shortest relative path spells it.
// What lies in a folder placed on its own (errors/error-log in errors) is that folder's, not `to`'s.
function importOf(dir, from, to) {
  const rel = posix.relative(dir, to.dir);
  const path = rel.startsWith('..') ? rel : `./${rel}`;
  const nested = elements
    .filter((e) => e.dir.startsWith(`${to.dir}/`))
    .map((e) => escape(e.dir.slice(to.dir.length + 1)));
  const notNested = nested.length ? `(?!/(?:${nested.join('|')})(?:/|$))` : '';
  const tail = ALLOWED[from.name]?.[to.name] ?? '';
  return `^${escape(path)}${notNested}(?:/${tail}|$)`;
}

// Every folder below src/, and the placed folder each belongs to (the deepest that contains it).
const foldersIn = (dir) =>
  readdirSync(new URL(`./src/${dir}`, import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => [`${dir}${entry.name}`, ...foldersIn(`${dir}${entry.name}/`)]);
const folders = foldersIn('');
const owner = (dir) =>
  elements
    .filter((e) => dir === e.dir || dir.startsWith(`${e.dir}/`))
    .reduce((deepest, e) => (e.dir.length > deepest.dir.length ? e : deepest));

/** One block per folder of src/: its files' imports checked against the folders they reach. */
const dependencyRules = [
  {
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: UNCHECKABLE }] },
  },
  ...folders.map((dir) => {
    const from = owner(dir);
    const forbidden = elements.filter((to) => to !== from && !below(from, to));
    return {
      files: [`src/${dir}/*.ts`],
      ignores: ROOTS,
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              ...UNCHECKABLE,
              ...forbidden.map((to) => ({
                regex: importOf(dir, from, to),
                message: `${from.name} must not import ${to.name}: ${reason(from, to)} (docs/ARCHITECTURE.md, "Dependency rules").`,
              })),
            ],
          },
        ],
      },
    };
  }),
];

export default defineConfig(
  {
    ignores: ['dist/', 'node_modules/', 'coverage/', 'scripts/*.js', 'eslint.config.mjs'],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // `_`-prefixed names mark parameters a Nest interface or a callback signature requires.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests pass mocked methods to expect() unbound, and read supertest's `res.body`, typed `any`.
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  ...dependencyRules,
  prettier,
);
