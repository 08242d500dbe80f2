/**
 * The language server under load: a seeded stress client makes 5,000 random edits (typing,
 * deletions, pasted documents, undo, replaced lines, stale version numbers) over several open
 * fixtures, interleaved with hovers, code actions and diagnostic requests at random positions,
 * on open, closed and unknown documents. The server must stay up, answer every request within
 * a bound, raise no unhandled rejection, keep its view of each document equal to the client's
 * (its diagnostics at each quiet point equal the engine's on the client's text), and give its
 * memory back once the documents are closed.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeText, contextOf, mergeContexts } from '../../server/src/engine/analyze';
import { defaultSettings } from '../../server/src/engine/settings';
import { Rng } from '../../scripts/fuzz';
import { SERVER, startClient, type Client } from '../lsp-client';
import { REPO } from './sources';

const FIXTURES = [
  'samples/checkout-deployment.yaml',
  'test/fixtures/drain-vs-grace.yaml',
  'test/fixtures/timing-shutdown-order.yaml',
  'test/fixtures/annotations-proxy-config.yaml',
  'test/fixtures/lifecycle-hooks-and-jobs.yaml',
  'test/fixtures/mesh-operator/istio-operator.yaml',
];
/** A request not answered within this is a failure (a bound on hangs, not a performance goal). */
const ANSWER_MS = 20000;
/** The live heap after closing everything may exceed the baseline by this much. */
const HEAP_SLACK = 24 * 1024 * 1024;

const LINES = [
  '        proxy.istio.io/config: "terminationDrainDuration: 90s"',
  '      terminationGracePeriodSeconds: 10',
  '          terminationDrainDuration: 4h',
  '        sidecar.istio.io/nativeSidecar: yes',
  '            preStop: {exec: {command: [sleep, "120"]}}',
  '  {{ .Values.x }}',
  '---',
  '\t- broken',
  '        proxy.istio.io/config: &a "{\\"terminationDrainDuration\\": \\"50s\\"}"',
  '      containers: *a',
];
const TYPED = 'abcxyz019 :-"\'{}[]#\n\n  ';

interface Doc {
  uri: string;
  doc: TextDocument;
  open: boolean;
  history: string[];
  version: number;
}

function withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ANSWER_MS} ms`)), ANSWER_MS);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** The server's live heap after garbage collection (heap-probe.ts answers SIGUSR2 on stderr). */
async function heapOf(c: Client): Promise<number> {
  const before = (c.stderr().match(/heap-probe \d+/g) ?? []).length;
  return withDeadline(
    new Promise<number>((resolve) => {
      const onData = (): void => {
        const all = c.stderr().match(/heap-probe (\d+)/g) ?? [];
        if (all.length > before) {
          c.child.stderr!.off('data', onData);
          resolve(Number(all[all.length - 1]!.split(' ')[1]));
        }
      };
      c.child.stderr!.on('data', onData);
      c.child.kill('SIGUSR2');
    }),
    'heap probe',
  );
}

function key(d: { code?: unknown; range: { start: { line: number; character: number } } }): string {
  return `${String(d.code)}@${d.range.start.line}:${d.range.start.character}`;
}

/** What the engine says about a document, given the other open documents (the server's index). */
function expectedKeys(d: Doc, docs: readonly Doc[]): string[] {
  const others = docs.filter((o) => o.open && o.uri !== d.uri).map((o) => contextOf(o.uri, o.doc.getText()));
  const r = analyzeText(d.uri, d.doc.getText(), defaultSettings(), undefined, others.length ? mergeContexts(others) : undefined);
  return r.findings.map((f) => key({ code: f.ruleId, range: { start: d.doc.positionAt(f.range.start) } })).sort();
}

async function stress(c: Client, seed: number, edits: number, pull: boolean): Promise<{ requests: number; checks: number }> {
  const rng = new Rng(seed, 0);
  const sources = FIXTURES.map((f) => readFileSync(join(REPO, f), 'utf8'));
  const docs: Doc[] = sources.map((text, i) => ({
    uri: i % 3 === 2 ? `untitled:stress-${i}.yaml` : `file:///tmp/drainguard-stress-${seed}/doc-${i}.yaml`,
    doc: TextDocument.create('', 'yaml', 1, text),
    open: false,
    history: [text],
    version: 1,
  }));
  const pending: Promise<unknown>[] = [];
  const failures: string[] = [];
  let requests = 0;
  let checks = 0;
  const send = (method: string, params: unknown): void => {
    requests++;
    pending.push(withDeadline(c.conn.sendRequest(method, params), method).catch((e: Error) => failures.push(e.message)));
  };
  const open = async (d: Doc): Promise<void> => {
    d.version++;
    d.doc = TextDocument.create(d.uri, 'yaml', d.version, d.doc.getText());
    d.open = true;
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: d.uri, languageId: 'yaml', version: d.version, text: d.doc.getText() } });
  };
  const close = async (d: Doc): Promise<void> => {
    d.open = false;
    await c.conn.sendNotification('textDocument/didClose', { textDocument: { uri: d.uri } });
  };
  const randomPosition = (d: Doc) => {
    const lines = d.doc.lineCount;
    return rng.chance(0.1) ? { line: lines + rng.int(5), character: rng.int(200) } : { line: rng.int(lines), character: rng.int(60) };
  };
  const randomRequest = (): void => {
    const d = rng.pick(docs);
    const uri = rng.chance(0.05) ? 'file:///tmp/never-opened.yaml' : d.uri;
    const k = rng.int(pull ? 3 : 2);
    if (k === 0) send('textDocument/hover', { textDocument: { uri }, position: randomPosition(d) });
    else if (k === 1) {
      const a = randomPosition(d);
      const only = rng.pick([undefined, ['quickfix'], ['source.fixAll'], ['source']]);
      send('textDocument/codeAction', { textDocument: { uri }, range: { start: a, end: rng.chance(0.5) ? a : randomPosition(d) }, context: { diagnostics: [], ...(only ? { only } : {}) } });
    } else send('textDocument/diagnostic', { textDocument: { uri } });
  };
  /** Quiet point: every request answered, then each open document's diagnostics match the engine's. */
  const checkpoint = async (): Promise<void> => {
    await Promise.all(pending.splice(0));
    for (const d of docs.filter((x) => x.open)) {
      let got: Diagnostic[];
      if (pull) got = ((await withDeadline(c.conn.sendRequest('textDocument/diagnostic', { textDocument: { uri: d.uri } }), 'diagnostic')) as { items: Diagnostic[] }).items;
      else {
        const version = d.version;
        got = await c.waitPublished(d.uri, () => {
          const last = [...c.published].reverse().find((p: PublishDiagnosticsParams) => p.uri === d.uri);
          return last?.version === version;
        }, ANSWER_MS);
      }
      checks++;
      assert.deepEqual(got.map(key).sort(), expectedKeys(d, docs), `the server's diagnostics of ${d.uri} (version ${d.version}) are the engine's on the client's text`);
    }
  };

  for (const d of docs) await open(d);
  for (let i = 0; i < edits; i++) {
    const d = rng.pick(docs);
    if (!d.open) {
      await open(d);
      continue;
    }
    const text = d.doc.getText();
    const op = rng.int(100);
    let change: { range?: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string };
    if (op < 40) {
      const at = d.doc.positionAt(rng.int(text.length + 1));
      let s = '';
      for (let k = 1 + rng.int(3); k > 0; k--) s += TYPED[rng.int(TYPED.length)];
      change = { range: { start: at, end: at }, text: s };
    } else if (op < 62) {
      const a = rng.int(text.length + 1);
      const b = Math.min(text.length, a + 1 + rng.int(rng.chance(0.2) ? 400 : 30));
      change = { range: { start: d.doc.positionAt(a), end: d.doc.positionAt(b) }, text: '' };
    } else if (op < 70) {
      const at = { line: rng.int(d.doc.lineCount), character: 0 };
      change = { range: { start: at, end: at }, text: rng.pick(sources) + (rng.chance(0.5) ? '---\n' : '') };
    } else if (op < 80) {
      change = { text: rng.pick(d.history) };
    } else if (op < 95) {
      const line = rng.int(d.doc.lineCount);
      change = { range: { start: { line, character: 0 }, end: { line, character: 10000 } }, text: rng.pick(LINES) };
    } else if (op < 97) {
      await close(d);
      continue;
    } else {
      // A stale version number: clients must not send one, the server must survive it.
      change = { text: rng.pick(d.history) };
      d.version -= 3;
    }
    d.version++;
    // The local model follows the same rules as the server's (clamped ranges included).
    d.doc = TextDocument.update(d.doc, [change as never], d.version);
    if (d.history.length < 20 && rng.chance(0.05)) d.history.push(d.doc.getText());
    if (d.doc.getText().length > 200000) {
      // Keep documents editor-sized: paste a fixture over it.
      change = { text: rng.pick(sources) };
      d.doc = TextDocument.update(d.doc, [change as never], d.version);
    }
    await c.conn.sendNotification('textDocument/didChange', { textDocument: { uri: d.uri, version: d.version }, contentChanges: [change] });
    if (rng.chance(0.4)) randomRequest();
    if (rng.chance(0.05)) randomRequest();
    if (pending.length >= 24) await Promise.all(pending.splice(0, 12));
    if (i % 1000 === 999) await checkpoint();
  }
  // Make version numbers strictly newer than anything seen, then a last quiet point.
  for (const d of docs.filter((x) => x.open)) {
    d.version += 10;
    const change = { text: d.doc.getText() };
    d.doc = TextDocument.update(d.doc, [change], d.version);
    await c.conn.sendNotification('textDocument/didChange', { textDocument: { uri: d.uri, version: d.version }, contentChanges: [change] });
  }
  await checkpoint();
  assert.deepEqual(failures, [], 'every request is answered in time');
  for (const d of docs) if (d.open) await close(d);
  return { requests, checks };
}

function assertHealthy(c: Client): void {
  assert.equal(c.child.exitCode, null, `the server is still running: ${c.stderr().slice(-2000)}`);
  assert.doesNotMatch(c.stderr(), /unhandled rejection|uncaught/i, 'no unhandled rejection or uncaught exception');
}

test('a reused version number gets the findings (and fixes) of the new text, not the cached ones', async () => {
  const c = await startClient({ pull: true });
  try {
    const uri = 'file:///tmp/drainguard-stress-stale/a.yaml';
    const text = readFileSync(join(REPO, 'samples/checkout-deployment.yaml'), 'utf8');
    const diagnostics = async (): Promise<Diagnostic[]> => ((await c.conn.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] }).items;
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 5, text } });
    assert.equal((await diagnostics()).length, 1);
    await c.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 4 }, contentChanges: [{ text: 'a: 1\n' }] });
    await c.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 5 }, contentChanges: [{ text: 'b: 2\n' }] });
    assert.deepEqual(await diagnostics(), []);
    const actions = await c.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, context: { diagnostics: [], only: ['source.fixAll'] } });
    assert.deepEqual(actions, [], 'no fix computed on the old text is offered for the new one');
    assertHealthy(c);
  } finally {
    await c.close();
  }
});

test('language server under 5,000 random edits and requests: stays up, answers, stays consistent, gives memory back', { timeout: 300000 }, async (t) => {
  const probe = join(__dirname, 'heap-probe.js');
  const command = [process.execPath, '--expose-gc', '--require', probe, SERVER, '--stdio'];
  for (const [pull, edits, seed] of [
    [true, 4000, 7],
    [false, 1000, 11],
  ] as const) {
    const c = await startClient({ pull, command });
    try {
      // Baseline: after one warm-up round (code loaded and compiled, caches at rest).
      await stress(c, seed + 1000, 150, pull);
      const baseline = await heapOf(c);
      const r = await stress(c, seed, edits, pull);
      assert.ok(r.requests > edits / 3 && r.checks > 4, `the run made requests (${r.requests}) and checked diagnostics (${r.checks} times)`);
      assertHealthy(c);
      const heap = await heapOf(c);
      t.diagnostic(`${pull ? 'pull' : 'push'}: ${edits} edits, ${r.requests} requests, ${r.checks} consistency checks; heap ${(baseline / 1e6).toFixed(1)} MB -> ${(heap / 1e6).toFixed(1)} MB`);
      assert.ok(heap - baseline < HEAP_SLACK, `heap back near baseline after closing every document: ${(heap / 1e6).toFixed(1)} MB vs ${(baseline / 1e6).toFixed(1)} MB`);
    } finally {
      await c.close();
    }
  }
});
