import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeFiles } from '../../server/src/engine/analyze';
import { dedent, settings } from '../helpers';

const ID = 'conflicting-mesh-config';
const iop = (drain: string, rev = '') => dedent(`
  apiVersion: install.istio.io/v1alpha1
  kind: IstioOperator
  spec:
    ${rev ? `revision: ${rev}` : ''}
    meshConfig:
      defaultConfig:
        terminationDrainDuration: ${drain}
  `);
const meshCm = (drain: string) => dedent(`
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: istio
    namespace: istio-system
  data:
    mesh: |-
      defaultConfig:
        terminationDrainDuration: ${drain}
  `);

function run(files: Record<string, string>) {
  return analyzeFiles(Object.entries(files).map(([uri, text]) => ({ uri, text, settings: settings() }))).map((r) => ({ uri: r.uri, fs: r.findings.filter((f) => f.ruleId === ID), text: r.text }));
}

describe(ID, () => {
  test('on each disagreeing source; the mesh ConfigMap wins over the IstioOperator', () => {
    const [a, b] = run({ 'iop.yaml': iop('45s'), 'mesh.yaml': meshCm('20s') });
    assert.equal(a!.fs.length, 1);
    assert.equal(a!.text.slice(a!.fs[0]!.range.start, a!.fs[0]!.range.end), '45s');
    assert.match(a!.fs[0]!.message, /ConfigMap istio wins/);
    assert.equal(b!.fs.length, 1);
    assert.equal(b!.text.slice(b!.fs[0]!.range.start, b!.fs[0]!.range.end), '20s');
    assert.match(b!.fs[0]!.message, /this one wins/);
    assert.equal(b!.fs[0]!.related[0]!.uri, 'iop.yaml');
  });
  test('silent when they agree or configure different revisions', () => {
    assert.deepEqual(run({ 'iop.yaml': iop('20s'), 'mesh.yaml': meshCm('20s') }).flatMap((r) => r.fs), []);
    assert.deepEqual(run({ 'iop.yaml': iop('45s', 'canary'), 'mesh.yaml': meshCm('20s') }).flatMap((r) => r.fs), []);
  });
});
