/**
 * The language server's warm-up (server/src/lsp/warm-up.ts) must walk what real files make the
 * engine run: V8 compiles code for what it has seen, and the first large file that shows more
 * (a kind, a rule's report, a document without pods) recompiles it as it goes. What it buys is
 * measured in `npm run bench`; these tests keep it walking everything.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeText } from '../../server/src/engine/analyze';
import { emptyContext } from '../../server/src/engine/model/effective';
import { RULES } from '../../server/src/engine/rules/registry';
import { defaultSettings } from '../../server/src/engine/settings';
import { fastParseDocument } from '../../server/src/engine/yaml/fast-parse';
import { splitDocuments } from '../../server/src/engine/yaml/stream';
import { reusingJsonEncoder } from '../../server/src/lsp/stdio';
import { warmUpRun, warmUpText } from '../../server/src/lsp/warm-up';

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
  assert.deepEqual([...kinds].sort(), ['CronJob', 'DaemonSet', 'Deployment', 'Job', 'Pod', 'PodTemplate', 'ReplicaSet', 'Rollout', 'Service', 'StatefulSet']);
});

test('a run opens, converts and publishes, and one run in two edits: one edit in two breaks a document', () => {
  const state = { settings: defaultSettings(), base: emptyContext(), encoder: reusingJsonEncoder() };
  for (let i = 0; i < 8; i++) {
    const r = warmUpRun(i, state);
    assert.ok(r.opened.findings.length > 10, `run ${i}: ${r.opened.findings.length} findings`);
    assert.deepEqual(r.opened.notes, []);
    if (i % 2 === 0) {
      assert.equal(r.edited, undefined);
      continue;
    }
    assert.ok(r.edited, `run ${i} edits`);
    assert.notEqual(r.edited.text, r.opened.text);
    // The broken edit leaves a document the package reports an error in: its path runs too.
    assert.equal(r.edited.notes.some((n) => /does not parse as YAML/.test(n.message)), i % 4 === 3, `run ${i}: ${JSON.stringify(r.edited.notes)}`);
  }
});
