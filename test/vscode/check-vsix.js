#!/usr/bin/env node
// Packaging check for the .vsix that `npm run package` builds:
//  - the archive holds exactly the allow-listed files (.vscodeignore), nothing else;
//  - its package.json, bundles and icon are what VS Code needs (main, version, no runtime
//    require of anything but node built-ins and `vscode`: it is packaged with --no-dependencies);
//  - code-server installs it (`--install-extension`) and lists it as drainguard.drainguard@0.1.0.
// The installed folder is left at .vscode-test/runs/vsix-install/extensions/drainguard.drainguard-0.1.0
// for the extension-host suite to run against (run-exthost-tests.js --extension <that folder>).
//
// usage: node test/vscode/check-vsix.js [path/to.vsix]   (default: drainguard.vsix at the repo root)
// env: CODE_SERVER  the code-server binary (default .vscode-test/code-server/node_modules/.bin/code-server)
// Prints `N passed, N failed`; exits 1 on any failure.
const assert = require('assert');
const { spawnSync } = require('child_process');
const fs = require('fs');
const { builtinModules } = require('module');
const path = require('path');
const zlib = require('zlib');

const ROOT = path.resolve(__dirname, '..', '..');
const vsixPath = path.resolve(process.argv[2] || path.join(ROOT, 'drainguard.vsix'));
const codeServer = process.env.CODE_SERVER || path.join(ROOT, '.vscode-test', 'code-server', 'node_modules', '.bin', 'code-server');
const installDir = path.join(ROOT, '.vscode-test', 'runs', 'vsix-install');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const ID = `${pkg.publisher}.${pkg.name}`;

// The allow-list is .vscodeignore's `!pattern` lines (it ignores `**` and re-includes those).
// vsce always adds its two metadata files, and renames README.md, CHANGELOG.md and LICENSE.
const VSCE_NAMES = { 'README.md': 'readme.md', 'CHANGELOG.md': 'changelog.md', LICENSE: 'LICENSE.txt' };
const ALLOW = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim())
  .filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/^\//, ''));
const globRe = (g) => new RegExp(`^${g.split(/(\*\*\/?|\*|\?)/).map((t) => (t === '**' || t === '**/' ? '(?:.*/)?' + (t === '**' ? '.*' : '') : t === '*' ? '[^/]*' : t === '?' ? '[^/]' : t.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
const ALLOWED = [
  { pattern: '[Content_Types].xml', re: /^\[Content_Types\]\.xml$/ },
  { pattern: 'extension.vsixmanifest', re: /^extension\.vsixmanifest$/ },
  ...ALLOW.map((g) => ({ pattern: g, re: VSCE_NAMES[g] ? new RegExp(`^extension/${VSCE_NAMES[g].replace('.', '\\.')}$`) : new RegExp(`^extension/${globRe(g).source.slice(1)}`) })),
];
// Files the extension cannot work without, whatever the allow-list says.
const REQUIRED = ['extension/package.json', 'extension/readme.md', 'extension/changelog.md', 'extension/LICENSE.txt', 'extension/images/icon.png', 'extension/dist/client.js', 'extension/dist/server.js'];

/** The entries of a zip file, read from its central directory; `read(name)` inflates one. */
function readZip(file) {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  assert.ok(eocd >= 0, `${file} is a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = new Map();
  for (let n = 0; n < count; n++) {
    assert.strictEqual(buf.readUInt32LE(p), 0x02014b50, 'central directory entry');
    const method = buf.readUInt16LE(p + 10), csize = buf.readUInt32LE(p + 20), size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    entries.set(name, { method, csize, size, local });
    p += 46 + nameLen + extraLen + commentLen;
  }
  const read = (name) => {
    const e = entries.get(name);
    assert.ok(e, `${name} in the archive`);
    const start = e.local + 30 + buf.readUInt16LE(e.local + 26) + buf.readUInt16LE(e.local + 28);
    const data = buf.subarray(start, start + e.csize);
    const out = e.method === 0 ? data : zlib.inflateRawSync(data);
    assert.strictEqual(out.length, e.size, `${name} size`);
    return out;
  };
  return { names: [...entries.keys()], read };
}

const run = (cmd, args) => {
  // XDG_*: code-server writes its config.yaml there on first use; keep it out of $HOME
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(installDir, 'config'), XDG_DATA_HOME: path.join(installDir, 'data') };
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120000, env });
  return { code: r.status, out: `${r.stdout || ''}${r.stderr || ''}`, error: r.error };
};

const checks = [];
const check = (name, fn) => checks.push({ name, fn });
let zip;

check('the .vsix exists and is a zip archive', () => {
  assert.ok(fs.existsSync(vsixPath), `${vsixPath} exists (run npm run package)`);
  zip = readZip(vsixPath);
  console.log(`    ${path.relative(ROOT, vsixPath)}: ${fs.statSync(vsixPath).size} bytes, ${zip.names.length} entries`);
});

check('it holds only files .vscodeignore allows, and every allowed pattern matches', () => {
  const names = [...zip.names].sort();
  for (const n of names) console.log(`    ${n}`);
  const extra = names.filter((n) => !ALLOWED.some((a) => a.re.test(n)));
  const unmatched = ALLOWED.filter((a) => !names.some((n) => a.re.test(n))).map((a) => a.pattern);
  const missing = REQUIRED.filter((n) => !names.includes(n));
  assert.deepStrictEqual(extra, [], `files outside the allow-list: ${extra.join(', ')}`);
  assert.deepStrictEqual(unmatched, [], `allow-list entries with no file in the package: ${unmatched.join(', ')}`);
  assert.deepStrictEqual(missing, [], `required files missing: ${missing.join(', ')}`);
});

check('its package.json is the extension manifest (id, version, main, icon, activation)', () => {
  const m = JSON.parse(zip.read('extension/package.json').toString('utf8'));
  assert.strictEqual(`${m.publisher}.${m.name}`, 'drainguard.drainguard');
  assert.strictEqual(m.version, '0.1.0');
  assert.strictEqual(m.main, 'dist/client.js');
  assert.strictEqual(m.icon, 'images/icon.png');
  assert.deepStrictEqual(m.activationEvents, ['onLanguage:yaml', 'onLanguage:helm']);
  assert.ok(m.contributes.configuration.properties['drainguard.rules'], 'drainguard.* settings contributed');
  assert.deepStrictEqual(m.contributes.commands.map((c) => c.command).sort(), ['drainguard.openRuleDocs', 'drainguard.restartServer']);
  const referenced = [m.main, m.icon, ...((m.contributes.grammars || []).map((g) => g.path))].map((p) => `extension/${path.posix.normalize(p)}`);
  for (const r of referenced) assert.ok(zip.names.includes(r), `${r} (referenced by package.json) is packaged`);
  const manifest = zip.read('extension.vsixmanifest').toString('utf8');
  assert.match(manifest, /<Identity [^>]*Id="drainguard"[^>]*Version="0\.1\.0"[^>]*Publisher="drainguard"/);
});

check('the bundles need nothing at run time but node built-ins and vscode', () => {
  const allowed = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'vscode']);
  for (const f of ['extension/dist/client.js', 'extension/dist/server.js']) {
    const text = zip.read(f).toString('utf8');
    const reqs = new Set([...text.matchAll(/\brequire\((["'])([^"']+)\1\)/g)].map((x) => x[2]));
    const bad = [...reqs].filter((r) => !allowed.has(r) && !allowed.has(r.split('/')[0]));
    assert.deepStrictEqual(bad, [], `${f} requires only built-ins (found ${[...reqs].join(', ')})`);
  }
  assert.ok(zip.read('extension/dist/server.js').toString('utf8').startsWith('#!/usr/bin/env node'), 'server.js keeps its shebang');
});

check('the icon is a 128×128 PNG', () => {
  const png = zip.read('extension/images/icon.png');
  assert.strictEqual(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.deepStrictEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
});

check('code-server installs it', () => {
  assert.ok(fs.existsSync(codeServer), `${codeServer} exists (run scripts/install-code-server.sh)`);
  fs.rmSync(installDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(installDir, 'extensions'), { recursive: true });
  const r = run(codeServer, ['--extensions-dir', path.join(installDir, 'extensions'), '--user-data-dir', path.join(installDir, 'user-data'), '--install-extension', vsixPath]);
  console.log(`    ${r.out.trim().split('\n').filter((l) => !/ENOTFOUND|^\s+at |\] info  Wrote default config/.test(l)).join('\n    ')}`);
  assert.strictEqual(r.code, 0, `--install-extension exit code (${r.error || ''})`);
  assert.match(r.out, /was successfully installed/);
});

check(`--list-extensions --show-versions shows ${ID}@${pkg.version}`, () => {
  const r = run(codeServer, ['--extensions-dir', path.join(installDir, 'extensions'), '--user-data-dir', path.join(installDir, 'user-data'), '--list-extensions', '--show-versions']);
  assert.strictEqual(r.code, 0);
  const lines = r.out.split('\n').map((l) => l.trim()).filter((l) => /^[\w-]+\.[\w-]+@/.test(l));
  console.log(`    ${lines.join(', ')}`);
  assert.ok(lines.includes('drainguard.drainguard@0.1.0'), `listed: ${lines.join(', ')}`);
});

check('the installed folder holds the packaged files', () => {
  const dir = path.join(installDir, 'extensions', `${ID}-${pkg.version}`);
  for (const f of ['package.json', 'dist/client.js', 'dist/server.js', 'images/icon.png']) assert.ok(fs.existsSync(path.join(dir, f)), `${dir}/${f}`);
  assert.ok(!fs.existsSync(path.join(dir, 'node_modules')), 'no node_modules');
  console.log(`    ${path.relative(ROOT, dir)}`);
});

let passed = 0;
let failed = 0;
for (const c of checks) {
  try {
    c.fn();
    passed++;
    console.log(`  ✓ ${c.name}`);
  } catch (e) {
    failed++;
    console.log(`  ✗ ${c.name}\n      ${String(e && e.message ? e.message : e).split('\n').join('\n      ')}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
