import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'drain-setting-ignored';

const NATIVE = '        sidecar.istio.io/nativeSidecar: "true"\n';
const LABELS = '      labels:\n        app: api\n';

function deployment(annotations: string, containers = '        - name: app\n          image: app:1\n', initContainers = ''): string {
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
    LABELS +
    annotations +
    '    spec:\n' +
    initContainers +
    '      containers:\n' +
    containers
  );
}

const block = (...lines: string[]) => `        proxy.istio.io/config: |\n${lines.map((l) => `          ${l}\n`).join('')}`;
const ann = (...entries: string[]) => `      annotations:\n${entries.join('')}`;
const EOZ = ['proxyMetadata:', '  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"'];

describe(ID, () => {
  const fires: { name: string; text: string; settings?: object; message: RegExp; points?: string }[] = [
    { name: 'native annotation', text: deployment(ann(NATIVE, block('terminationDrainDuration: 30s'))), message: /^terminationDrainDuration 30s is not used: istio-proxy runs as a native sidecar \(line 11\)/ },
    { name: 'native by setting', text: deployment(ann(block('terminationDrainDuration: 30s'))), settings: { nativeSidecars: 'on' }, message: /native sidecar \(setting nativeSidecars: on\)/ },
    {
      name: 'native by Istio 1.27 and Kubernetes 1.33 (auto)',
      text: deployment(ann(block('terminationDrainDuration: 30s'))),
      settings: { istioVersion: '1.27', kubernetesVersion: '1.33' },
      message: /native sidecar \(setting istioVersion 1\.27 and kubernetesVersion 1\.33 \(ENABLE_NATIVE_SIDECARS=auto\)\)/,
    },
    {
      name: 'native istio-proxy init container whose preStop is the drain call',
      text: deployment(
        ann(block('terminationDrainDuration: 30s')),
        undefined,
        '      initContainers:\n        - name: istio-proxy\n          image: auto\n          restartPolicy: Always\n          lifecycle:\n            preStop:\n              exec:\n                command: ["pilot-agent", "request", "--debug-port=15020", "POST", "drain"]\n',
      ),
      message: /native sidecar \(line \d+\)/,
    },
    {
      name: 'EXIT_ON_ZERO',
      text: deployment(ann(block('terminationDrainDuration: 15s', ...EOZ))),
      message: /^terminationDrainDuration 15s is not used: with EXIT_ON_ZERO_ACTIVE_CONNECTIONS on \(line 14\) pilot-agent waits MINIMUM_DRAIN_DURATION \(5s, Istio default\) and then exits once no connection is active/,
    },
    { name: 'EXIT_ON_ZERO in the istio-proxy env', text: deployment(ann(block('terminationDrainDuration: 15s')), '        - name: app\n          image: app:1\n        - name: istio-proxy\n          image: auto\n          env:\n            - name: EXIT_ON_ZERO_ACTIVE_CONNECTIONS\n              value: "true"\n'), message: /EXIT_ON_ZERO_ACTIVE_CONNECTIONS on \(line 21\)/ },
    { name: 'a negative drain in native mode is unused (not reported as non-positive)', text: deployment(ann(NATIVE, block('terminationDrainDuration: -5s'))), message: /-5s is not used/, points: '-5s' },
  ];
  for (const c of fires) {
    test(`fires: ${c.name}`, () => {
      const fs = check(c.text, c.settings, ID);
      assert.equal(fs.length, 1);
      const f = fs[0]!;
      assert.equal(pointed(c.text, f), c.points ?? /terminationDrainDuration: (\S+)/.exec(c.text)![1]);
      assert.equal(f.severity, 'hint');
      assert.deepEqual(f.tags, ['unnecessary']);
      assert.match(f.message, c.message);
    });
  }

  const quiet: { name: string; text: string; settings?: object }[] = [
    { name: 'classic sidecar', text: deployment(ann(block('terminationDrainDuration: 30s'))) },
    { name: 'native "false"', text: deployment(ann('        sidecar.istio.io/nativeSidecar: "false"\n', block('terminationDrainDuration: 30s'))) },
    { name: 'native annotation ignored before Istio 1.24', text: deployment(ann(NATIVE, block('terminationDrainDuration: 30s'))), settings: { istioVersion: '1.23' } },
    { name: 'EXIT_ON_ZERO "false"', text: deployment(ann(block('terminationDrainDuration: 15s', 'proxyMetadata:', '  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "false"'))) },
    { name: 'native, no drain written', text: deployment(ann(NATIVE, block('holdApplicationUntilProxyStarts: true'))) },
    { name: 'invalid drain (invalid-duration reports it)', text: deployment(ann(NATIVE, block('terminationDrainDuration: 30'))) },
    {
      name: 'native with a custom istio-proxy preStop: it replaces the drain hook, so the drain is used',
      text: deployment(ann(NATIVE, block('terminationDrainDuration: 30s')), '        - name: app\n          image: app:1\n        - name: istio-proxy\n          image: auto\n          lifecycle:\n            preStop:\n              exec:\n                command: ["sleep", "5"]\n'),
    },
  ];
  for (const c of quiet) {
    test(`silent: ${c.name}`, () => assert.deepEqual(check(c.text, c.settings, ID), []));
  }

  test('related: the value that makes the drain unused', () => {
    const text = deployment(ann(NATIVE, block('terminationDrainDuration: 30s')));
    const f = check(text, {}, ID)[0]!;
    assert.deepEqual(f.related.map((r) => [pointed(text, { ...f, range: r.range }), r.message]), [['"true"', 'native sidecar mode']]);
  });

  // Removal: each case lists the annotations before and after; everything else must stay byte-identical.
  const removals: { name: string; before: string; after: string }[] = [
    {
      name: 'block: a middle line, with its comment',
      before: ann(block('holdApplicationUntilProxyStarts: true', 'terminationDrainDuration: 15s # keep the proxy', ...EOZ)),
      after: ann(block('holdApplicationUntilProxyStarts: true', ...EOZ)),
    },
    { name: 'block: the first line', before: ann(block('terminationDrainDuration: 15s', ...EOZ)), after: ann(block(...EOZ)) },
    { name: 'block: the last line', before: ann(block(...EOZ, 'terminationDrainDuration: 15s')), after: ann(block(...EOZ)) },
    {
      name: 'block with strip chomping: the last line',
      before: ann(block(...EOZ, 'terminationDrainDuration: 15s').replace('config: |', 'config: |-')),
      after: ann(block(...EOZ).replace('config: |', 'config: |-')),
    },
    {
      name: 'JSON: the first entry and its comma',
      before: ann(`        proxy.istio.io/config: '{"terminationDrainDuration": "15s", "proxyMetadata": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": "true"}}'\n`),
      after: ann(`        proxy.istio.io/config: '{"proxyMetadata": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": "true"}}'\n`),
    },
    {
      name: 'JSON: the last entry and the comma before it',
      before: ann(`        proxy.istio.io/config: '{"proxyMetadata": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": "true"}, "terminationDrainDuration": "15s"}'\n`),
      after: ann(`        proxy.istio.io/config: '{"proxyMetadata": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": "true"}}'\n`),
    },
    {
      name: 'JSON in double quotes',
      before: ann(`        proxy.istio.io/config: "{\\"terminationDrainDuration\\": \\"15s\\", \\"proxyMetadata\\": {\\"EXIT_ON_ZERO_ACTIVE_CONNECTIONS\\": \\"true\\"}}"\n`),
      after: ann(`        proxy.istio.io/config: "{\\"proxyMetadata\\": {\\"EXIT_ON_ZERO_ACTIVE_CONNECTIONS\\": \\"true\\"}}"\n`),
    },
    {
      name: 'multi-line JSON in a block scalar',
      before: ann(block('{', '  "terminationDrainDuration": "15s",', '  "proxyMetadata": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": "true"}', '}')),
      after: ann(block('{', '  "proxyMetadata": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": "true"}', '}')),
    },
    { name: 'the only field: the whole annotation', before: ann(NATIVE, block('terminationDrainDuration: 30s'), '        prometheus.io/scrape: "true"\n'), after: ann(NATIVE, '        prometheus.io/scrape: "true"\n') },
    { name: 'the only field, JSON, last annotation', before: ann(NATIVE, `        proxy.istio.io/config: '{"terminationDrainDuration": "30s"}'\n`), after: ann(NATIVE) },
  ];
  for (const c of removals) {
    test(`fix: remove the drain — ${c.name}`, () => {
      const out = applyFix(deployment(c.before), ID, 'Remove');
      assert.equal(out, deployment(c.after));
    });
  }

  test('fix: the only annotation: the whole annotations key goes (native from the settings)', () => {
    const text = deployment(ann(block('terminationDrainDuration: 30s')));
    const out = applyFix(text, ID, 'Remove', { nativeSidecars: 'on' });
    assert.equal(out, deployment(''));
  });
});
