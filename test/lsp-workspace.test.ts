/**
 * The language server's workspace index: a mesh default in a file that is not open changes
 * findings in the open one; edits to the open IstioOperator and changes on disk refresh them.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parseAllDocuments } from 'yaml';
import { dedent } from './helpers';
import { startClient, type Client } from './lsp-client';

const OPERATOR = dedent(`
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata:
  name: control-plane
spec:
  meshConfig:
    defaultConfig:
      terminationDrainDuration: 45s
`);
const APP = dedent(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    metadata:
      labels:
        sidecar.istio.io/inject: "true"
    spec:
      containers:
        - name: web
          image: web
`);

describe('language server workspace index', () => {
  let c: Client;
  let dir: string;
  let appUri: string;
  let opUri: string;
  const pull = async (uri: string) => ((await c.conn.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] }).items;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drainguard-ws-'));
    writeFileSync(join(dir, 'istio-operator.yaml'), OPERATOR);
    writeFileSync(join(dir, 'app.yaml'), APP);
    appUri = pathToFileURL(join(dir, 'app.yaml')).toString();
    opUri = pathToFileURL(join(dir, 'istio-operator.yaml')).toString();
    c = await startClient({ pull: true, rootUri: pathToFileURL(dir).toString() });
  });
  after(async () => c.close());

  test('the IstioOperator drain (file not open) applies to the open Deployment', async () => {
    const refreshed = c.nextRefresh();
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: appUri, languageId: 'yaml', version: 1, text: APP } });
    let items = await pull(appUri);
    if (items.length === 0) {
      // The index was still scanning: the server asks the client to pull again when it is done.
      await refreshed;
      items = await pull(appUri);
    }
    assert.equal(items.length, 1);
    assert.equal(items[0]!.code, 'drain-exceeds-grace');
    assert.match(items[0]!.message as string, /45s \(IstioOperator control-plane, istio-operator\.yaml:8\)/);
  });

  test('editing the open IstioOperator refreshes the Deployment', async () => {
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: opUri, languageId: 'yaml', version: 1, text: OPERATOR } });
    const refreshed = c.nextRefresh();
    await c.conn.sendNotification('textDocument/didChange', { textDocument: { uri: opUri, version: 2 }, contentChanges: [{ text: OPERATOR.replace('45s', '20s') }] });
    await refreshed;
    assert.deepEqual(await pull(appUri), []);
    await c.conn.sendNotification('textDocument/didClose', { textDocument: { uri: opUri } });
    assert.equal((await pull(appUri)).length, 1, 'closing without saving goes back to the disk contents');
  });

  test('a change on disk (watched files) refreshes too', async () => {
    writeFileSync(join(dir, 'istio-operator.yaml'), OPERATOR.replace('45s', '10s'));
    const refreshed = c.nextRefresh();
    await c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: opUri, type: 2 }] });
    await refreshed;
    assert.deepEqual(await pull(appUri), []);
  });
});

describe('a quick fix on another file: the injector ConfigMap', () => {
  let c: Client;
  let dir: string;
  const INJECTOR = dedent(`
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: istio-sidecar-injector
    namespace: istio-system
  data:
    values: |-
      {
        "global": {
          "proxy": {
            "image": "proxyv2"
          }
        }
      }
  `);
  const WORKER = APP.replace('          image: web\n', '          image: web\n          lifecycle:\n            preStop:\n              sleep:\n                seconds: 15\n');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drainguard-ws2-'));
    writeFileSync(join(dir, 'injector.yaml'), INJECTOR);
    writeFileSync(join(dir, 'worker.yaml'), WORKER);
    c = await startClient({ pull: true, rootUri: pathToFileURL(dir).toString() });
  });
  after(async () => c.close());

  test('app-outlives-sidecar offers the mesh-wide preStop as an edit of injector.yaml', async () => {
    const uri = pathToFileURL(join(dir, 'worker.yaml')).toString();
    const injUri = pathToFileURL(join(dir, 'injector.yaml')).toString();
    const refreshed = c.nextRefresh();
    await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: WORKER } });
    await refreshed.catch(() => undefined);
    const items = ((await c.conn.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] }).items;
    const d = items.find((x) => x.code === 'app-outlives-sidecar');
    assert.ok(d, JSON.stringify(items.map((x) => x.code)));
    const actions = (await c.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
    const a = actions.find((x) => /in injector\.yaml$/.test(x.title));
    assert.ok(a, actions.map((x) => x.title).join(' | '));
    const change = a.edit!.documentChanges![0] as { textDocument: { uri: string; version: number | null }; edits: TextEdit[] };
    assert.equal(change.textDocument.uri, injUri);
    assert.equal(change.textDocument.version, null);
    const fixed = TextDocument.applyEdits(TextDocument.create(injUri, 'yaml', 0, INJECTOR), change.edits);
    const docs = parseAllDocuments(fixed);
    assert.deepEqual(docs.flatMap((x) => x.errors), []);
    const values = JSON.parse((docs[0]!.toJS() as { data: { values: string } }).data.values);
    assert.deepEqual(values.global.proxy.lifecycle.preStop.exec.command.slice(0, 2), ['/bin/sh', '-c']);
    assert.equal(values.global.proxy.image, 'proxyv2');
  });
});

/** A workspace folder with files, and a pull client whose initial index scan has finished. */
async function workspace(files: Record<string, string>, opts: { prefix?: string; settings?: Record<string, unknown> } = {}): Promise<{ c: Client; dir: string; uri: (name: string) => string }> {
  const dir = mkdtempSync(join(tmpdir(), opts.prefix ?? 'drainguard-ws3-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const c = await startClient({ pull: true, rootUri: pathToFileURL(dir).toString(), settings: opts.settings });
  // The scan finds configuration in the files, so the server asks for a refresh when it is done.
  await c.nextRefresh();
  return { c, dir, uri: (name: string) => pathToFileURL(join(dir, name)).toString() };
}

const pullItems = async (c: Client, uri: string) => ((await c.conn.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] }).items;

describe('watched files: a batch with a .drainguard.yaml change', () => {
  test('every change of the batch reaches the index', async () => {
    const { c, dir, uri } = await workspace({ 'istio-operator.yaml': OPERATOR, 'app.yaml': APP });
    try {
      await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: uri('app.yaml'), languageId: 'yaml', version: 1, text: APP } });
      assert.equal((await pullItems(c, uri('app.yaml'))).length, 1);
      writeFileSync(join(dir, 'istio-operator.yaml'), OPERATOR.replace('45s', '10s'));
      writeFileSync(join(dir, '.drainguard.yaml'), 'shutdownMargin: 5s\n');
      const refreshed = c.nextRefresh();
      await c.conn.sendNotification('workspace/didChangeWatchedFiles', {
        changes: [
          { uri: uri('.drainguard.yaml'), type: 1 },
          { uri: uri('istio-operator.yaml'), type: 2 },
        ],
      });
      await refreshed;
      assert.deepEqual(await pullItems(c, uri('app.yaml')), [], 'the 10s drain from disk is used');
    } finally {
      await c.close();
    }
  });
});

describe('the editor setting drainguard.ignore', () => {
  const BAD = APP.replace('      labels:\n', '      annotations:\n        proxy.istio.io/config: |\n          terminationDrainDuration: 45s\n      labels:\n');
  test('globs relative to the workspace folder: no diagnostics, code actions or hovers', async () => {
    const { c, uri } = await workspace({ 'istio-operator.yaml': OPERATOR, 'generated/a.yaml': BAD, 'charts/x/b.yaml': BAD, 'keep.yaml': BAD }, { settings: { ignore: ['generated/**', 'charts/'] } });
    try {
      for (const name of ['generated/a.yaml', 'charts/x/b.yaml', 'keep.yaml']) {
        await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: uri(name), languageId: 'yaml', version: 1, text: BAD } });
      }
      const kept = await pullItems(c, uri('keep.yaml'));
      assert.equal(kept.length, 1, 'files the globs do not match are checked');
      const doc = TextDocument.create(uri('keep.yaml'), 'yaml', 1, BAD);
      const position = doc.positionAt(BAD.indexOf('45s') + 1);
      assert.ok(await c.conn.sendRequest('textDocument/hover', { textDocument: { uri: uri('keep.yaml') }, position }));
      for (const name of ['generated/a.yaml', 'charts/x/b.yaml']) {
        assert.deepEqual(await pullItems(c, uri(name)), [], name);
        assert.deepEqual(await c.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: uri(name) }, range: kept[0]!.range, context: { diagnostics: kept } }), [], name);
        assert.equal(await c.conn.sendRequest('textDocument/hover', { textDocument: { uri: uri(name) }, position }), null, name);
      }
    } finally {
      await c.close();
    }
  });
});

describe('one file, two URI spellings (VS Code encodes "@" as %40)', () => {
  test('an open document and its disk copy are one entry of the index', async () => {
    const { c, uri } = await workspace({ 'istio-operator.yaml': OPERATOR, 'app.yaml': APP }, { prefix: 'drainguard-@ws-' });
    try {
      const vscodeUri = (name: string) => uri(name).replace(/@/g, '%40');
      assert.notEqual(vscodeUri('app.yaml'), uri('app.yaml'));
      const edited = OPERATOR.replace('45s', '40s');
      await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: vscodeUri('istio-operator.yaml'), languageId: 'yaml', version: 1, text: edited } });
      const own = (await pullItems(c, vscodeUri('istio-operator.yaml'))).map((d) => d.code);
      assert.ok(!own.includes('conflicting-mesh-config'), `the file does not conflict with its own disk copy: ${own.join(', ')}`);
      await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: vscodeUri('app.yaml'), languageId: 'yaml', version: 1, text: APP } });
      const items = await pullItems(c, vscodeUri('app.yaml'));
      assert.equal(items.length, 1);
      assert.match(items[0]!.message as string, /40s \(IstioOperator control-plane/, 'the live text wins over the disk copy');
    } finally {
      await c.close();
    }
  });
});

describe('a cross-file quick fix on stale text', () => {
  const INJECTOR = dedent(`
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: istio-sidecar-injector
    namespace: istio-system
  data:
    values: |-
      {
        "global": {
          "proxy": {
            "image": "proxyv2"
          }
        }
      }
  `);
  const WORKER = APP.replace('          image: web\n', '          image: web\n          lifecycle:\n            preStop:\n              sleep:\n                seconds: 15\n');

  test('is not offered while the other file on disk differs from the index; offered again once re-read', async () => {
    const { c, dir, uri } = await workspace({ 'injector.yaml': INJECTOR, 'worker.yaml': WORKER });
    try {
      const changed = '# a line added on disk, without a watcher event\n' + INJECTOR;
      writeFileSync(join(dir, 'injector.yaml'), changed);
      await c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: uri('worker.yaml'), languageId: 'yaml', version: 1, text: WORKER } });
      const actionsFor = async () => {
        const d = (await pullItems(c, uri('worker.yaml'))).find((x) => x.code === 'app-outlives-sidecar');
        assert.ok(d);
        return (await c.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: uri('worker.yaml') }, range: d.range, context: { diagnostics: [d] } })) as CodeAction[];
      };
      const stale = await actionsFor();
      assert.ok(stale.length > 0, 'the same-file fixes are still offered');
      assert.equal(stale.find((x) => /in injector\.yaml$/.test(x.title)), undefined, stale.map((x) => x.title).join(' | '));

      const refreshed = c.nextRefresh();
      await c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('injector.yaml'), type: 2 }] });
      await refreshed;
      const a = (await actionsFor()).find((x) => /in injector\.yaml$/.test(x.title));
      assert.ok(a, 'offered again on the current text');
      const change = a.edit!.documentChanges![0] as { edits: TextEdit[] };
      const fixed = TextDocument.applyEdits(TextDocument.create(uri('injector.yaml'), 'yaml', 0, changed), change.edits);
      assert.deepEqual(parseAllDocuments(fixed).flatMap((x) => x.errors), []);
      assert.match(fixed, /^# a line added on disk, without a watcher event\napiVersion: v1\nkind: ConfigMap\n/);
    } finally {
      await c.close();
    }
  });
});
