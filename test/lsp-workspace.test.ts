/**
 * The language server's workspace index: a mesh default in a file that is not open changes
 * findings in the open one; edits to the open IstioOperator and changes on disk refresh them.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
