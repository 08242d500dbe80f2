import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'non-positive-drain';

const INJECT = '      labels:\n        sidecar.istio.io/inject: "true"\n';

function deployment(annotations: string, spec = '', labels = INJECT, containers = '        - name: app\n          image: app:1\n'): string {
  return (
    dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
    spec:
      template:
        metadata:
    `) +
    labels +
    annotations +
    '    spec:\n' +
    spec +
    '      containers:\n' +
    containers
  );
}

const block = (...lines: string[]) => `      annotations:\n        proxy.istio.io/config: |\n${lines.map((l) => `          ${l}\n`).join('')}`;
const json = (inner: string) => `      annotations:\n        proxy.istio.io/config: '${inner}'\n`;

describe(ID, () => {
  const fires: { name: string; text: string; points: string; message: RegExp; settings?: object }[] = [
    { name: 'quoted "0"', text: deployment(block('terminationDrainDuration: "0"')), points: '"0"', message: /^terminationDrainDuration is 0, so there is no drain: on SIGTERM pilot-agent kills Envoy at once/ },
    { name: '0s', text: deployment(block('terminationDrainDuration: 0s')), points: '0s', message: /is 0s, so there is no drain/ },
    { name: '0ms in JSON', text: deployment(json('{"terminationDrainDuration": "0ms"}')), points: '"0ms"', message: /is 0ms/ },
    { name: 'negative', text: deployment(block('terminationDrainDuration: -5s')), points: '-5s', message: /^terminationDrainDuration is -5s: Istio accepts a negative drain and treats it like 0/ },
    { name: 'snake_case key', text: deployment(block('termination_drain_duration: 0s')), points: '0s', message: /no drain/ },
    { name: 'no injection evidence needed (the annotation is enough)', text: deployment(block('terminationDrainDuration: 0s'), '', ''), points: '0s', message: /no drain/, settings: { assumeInjection: 'never' } },
  ];
  for (const c of fires) {
    test(`fires: ${c.name}`, () => {
      const fs = check(c.text, c.settings, ID);
      assert.equal(fs.length, 1);
      assert.equal(pointed(c.text, fs[0]!), c.points);
      assert.equal(fs[0]!.severity, 'warning');
      assert.match(fs[0]!.message, c.message);
    });
  }

  const quiet: { name: string; text: string; settings?: object }[] = [
    { name: 'positive', text: deployment(block('terminationDrainDuration: 1ms')) },
    { name: 'not written', text: deployment('') },
    { name: 'bare number 0 (invalid-duration reports it)', text: deployment(block('terminationDrainDuration: 0')) },
    { name: 'native sidecar: the drain is not used', text: deployment(block('terminationDrainDuration: 0s') + '        sidecar.istio.io/nativeSidecar: "true"\n') },
    { name: 'EXIT_ON_ZERO: the drain is not used', text: deployment(block('terminationDrainDuration: 0s', 'proxyMetadata:', '  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"')) },
    { name: 'grace 0: an immediate kill on purpose', text: deployment(block('terminationDrainDuration: 0s'), '      terminationGracePeriodSeconds: 0\n') },
  ];
  for (const c of quiet) {
    test(`silent: ${c.name}`, () => assert.deepEqual(check(c.text, c.settings, ID), []));
  }

  test('fix (preferred): Istio default 5s in a block annotation', () => {
    const text = deployment(block('terminationDrainDuration: 0s # fast', 'holdApplicationUntilProxyStarts: true'));
    assert.equal(check(text, {}, ID)[0]!.fixes[0]!.title, "Set terminationDrainDuration to 5s (Istio's default)");
    const out = applyFix(text, ID);
    assert.match(out, /config: \|\n          terminationDrainDuration: 5s # fast\n          holdApplicationUntilProxyStarts: true\n/);
  });

  test('fix: keeps double quotes', () => {
    assert.match(applyFix(deployment(block('terminationDrainDuration: "0"')), ID), /terminationDrainDuration: "5s"\n/);
  });

  test('fix: JSON', () => {
    assert.match(applyFix(deployment(json('{"terminationDrainDuration": "-5s"}')), ID), /config: '\{"terminationDrainDuration": "5s"\}'/);
  });

  test('fix: snake_case key edited in place', () => {
    assert.match(applyFix(deployment(block('termination_drain_duration: 0s')), ID), /config: \|\n          termination_drain_duration: 5s\n    spec:/);
  });

  test('fix: what fits in a short grace period after the istio-proxy preStop', () => {
    const proxy = '        - name: istio-proxy\n          image: auto\n          lifecycle:\n            preStop:\n              sleep:\n                seconds: 2\n';
    const text = deployment(block('terminationDrainDuration: 0s'), '      terminationGracePeriodSeconds: 5\n', INJECT, '        - name: app\n          image: app:1\n' + proxy);
    assert.equal(check(text, {}, ID)[0]!.fixes[0]!.title, 'Set terminationDrainDuration to 3s');
    assert.match(applyFix(text, ID), /terminationDrainDuration: 3s\n[^]*terminationGracePeriodSeconds: 5\n/);
  });

  test('fix: at least 1s, raising the grace period when even that does not fit', () => {
    const text = deployment(block('terminationDrainDuration: 0s'), '      terminationGracePeriodSeconds: 1 # tight\n');
    // 1s fits exactly into a 1s grace period: no raise needed.
    assert.match(applyFix(text, ID), /terminationDrainDuration: 1s\n[^]*terminationGracePeriodSeconds: 1 # tight\n/);
    const proxy = '        - name: istio-proxy\n          image: auto\n          lifecycle:\n            preStop:\n              sleep:\n                seconds: 3\n';
    const tight = deployment(block('terminationDrainDuration: -1s'), '      terminationGracePeriodSeconds: 3\n', INJECT, '        - name: app\n          image: app:1\n' + proxy);
    const f = check(tight, {}, ID)[0]!;
    assert.equal(f.fixes[0]!.title, 'Set terminationDrainDuration to 1s and raise terminationGracePeriodSeconds to 9');
    assert.match(applyFix(tight, ID), /terminationDrainDuration: 1s\n[^]*terminationGracePeriodSeconds: 9\n/);
  });
});
