/**
 * The incremental analysis the language server keeps per open document, against a fresh
 * analysis of every version: random edit sequences (characters, line breaks, new document
 * markers, deletions, new annotations and containers) on fixtures, samples and corpus files;
 * edits above and inside mesh sources; a context from another file. After each edit the
 * findings (with fixes and the line numbers in messages) and notes must be the same.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeText, contextOf, type FileResult } from '../server/src/engine/analyze';
import { analyzeOpenFile, editOpenFile, openFileResultAt, textIsBuilt, updateOpenFile, type OpenFile } from '../server/src/engine/incremental';
import { emptyContext, type AnalysisContext } from '../server/src/engine/model/effective';
import { classifyDocument } from '../server/src/engine/model/prescan';
import { RULES } from '../server/src/engine/rules/registry';
import { parseDocumentsAt, splitDocuments } from '../server/src/engine/yaml/stream';
import type { Settings } from '../server/src/engine/settings';
import { settings } from './helpers';

const REPO = join(__dirname, '..', '..');
const CORPUS = join(REPO, '..', 'shared', 'corpus');

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

const findingsOf = (r: FileResult): string => JSON.stringify(r.findings);
const notesOf = (r: FileResult): string => JSON.stringify(r.notes.map((n) => [n.message, n.range]));

/**
 * Whether `text` has a document that the analysis parses with entries blanked out (prescan.ts,
 * `elide`) and that does not parse whole. The editor's analysis does not read the blanked-out
 * entries, so a YAML error inside them leaves that document's findings in place, where the full
 * parse (and the CLI, which parses every document for its notes) has a document that does not parse.
 */
function hasBrokenElidedDocument(text: string): boolean {
  for (const sl of splitDocuments(text) ?? []) {
    if (classifyDocument(text, sl.start, sl.end).kind !== 'elide') continue;
    if (parseDocumentsAt(text.slice(sl.start, sl.end), sl.start, { uniqueKeys: true }).some((d) => d.errors.length > 0)) return true;
  }
  return false;
}

/**
 * The incremental result must equal a fresh analysis: a fresh open of the same text exactly, and
 * the full parse's findings and the fast path's notes (the full parse's findings may differ only
 * by the documents of `hasBrokenElidedDocument`).
 */
function assertFresh(file: OpenFile, s: Settings, base: AnalysisContext, label: string): void {
  const inc = analyzeOpenFile(file, s, base);
  const open = analyzeOpenFile(updateOpenFile(undefined, file.uri, file.text), s, base);
  assert.equal(findingsOf(inc), findingsOf(open), `${label}: against a fresh open`);
  const full = analyzeText(file.uri, file.text, s, RULES, base, { parse: 'full' });
  const fast = analyzeText(file.uri, file.text, s, RULES, base, { parse: 'relevant' });
  if (findingsOf(inc) !== findingsOf(full) && !hasBrokenElidedDocument(file.text)) {
    assert.deepEqual(
      inc.findings.map((f) => JSON.stringify(f)),
      full.findings.map((f) => JSON.stringify(f)),
      label,
    );
  }
  assert.equal(notesOf(inc), notesOf(fast), `${label}: notes`);
}

const INSERTS = ['x', '\n', ' ', '"', '---\n', '...\n', '  annotations:\n    a: yes\n', '      - name: istio-proxy\n', '# drainguard-disable-next-line\n', 'kind: Deployment\n'];

/** How the edits of `randomEdits` reach the state: as the new text (`updateOpenFile`), or as the edit (`editOpenFile`, the language server's way). */
type Way = 'text' | 'edit';

/** Edits that `editOpenFile` handled without the text, and edits in all (the test of the two ways asserts some were). */
const editWay = { handled: 0, all: 0 };

/** Apply `steps` seeded random edits to `text`, checking the incremental result after each. */
function randomEdits(uri: string, text: string, steps: number, seed: number, s: Settings, base: AnalysisContext = emptyContext(), way: Way = 'text'): void {
  const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n);
  let file = updateOpenFile(undefined, uri, text);
  assertFresh(file, s, base, `${uri} (open)`);
  for (let k = 0; k < steps; k++) {
    const pos = rnd(text.length + 1);
    const ins = INSERTS[rnd(INSERTS.length)]!;
    const del = rnd(4) === 0 ? rnd(30) : 0;
    // Whole lines go in at a line start.
    const at = ins.endsWith('\n') && ins.length > 1 ? text.lastIndexOf('\n', pos - 1) + 1 : pos;
    const end = Math.min(text.length, at + del);
    text = text.slice(0, at) + ins + text.slice(end);
    const label = `${uri} after edit ${k + 1} (${JSON.stringify(ins)} at ${at}, ${end - at} deleted, by ${way})`;
    if (way === 'edit') {
      editWay.all++;
      const edited = editOpenFile(file, { start: at, end, text: ins });
      if (edited) {
        editWay.handled++;
        analyzeOpenFile(edited, s, base);
        // The analysis of an edit does not make the whole text (comment suppressions need it: incremental.ts, assemble).
        if (!text.includes('drainguard-disable-next-line')) assert.equal(textIsBuilt(edited), false, `${label}: text made`);
        assert.equal(edited.text, text, `${label}: text`);
      }
      file = edited ?? updateOpenFile(file, uri, text);
    } else file = updateOpenFile(file, uri, text);
    assertFresh(file, s, base, label);
  }
}

test('random edits on every fixture and sample', () => {
  const files = [...yamlFiles(join(REPO, 'test', 'fixtures')), ...yamlFiles(join(REPO, 'samples'))];
  files.forEach((f, i) => {
    const text = readFileSync(f, 'utf8');
    const m = /^# settings: (\{.*\})$/m.exec(text);
    randomEdits(f, text, 15, 1000 + i, settings(m ? JSON.parse(m[1]!) : {}));
  });
});

test('random edits on corpus files (every fourth of istio-annotated/)', { skip: existsSync(CORPUS) ? false : 'no corpus' }, () => {
  const s = settings({ istioVersion: '1.26', kubernetesVersion: '1.32' });
  yamlFiles(join(CORPUS, 'istio-annotated'))
    .filter((_, i) => i % 4 === 0)
    .forEach((f, i) => randomEdits(f, readFileSync(f, 'utf8'), 6, 7 + i, s));
});

test('edits above, inside and below the mesh sources of a rendered Istio install', { skip: existsSync(CORPUS) ? false : 'no corpus' }, () => {
  // kubeflow's install: a mesh ConfigMap, an injector ConfigMap with a large template (parsed with it blanked out), workloads.
  const f = join(CORPUS, 'large', 'kubeflow__manifests__common_istio_istio-install_base_install.yaml');
  randomEdits(f, readFileSync(f, 'utf8'), 8, 42, settings());
});

test('a context from another file, as the workspace index gives it', () => {
  const dir = join(REPO, 'test', 'fixtures', 'mesh-operator');
  const [iop, shop] = ['istio-operator.yaml', 'shop.yaml'].map((n) => join(dir, n));
  const base = contextOf(iop!, readFileSync(iop!, 'utf8'));
  randomEdits(shop!, readFileSync(shop!, 'utf8'), 15, 99, settings(), base);
});

test('the same edits given as edits (editOpenFile, as the language server gives them), on fixtures, samples, corpus files and an Istio install', () => {
  const before = { ...editWay };
  const files = [...yamlFiles(join(REPO, 'test', 'fixtures')), ...yamlFiles(join(REPO, 'samples'))];
  files.forEach((f, i) => {
    const text = readFileSync(f, 'utf8');
    const m = /^# settings: (\{.*\})$/m.exec(text);
    randomEdits(f, text, 15, 1000 + i, settings(m ? JSON.parse(m[1]!) : {}), emptyContext(), 'edit');
  });
  const dir = join(REPO, 'test', 'fixtures', 'mesh-operator');
  const [iop, shop] = ['istio-operator.yaml', 'shop.yaml'].map((n) => join(dir, n));
  randomEdits(shop!, readFileSync(shop!, 'utf8'), 15, 99, settings(), contextOf(iop!, readFileSync(iop!, 'utf8')), 'edit');
  if (existsSync(CORPUS)) {
    const s = settings({ istioVersion: '1.26', kubernetesVersion: '1.32' });
    yamlFiles(join(CORPUS, 'istio-annotated'))
      .filter((_, i) => i % 4 === 1)
      .forEach((f, i) => randomEdits(f, readFileSync(f, 'utf8'), 6, 70 + i, s, emptyContext(), 'edit'));
    const f = join(CORPUS, 'large', 'kubeflow__manifests__common_istio_istio-install_base_install.yaml');
    randomEdits(f, readFileSync(f, 'utf8'), 8, 43, settings(), emptyContext(), 'edit');
  }
  // Most edits touch no mesh source, Namespace or ProxyConfig: they must have been handled without the text.
  const handled = editWay.handled - before.handled;
  const all = editWay.all - before.all;
  assert.ok(handled > all / 2, `${handled} of ${all} edits handled without the text`);
});

test('edits deep inside a large skipped document leave its text to be made, and the result is a fresh analysis', () => {
  // A CRD-like document of ~300 KB between two workloads: edits inside its schema lines are kept, not applied (incremental.ts, deepEdit).
  const pod = (name: string, drain: string): string =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    metadata:\n      annotations:\n        proxy.istio.io/config: "terminationDrainDuration: ${drain}"\n      labels:\n        sidecar.istio.io/inject: "true"\n    spec:\n      containers:\n      - name: app\n`;
  const props = Array.from({ length: 6000 }, (_, i) => `              field${i}:\n                description: "the field number ${i}"\n                type: string\n`).join('');
  const crd = `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\nspec:\n  group: example.com\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        properties:\n${props}`;
  let text = `${pod('a', '45s')}---\n${crd}---\n${pod('b', '50s')}`;
  const uri = 'file:///deep.yaml';
  const s = settings();
  const base = emptyContext();
  let file = updateOpenFile(undefined, uri, text);
  const before = analyzeOpenFile(file, s, base);
  assert.equal(before.findings.length, 2);
  let seed = 5;
  const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n);
  const crdStart = text.indexOf('kind: CustomResourceDefinition');
  let deep = 0;
  for (let k = 0; k < 300; k++) {
    // A place inside a description line of the schema: insert, delete or replace a few characters there.
    const line = text.indexOf('description: "', crdStart + rnd(text.length - crdStart - 1000));
    const at = line + 14 + rnd(10);
    const del = rnd(3) === 0 ? rnd(4) : 0;
    // The suppression marker (which makes the text: comment suppressions read it) only in the last edits: once in, every later edit makes the text.
    const ins = k >= 280 && rnd(3) === 0 ? 'drainguard-disable-next-line' : ['x', 'é', '', 'yz', '\u{1F600}'][rnd(5)]!;
    text = text.slice(0, at) + ins + text.slice(at + del);
    const edited = editOpenFile(file, { start: at, end: at + del, text: ins });
    assert.ok(edited, `edit ${k}: handled`);
    file = edited;
    analyzeOpenFile(file, s, base);
    if (!text.includes('drainguard-disable-next-line')) {
      assert.equal(textIsBuilt(file), false, `edit ${k}: text made`);
      deep++;
    }
    if (k % 50 === 49) assert.equal(file.text, text, `edit ${k}: text`);
  }
  assert.ok(deep > 100, `${deep} deep edits`);
  assert.ok(text.includes('drainguard-disable-next-line'), 'the suppression marker was typed too');
  // An edit that is not deep (a new key at the top of the CRD's spec) makes the slice's text from its waiting edits.
  const at = text.indexOf('  group: example.com');
  text = `${text.slice(0, at)}  template:\n    spec:\n      containers:\n      - name: c\n${text.slice(at)}`;
  file = editOpenFile(file, { start: at, end: at, text: '  template:\n    spec:\n      containers:\n      - name: c\n' }) ?? updateOpenFile(file, uri, text);
  assert.equal(file.text, text);
  assertFresh(file, s, base, 'after the deep edits');
  // And the line numbers in messages of the document after it still count every line.
  assert.match(analyzeOpenFile(file, s, base).findings.at(-1)!.message, new RegExp(`line ${text.slice(0, text.lastIndexOf('terminationDrainDuration')).split('\n').length}\\b`));
  // With a contributor after the CRD (a Namespace that enables injection), only edits that move nothing are handled so.
  text = `${pod('a', '45s')}---\n${crd}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled\n`;
  file = updateOpenFile(undefined, uri, text);
  analyzeOpenFile(file, s, base);
  const place = text.indexOf('description: "', crdStart + 5000) + 15;
  assert.equal(editOpenFile(file, { start: place, end: place, text: 'x' }), undefined, 'an insertion would move the Namespace');
  const same = editOpenFile(file, { start: place, end: place + 1, text: 'q' });
  assert.ok(same && !textIsBuilt(same), 'a replacement moves nothing');
  text = text.slice(0, place) + 'q' + text.slice(place + 1);
  assert.equal(same.text, text);
  assertFresh(same, s, base, 'a replacement above a contributor');
});

test('an edit after tabs that follow the indentation is not deep: the outline reads a line from its first character past blanks', () => {
  // The body of `spec` is one line whose content starts after two tabs; replacing it with a pod template makes the document matter.
  const text = 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n   \t\t# placeholder\n';
  const pod = '{template: {metadata: {annotations: {proxy.istio.io/config: "terminationDrainDuration: 45s"}, labels: {sidecar.istio.io/inject: "true"}}, spec: {containers: [{name: app}]}}}';
  const s = settings();
  const base = emptyContext();
  const file = updateOpenFile(undefined, 'file:///w.yaml', text);
  assert.deepEqual(analyzeOpenFile(file, s, base).findings, []);
  const at = text.indexOf('# placeholder');
  const edited = editOpenFile(file, { start: at, end: at + '# placeholder'.length, text: pod }) ?? assert.fail('not handled');
  assert.deepEqual(
    analyzeOpenFile(edited, s, base).findings.map((f) => f.ruleId),
    ['drain-exceeds-grace'],
  );
  assertFresh(edited, s, base, 'after the edit');
});

test('a new line above a document renumbers the lines in its messages without analysing it again', () => {
  const doc = (name: string): string =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    metadata:\n      annotations:\n        proxy.istio.io/config: "terminationDrainDuration: 45s"\n      labels:\n        sidecar.istio.io/inject: "true"\n    spec:\n      containers:\n      - name: app\n`;
  const text = `${doc('a')}---\n${doc('b')}`;
  const s = settings();
  const base = emptyContext();
  const first = updateOpenFile(undefined, 'file:///x.yaml', text);
  const before = analyzeOpenFile(first, s, base);
  assert.equal(before.findings.length, 2);
  const second = updateOpenFile(first, 'file:///x.yaml', `# a comment\n${text}`);
  const after = analyzeOpenFile(second, s, base);
  assert.equal(after.findings.length, 2);
  assert.match(before.findings[1]!.message, /\(line 24\)/);
  assert.match(after.findings[1]!.message, /\(line 25\)/);
  // The findings of the second document were moved, not recomputed: same fixes, shifted.
  assert.equal(after.findings[1]!.fixes[0]!.edits[0]!.start, before.findings[1]!.fixes[0]!.edits[0]!.start + 12);
  assertFresh(second, s, base, 'renumbered');
});

test('the result at an offset has the pods of that document, as a fresh analysis has them', () => {
  const f = join(REPO, 'test', 'fixtures', 'drain-vs-grace.yaml');
  const text = readFileSync(f, 'utf8');
  const s = settings();
  const base = emptyContext();
  const file = updateOpenFile(undefined, f, text);
  const full = analyzeText(f, text, s, RULES, base);
  assert.ok(full.pods.length > 1);
  for (const pa of full.pods) {
    const at = openFileResultAt(file, pa.pod.object.range.start + 1, s, base);
    const same = at.pods.find((p) => p.pod.object.range.start === pa.pod.object.range.start);
    assert.ok(same, `pod at ${pa.pod.object.range.start}`);
    assert.deepEqual([same.grace.value, same.drain.value, same.injection.reason], [pa.grace.value, pa.drain.value, pa.injection.reason]);
  }
});

test('an edit of a mesh source in the same file re-analyses the pods it configures', () => {
  const mesh = (drain: string): string =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\ndata:\n  mesh: |\n    defaultConfig:\n      terminationDrainDuration: ${drain}\n`;
  const pod = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  template:\n    metadata:\n      labels:\n        sidecar.istio.io/inject: "true"\n    spec:\n      containers:\n      - name: app\n`;
  const s = settings();
  const base = emptyContext();
  let file = updateOpenFile(undefined, 'file:///m.yaml', `${mesh('45s')}---\n${pod}`);
  assert.deepEqual(
    analyzeOpenFile(file, s, base).findings.map((f) => f.ruleId),
    ['drain-exceeds-grace'],
  );
  file = updateOpenFile(file, 'file:///m.yaml', `${mesh('10s')}---\n${pod}`);
  assert.deepEqual(analyzeOpenFile(file, s, base).findings, []);
  file = updateOpenFile(file, 'file:///m.yaml', `# moved\n${mesh('45s')}---\n${pod}`);
  assertFresh(file, s, base, 'mesh source moved');
  assert.match(analyzeOpenFile(file, s, base).findings[0]!.message, /line 9/);
});

test('a state that is not the latest is not built on (its records have moved on)', () => {
  const f = join(REPO, 'test', 'fixtures', 'drain-vs-grace.yaml');
  const text = readFileSync(f, 'utf8');
  const s = settings();
  const base = emptyContext();
  const first = updateOpenFile(undefined, f, text);
  analyzeOpenFile(first, s, base);
  analyzeOpenFile(updateOpenFile(first, f, `# one\n${text}`), s, base);
  // Built on `first` again, as a client that lost a version might make the server do.
  const again = updateOpenFile(first, f, `${text}# two\n`);
  assertFresh(again, s, base, 'built on a stale state');
});
