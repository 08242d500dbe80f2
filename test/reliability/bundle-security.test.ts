/**
 * Security properties of what ships: the CLI and language-server bundles contain no process,
 * eval or network machinery (child_process, vm, net/http/tls/dns/dgram, eval, new Function,
 * dynamic require); file discovery (the CLI's and the workspace index's) reads only what it is
 * given or finds inside its roots, never follows a symbolic link out of them, and terminates
 * on link loops; special files (FIFOs) are never opened.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { collectFiles } from '../../server/src/host/files';
import { WorkspaceIndex } from '../../server/src/lsp/workspace-index';
import { REPO } from './sources';

/** Modules a bundle may load: files, paths, URLs, encodings and hashing. Nothing that runs a process or opens a socket. */
const ALLOWED = new Set(['fs', 'path', 'url', 'util', 'buffer', 'process', 'os', 'crypto', 'events', 'stream', 'string_decoder', 'assert']);
const FORBIDDEN = /^(child_process|cluster|dgram|dns|http|http2|https|inspector|net|tls|vm|worker_threads|module)$/;

function requiredModules(code: string): string[] {
  return [...code.matchAll(/\brequire\(\s*(["'`])([^"'`]+)\1\s*\)/g)].map((m) => m[2]!.replace(/^node:/, ''));
}

describe('the shipped bundles', () => {
  for (const name of ['cli.js', 'server.js']) {
    test(`dist/${name}: no child_process, vm, network module, eval, new Function or dynamic require`, () => {
      const file = join(REPO, 'dist', name);
      assert.ok(existsSync(file), `${file} is built (npm run build)`);
      const code = readFileSync(file, 'utf8');
      const mods = [...new Set(requiredModules(code))].sort();
      assert.ok(mods.includes('fs'), 'the module scan sees the requires');
      assert.deepEqual(
        mods.filter((m) => FORBIDDEN.test(m)),
        [],
        'no process or network module',
      );
      assert.deepEqual(
        mods.filter((m) => !ALLOWED.has(m)),
        [],
        'only allowed modules',
      );
      assert.doesNotMatch(code, /\beval\s*\(/, 'no eval');
      assert.doesNotMatch(code, /\bnew\s+Function\s*\(/, 'no new Function');
      assert.doesNotMatch(code, /\bFunction\s*\(\s*["'`]/, 'no Function constructor');
      assert.doesNotMatch(code, /process\.binding\s*\(|process\.dlopen\s*\(|\bimport\s*\(/, 'no native bindings or dynamic import');
      // Every require is a string literal (esbuild leaves a dynamic require as `__require(x)` or `require(x)`).
      const dynamic = [...code.matchAll(/\b(?:__)?require\(\s*([^"'`)\s][^)]*)\)/g)].map((m) => m[0]);
      assert.deepEqual(dynamic, [], 'no dynamic require');
    });
  }

  test('the language server still runs over stdio with the stubbed modules, and refuses a socket readably', () => {
    const r = spawnSync(process.execPath, [join(REPO, 'dist', 'server.js'), '--socket=5000'], { input: '', encoding: 'utf8', timeout: 20000 }).stderr;
    assert.match(r, /the net module is not available/);
  });
});

describe('file discovery stays inside its roots', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  /** root/ with files, a link loop, links out of the root, a dangling link and a FIFO; outside/ next to it. */
  function tree(): { root: string; outside: string } {
    const base = mkdtempSync(join(tmpdir(), 'drainguard-links-'));
    dirs.push(base);
    const root = join(base, 'root');
    const outside = join(base, 'outside');
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    mkdirSync(outside);
    const ns = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled\n';
    writeFileSync(join(root, 'a', 'in.yaml'), ns.replace('shop', 'inside'));
    writeFileSync(join(root, 'a', 'b', 'deep.yml'), ns.replace('shop', 'deep'));
    writeFileSync(join(outside, 'secret.yaml'), ns.replace('shop', 'outside'));
    symlinkSync(root, join(root, 'a', 'b', 'loop'));
    symlinkSync(join(root, 'a'), join(root, 'a', 'b', 'up'));
    symlinkSync(outside, join(root, 'out-dir'));
    symlinkSync(join(outside, 'secret.yaml'), join(root, 'out-file.yaml'));
    symlinkSync(join(root, 'nowhere.yaml'), join(root, 'dangling.yaml'));
    symlinkSync(join(root, 'a', 'in.yaml'), join(root, 'in-link.yaml'));
    try {
      execFileSync('mkfifo', [join(root, 'fifo.yaml')]);
    } catch {
      // No mkfifo: the FIFO case is skipped.
    }
    return { root, outside };
  }

  test('the CLI walk: no link out of the root, no loop, no FIFO; a link inside the root is read', () => {
    const { root } = tree();
    const found = collectFiles(root, 'root');
    const names = found.files.map((f) => f.display).sort();
    assert.deepEqual(names, ['root/a/b/deep.yml', 'root/a/in.yaml', 'root/in-link.yaml']);
    assert.deepEqual(found.errors, []);
  });

  test('the CLI refuses a FIFO given by name instead of blocking on it', { skip: process.platform === 'win32' }, () => {
    const { root } = tree();
    if (!existsSync(join(root, 'fifo.yaml'))) return;
    const found = collectFiles(join(root, 'fifo.yaml'), 'fifo.yaml');
    assert.deepEqual(found.files, []);
    assert.equal(found.errors.length, 1);
  });

  test('the workspace index: scans only real files inside the folders, terminates on loops', async () => {
    const { root } = tree();
    const index = new WorkspaceIndex(() => undefined);
    await index.scan([root]);
    const names = [...new Set(['inside', 'deep', 'outside'])].filter((n) => index.contextFor('file:///elsewhere.yaml').namespaces.has(n));
    assert.deepEqual(names.sort(), ['deep', 'inside'], 'the Namespace behind a link out of the folder is not read');
    // A watched-file event for a link that leads out of the workspace does not read the target either.
    index.refreshFromDisk(pathToFileURL(join(root, 'out-file.yaml')).toString());
    assert.equal(index.contextFor('file:///elsewhere.yaml').namespaces.has('outside'), false, 'a watched link is not followed out of the workspace');
  });
});
