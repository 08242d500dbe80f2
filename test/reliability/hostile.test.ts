/**
 * Hostile inputs (hostile-inputs.ts), each with its expected behaviour: correct findings, or
 * silence with a note. Each runs through the engine in a child process with a memory cap and a
 * kill timer (hostile-child.ts, which also checks every range and fix), through the built CLI
 * the same way, and a few through the language server. The timers are failure bounds on hangs,
 * not performance goals.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { startClient } from '../lsp-client';
import type { ChildReport } from './hostile-child';
import { DRAIN_LINE, HOSTILE, hostileText } from './hostile-inputs';
import { REPO } from './sources';

const CHILD = join(__dirname, 'hostile-child.js');
const CLI = join(REPO, 'dist', 'cli.js');
/** Heap cap of every child (MB) and the time after which it is killed (a hang). */
const MEMORY_MB = 512;
const KILL_MS = 90000;

const DRAIN = `drain-exceeds-grace@${DRAIN_LINE}`;

interface Expect {
  /** The findings (rule@line, sorted), or a predicate over them. */
  findings: string[] | ((f: string[]) => boolean);
  /** A note that must be there (silence with a note). */
  note?: RegExp;
  /** The CLI: exit status and a stderr pattern (default: 1 with findings, 0 without). */
  cli?: { code: number; stderr?: RegExp };
}

/** Some findings, all of these rules (an empty list does not pass: silence is written as []). */
const only = (...ids: string[]) => (f: string[]) => f.length > 0 && f.every((x) => ids.includes(x.split('@')[0]!));

const CASES: Record<string, Expect> = {
  'alias bomb (billion laughs)': { findings: ['drain-exceeds-grace@23'] },
  // The annotation value is an alias: not read as a string (silence), and never expanded.
  'alias bomb in the annotations': { findings: [] },
  'alias bomb inside the annotation value': { findings: only('unknown-proxy-config-field', 'invalid-proxy-config', 'drain-exceeds-grace') },
  '50 MB file': { findings: [], note: /skipped: too large \(50\.0 MB/, cli: { code: 0, stderr: /note: .*case\.yaml: skipped: too large/ } },
  '100k-document stream': { findings: [], note: /skipped: more than 10,000 documents/ },
  '9,000-document stream': { findings: (f) => f.length === 90 && only('drain-exceeds-grace')(f) },
  '10k-deep flow sequences': { findings: [DRAIN], note: /document 2 .*nested more than 256 levels deep/ },
  '10k-deep flow mappings': { findings: [DRAIN], note: /document 2 .*nested more than 256 levels deep/ },
  '10k-deep block sequences': { findings: [DRAIN], note: /document 2 .*nested more than 256 levels deep/ },
  '10k-deep JSON in the annotation': { findings: only('invalid-proxy-config') },
  '1 MB single line (plain scalar)': { findings: [DRAIN] },
  '1 MB single line (a List of Deployments as JSON)': { findings: (f) => f.length === 2500 && f.every((x) => x === 'drain-exceeds-grace@1') },
  'NUL bytes': { findings: only('drain-exceeds-grace'), cli: { code: 2, stderr: /case\.yaml: binary file \(it contains NUL bytes\), skipped/ } },
  'binary file': { findings: [], cli: { code: 2, stderr: /case\.yaml: binary file/ } },
  'invalid UTF-8': { findings: only('drain-exceeds-grace'), cli: { code: 2, stderr: /case\.yaml: not UTF-8 text, skipped/ } },
  'byte-order mark': { findings: [DRAIN] },
  'CRLF line endings': { findings: [DRAIN] },
  'lone-CR line endings': { findings: (f) => f.length === 0 || (f.length === 1 && f[0]!.startsWith('drain-exceeds-grace')), note: /does not parse as YAML/ },
  'tab indentation': { findings: [], note: /Tabs are not allowed as indentation/ },
  'tabs after colons': { findings: [DRAIN] },
  'duplicate keys': { findings: [], note: /line 13: Map keys must be unique/ },
  '50k keys in one mapping': { findings: ['drain-exceeds-grace@50012'] },
  'merge keys (<<)': { findings: [], note: /uses a YAML merge key \(<<\), which Drainguard does not resolve/ },
  'YAML 1.1 booleans': { findings: ['annotation-not-string@11', 'drain-setting-ignored@13'] },
  'anchors and aliases on the annotation': { findings: [DRAIN] },
  // An annotation written as an alias is not followed (silence rather than a guess).
  'the annotation is an alias': { findings: [] },
  'Helm template': { findings: [], note: /does not parse as YAML/ },
  'ytt template': { findings: ['drain-exceeds-grace@14'] },
  'kustomize files': { findings: [] },
  'JSON manifest': { findings: ['drain-exceeds-grace@14'] },
  '1 MB annotation value': { findings: ['drain-exceeds-grace@11'] },
};

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function runChild(args: string[]): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${MEMORY_MB}`, ...args], { encoding: 'utf8', timeout: KILL_MS, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function matches(expect: Expect['findings'], got: string[]): boolean {
  return typeof expect === 'function' ? expect(got) : JSON.stringify(expect) === JSON.stringify(got);
}

/** Cases heavy enough to get a child process of their own (and so their own memory cap). */
const HEAVY = new Set(['50 MB file', '100k-document stream', '9,000-document stream', '1 MB single line (a List of Deployments as JSON)', '50k keys in one mapping', '1 MB annotation value']);
/** Cases the CLI refuses to read (exit 2). */
const REFUSED = new Set(['NUL bytes', 'binary file', 'invalid UTF-8']);

/** Run the engine child on some cases: each case's report, or why there is none. */
function engineReports(names: string[]): Map<string, ChildReport | string> {
  const r = runChild([CHILD, ...names]);
  const out = new Map<string, ChildReport | string>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const rep = JSON.parse(line) as ChildReport;
    out.set(rep.name, rep);
  }
  const why = r.signal ? `killed (${r.signal}): a hang` : `the child failed (out of memory or a crash, status ${r.status}): ${r.stderr.slice(-1500)}`;
  for (const n of names) if (!out.has(n)) out.set(n, why);
  return out;
}

interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Findings (rule@line, sorted) per case. */
  findings: Map<string, string[]>;
}

/** Run the built CLI (JSON output) once over some cases, each a file of its own. */
function cliRun(names: string[]): CliRun {
  const dir = mkdtempSync(join(tmpdir(), 'drainguard-hostile-'));
  dirs.push(dir);
  const fileOf = new Map(names.map((n, i) => [`case-${i}.yaml`, n]));
  for (const [f, n] of fileOf) writeFileSync(join(dir, f), HOSTILE[n]!());
  const r = runChild([CLI, 'check', '--format', 'json', dir]);
  const findings = new Map<string, string[]>();
  try {
    const out = JSON.parse(r.stdout) as { files: { path: string; findings: { ruleId: string; range: { start: { line: number } } }[] }[] };
    for (const f of out.files) findings.set(fileOf.get(basename(f.path))!, f.findings.map((x) => `${x.ruleId}@${x.range.start.line}`).sort());
  } catch {
    // No JSON: the status and stderr say why.
  }
  return { status: r.status, signal: r.signal, stderr: r.stderr, findings };
}

describe('hostile inputs', () => {
  const names = Object.keys(CASES);
  const light = names.filter((n) => !HEAVY.has(n));
  let engine: Map<string, ChildReport | string>;
  let cliNormal: CliRun;
  let cliRefused: CliRun;
  let cliSkipped: CliRun;
  before(() => {
    engine = engineReports(light);
    for (const n of HEAVY) for (const [k, v] of engineReports([n])) engine.set(k, v);
    cliNormal = cliRun(names.filter((n) => !REFUSED.has(n) && CASES[n]!.cli === undefined));
    cliRefused = cliRun([...REFUSED]);
    cliSkipped = cliRun(names.filter((n) => CASES[n]!.cli?.code === 0));
  });

  test('every hostile input has an expectation', () => {
    assert.deepEqual(Object.keys(HOSTILE).sort(), names.slice().sort());
  });

  for (const [name, expect] of Object.entries(CASES)) {
    test(`${name}: the engine (${MEMORY_MB} MB heap, killed after ${KILL_MS / 1000} s)`, () => {
      const report = engine.get(name);
      assert.ok(report && typeof report !== 'string', String(report));
      const got = report.findings.map((f) => `${f.ruleId}@${f.line}`).sort();
      assert.ok(matches(expect.findings, got), `findings: ${JSON.stringify(got.slice(0, 20))}${got.length > 20 ? ` (+${got.length - 20})` : ''}`);
      if (expect.note) assert.ok(report.notes.some((n) => expect.note!.test(n)), `a note ${expect.note}: ${JSON.stringify(report.notes.slice(0, 3))}`);
      assert.deepEqual(report.notes.filter((n) => n.startsWith('internal error')), []);
      assert.deepEqual(report.violations, [], 'ranges inside the text, fixes safe');
    });

    test(`${name}: the CLI (${MEMORY_MB} MB heap)`, () => {
      const run = REFUSED.has(name) ? cliRefused : expect.cli?.code === 0 ? cliSkipped : cliNormal;
      assert.equal(run.signal, null, `killed (${run.signal}): a hang`);
      assert.doesNotMatch(run.stderr, /internal error|FATAL|\n\s+at .*\.js:\d+/, 'no crash, no stack trace');
      if (expect.cli) {
        assert.equal(run.status, expect.cli.code, run.stderr.slice(-1500));
        if (expect.cli.stderr) assert.match(run.stderr, new RegExp(expect.cli.stderr.source.replace('case\\.yaml', 'case-\\d+\\.yaml')));
        if (expect.cli.code === 2) return;
      } else assert.ok(run.status === 0 || run.status === 1, `exit 0 or 1, not ${run.status}: ${run.stderr.slice(-1500)}`);
      const got = run.findings.get(name) ?? [];
      assert.ok(matches(expect.findings, got), `the CLI finds what the engine finds: ${JSON.stringify(got.slice(0, 20))}`);
    });
  }

  test('the language server: hostile documents are answered, the server stays up', { timeout: 180000 }, async () => {
    const c = await startClient({ pull: true });
    try {
      const names = ['50 MB file', '100k-document stream', '10k-deep flow sequences', '10k-deep block sequences', 'alias bomb (billion laughs)', 'NUL bytes', 'lone-CR line endings', '50k keys in one mapping', 'merge keys (<<)'];
      for (const [i, name] of names.entries()) {
        const uri = `untitled:hostile-${i}.yaml`;
        await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: hostileText(name) } });
        const items = ((await c.conn.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] }).items;
        const want = CASES[name]!.findings;
        const got = items.map((d) => `${String(d.code)}@${d.range.start.line + 1}`).sort();
        assert.ok(matches(want, got), `${name}: ${JSON.stringify(got.slice(0, 10))}`);
        await c.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 11, character: 30 } });
        await c.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } }, context: { diagnostics: [], only: ['source.fixAll'] } });
        await c.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
      }
      assert.equal(c.child.exitCode, null, `the server is up: ${c.stderr().slice(-1000)}`);
      assert.doesNotMatch(c.stderr(), /unhandled rejection|uncaught|FATAL/i);
    } finally {
      await c.close();
    }
  });
});
