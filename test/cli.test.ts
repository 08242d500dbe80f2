/**
 * The CLI end to end: the built bundle (dist/cli.js) run as a child process, as users run it.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dedent } from './helpers';

const REPO = join(__dirname, '..', '..');
const CLI = join(REPO, 'dist', 'cli.js');

function cli(args: string[], opts: { cwd?: string; input?: string } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO, input: opts.input ?? '', encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const BAD = dedent(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # a comment that must survive
spec:
  template:
    metadata:
      labels:
        sidecar.istio.io/inject: "true"
      annotations:
        proxy.istio.io/config: |
          terminationDrainDuration: 45s
    spec:
      containers:
        - name: web
          image: web
`);

function tmpWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'drainguard-cli-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('drainguard check', () => {
  test('text: file:line:col severity id message, exit 1 on errors', () => {
    const r = cli(['check', 'samples/checkout-deployment.yaml', '--no-color']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^samples\/checkout-deployment\.yaml:22:37 error drain-exceeds-grace Envoy is killed mid-drain/m);
    assert.match(r.stdout, /grace 30s \(Kubernetes default\), drain 45s \(line 22\)/);
  });

  test('exit 0 on a clean file', () => {
    const r = cli(['check', 'samples/healthy.yaml']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
  });

  test('json', () => {
    const r = cli(['check', '--format', 'json', 'samples/']);
    const j = JSON.parse(r.stdout);
    const all = j.files.flatMap((f: { findings: unknown[] }) => f.findings);
    assert.ok(all.length >= 3);
    const d = all.find((f: { ruleId: string }) => f.ruleId === 'drain-exceeds-grace');
    assert.deepEqual(d.range.start, { line: 22, column: 37 });
  });

  test('sarif: an independent reader places each result on the offending text', () => {
    const r = cli(['check', '--format', 'sarif', 'samples/']);
    const s = JSON.parse(r.stdout);
    assert.equal(s.version, '2.1.0');
    const run = s.runs[0];
    assert.equal(run.tool.driver.name, 'drainguard');
    const ruleIds = run.tool.driver.rules.map((x: { id: string }) => x.id);
    assert.ok(ruleIds.includes('drain-exceeds-grace'));
    for (const x of run.tool.driver.rules) assert.ok(x.helpUri && x.shortDescription.text);
    assert.ok(run.results.length >= 3);
    for (const res of run.results) {
      assert.ok(['error', 'warning', 'note'].includes(res.level));
      const loc = res.locations[0].physicalLocation;
      const text = readFileSync(join(REPO, decodeURIComponent(loc.artifactLocation.uri)), 'utf8');
      const line = text.split('\n')[loc.region.startLine - 1]!;
      const snippet = line.slice(loc.region.startColumn - 1, loc.region.endLine === loc.region.startLine ? loc.region.endColumn - 1 : undefined);
      assert.ok(snippet.length > 0, 'the region is not empty');
      assert.equal(snippet, text.slice(loc.region.charOffset, loc.region.charOffset + loc.region.charLength), 'line/column and offset agree');
      assert.ok(Array.isArray(res.fixes) && res.fixes.length > 0);
    }
  });

  test('github workflow annotations', () => {
    const r = cli(['check', '--format', 'github', 'samples/checkout-deployment.yaml']);
    assert.match(r.stdout, /^::error file=samples\/checkout-deployment\.yaml,line=22,col=37,endLine=22,endColumn=40,title=drainguard drain-exceeds-grace::Envoy is killed/m);
  });

  test('stdin', () => {
    const r = cli(['check', '-', '--no-color'], { input: BAD });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^<stdin>:12:37 error drain-exceeds-grace/m);
  });

  test('a missing file: one line on stderr, exit 2, the other files still checked', () => {
    const r = cli(['check', 'nope.yaml', 'samples/checkout-deployment.yaml']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'drainguard: nope.yaml: no such file or directory');
    assert.match(r.stdout, /drain-exceeds-grace/);
  });

  test('binary and non-UTF-8 files are refused readably', () => {
    const dir = tmpWith({ 'a.yaml': BAD });
    writeFileSync(join(dir, 'bin.yaml'), Buffer.from([0x61, 0x00, 0x62]));
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    const r = cli(['check', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bin\.yaml: binary file/);
    assert.match(r.stderr, /latin1\.yaml: not UTF-8 text/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    assert.match(r.stdout, /drain-exceeds-grace/);
  });

  test('directories: recursive *.yaml/*.yml, skipping node_modules and .git', () => {
    const dir = tmpWith({ 'k8s/a.yml': BAD, 'node_modules/x/b.yaml': BAD, '.git/c.yaml': BAD, 'notes.txt': BAD });
    const r = cli(['check', '--format', 'json', '.'], { cwd: dir });
    const j = JSON.parse(r.stdout);
    assert.deepEqual(
      j.files.map((f: { path: string }) => f.path),
      ['k8s/a.yml'],
    );
  });

  test('a document that does not parse is noted on stderr, the others analysed', () => {
    const r = cli(['check', '-'], { input: 'a: [\n---\n' + BAD });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /note: <stdin>: document 1 does not parse as YAML/);
    assert.match(r.stdout, /drain-exceeds-grace/);
  });

  test('usage errors exit 2 with one line', () => {
    for (const args of [['check', '--format', 'xml'], ['check', '--bogus'], ['frobnicate'], ['check', '--istio-version', 'banana']]) {
      const r = cli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });

  test('--fix: applies the preferred fix atomically, keeps comments, twice changes nothing', () => {
    const dir = tmpWith({ 'a.yaml': BAD });
    const r = cli(['check', '--fix', 'a.yaml'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const fixed = readFileSync(join(dir, 'a.yaml'), 'utf8');
    assert.match(fixed, /terminationGracePeriodSeconds: 50/);
    assert.match(fixed, /# a comment that must survive/);
    assert.equal(cli(['check', 'a.yaml'], { cwd: dir }).code, 0);
    cli(['check', '--fix', 'a.yaml'], { cwd: dir });
    assert.equal(readFileSync(join(dir, 'a.yaml'), 'utf8'), fixed);
  });

  test('.drainguard.yaml: nearest config applies; rules can be turned off; flags override', () => {
    const dir = tmpWith({ 'app/a.yaml': BAD, 'app/.drainguard.yaml': 'rules:\n  drain-exceeds-grace: off\n', 'b.yaml': BAD });
    const r = cli(['check', '--format', 'json', '.'], { cwd: dir });
    const j = JSON.parse(r.stdout);
    const byPath = Object.fromEntries(j.files.map((f: { path: string; findings: unknown[] }) => [f.path, f.findings.length]));
    assert.equal(byPath['app/a.yaml'], 0);
    assert.equal(byPath['b.yaml'], 1);
    const flag = cli(['check', '--format', 'json', '--default-drain-duration', '40s', '-'], { input: BAD.replace('terminationDrainDuration: 45s', 'holdApplicationUntilProxyStarts: true') });
    assert.equal(JSON.parse(flag.stdout).files[0].findings[0].ruleId, 'drain-exceeds-grace');
  });

  test('inline suppressions, and --no-inline-suppressions for CI', () => {
    const suppressed = BAD.replace('          terminationDrainDuration: 45s', '          # drainguard-disable-next-line drain-exceeds-grace -- drained elsewhere\n          terminationDrainDuration: 45s');
    assert.equal(cli(['check', '-'], { input: suppressed }).code, 0);
    assert.equal(cli(['check', '--no-inline-suppressions', '-'], { input: suppressed }).code, 1);
  });

  test('a directory is one context: the IstioOperator drain applies to the Deployment in another file', () => {
    const r = cli(['check', '--no-color', 'test/fixtures/mesh-operator']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^test\/fixtures\/mesh-operator\/shop\.yaml:\d+:\d+ error drain-exceeds-grace .*45s \(IstioOperator control-plane, istio-operator\.yaml:9\)/m);
    const alone = cli(['check', '--no-color', 'test/fixtures/mesh-operator/shop.yaml']);
    assert.equal(alone.code, 0, 'alone, the Deployment has the default 5s drain');
  });

  test('a file with a byte order mark: findings at the right columns, --fix works and keeps the BOM', () => {
    const dir = tmpWith({ 'a.yaml': '\uFEFF' + BAD, 'plain.yaml': BAD });
    const r = cli(['check', '--no-color', 'a.yaml', 'plain.yaml'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^a\.yaml:12:37 error drain-exceeds-grace/m);
    assert.match(r.stdout, /^plain\.yaml:12:37 error drain-exceeds-grace/m);
    const json = JSON.parse(cli(['check', '--format', 'json', 'a.yaml'], { cwd: dir }).stdout);
    assert.deepEqual(json.files[0].findings.map((f: { ruleId: string }) => f.ruleId), ['drain-exceeds-grace']);
    const fix = cli(['check', '--fix', 'a.yaml'], { cwd: dir });
    assert.equal(fix.code, 0, fix.stdout + fix.stderr);
    const bytes = readFileSync(join(dir, 'a.yaml'));
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the BOM is kept');
    assert.equal(cli(['check', '--fix', 'plain.yaml'], { cwd: dir }).code, 0);
    assert.equal(bytes.subarray(3).toString('utf8'), readFileSync(join(dir, 'plain.yaml'), 'utf8'), 'the same fix as without the BOM');
    assert.match(bytes.toString('utf8'), /terminationGracePeriodSeconds: 50/);
    assert.equal(cli(['check', 'a.yaml'], { cwd: dir }).code, 0);
  });

  test('--fix through a symbolic link writes its target and keeps the link', () => {
    const dir = tmpWith({ 'base/a.yaml': BAD });
    mkdirSync(join(dir, 'overlay'));
    symlinkSync(join('..', 'base', 'a.yaml'), join(dir, 'overlay', 'link.yaml'));
    const r = cli(['check', '--fix', 'overlay/link.yaml'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(lstatSync(join(dir, 'overlay', 'link.yaml')).isSymbolicLink(), 'still a link');
    assert.equal(readlinkSync(join(dir, 'overlay', 'link.yaml')), join('..', 'base', 'a.yaml'));
    assert.match(readFileSync(join(dir, 'base', 'a.yaml'), 'utf8'), /terminationGracePeriodSeconds: 50/);
  });

  test('a file named twice (or a link and its target) is read once; --fix then succeeds', () => {
    const dir = tmpWith({ 'a.yaml': BAD });
    symlinkSync('a.yaml', join(dir, 'z-link.yaml'));
    const j = JSON.parse(cli(['check', '--format', 'json', '.', 'a.yaml', './a.yaml'], { cwd: dir }).stdout);
    assert.deepEqual(
      j.files.map((f: { path: string; findings: unknown[] }) => [f.path, f.findings.length]),
      [['a.yaml', 1]],
    );
    const r = cli(['check', '--fix', '.', 'a.yaml'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(readFileSync(join(dir, 'a.yaml'), 'utf8'), /terminationGracePeriodSeconds: 50/);
    assert.ok(lstatSync(join(dir, 'z-link.yaml')).isSymbolicLink());
  });

  test('an ignore glob with a trailing slash ignores that directory and everything under it', () => {
    const dir = tmpWith({ '.drainguard.yaml': 'ignore:\n  - charts/\n  - deploy/generated/\n', 'charts/a.yaml': BAD, 'apps/charts/x/b.yaml': BAD, 'deploy/generated/c.yaml': BAD, 'other/deploy/generated/d.yaml': BAD, 'charts.yaml': BAD, 'k.yaml': BAD });
    const j = JSON.parse(cli(['check', '--format', 'json', '.'], { cwd: dir }).stdout);
    const checked = j.files.map((f: { path: string }) => f.path).filter((p: string) => p !== '.drainguard.yaml');
    assert.deepEqual(checked.sort(), ['charts.yaml', 'k.yaml', 'other/deploy/generated/d.yaml']);
  });

  test('help, version and rules', () => {
    assert.match(cli(['--help']).stdout, /Usage: drainguard check/);
    assert.match(cli(['--version']).stdout, /^drainguard \d+\.\d+\.\d+/);
    assert.match(cli(['rules']).stdout, /drain-exceeds-grace\s+error/);
  });
});
