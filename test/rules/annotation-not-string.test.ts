import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'annotation-not-string';

const obj = (value: string) =>
  dedent(`
  apiVersion: v1
  kind: Service
  metadata:
    name: s
    annotations:
      example.com/flag: ${value}
  `);

describe(ID, () => {
  for (const v of ['true', 'yes', 'on', 'Off', 'y', 'N', '30', '0x1F', '1.5', '~', 'null', '0777', '.inf']) {
    test(`fires on ${v}`, () => {
      const text = obj(v);
      const fs = check(text, {}, ID);
      assert.equal(fs.length, 1);
      assert.equal(pointed(text, fs[0]!), v);
      const out = applyFix(text, ID);
      const bools: Record<string, string> = { true: 'true', yes: 'true', on: 'true', Off: 'false', y: 'true', N: 'false' };
      const want = bools[v] ?? v;
      assert.match(out, new RegExp(`example.com/flag: "${want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
      if (want !== v) assert.match(applyFix(text, ID, 'as written'), new RegExp(`example.com/flag: "${v}"`));
    });
  }
  for (const v of ['"true"', "'30'", 'enabled', '1:30', '2024-01-01', '30s', '|\n        text', 'truex']) {
    test(`silent on ${v}`, () => assert.deepEqual(check(obj(v), {}, ID), []));
  }
  test('empty value (null) gets a "" fix', () => {
    const text = obj('');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    const out = applyFix(text, ID);
    assert.match(out, /example.com\/flag: ""\n/);
    const mid = text.replace('example.com/flag: \n', 'example.com/flag:\n    other: x\n');
    assert.match(applyFix(mid, ID), /example.com\/flag: ""\n {4}other: x\n/, 'an empty value followed by another key');
  });
  test('a key without a colon (a template line read as a flow mapping) gets no fix', () => {
    // Regression (fuzzer, seed 1128, case 25506): the fix wrote "" after the colon of the comment below.
    const text = dedent(`
    apiVersion: v1
    kind: Service
    metadata:
      name: s
      annotations:
        {{ .Values.annotations | toYaml }}
        # example.com/flag: off
    `);
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.deepEqual(fs[0]!.fixes, []);
  });
  test('pod template annotations too', () => {
    const text = dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: d
    spec:
      template:
        metadata:
          annotations:
            sidecar.istio.io/nativeSidecar: true
        spec:
          containers: [{name: a, image: a}]
    `);
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), 'true');
  });
  test('not maps that are merely called annotations (CRD schema, Helm values)', () => {
    const text = dedent(`
    podAnnotations:
      annotations:
        x: true
    spec:
      annotations:
        y: 30
    `);
    assert.deepEqual(check(text, {}, ID), []);
  });
});

describe(`${ID}: fuzz regressions`, () => {
  const pod = (annotation: string) =>
    dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: d
    spec:
      template:
        metadata:
          annotations:
            ${annotation}
        spec:
          containers: [{name: a, image: a}]
    `);

  for (const [v, want] of [
    ['no', 'false'],
    ['FALSE', 'false'],
    ['on', 'true'],
  ] as const) {
    test(`an Istio annotation's boolean (${v}) is written as "${want}" only (seed 1128 cases 22673, 93572)`, () => {
      // Quoted as written, sidecar.istio.io/inject: "no" is an invalid value: Istio falls back to
      // injecting, and with a 60s drain the pod gets a drain-exceeds-grace error.
      const text = pod(`sidecar.istio.io/inject: ${v}`);
      const [f] = check(text, { assumeInjection: 'always', defaultDrainDuration: '60s' }, ID);
      assert.ok(f);
      assert.deepEqual(f.fixes.map((x) => x.title), [`Write it as the string "${want}"`]);
      assert.match(applyFix(text, ID, undefined, { assumeInjection: 'always', defaultDrainDuration: '60s' }), new RegExp(`sidecar.istio.io/inject: "${want}"\n`));
    });
  }

  for (const v of ['true', '30']) {
    test(`proxy.istio.io/config: ${v} gets no fix (quoted it is still no ProxyConfig; seed 1128 case 51785)`, () => {
      const text = pod(`proxy.istio.io/config: ${v}`);
      const [f] = check(text, { assumeInjection: 'always' }, ID);
      assert.ok(f);
      assert.equal(pointed(text, f), v);
      assert.deepEqual(f.fixes, []);
      assert.match(f.message, /It must hold ProxyConfig fields as YAML or JSON text, such as '\{"terminationDrainDuration": "20s"\}'\.$/);
    });
  }

  test('proxy.istio.io/config: ~ is still quoted (an empty ProxyConfig is valid)', () => {
    const out = applyFix(pod('proxy.istio.io/config: ~'), ID, undefined, { assumeInjection: 'always' });
    assert.match(out, /proxy.istio.io\/config: "~"\n/);
  });
});

describe('annotation-not-string: nativeSidecar written as a YAML 1.1 false (fuzz, seed 4242, case 17519)', () => {
  const text = dedent(`
    apiVersion: v1
    kind: Pod
    metadata:
      name: p
      labels:
        sidecar.istio.io/inject: "true"
      annotations:
        sidecar.istio.io/nativeSidecar: n
        proxy.istio.io/config: |
          terminationDrainDuration: 45s
    spec:
      terminationGracePeriodSeconds: 30
      containers:
        - name: app
          image: app
  `);
  test('the pod becomes classic: the fix raises the grace period for its drain in the same edit', () => {
    const out = applyFix(text, 'annotation-not-string', 'Write it as the string "false" and raise terminationGracePeriodSeconds to 50', { nativeSidecars: 'on' });
    assert.match(out, /sidecar\.istio\.io\/nativeSidecar: "false"\n/);
    assert.match(out, /terminationGracePeriodSeconds: 50\n/);
  });
  test('no raise when the drain fits', () => {
    const out = applyFix(text.replace('45s', '20s'), 'annotation-not-string', 'Write it as the string "false"', { nativeSidecars: 'on' });
    assert.match(out, /terminationGracePeriodSeconds: 30\n/);
  });
});
