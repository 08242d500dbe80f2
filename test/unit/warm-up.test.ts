/**
 * The language server's warm-up (server/src/lsp/warm-up.ts) must walk what real files make the
 * engine run: V8 compiles code for what it has seen, and the first large file that shows more
 * (a kind, a rule's report, a document without pods) recompiles it as it goes. What it buys is
 * measured in `npm run bench`; these tests keep it walking everything.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeText } from '../../server/src/engine/analyze';
import { RULES } from '../../server/src/engine/rules/registry';
import { defaultSettings } from '../../server/src/engine/settings';
import { fastParseDocument } from '../../server/src/engine/yaml/fast-parse';
import { splitDocuments } from '../../server/src/engine/yaml/stream';
import { startWarmUp, warmUpRun, warmUpState, warmUpText } from '../../server/src/lsp/warm-up';

/** Rules that cannot report on one file with the default settings: a setting names an Istio version, or two files disagree. */
const NEEDS_MORE = new Set(['unsupported-for-istio-version', 'conflicting-mesh-config']);

const VARIANTS = [0, 1, 2, 3];

test('over its four variants, the warm-up makes every rule that can report on one file report', () => {
  const reported = new Set<string>();
  for (const v of VARIANTS) for (const f of analyzeText('untitled:warm-up', warmUpText(v), defaultSettings()).findings) reported.add(f.ruleId);
  const missing = RULES.map((r) => r.id).filter((id) => !NEEDS_MORE.has(id) && !reported.has(id));
  assert.deepEqual(missing, []);
});

test('every workload kind gives a pod, and every document is read by the fast path, as plain manifests are', () => {
  const kinds = new Set<string>();
  for (const v of VARIANTS) {
    const text = warmUpText(v);
    const r = analyzeText('untitled:warm-up', text, defaultSettings());
    assert.deepEqual(r.notes, []);
    for (const p of r.pods) kinds.add(String(p.pod.object.kind));
    const slices = splitDocuments(text)!;
    // A labelled Namespace, 14 workloads, a List, two ConfigMaps.
    assert.equal(slices.length, 18);
    for (const s of slices) assert.ok(fastParseDocument(text.slice(s.start, s.end), s.start), `the fast path gives up on:\n${text.slice(s.start, s.start + 200)}`);
  }
  // Knative's Service and Configuration, and CloneSet, a kind the model does not know by name.
  assert.deepEqual([...kinds].sort(), ['CloneSet', 'Configuration', 'CronJob', 'DaemonSet', 'Deployment', 'Job', 'Pod', 'PodTemplate', 'ReplicaSet', 'ReplicationController', 'Rollout', 'Service', 'StatefulSet']);
});

test('a run opens; one run in two converts and publishes, the others edit, one edit in two breaking a document', async () => {
  const state = warmUpState();
  for (let i = 0; i < 8; i++) {
    const r = warmUpRun(i, state);
    assert.deepEqual(r.opened.notes, []);
    if (i % 2 === 0) {
      assert.equal(r.edited, undefined);
      // Read at once: the encoder reuses its Buffer for the next message.
      const sent = JSON.parse(Buffer.from(await r.published!).toString('utf8')) as { method: string; params: { diagnostics: { code: string }[] } };
      assert.equal(sent.method, 'textDocument/publishDiagnostics');
      assert.deepEqual(
        sent.params.diagnostics.map((d) => d.code),
        [...r.opened.findings, ...r.opened.findings].map((f) => f.ruleId),
      );
      // More than 32 items: the encoder's path for large arrays (lsp/stdio.ts).
      assert.ok(sent.params.diagnostics.length > 32, `run ${i}: ${sent.params.diagnostics.length} diagnostics`);
      continue;
    }
    assert.equal(r.published, undefined);
    assert.ok(r.edited, `run ${i} edits`);
    assert.notEqual(r.edited.text, r.opened.text);
    // The breaking edit leaves a document the package reports an error in: its path runs too.
    assert.equal(r.edited.notes.some((n) => /does not parse as YAML/.test(n.message)), i % 4 === 3, `run ${i}: ${JSON.stringify(r.edited.notes)}`);
  }
});

/** Resolve once `ok()` holds, checking every few milliseconds; reject after `ms`. */
function until(ok: () => boolean, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = (): void => {
      if (ok()) resolve();
      else if (Date.now() - started > ms) reject(new Error('timed out'));
      else setTimeout(check, 5);
    };
    check();
  });
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('startWarmUp makes its runs one after another, then stops; a run that throws does not stop it', async () => {
  const seen: number[] = [];
  startWarmUp(() => 1e9, 6, 1, (i) => {
    seen.push(i);
    if (i === 2) throw new Error('a broken run');
  });
  await until(() => seen.length >= 6);
  await pause(50);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
});

test('startWarmUp waits while the server is busy and goes on once it has been quiet', async () => {
  const seen: number[] = [];
  let busy = true;
  startWarmUp(() => (busy ? 0 : 1e9), 3, 10, (i) => seen.push(i));
  await pause(100);
  assert.deepEqual(seen, []);
  busy = false;
  await until(() => seen.length >= 3);
  assert.deepEqual(seen, [0, 1, 2]);
});

test('the function startWarmUp returns stops it', async () => {
  const seen: number[] = [];
  const stop = startWarmUp(() => 1e9, 100, 1, (i) => {
    seen.push(i);
    if (i === 2) stop();
  });
  await until(() => seen.length >= 3);
  await pause(50);
  assert.deepEqual(seen, [0, 1, 2]);
});
