import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'invalid-duration';

const pod = (config: string) =>
  dedent(`
  apiVersion: v1
  kind: Pod
  metadata:
    name: p
    annotations:
      proxy.istio.io/config: ${config}
  spec:
    containers:
      - name: app
        image: app
  `);

describe(ID, () => {
  const bad: { config: string; points: string; fixed?: RegExp }[] = [
    { config: '|\n        terminationDrainDuration: 20', points: '20', fixed: /terminationDrainDuration: 20s\n/ },
    { config: `'{"terminationDrainDuration": "60"}'`, points: '"60"', fixed: /'\{"terminationDrainDuration": "60s"\}'/ },
    { config: `'{"terminationDrainDuration": 60}'`, points: '60', fixed: /'\{"terminationDrainDuration": 60s\}'/ },
    { config: '|\n        terminationDrainDuration: 1d', points: '1d' },
    { config: '|\n        terminationDrainDuration: 60S', points: '60S', fixed: /terminationDrainDuration: 60s\n/ },
    { config: '|\n        drainDuration: 1.5s', points: '1.5s', fixed: /drainDuration: 2s\n/ },
    { config: '"{\\"drainDuration\\": \\"20\\"}"', points: '\\"20\\"', fixed: /"\{\\"drainDuration\\": \\"20s\\"\}"/ },
    // Regression (fuzzer, seed 1128, case 87844): Go's maximum duration rounds up past itself; round down instead.
    { config: '|\n        drainDuration: 2562047h47m16.854775807s', points: '2562047h47m16.854775807s', fixed: /drainDuration: 9223372036s\n/ },
  ];
  for (const c of bad) {
    test(`fires on ${c.config.replace(/\n\s*/g, ' ')}`, () => {
      const text = pod(c.config);
      const fs = check(text, {}, ID);
      assert.equal(fs.length, 1, JSON.stringify(fs));
      assert.equal(pointed(text, fs[0]!), c.points);
      if (c.fixed) assert.match(applyFix(text, ID), c.fixed);
      else assert.equal(fs[0]!.fixes.length, 0);
    });
  }
  for (const ok of ['|\n        terminationDrainDuration: 1m30s', `'{"terminationDrainDuration": "500ms"}'`, '|\n        terminationDrainDuration: "0"', '|\n        terminationDrainDuration: -5s', '|\n        terminationDrainDuration: 1.5s', '|\n        terminationDrainDuration: null']) {
    test(`silent on ${ok.replace(/\n\s*/g, ' ')}`, () => assert.deepEqual(check(pod(ok), {}, ID), []));
  }
  test('comments and blank lines inside the block keep positions exact', () => {
    const text = pod('|-\n        # the drain\n\n        terminationDrainDuration: 30 # seconds?');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), '30');
  });
  test('CRLF and non-ASCII before the annotation', () => {
    const text = pod('|\n        terminationDrainDuration: 20').replace('name: p', 'name: p # café ☕').replace(/\n/g, '\r\n');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), '20');
    assert.match(applyFix(text, ID), /terminationDrainDuration: 20s\r\n/);
  });
});

describe(`${ID} on mesh configuration`, () => {
  test('IstioOperator meshConfig.defaultConfig', () => {
    const text = dedent(`
    apiVersion: install.istio.io/v1alpha1
    kind: IstioOperator
    spec:
      meshConfig:
        defaultConfig:
          terminationDrainDuration: 30
    `);
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), '30');
    assert.match(fs[0]!.message, /^IstioOperator: .*rejects this mesh configuration/);
    assert.match(applyFix(text, ID), /terminationDrainDuration: 30s\n/);
  });
  test('the mesh ConfigMap: YAML inside a string', () => {
    const text = dedent(`
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: istio
    data:
      mesh: |-
        defaultConfig:
          terminationDrainDuration: "20"
    `);
    const fs = check(text, {}, ID);
    assert.equal(pointed(text, fs[0]!), '"20"');
    assert.match(applyFix(text, ID), /terminationDrainDuration: "20s"\n/);
  });
});

describe(`${ID}: Knative`, () => {
  const knative = (drain: string) =>
    `apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: k}\nspec:\n  template:\n    metadata:\n      annotations:\n        proxy.istio.io/config: |\n          terminationDrainDuration: ${drain}\n    spec:\n      containers: [{image: a}]\n`;
  test('no fix when the corrected drain would outlast the revision timeout (the controller sets the grace period)', () => {
    const [f] = check(knative('400'), {}, ID);
    assert.ok(f);
    assert.deepEqual(f.fixes, []);
  });
  test('a corrected drain inside the revision timeout is still fixed', () => {
    assert.match(applyFix(knative('40'), ID), /terminationDrainDuration: 40s\n/);
  });
});

describe(`${ID}: a bad duration written twice (fuzz, seed 777, cases 7280, 17230)`, () => {
  test('each finding\'s fix edits its own value', () => {
    const text = pod('|\n        drainDuration: 1.5s\n        drainDuration: 1.5s');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 2);
    for (const f of fs) {
      const fix = f.fixes.find((x) => x.preferred);
      assert.ok(fix, 'a preferred fix');
      assert.deepEqual(fix.edits, [{ start: f.range.start, end: f.range.end, newText: '2s' }]);
    }
  });
});
