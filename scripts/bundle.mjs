// Bundles the CLI (and, later, the language server and the VS Code client) with esbuild.
// One self-contained file per entry point: nothing from node_modules is needed at run time.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import { createRequire } from 'node:module';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', legalComments: 'none' };

/**
 * The CLI and the language server read manifests and never run anything or touch the network
 * (SECURITY.md). vscode-languageserver's node entry point pulls in child_process (global module
 * resolution) and net (socket and pipe transports), which a stdio server never uses: they are
 * replaced by a stub that throws if anything ever reaches for them.
 * test/reliability/bundle-security.test.ts checks the built bundles.
 */
const FORBIDDEN = /^(?:node:)?(child_process|cluster|dgram|dns|http|http2|https|inspector|net|tls|vm|worker_threads)$/;
const forbidModules = {
  name: 'forbid-process-and-network-modules',
  setup(b) {
    b.onResolve({ filter: FORBIDDEN }, (a) => ({ path: a.path.replace(/^node:/, ''), namespace: 'forbidden' }));
    b.onLoad({ filter: /.*/, namespace: 'forbidden' }, (a) => ({
      loader: 'js',
      contents: `module.exports = new Proxy({}, { get(_t, k) { if (typeof k === 'symbol' || k === '__esModule' || k === 'default') return undefined; throw new Error('drainguard: the ${a.path} module is not available in this build (' + String(k) + ')'); } });`,
    }));
  },
};

/**
 * `import { isMap } from 'yaml'` of a CommonJS package becomes, in a bundle, a copy of its
 * exports made of getters (`__toESM`), one closure for every name: every call the engine makes
 * into `yaml` (isMap, isScalar, ... millions on a large file) went through one, a tenth of the
 * language server's analysis of a large file (docs/performance.md). Our imports of `yaml` get a
 * module instead that requires the package and exports each of its names as a constant, which
 * the bundle calls directly. The package itself is bundled as before.
 */
const requireHere = createRequire(import.meta.url);
const YAML_NAMES = Object.keys(requireHere('yaml')).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
const directYaml = {
  name: 'direct-yaml-exports',
  setup(b) {
    // Only our own sources' imports: the module's own `require('yaml')`, and any dependency's, resolve as usual.
    b.onResolve({ filter: /^yaml$/ }, (a) => (a.namespace !== 'file' || /[\\/]node_modules[\\/]/.test(a.importer) ? undefined : { path: 'yaml', namespace: 'yaml-direct' }));
    b.onLoad({ filter: /.*/, namespace: 'yaml-direct' }, () => ({
      loader: 'js',
      resolveDir: process.cwd(),
      contents: `const y = require('yaml');\n${YAML_NAMES.map((n) => `export const ${n} = y.${n};`).join('\n')}\n`,
    }));
  },
};

await build({ ...common, entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli.js', plugins: [forbidModules, directYaml] });
chmodSync('dist/cli.js', 0o755);
await build({ ...common, entryPoints: ['server/src/lsp/server.ts'], outfile: 'dist/server.js', banner: { js: '#!/usr/bin/env node' }, plugins: [forbidModules, directYaml] });
chmodSync('dist/server.js', 0o755);
await build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] });
