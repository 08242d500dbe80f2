import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'invalid-proxy-config';

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
  const fixable: { config: string; points: string; fixed: string }[] = [
    {
      config: `'{"proxyMetadata": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": true}}'`,
      points: 'true',
      fixed: `'{"proxyMetadata": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": "true"}}'`,
    },
    {
      config: '"{\\"proxyMetadata\\": {\\"EXIT_ON_ZERO_ACTIVE_CONNECTIONS\\": true}}"',
      points: 'true',
      fixed: '"{\\"proxyMetadata\\": {\\"EXIT_ON_ZERO_ACTIVE_CONNECTIONS\\": \\"true\\"}}"',
    },
    {
      // YAML 1.1 `yes` is a bool; pilot-agent's ParseBool would not know "yes", so the fix writes "true".
      config: '|\n        proxyMetadata:\n          EXIT_ON_ZERO_ACTIVE_CONNECTIONS: yes   # on',
      points: 'yes',
      fixed: '|\n        proxyMetadata:\n          EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"   # on',
    },
    {
      // A bare number for a duration env var: "10" has no unit, the agent would fall back to 5s.
      config: '|\n        proxyMetadata:\n          MINIMUM_DRAIN_DURATION: 10',
      points: '10',
      fixed: '|\n        proxyMetadata:\n          MINIMUM_DRAIN_DURATION: "10s"',
    },
    {
      config: '|\n        proxyMetadata: {ISTIO_META_DNS_CAPTURE: true, OTHER: "x"}',
      points: 'true',
      fixed: '|\n        proxyMetadata: {ISTIO_META_DNS_CAPTURE: "true", OTHER: "x"}',
    },
    {
      config: `'{ "holdApplicationUntilProxyStarts": "true" }'`,
      points: '"true"',
      fixed: `'{ "holdApplicationUntilProxyStarts": true }'`,
    },
    {
      config: '|\n        holdApplicationUntilProxyStarts: "False"',
      points: '"False"',
      fixed: '|\n        holdApplicationUntilProxyStarts: false',
    },
    {
      config: '|\n        extraStatTags:\n          - 42',
      points: '42',
      fixed: '|\n        extraStatTags:\n          - "42"',
    },
  ];
  for (const c of fixable) {
    test(`fires and fixes: ${c.config.replace(/\n\s*/g, ' ')}`, () => {
      const text = pod(c.config);
      const fs = check(text, {}, ID);
      assert.equal(fs.length, 1, JSON.stringify(fs));
      assert.equal(pointed(text, fs[0]!), c.points);
      assert.equal(fs[0]!.severity, 'error');
      assert.match(fs[0]!.message, /pod is denied/);
      assert.equal(applyFix(text, ID), pod(c.fixed));
    });
  }

  const unfixable: { config: string; points: string; message: RegExp }[] = [
    { config: `'{"terminationDrainDuration": "30s"'`, points: `'{"terminationDrainDuration": "30s"'`, message: /not valid YAML/ },
    { config: '|\n        - terminationDrainDuration: 30s', points: '- terminationDrainDuration: 30s', message: /must hold a YAML or JSON mapping/ },
    { config: `'["terminationDrainDuration"]'`, points: '["terminationDrainDuration"]', message: /must hold a YAML or JSON mapping/ },
    { config: '|\n        tracing: 5', points: '5', message: /`tracing` must be a mapping/ },
    { config: '|\n        concurrency: two', points: 'two', message: /`concurrency` must be an integer/ },
    { config: '|\n        holdApplicationUntilProxyStarts: "yes please"', points: '"yes please"', message: /must be a boolean/ },
  ];
  for (const c of unfixable) {
    test(`fires without a fix: ${c.config.replace(/\n\s*/g, ' ')}`, () => {
      const text = pod(c.config);
      const fs = check(text, {}, ID);
      assert.equal(fs.length, 1, JSON.stringify(fs));
      if (c.points) assert.equal(pointed(text, fs[0]!), c.points);
      assert.match(fs[0]!.message, c.message);
      assert.deepEqual(fs[0]!.fixes, []);
    });
  }

  test('a not-YAML annotation points inside the string, at the error', () => {
    const text = pod('|\n        terminationDrainDuration: 30s\n          drainDuration: 45s');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.ok(fs[0]!.range.start > text.indexOf('terminationDrainDuration'), 'inside the annotation');
    assert.match(fs[0]!.message, /not valid YAML/);
  });

  test('a mapping written under the key becomes a block scalar', () => {
    const text = pod('# per-pod drain\n        terminationDrainDuration: 30s\n        proxyMetadata:\n          EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), 'terminationDrainDuration: 30s\n      proxyMetadata:\n        EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"');
    assert.match(fs[0]!.message, /must be a string/);
    assert.equal(applyFix(text, ID), text.replace('proxy.istio.io/config: # per-pod drain', 'proxy.istio.io/config: | # per-pod drain'));
  });

  test('a flow mapping as the value gets quoted', () => {
    const text = pod('{terminationDrainDuration: 10s, "holdApplicationUntilProxyStarts": true}');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), '{terminationDrainDuration: 10s, "holdApplicationUntilProxyStarts": true}');
    assert.equal(applyFix(text, ID), pod(`'{terminationDrainDuration: 10s, "holdApplicationUntilProxyStarts": true}'`));
  });

  test('a mapping under the key whose content would itself be rejected gets no fix', () => {
    const text = pod('\n        terminationDrainDuration: 30\n');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.deepEqual(fs[0]!.fixes, []);
  });

  test('a pod that is not injected: the denial is latent, and the message says so', () => {
    const text = pod(`'{"holdApplicationUntilProxyStarts": "true"}'`).replace('metadata:\n  name: p\n', 'metadata:\n  name: p\n  labels:\n    sidecar.istio.io/inject: "false"\n');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /This pod is not injected today \(label sidecar.istio.io\/inject: "false"\)/);
  });

  const quiet = [
    '|\n        terminationDrainDuration: 30s\n        holdApplicationUntilProxyStarts: true',
    `'{"proxyMetadata": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": "true", "MINIMUM_DRAIN_DURATION": "10s"}}'`,
    '"{}"',
    "''",
    '|\n        proxyMetadata:',
    // Not ours: a bare bool is annotation-not-string's, a bad duration invalid-duration's, an unknown key unknown-proxy-config-field's.
    'true',
    '|\n        terminationDrainDuration: 30',
    '|\n        terminationDrainDurations: 30s',
  ];
  for (const q of quiet) test(`silent on ${q.replace(/\n\s*/g, ' ')}`, () => assert.deepEqual(check(pod(q), {}, ID), []));

  test('silent on an aliased annotation value', () => {
    const text = dedent(`
      apiVersion: v1
      kind: Pod
      metadata:
        name: p
        labels:
          cfg: &cfg "{}"
        annotations:
          proxy.istio.io/config: *cfg
      spec:
        containers:
          - name: app
      `);
    assert.deepEqual(check(text, {}, ID), []);
  });
});

describe(`${ID}: fuzz regressions`, () => {
  test('a mapping whose drain outlasts the grace period: the block scalar fix raises the grace period too (seed 1128 cases 57120, 83438)', () => {
    const text = pod('# per-pod drain\n        terminationDrainDuration: 45s');
    const [f] = check(text, {}, ID);
    assert.ok(f);
    assert.deepEqual(f.fixes.map((x) => x.title), ['Write the mapping as a block scalar (proxy.istio.io/config: |) and raise terminationGracePeriodSeconds to 50']);
    assert.equal(
      applyFix(text, ID),
      text.replace('proxy.istio.io/config: # per-pod drain', 'proxy.istio.io/config: | # per-pod drain').replace('spec:\n  containers:', 'spec:\n  terminationGracePeriodSeconds: 50\n  containers:'),
    );
  });

  test('a flow mapping whose drain outlasts the grace period: quoted, with the grace period raised', () => {
    const text = pod('{terminationDrainDuration: 1m}');
    const out = applyFix(text, ID);
    assert.equal(out, pod(`'{terminationDrainDuration: 1m}'`).replace('spec:\n  containers:', 'spec:\n  terminationGracePeriodSeconds: 65\n  containers:'));
  });

  test('Knative: no fix when the drain would outlast the revision timeout (the controller sets the grace period)', () => {
    const text = 'apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: k}\nspec:\n  template:\n    metadata:\n      annotations:\n        proxy.istio.io/config:\n          terminationDrainDuration: 400s\n    spec:\n      containers: [{image: a}]\n';
    const [f] = check(text, {}, ID);
    assert.ok(f);
    assert.deepEqual(f.fixes, []);
  });
});
