/**
 * The engine never throws, even when its model does: a document the model cannot read gets an
 * "internal error" note and no findings, the other documents are analysed as usual, and an
 * object whose cross-file facts cannot be read contributes nothing. No such input is known
 * (the fuzzer looks for them); the failures here are injected by replacing a model function.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeText, contextOf } from '../../server/src/engine/analyze';
import * as mesh from '../../server/src/engine/model/mesh';
import * as podTemplate from '../../server/src/engine/model/pod-template';
import { defaultSettings } from '../../server/src/engine/settings';
import { dedent } from '../helpers';

const TEXT = dedent(`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: broken
  spec:
    template:
      metadata:
        annotations:
          proxy.istio.io/config: "terminationDrainDuration: 45s"
      spec:
        containers:
        - name: app
  ---
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: fine
  spec:
    template:
      metadata:
        annotations:
          proxy.istio.io/config: "terminationDrainDuration: 45s"
      spec:
        containers:
        - name: app
`);

/** Replace a module's exported function for the duration of `run` (the compiled code calls it through the module object). */
function replacing<M extends object, K extends keyof M>(mod: M, key: K, fake: M[K], run: () => void): void {
  const real = mod[key];
  (mod as Record<K, M[K]>)[key] = fake;
  try {
    run();
  } finally {
    (mod as Record<K, M[K]>)[key] = real;
  }
}

test('a document the model cannot read: a note, no findings for it, the next document analysed', () => {
  const normal = analyzeText('file:///m.yaml', TEXT, defaultSettings());
  assert.deepEqual(normal.findings.map((f) => f.ruleId), ['drain-exceeds-grace', 'drain-exceeds-grace']);
  const real = podTemplate.podTemplatesOf;
  replacing(podTemplate, 'podTemplatesOf', ((obj) => {
    if (obj.name === 'broken') throw new Error('injected model failure');
    return real(obj);
  }) as typeof real, () => {
    const r = analyzeText('file:///m.yaml', TEXT, defaultSettings());
    assert.deepEqual(r.findings.map((f) => f.ruleId), ['drain-exceeds-grace']);
    assert.ok(r.findings[0]!.range.start > TEXT.indexOf('name: fine'), 'the finding is the second document\'s');
    assert.deepEqual(r.notes.map((n) => n.message), ['internal error reading document 1: injected model failure']);
  });
});

test('an object whose mesh configuration cannot be read contributes nothing, without throwing', () => {
  const iop = dedent(`
    apiVersion: install.istio.io/v1alpha1
    kind: IstioOperator
    spec:
      meshConfig:
        defaultConfig:
          terminationDrainDuration: 45s
  `);
  assert.equal(contextOf('file:///iop.yaml', iop).mesh.length, 1);
  replacing(mesh, 'meshSourcesOf', (() => {
    throw new Error('injected');
  }) as typeof mesh.meshSourcesOf, () => {
    assert.equal(contextOf('file:///iop.yaml', iop).mesh.length, 0);
  });
});
