// Bundles the CLI (and, later, the language server and the VS Code client) with esbuild.
// One self-contained file per entry point: nothing from node_modules is needed at run time.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

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

await build({ ...common, entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli.js', plugins: [forbidModules] });
chmodSync('dist/cli.js', 0o755);
await build({ ...common, entryPoints: ['server/src/lsp/server.ts'], outfile: 'dist/server.js', banner: { js: '#!/usr/bin/env node' }, plugins: [forbidModules] });
chmodSync('dist/server.js', 0o755);
await build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] });
