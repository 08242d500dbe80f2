#!/usr/bin/env node
// Stand-in "VS Code executable" for @vscode/test-electron's runTests({ vscodeExecutablePath: <this file> })
// (recipe R3 of /work/shared/docs/harness.md). VS Code desktop cannot be downloaded here, so:
// runTests calls this file with desktop flags (--extensionDevelopmentPath=, --extensionTestsPath=,
// --extensions-dir=, --user-data-dir=, [folder]). It starts the VS Code server bundled in code-server
// (lib/vscode/out/server-main.js) on a free loopback port with --enable-smoke-test-driver (without it
// the workbench ignores the URL payload), opens the workbench in headless Debian chromium with the
// extension-development payload, and exits with the code the workbench reports through
// window.codeAutomationExit (0 when the suite's run() resolved, 1 when it rejected).
// env: VSCODE_SERVER_MAIN  .../code-server/lib/vscode/out/server-main.js
//                          (default: .vscode-test/code-server/... in the repo)
//      SERVER_NODE         node binary for the server (default: the node running this shim)
//      CHROMIUM            default /usr/bin/chromium
//      SHIM_TIMEOUT_MS     failure bound for the whole run (default 300000)
//      SHIM_VERBOSE=1      server log to stderr
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const util = require('util');
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const opt = (k) => { const a = args.find((x) => x.startsWith(`--${k}=`)); return a && a.slice(k.length + 3); };
const folder = args.find((a) => !a.startsWith('-'));
if (!opt('extensionDevelopmentPath') || !opt('extensionTestsPath')) {
  console.error('shim: needs --extensionDevelopmentPath=DIR --extensionTestsPath=FILE (it is run by runTests, see run-exthost-tests.js)');
  process.exit(2);
}
const devPath = path.resolve(opt('extensionDevelopmentPath'));
const testsPath = path.resolve(opt('extensionTestsPath'));
const serverMain = process.env.VSCODE_SERVER_MAIN
  || path.join(__dirname, '..', '..', '.vscode-test', 'code-server', 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');
if (!fs.existsSync(serverMain)) {
  console.error(`shim: no VS Code server at ${serverMain}: run scripts/install-code-server.sh or set VSCODE_SERVER_MAIN`);
  process.exit(2);
}
// Workbench chatter that says nothing about the suite (offline gallery, sockets, service worker, ...).
const NOISE = new RegExp([
  '^Failed to load resource', 'AgentHost', 'ChatModelSelection', 'ChatSessionStore', 'ENOTFOUND open-vsx\\.org', 'ENOTFOUND .*\\.microsoft\\.com',
  '^Creating a socket', '^Resolving connection token', '^Resolved connection token', '^\\[Service Worker\\]', 'web worker extension host',
  '^Updating additional builtin extensions', '^Creation of workbench contribution', '^Overwriting extension <<',
].join('|'));
const freePort = () => new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });

let server, browser;
const cleanup = async () => {
  try { await browser?.close(); } catch {}
  try { process.kill(-server.pid, 'SIGTERM'); } catch {}
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => cleanup().then(() => process.exit(130)));

(async () => {
  const ext = opt('extensions-dir'), ud = opt('user-data-dir');
  // A missing extensions dir makes the server scan no extension at all.
  for (const d of [ext, ud]) if (d) fs.mkdirSync(d, { recursive: true });
  if (ud) { // no workspace-trust prompt (it would disable the extension), no update/telemetry traffic
    fs.mkdirSync(path.join(ud, 'User'), { recursive: true });
    fs.writeFileSync(path.join(ud, 'User', 'settings.json'), JSON.stringify({ 'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off', 'extensions.autoUpdate': false, 'extensions.autoCheckUpdates': false, 'update.mode': 'none',
      'workbench.startupEditor': 'none' }, null, 1));
  }
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  server = spawn(process.env.SERVER_NODE || process.execPath, [serverMain, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token',
    '--accept-server-license-terms', '--enable-smoke-test-driver', '--disable-telemetry', '--disable-workspace-trust',
    ...(ext ? ['--extensions-dir', ext] : []), ...(ud ? ['--user-data-dir', ud, '--server-data-dir', ud] : [])],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const s of [server.stdout, server.stderr]) s.on('data', (d) => process.env.SHIM_VERBOSE && process.stderr.write(d));
  await new Promise((res, rej) => {
    server.stdout.on('data', (d) => /Extension host agent listening|Web UI available/.test(d) && res());
    server.on('exit', (c) => rej(new Error('server exited ' + c)));
  });
  const payload = JSON.stringify([['extensionDevelopmentPath', `vscode-remote://${host}${devPath}`], ['extensionTestsPath', `vscode-remote://${host}${testsPath}`]]);
  const url = `http://${host}/?${folder ? 'folder=' + encodeURIComponent(path.resolve(folder)) : 'ew=true'}&payload=${encodeURIComponent(payload)}`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'] });
  const page = await browser.newPage();
  let done;
  const exited = new Promise((r) => (done = r));
  await page.exposeFunction('codeAutomationExit', (code) => done(code));
  // The extension host's console output (the suite's report) arrives as browser console messages,
  // printf-style with a '%c INFO', 'color: ...' prefix.
  const printed = [];
  page.on('console', (m) => {
    printed.push((async () => {
      let t;
      try {
        let a = await Promise.all(m.args().map((x) => x.jsonValue()));
        if (typeof a[0] === 'string' && a[0].startsWith('%c')) a = a.slice(2);
        t = util.format(...a);
      } catch { t = m.text(); }
      t = t.replace(/^%c\s*\w+\s+color: #\w+\s*/, '');
      if (t.trim() && !NOISE.test(t)) console.log(t);
    })());
  });
  await page.goto(url);
  let timer;
  const code = await Promise.race([exited, new Promise((r) => { timer = setTimeout(() => r(124), +(process.env.SHIM_TIMEOUT_MS || 300000)); })]);
  clearTimeout(timer);
  if (code === 124) console.error(`shim: no exit code from the workbench within ${process.env.SHIM_TIMEOUT_MS || 300000}ms`);
  await Promise.allSettled(printed); // the last console messages (the suite's summary)
  await cleanup();
  process.exit(typeof code === 'number' ? code : 1);
})().catch(async (e) => { console.error('shim error:', e); await cleanup(); process.exit(1); });
