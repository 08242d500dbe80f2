#!/usr/bin/env node
// Runs the extension-host suite (test/vscode/suite/index.js) with @vscode/test-electron's runTests,
// using vscode-server-shim.js (code-server's VS Code server + headless chromium) as the "VS Code
// executable". Each run gets a fresh copy of test/vscode/workspace, extensions dir and user data
// under .vscode-test/runs/<label>/ (the suite edits documents and writes workspace settings).
//
// usage: node test/vscode/run-exthost-tests.js [--extension <dir>] [--label <name>]
//   --extension  the extension to test (extensionDevelopmentPath); default: the repo root
//                (dist/ must be built). Point it at an installed .vsix folder to test the package.
// env: VSCODE_SERVER_MAIN, CHROMIUM, SHIM_TIMEOUT_MS, SHIM_VERBOSE (see vscode-server-shim.js)
//
// Prints the suite's own `N passed, N failed` line; when the extension host never reports one
// (the workbench did not start, say) it prints `0 passed, 1 failed` itself. Exits non-zero on failure.
const fs = require('fs');
const path = require('path');
const { runTests } = require('@vscode/test-electron');

const ROOT = path.resolve(__dirname, '..', '..');
const argv = process.argv.slice(2);
const arg = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt; };
const extensionDir = path.resolve(arg('--extension', ROOT));
const label = arg('--label', extensionDir === ROOT ? 'dev' : 'vsix');

const runDir = path.join(ROOT, '.vscode-test', 'runs', label);
fs.rmSync(runDir, { recursive: true, force: true });
const workspace = path.join(runDir, 'workspace');
fs.cpSync(path.join(__dirname, 'workspace'), workspace, { recursive: true });

// Watch our own stdout for the suite's summary line.
let summary = false;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  if (/^\d+ passed, \d+ failed\s*$/m.test(String(chunk))) summary = true;
  return write(chunk, ...rest);
};

const t0 = Date.now();
console.log(`extension-host suite [${label}]: extension ${extensionDir}, workspace ${workspace}`);
runTests({
  vscodeExecutablePath: path.join(__dirname, 'vscode-server-shim.js'),
  extensionDevelopmentPath: extensionDir,
  extensionTestsPath: path.join(__dirname, 'suite', 'index.js'),
  extensionTestsEnv: { DRAINGUARD_EXPECT_EXTENSION_PATH: extensionDir },
  launchArgs: [workspace, `--extensions-dir=${path.join(runDir, 'extensions')}`, `--user-data-dir=${path.join(runDir, 'user-data')}`],
}).then(
  (code) => finish(code),
  (err) => { console.error('runTests failed:', err.message || err); finish(1); },
);

function finish(code) {
  console.log(`extension-host suite [${label}] finished in ${((Date.now() - t0) / 1000).toFixed(1)}s, exit code ${code}`);
  if (!summary) console.log('0 passed, 1 failed');
  process.exit(code === 0 && summary ? 0 : 1);
}
