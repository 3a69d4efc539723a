import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * Layers (docs/architecture.md, "Layers"): every import runs downwards.
 *
 *   config ← core ← auth | webhooks | observability ← jobs ← http ← runtime, entry points
 *   workers: handlers, shared workers/*.ts ← executor, notifier; anything below http, never http
 *
 * One block per layer; each names what that layer may not import, as regular expressions
 * over the import specifier (relative, so `(../)+` climbs to src/ or to the repository
 * root). Type-only imports count too. test/, bench/, scripts/, demo/ and packages/ are free.
 */
const SRC_LAYERS = ['config', 'core', 'auth', 'webhooks', 'observability', 'jobs', 'http', 'runtime', 'cli'];

/** From a file in src/<layer>/: importing any of `dirs` (siblings under src/), or workers/ (unless `workers`), or the entry files. */
function srcLayer(name, dirs, why, { workers = false } = {}) {
  return {
    name: `layers/src/${name}`,
    files: [`src/${name}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...(dirs.length > 0 ? [{ regex: `^(\\.\\./)+(${dirs.join('|')})/`, message: `src/${name} ${why}` }] : []),
          ...(workers ? [] : [{ regex: '^(\\.\\./)+workers/', message: `src/${name} never imports workers/: only src/runtime composes workers with src/.` }]),
          { regex: '^(\\.\\./)+(server|main)\\.js$', message: 'src/server.ts and src/main.ts are entry points: nothing imports them.' },
        ],
      }],
    },
  };
}

const except = (...allowed) => SRC_LAYERS.filter((l) => !allowed.includes(l));

/** From a file in workers/<dir>/: importing any of `srcDirs` (under src/) or `workerDirs` (siblings under workers/). */
function workerLayer(name, files, srcDirs, workerDirs, why) {
  return {
    name: `layers/workers/${name}`,
    files,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: `^(\\.\\./)+src/(${srcDirs.join('|')})/`, message: `workers/${name} ${why}` },
          { regex: '^(\\.\\./)+src/(server|main)\\.js$', message: 'src/server.ts and src/main.ts are entry points: nothing imports them.' },
          ...(workerDirs.length > 0 ? [{ regex: `^\\.\\.?/(${workerDirs.join('|')})/`, message: `workers/${name} ${why}` }] : []),
        ],
      }],
    },
  };
}

const layers = [
  srcLayer('config', except('config'), 'is the bottom layer: it imports nothing else from src/ (pure pieces the schema needs live in src/config).'),
  srcLayer('core', except('config', 'core'), 'imports only src/config: it is below every other layer.'),
  srcLayer('auth', except('config', 'core', 'auth'), 'imports only src/config and src/core (auth, webhooks and observability are siblings and stay apart).'),
  srcLayer('webhooks', except('config', 'core', 'webhooks'), 'imports only src/config and src/core (auth, webhooks and observability are siblings and stay apart).'),
  srcLayer('observability', except('config', 'core', 'observability'), 'imports only src/config and src/core (auth, webhooks and observability are siblings and stay apart).'),
  srcLayer('jobs', ['http', 'runtime', 'cli'], 'is below src/http, src/runtime and src/cli: the services know nothing of HTTP or of process wiring; what they need of workers (handler input schemas) the runtime injects.'),
  srcLayer('http', ['runtime', 'cli'], 'is below src/runtime and src/cli: the app is composed by the runtime, never the other way round.'),
  srcLayer('runtime', ['cli'], 'does not import src/cli: the CLI is a separate program, a client of the admin API.', { workers: true }),
  srcLayer('cli', ['jobs', 'http', 'runtime'], 'is a client of the admin API: it never imports the server (src/jobs, src/http, src/runtime).'),
  workerLayer('handlers', ['workers/handlers/**/*.ts'], ['jobs', 'http', 'runtime', 'cli'], ['executor', 'notifier'],
    'are plain job code: they may use src/config, src/core, src/auth, src/webhooks and src/observability, never the gateway or the processes that run them.'),
  workerLayer('executor', ['workers/executor/**/*.ts'], ['http', 'runtime', 'cli'], ['notifier'],
    'never imports src/http (nor src/runtime, src/cli, or the notifier): workers share the layers below http with the gateway, not its HTTP code.'),
  workerLayer('notifier', ['workers/notifier/**/*.ts'], ['http', 'runtime', 'cli'], ['executor', 'handlers'],
    'never imports src/http (nor src/runtime, src/cli, the executor or the handlers): workers share the layers below http with the gateway, not its HTTP code.'),
  // Code the workers share (workers/*.ts, e.g. retry-later.ts) sits below executor and notifier.
  workerLayer('*.ts', ['workers/*.ts'], ['http', 'runtime', 'cli'], ['executor', 'notifier'],
    'shared worker code never imports src/http (nor src/runtime, src/cli), nor the executor or the notifier that build on it.'),
  // A worker's index.ts is its process's entry point: it starts the runtime, and still never imports http.
  workerLayer('*/index.ts', ['workers/executor/index.ts', 'workers/notifier/index.ts'], ['http', 'cli'], [],
    'entry points start a process through src/runtime; they never import src/http or src/cli.'),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.data/', 'test-artifacts/', 'bench/.build/', 'bench/results/', 'packages/client/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    // The dashboard runs in the browser, as plain JavaScript without a build step.
    files: ['src/admin-ui/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        ['document', 'window', 'location', 'fetch', 'Node', 'confirm', 'setTimeout', 'clearTimeout'].map((name) => [name, 'readonly']),
      ),
    },
  },
  ...layers,
);
