/**
 * The language server's workspace index as a module: one key per file whatever the URI's
 * spelling, the cheap relevance pre-scan, and no work for files that never contribute.
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalUri, WorkspaceIndex } from '../../server/src/lsp/workspace-index';
import { dedent } from '../helpers';

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

describe('canonicalUri', () => {
  test('VS Code and Node spellings of one file agree; other schemes are kept', () => {
    assert.equal(canonicalUri('file:///home/me/a%40b/x.yaml'), canonicalUri('file:///home/me/a@b/x.yaml'));
    assert.equal(canonicalUri('file:///c%3A/repo/x.yaml'), canonicalUri('file:///C:/repo/x.yaml'));
    assert.equal(canonicalUri('file:///C:/repo/x.yaml'), 'file:///c:/repo/x.yaml');
    assert.equal(canonicalUri('untitled:Untitled-1'), 'untitled:Untitled-1');
    assert.equal(canonicalUri('file:///tmp/a%20b.yaml'), 'file:///tmp/a%20b.yaml');
  });
});

describe('WorkspaceIndex', () => {
  test('one entry per file whatever the spelling: a file never contributes to itself', () => {
    const index = new WorkspaceIndex(() => undefined);
    index.setText('file:///ws/a@b/istio-operator.yaml', OPERATOR);
    index.markOpen('file:///ws/a%40b/istio-operator.yaml', true);
    index.setText('file:///ws/a%40b/istio-operator.yaml', OPERATOR.replace('45s', '40s'));
    assert.equal(index.size, 1);
    assert.ok(index.isOpen('file:///ws/a@b/istio-operator.yaml'));
    assert.equal(index.refreshFromDisk('file:///ws/a@b/istio-operator.yaml'), false, 'an open document keeps its live text');
    assert.equal(index.contextFor('file:///ws/a@b/istio-operator.yaml').mesh.length, 0);
    assert.equal(index.contextFor('file:///ws/a%40b/istio-operator.yaml').mesh.length, 0);
    assert.equal(index.contextFor('file:///ws/a@b/app.yaml').mesh.length, 1);
    index.remove('file:///ws/a@b/istio-operator.yaml');
    assert.equal(index.size, 0);
  });

  test('the relevance pre-scan is linear on long runs of blank lines', () => {
    const index = new WorkspaceIndex(() => undefined);
    const text = 'a: 1\n' + '\n'.repeat(40000) + 'b: 2\n';
    const t0 = process.hrtime.bigint();
    index.setText('file:///ws/blank.yaml', text);
    index.setText('file:///ws/blank2.yaml', ' \n'.repeat(40000));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
    assert.equal(index.size, 0);
  });

  test('the relevance pre-scan still finds what it found', () => {
    const index = new WorkspaceIndex(() => undefined);
    const istiod = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n\n\ndata:\n  mesh: |-\n    defaultConfig: {}\n';
    for (const [i, text] of [istiod, istiod.replace('name: istio', '  name: "istio-1-27"  '), istiod.replace('name: istio\n', 'name: istio\r\n')].entries()) {
      const probe = new WorkspaceIndex(() => undefined);
      probe.setText(`file:///ws/cm${i}.yaml`, text);
      assert.equal(probe.size, 1, JSON.stringify(text));
    }
    index.setText('file:///ws/notes.yaml', 'metadata:\n  name: istiod-config-notes x\n');
    assert.equal(index.size, 0);
  });

  test('text that is not relevant and never was costs no signature', () => {
    const index = new WorkspaceIndex(() => undefined);
    index.setText('file:///ws/istio-operator.yaml', OPERATOR);
    let recomputed = 0;
    const self = index as unknown as { recompute(): boolean };
    const original = self.recompute.bind(index);
    self.recompute = () => {
      recomputed++;
      return original();
    };
    for (let i = 0; i < 20; i++) assert.equal(index.setText('file:///ws/app.yaml', `kind: Deployment\nmetadata:\n  name: web${i}\n`), false);
    assert.equal(recomputed, 0);
    // A file that contributed and stops contributing is still noticed.
    assert.equal(index.setText('file:///ws/istio-operator.yaml', 'kind: Deployment\n'), true);
    assert.equal(recomputed, 1);
    assert.equal(index.size, 0);
  });
});
