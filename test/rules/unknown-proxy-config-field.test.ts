import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'unknown-proxy-config-field';

/** `config` continuation lines are written with 10 spaces, as they end up (2 deeper than the key). */
const deployment = (config: string, more = '') =>
  dedent(`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
  spec:
    template:
      metadata:
        labels:
          sidecar.istio.io/inject: "true"
        annotations:
          proxy.istio.io/config: ${config.replace(/\n/g, '\n  ')}
  ${more}    spec:
        containers:
          - name: app
            image: app
  `);

describe(ID, () => {
  const renames: { config: string; points: string; title: string; fixed: string; grace?: number }[] = [
    { config: '|\n          terminationDrainDurations: 20s', points: 'terminationDrainDurations', title: 'Rename to terminationDrainDuration', fixed: '|\n          terminationDrainDuration: 20s' },
    { config: `'{"terminationDrainDurtion": "20s"}'`, points: '"terminationDrainDurtion"', title: 'Rename to terminationDrainDuration', fixed: `'{"terminationDrainDuration": "20s"}'` },
    { config: '|\n          termination_drain_durations: 20s', points: 'termination_drain_durations', title: 'Rename to termination_drain_duration', fixed: '|\n          termination_drain_duration: 20s' },
    { config: '|\n          holdApplicationUntilProxyStart: true', points: 'holdApplicationUntilProxyStart', title: 'Rename to holdApplicationUntilProxyStarts', fixed: '|\n          holdApplicationUntilProxyStarts: true' },
    {
      // The drain starts to count: 60s no longer fits in the default 30s grace period.
      config: '|\n          terminationDrainDurations: 60s',
      points: 'terminationDrainDurations',
      title: 'Rename to terminationDrainDuration and raise terminationGracePeriodSeconds to 65',
      fixed: '|\n          terminationDrainDuration: 60s',
      grace: 65,
    },
    {
      // Two mistakes at once: the value also needs a unit once the key is right.
      config: `'{"terminationDrainDurations": 20}'`,
      points: '"terminationDrainDurations"',
      title: 'Rename to terminationDrainDuration and change the value to 20s',
      fixed: `'{"terminationDrainDuration": 20s}'`,
    },
  ];
  for (const c of renames) {
    test(`renames ${c.points}`, () => {
      const text = deployment(c.config);
      const fs = check(text, {}, ID);
      assert.equal(fs.length, 1, JSON.stringify(fs));
      assert.equal(pointed(text, fs[0]!), c.points);
      assert.equal(fs[0]!.severity, 'warning');
      assert.match(fs[0]!.message, /Did you mean/);
      assert.equal(fs[0]!.fixes[0]!.title, c.title);
      let want = deployment(c.fixed);
      if (c.grace) want = want.replace('    spec:\n', `    spec:\n      terminationGracePeriodSeconds: ${c.grace}\n`);
      assert.equal(applyFix(text, ID), want);
    });
  }

  test('removed fields: parentShutdownDuration (block) and connectTimeout (JSON) are removed', () => {
    const block = deployment('|\n          drainDuration: 45s\n          parentShutdownDuration: 60s # hot restart\n          terminationDrainDuration: 20s');
    const fs = check(block, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(block, fs[0]!), 'parentShutdownDuration');
    assert.match(fs[0]!.message, /removed from ProxyConfig in Istio 1.17/);
    assert.equal(applyFix(block, ID), deployment('|\n          drainDuration: 45s\n          terminationDrainDuration: 20s'));

    assert.deepEqual(check(block, { istioVersion: '1.16' }, ID), [], 'still a field in 1.16');
    assert.equal(check(block, { istioVersion: '1.17' }, ID).length, 1);

    const json = deployment(`'{"terminationDrainDuration": "20s", "connectTimeout": "10s"}'`);
    const gs = check(json, {}, ID);
    assert.equal(gs.length, 1);
    assert.equal(pointed(json, gs[0]!), '"connectTimeout"');
    assert.match(gs[0]!.message, /MeshConfig.connectTimeout/);
    assert.equal(applyFix(json, ID), deployment(`'{"terminationDrainDuration": "20s"}'`));
  });

  test("wikimedia's annotation name inside the ProxyConfig becomes its own pod annotation", () => {
    const text = deployment(`'{"readiness.status.sidecar.istio.io/periodSeconds": "600" }'`);
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), '"readiness.status.sidecar.istio.io/periodSeconds"');
    assert.match(fs[0]!.message, /is a pod annotation, not a ProxyConfig field/);
    assert.doesNotMatch(fs[0]!.message, /Did you mean/);
    assert.equal(applyFix(text, ID), deployment('"600"').replace('proxy.istio.io/config', 'readiness.status.sidecar.istio.io/periodSeconds'));
  });

  test('an annotation name next to real fields moves out and leaves the rest', () => {
    const text = deployment('|\n          terminationDrainDuration: 20s\n          sidecar.istio.io/nativeSidecar: "true"');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), 'sidecar.istio.io/nativeSidecar');
    const out = applyFix(text, ID);
    assert.equal(
      out,
      deployment('|\n          terminationDrainDuration: 20s').replace('annotations:\n', 'annotations:\n        sidecar.istio.io/nativeSidecar: "true"\n'),
    );
  });

  test('a typo next to the real field: remove the ignored one', () => {
    const text = deployment('|\n          terminationDrainDuration: 20s\n          terminationDrainDurations: 40s');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /already sets `terminationDrainDuration`/);
    assert.equal(fs[0]!.related.length, 1);
    assert.equal(applyFix(text, ID), deployment('|\n          terminationDrainDuration: 20s'));
  });

  test('a key close to no field: reported, no fix', () => {
    const text = deployment('|\n          gracefulShutdown: true');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), 'gracefulShutdown');
    assert.doesNotMatch(fs[0]!.message, /Did you mean/);
    assert.deepEqual(fs[0]!.fixes, []);
  });

  test('MeshConfig fields and the defaultConfig wrapper are named as such', () => {
    const text = deployment('|\n          protocolDetectionTimeout: 100ms\n          defaultConfig:\n            terminationDrainDuration: 20s');
    const fs = check(text, {}, ID);
    assert.deepEqual(fs.map((f) => pointed(text, f)), ['protocolDetectionTimeout', 'defaultConfig']);
    assert.match(fs[0]!.message, /is a MeshConfig field, not a ProxyConfig field: it can only be set mesh-wide \(meshConfig.protocolDetectionTimeout\)/);
    assert.match(fs[1]!.message, /Write the fields it holds at the top level/);
    assert.deepEqual(fs.flatMap((f) => f.fixes), []);
  });

  const quiet = [
    '|\n          terminationDrainDuration: 20s\n          drain_duration: 45s\n          holdApplicationUntilProxyStarts: true',
    '|\n          proxyMetadata:\n            ANYTHING_GOES: "x"\n          tracing:\n            notChecked: 1',
    `'{"proxyStatsMatcher": {"inclusionPrefixes": ["cluster.outbound"]}}'`,
    '"{}"',
  ];
  for (const q of quiet) test(`silent on ${q.replace(/\n\s*/g, ' ')}`, () => assert.deepEqual(check(deployment(q), {}, ID), []));
});

test('unknown-proxy-config-field: no rename when the target field would reject one of the items', () => {
  // Regression (fuzzer, seed 1128, case 18408 of the re-run): the item's suggestion replaced the whole map.
  const text = deployment(`'{"proxyMetadat": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": true}}'`);
  const fs = check(text, {}, ID);
  assert.equal(fs.length, 1);
  assert.deepEqual(fs[0]!.fixes, []);
});

describe('unknown-proxy-config-field in meshConfig.defaultConfig', () => {
  test('IstioOperator typo: points at the key, renames it', () => {
    const text = dedent(`
    apiVersion: install.istio.io/v1alpha1
    kind: IstioOperator
    spec:
      meshConfig:
        defaultConfig:
          terminationDrainDurations: 45s
    `);
    const fs = check(text, {}, 'unknown-proxy-config-field');
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), 'terminationDrainDurations');
    assert.match(applyFix(text, 'unknown-proxy-config-field'), /\n {6}terminationDrainDuration: 45s\n/);
  });

  // Regression (fuzzer, seed 1128, case 7878): the rename turned an ignored key into an invalid drain.
  const operator = (line: string) =>
    dedent(`
    apiVersion: install.istio.io/v1alpha1
    kind: IstioOperator
    spec:
      meshConfig:
        defaultConfig:
          ${line}
    `);

  test('no rename when the value is invalid for the target field and has no obvious correction', () => {
    const text = operator('terminationDrainDuratio: 1e400s');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /Did you mean `terminationDrainDuration`\?/);
    assert.deepEqual(fs[0]!.fixes, []);
  });

  test('the rename corrects a value the target field would reject, keeping its quotes', () => {
    const text = operator('terminationDrainDuratio: "45"');
    assert.deepEqual(check(text, {}, ID)[0]!.fixes.map((x) => x.title), ['Rename to terminationDrainDuration and change the value to "45s"']);
    assert.match(applyFix(text, ID), /\n {6}terminationDrainDuration: "45s"\n/);
  });
});

test('unknown-proxy-config-field: no rename of a key whose text holds a lone CR', () => {
  // Regression (fuzzer, seed 777, case 51098): the YAML library reads `\rproxyMetadata` as the key,
  // a line reader (and go-yaml) sees a line break before `proxyMetadata:`; the rename dropped the
  // CR and so moved the key to indentation 4 in a document indented by 3.
  const text = 'meshConfig:\n   defaultConfig:\n    \rproxyMetadata:\n      A: "true"\n';
  const fs = check(text, {}, ID);
  assert.equal(fs.length, 1);
  assert.equal(pointed(text, fs[0]!), '\rproxyMetadata');
  assert.deepEqual(fs[0]!.fixes, []);
});
