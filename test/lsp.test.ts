/**
 * Protocol tests: the built language server (dist/server.js) over stdio, driven by a real
 * LSP client connection: lifecycle, pull and push diagnostics, code actions applied to the
 * text, hovers, settings, robustness against bad requests.
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, Diagnostic, Hover, TextEdit, WorkspaceEdit } from 'vscode-languageserver-protocol';
import { parseAllDocuments } from 'yaml';
import { dedent } from './helpers';
import { startClient, type Client } from './lsp-client';

const URI = 'file:///tmp/drainguard-lsp-test/checkout.yaml';
const TEXT = dedent(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout # café ☕ before the value
spec:
  template:
    metadata:
      labels:
        sidecar.istio.io/inject: "true"
      annotations:
        proxy.istio.io/config: |
          # keep payment calls alive
          terminationDrainDuration: 45s
    spec:
      containers:
        - name: checkout
          image: checkout
`);

function applyWorkspaceEdit(doc: TextDocument, edit: WorkspaceEdit): string {
  const edits: TextEdit[] = [];
  for (const c of edit.documentChanges ?? []) if ('edits' in c && c.textDocument.uri === doc.uri) edits.push(...(c.edits as TextEdit[]));
  for (const [uri, es] of Object.entries(edit.changes ?? {})) if (uri === doc.uri) edits.push(...es);
  return TextDocument.applyEdits(doc, edits);
}

async function pullDiagnostics(c: Client, uri: string): Promise<Diagnostic[]> {
  const r = (await c.conn.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] };
  return r.items;
}

describe('language server, pull diagnostics', () => {
  let c: Client;
  before(async () => {
    c = await startClient({ pull: true });
  });
  after(async () => c.close());

  test('initialize advertises pull diagnostics, hover, quick fixes and fixAll', async () => {
    const c2 = await startClient({ pull: true });
    await c2.close();
    const caps = c2.initializeResult!.capabilities;
    assert.deepEqual(caps.diagnosticProvider, { identifier: 'drainguard', interFileDependencies: true, workspaceDiagnostics: false }, 'diagnostics depend on other files (the workspace index)');
    assert.equal(caps.hoverProvider, true);
    assert.equal(c2.child.exitCode, 0, 'exits cleanly after shutdown/exit');
  });

  test('open -> pull -> exact range, code, docs link, related information; never pushed', async () => {
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'yaml', version: 1, text: TEXT } });
    const items = await pullDiagnostics(c, URI);
    assert.equal(items.length, 1);
    const d = items[0]!;
    assert.equal(d.code, 'drain-exceeds-grace');
    assert.equal(d.source, 'drainguard');
    assert.equal(d.severity, 1);
    assert.match(d.codeDescription!.href, /docs\/rules\/drain-exceeds-grace\.md$/);
    const doc = TextDocument.create(URI, 'yaml', 1, TEXT);
    assert.equal(doc.getText(d.range), '45s');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.published.filter((p) => p.uri === URI).length, 0, 'no push when the client pulls');
  });

  test('result ids: "unchanged" while the diagnostics stay the same, a full report when they change', async () => {
    const uri = URI.replace('checkout', 'result-ids');
    type Report = { kind: string; resultId?: string; items?: Diagnostic[] };
    const pull = async (previousResultId?: string): Promise<Report> => (await c.conn.sendRequest('textDocument/diagnostic', { textDocument: { uri }, previousResultId })) as Report;
    const text = `# a comment\n${TEXT}`;
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    const first = await pull();
    assert.equal(first.kind, 'full');
    assert.equal(first.items!.length, 1);
    assert.ok(first.resultId, 'a full report carries a result id');
    assert.deepEqual(await pull(first.resultId), { kind: 'unchanged', resultId: first.resultId }, 'same version: unchanged');
    // An edit that moves nothing the client sees (the comment, on a line of its own): still unchanged.
    await c.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 11 }, end: { line: 0, character: 11 } }, text: '!' }],
    });
    assert.deepEqual(await pull(first.resultId), { kind: 'unchanged', resultId: first.resultId }, 'an edit that changes no diagnostic');
    // A client without the id (or with another one) gets the full report.
    const again = await pull('no-such-id');
    assert.equal(again.kind, 'full');
    assert.deepEqual(again.items, first.items);
    // An edit that moves the finding's line: a new full report with a new id.
    await c.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 3 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# another line\n' }],
    });
    const moved = await pull(first.resultId);
    assert.equal(moved.kind, 'full');
    assert.notEqual(moved.resultId, first.resultId);
    assert.equal(moved.items![0]!.range.start.line, first.items![0]!.range.start.line + 1);
    // Fixing the drain: the finding is gone.
    const fixedText = `# another line\n# a comment!\n${TEXT}`.replace('45s', '20s');
    await c.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 4 }, contentChanges: [{ text: fixedText }] });
    const fixed = await pull(moved.resultId);
    assert.equal(fixed.kind, 'full');
    assert.deepEqual(fixed.items, []);
    await c.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  });

  test('UTF-16 positions on a line with non-ASCII text', async () => {
    const uri = URI.replace('checkout', 'utf16');
    const text = TEXT.replace('terminationDrainDuration: 45s', 'terminationDrainDuration: 45s').replace('          # keep payment calls alive\n', '').replace('proxy.istio.io/config: |\n          terminationDrainDuration: 45s', `proxy.istio.io/config: '{"x": "é☕", "terminationDrainDuration": "45s"}'`);
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    const items = await pullDiagnostics(c, uri);
    const doc = TextDocument.create(uri, 'yaml', 1, text);
    assert.equal(doc.getText(items.find((x) => x.code === 'drain-exceeds-grace')!.range), '"45s"');
    assert.equal(doc.getText(items.find((x) => x.code === 'unknown-proxy-config-field')!.range), '"x"', 'the unknown key on the same line');
  });

  test('quick fixes: one per fix, the preferred one marked; applying it clears the finding and keeps comments', async () => {
    const [d] = await pullDiagnostics(c, URI);
    const actions = (await c.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: URI }, range: d!.range, context: { diagnostics: [d] } })) as CodeAction[];
    assert.deepEqual(
      actions.map((a) => [a.title, a.kind, a.isPreferred]),
      [
        ['Raise terminationGracePeriodSeconds to 50', 'quickfix', true],
        ['Lower terminationDrainDuration to 30s', 'quickfix', false],
      ],
    );
    for (const a of actions) {
      const doc = TextDocument.create(URI, 'yaml', 1, TEXT);
      const fixed = applyWorkspaceEdit(doc, a.edit!);
      assert.deepEqual(parseAllDocuments(fixed).flatMap((x) => x.errors), []);
      assert.match(fixed, /# keep payment calls alive/);
      assert.match(fixed, /café ☕/);
    }
    const doc = TextDocument.create(URI, 'yaml', 1, TEXT);
    const fixed = applyWorkspaceEdit(doc, actions[0]!.edit!);
    await c.conn.sendNotification('textDocument/didChange', { textDocument: { uri: URI, version: 2 }, contentChanges: [{ text: fixed }] });
    assert.deepEqual(await pullDiagnostics(c, URI), []);
    // Back to the original with an incremental change.
    const r = fixed.indexOf('      terminationGracePeriodSeconds: 50\n');
    const fdoc = TextDocument.create(URI, 'yaml', 2, fixed);
    await c.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri: URI, version: 3 },
      contentChanges: [{ range: { start: fdoc.positionAt(r), end: fdoc.positionAt(r + '      terminationGracePeriodSeconds: 50\n'.length) }, text: '' }],
    });
    assert.equal((await pullDiagnostics(c, URI)).length, 1);
  });

  test('partial diagnostics in the context (Neovim 0.7: only code and range) still get their fixes', async () => {
    const [d] = await pullDiagnostics(c, URI);
    const actions = (await c.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: URI }, range: d!.range, context: { diagnostics: [{ code: d!.code, range: d!.range }] } })) as CodeAction[];
    assert.equal(actions.length, 2);
    const none = (await c.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: URI }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 3 } }, context: { diagnostics: [] } })) as CodeAction[];
    assert.deepEqual(none, []);
  });

  test('source.fixAll.drainguard applies every preferred fix', async () => {
    const actions = (await c.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri: URI },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll'] },
    })) as CodeAction[];
    assert.equal(actions.length, 1);
    assert.equal(actions[0]!.kind, 'source.fixAll.drainguard');
    const fixed = applyWorkspaceEdit(TextDocument.create(URI, 'yaml', 3, TEXT), actions[0]!.edit!);
    assert.match(fixed, /terminationGracePeriodSeconds: 50/);
  });

  test('hover on the drain shows the field, the values with sources and the timeline', async () => {
    const doc = TextDocument.create(URI, 'yaml', 1, TEXT);
    const h = (await c.conn.sendRequest('textDocument/hover', { textDocument: { uri: URI }, position: doc.positionAt(TEXT.indexOf('45s') + 1) })) as Hover;
    const md = (h.contents as { value: string }).value;
    assert.match(md, /\*\*terminationDrainDuration\*\*/);
    assert.match(md, /grace period: \*\*30s\*\* \(Kubernetes default\)/);
    assert.match(md, /drain: \*\*45s\*\* \(line 13\)/);
    assert.match(md, /Shutdown timeline/);
    assert.match(md, /\| 45s \| istio-proxy exits after its 45s drain \(line 13\) \|/);
    assert.match(md, /\| 30s \| ⚠ SIGKILL for anything still running \(grace 30s: Kubernetes default\): Envoy is killed mid-drain \|/);
    assert.match(md, /drain-exceeds-grace/);
  });

  test('hover on terminationGracePeriodSeconds, the annotation key, the istio-proxy container', async () => {
    const text = TEXT.replace('    spec:\n      containers:\n', '    spec:\n      terminationGracePeriodSeconds: 60\n      containers:\n        - name: istio-proxy\n          image: auto\n');
    const uri = URI.replace('checkout', 'hover2');
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    const doc = TextDocument.create(uri, 'yaml', 1, text);
    const hover = async (needle: string) => {
      const h = (await c.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: doc.positionAt(text.indexOf(needle) + 2) })) as Hover | null;
      return h ? (h.contents as { value: string }).value : '';
    };
    assert.match(await hover('terminationGracePeriodSeconds'), /\*\*terminationGracePeriodSeconds\*\*[\s\S]*grace period: \*\*60s\*\* \(line 15\)/);
    assert.match(await hover('proxy.istio.io/config'), /\*\*proxy.istio.io\/config\*\*/);
    assert.match(await hover('istio-proxy'), /\*\*istio-proxy\*\*[\s\S]*custom injection/);
    assert.match(await hover('Deployment'), /\*\*Deployment checkout\*\*[\s\S]*drain: \*\*45s\*\* \(line 13\)[\s\S]*Shutdown timeline/);
    assert.equal(await hover('apiVersion'), '');
  });

  test('bad requests answer empty: unknown document, out-of-range position, stale version', async () => {
    assert.equal(await c.conn.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///nope.yaml' }, position: { line: 0, character: 0 } }), null);
    assert.equal(await c.conn.sendRequest('textDocument/hover', { textDocument: { uri: URI }, position: { line: 9999, character: 9999 } }), null);
    assert.deepEqual(await c.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: 'file:///nope.yaml' }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } }), []);
    assert.deepEqual(await pullDiagnostics(c, 'file:///nope.yaml'), []);
    await c.conn.sendNotification('textDocument/didChange', { textDocument: { uri: 'file:///nope.yaml', version: 7 }, contentChanges: [{ text: 'x' }] });
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: 'file:///bin.yaml', languageId: 'yaml', version: 1, text: '\u0000\u0001{{ .Values }}\n: : :\n' } });
    assert.deepEqual(await pullDiagnostics(c, 'file:///bin.yaml'), []);
    assert.equal(c.child.exitCode, null, 'still running');
  });

  test('settings from workspace/configuration, refreshed on change', async () => {
    const uri = URI.replace('checkout', 'settings');
    const text = TEXT.replace('terminationDrainDuration: 45s', 'holdApplicationUntilProxyStarts: true');
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    assert.deepEqual(await pullDiagnostics(c, uri), []);
    c.settings = { defaultDrainDuration: '40s', istioVersion: '', rules: {} };
    await c.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    const items = await pullDiagnostics(c, uri);
    assert.equal(items.length, 1);
    assert.match(items[0]!.message as string, /40s \(setting defaultDrainDuration \(editor settings\)\)/);
    c.settings = { defaultDrainDuration: '40s', rules: { 'drain-exceeds-grace': 'off' } };
    await c.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    assert.deepEqual(await pullDiagnostics(c, uri), []);
    assert.ok(c.requests.includes('workspace/diagnostic/refresh'));
    c.settings = {};
    await c.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
  });
});

describe('language server, incremental edits of a large document', () => {
  let c: Client;
  before(async () => {
    c = await startClient({ pull: true });
  });
  after(async () => c.close());

  test('after random edits (the server keeps the text in chunks and applies edits, not texts), diagnostics and hovers are those of a fresh open', async () => {
    // ~200 KB: a CRD-like document between workloads, a Namespace that enables injection at the end.
    const pod = (name: string, drain: string, grace: number): string =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    metadata:\n      annotations:\n        proxy.istio.io/config: "terminationDrainDuration: ${drain}"\n    spec:\n      terminationGracePeriodSeconds: ${grace}\n      containers:\n      - name: app # café ☕\n`;
    const props = Array.from({ length: 3000 }, (_, i) => `              f${i}:\n                description: "field ${i}"\n`).join('');
    const crd = `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\nspec:\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        properties:\n${props}`;
    const ns = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels:\n    istio-injection: enabled\n';
    let doc = TextDocument.create('file:///tmp/drainguard-lsp-test/large.yaml', 'yaml', 1, [pod('a', '45s', 30), crd, pod('b', '50s', 40), crd, pod('c', '10s', 30), ns].join('---\n'));
    assert.ok(doc.getText().length > 150_000);
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: doc.uri, languageId: 'yaml', version: 1, text: doc.getText() } });
    let seed = 11;
    const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n);
    const inserts = ['x', ' ', '\n', 'é', '"', '---\n', '90s', 'terminationGracePeriodSeconds: 5\n'];
    let fresh = 0;
    for (let v = 2; v <= 41; v++) {
      const changes = [];
      for (let k = 0; k < 1 + rnd(2); k++) {
        const text = doc.getText();
        // Mostly near a drain value (where findings change), sometimes anywhere.
        const near = text.indexOf('terminationDrainDuration', rnd(text.length));
        const at = rnd(3) > 0 && near >= 0 ? near + 26 + rnd(6) : rnd(text.length);
        const end = rnd(4) === 0 ? Math.min(text.length, at + rnd(8)) : at;
        const change = { range: { start: doc.positionAt(at), end: doc.positionAt(end) }, text: inserts[rnd(inserts.length)]! };
        changes.push(change);
        doc = TextDocument.create(doc.uri, 'yaml', v, TextDocument.applyEdits(doc, [{ range: change.range, newText: change.text }]));
      }
      await c.conn.sendNotification('textDocument/didChange', { textDocument: { uri: doc.uri, version: v }, contentChanges: changes });
      if (v % 5 !== 0) continue;
      const items = await pullDiagnostics(c, doc.uri);
      const uri = `file:///tmp/drainguard-lsp-test/fresh-${v}.yaml`;
      await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: doc.getText() } });
      const expected = await pullDiagnostics(c, uri);
      const strip = (ds: Diagnostic[]): string => JSON.stringify(ds.map((d) => ({ ...d, relatedInformation: d.relatedInformation?.map((r) => ({ ...r, location: { ...r.location, uri: 'u' } })) })));
      assert.equal(strip(items), strip(expected), `version ${v}: diagnostics`);
      fresh += expected.length;
      for (const d of items.slice(0, 3)) {
        const hover = (u: string): Promise<Hover | null> => c.conn.sendRequest('textDocument/hover', { textDocument: { uri: u }, position: d.range.start }) as Promise<Hover | null>;
        assert.deepEqual(await hover(doc.uri), await hover(uri), `version ${v}: hover at ${JSON.stringify(d.range.start)}`);
      }
      await c.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    }
    assert.ok(fresh > 0, 'the edits left findings to compare');
  });

  test('a lone carriage return typed in one document moves the diagnostics of the next one a line down', async () => {
    const uri = 'file:///tmp/drainguard-lsp-test/lone-cr.yaml';
    const one = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: "a b"\n';
    const two = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\nspec:\n  template:\n    metadata:\n      annotations:\n        proxy.istio.io/config: "terminationDrainDuration: 45s"\n      labels:\n        sidecar.istio.io/inject: "true"\n    spec:\n      containers:\n      - name: app\n';
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: `${one}---\n${two}` } });
    const [before] = await pullDiagnostics(c, uri);
    // Between "a" and " b" on line 5: a lone \r, a line break to LSP clients (and to YAML).
    await c.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: { line: 5, character: 7 }, end: { line: 5, character: 7 } }, text: '\r' }] });
    const [after] = await pullDiagnostics(c, uri);
    assert.equal(after!.range.start.line, before!.range.start.line + 1);
    assert.equal(after!.message, (before!.message as string).replace(/line (\d+)/g, (_m: string, n: string) => `line ${Number(n) + 1}`));
  });
});

describe('language server, push diagnostics (clients without pull: Neovim 0.7, eglot)', () => {
  let c: Client;
  before(async () => {
    c = await startClient({ pull: false });
  });
  after(async () => c.close());

  test('open and change publish diagnostics; close clears them', async () => {
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'yaml', version: 1, text: TEXT } });
    const ds = await c.waitPublished(URI, (d) => d.length === 1);
    assert.equal(ds[0]!.code, 'drain-exceeds-grace');
    await c.conn.sendNotification('textDocument/didChange', { textDocument: { uri: URI, version: 2 }, contentChanges: [{ text: TEXT.replace('45s', '20s') }] });
    await c.waitPublished(URI, (d) => d.length === 0);
    await c.conn.sendNotification('textDocument/didChange', { textDocument: { uri: URI, version: 3 }, contentChanges: [{ text: TEXT }] });
    await c.waitPublished(URI, (d) => d.length === 1);
    await c.conn.sendNotification('textDocument/didClose', { textDocument: { uri: URI } });
    await c.waitPublished(URI, (d) => d.length === 0);
  });
});
