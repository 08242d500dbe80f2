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
import type { Diagnostic } from 'vscode-languageserver-protocol';
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
