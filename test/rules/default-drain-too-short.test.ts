import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'default-drain-too-short';

const INJECT = '      labels:\n        sidecar.istio.io/inject: "true"\n';
const APP = '        - name: worker\n          image: worker:1\n';

function deployment(opts: { annotations?: string; spec?: string; labels?: string; containers?: string }): string {
  return (
    dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: worker
    spec:
      template:
        metadata:
    `) +
    (opts.labels ?? INJECT) +
    (opts.annotations ?? '') +
    '    spec:\n' +
    (opts.spec ?? '') +
    '      containers:\n' +
    (opts.containers ?? APP)
  );
}

const grace = (n: number | string) => `      terminationGracePeriodSeconds: ${n}\n`;
const proxy = (preStop: string) => `        - name: istio-proxy\n          image: auto\n          lifecycle:\n            preStop:\n${preStop}`;

describe(ID, () => {
  const fires: { name: string; text: string; settings?: object; message?: RegExp }[] = [
    { name: 'grace 120, default drain', text: deployment({ spec: grace(120) }), message: /gives the app up to 120s to stop, but istio-proxy exits 5s after SIGTERM \(Istio's default terminationDrainDuration\), so what the app sends or serves in the last 115s fails/ },
    { name: 'grace 31 (just above the Kubernetes default)', text: deployment({ spec: grace(31) }) },
    { name: 'an annotation without a drain', text: deployment({ spec: grace(60), annotations: `      annotations:\n        proxy.istio.io/config: '{"holdApplicationUntilProxyStarts": true}'\n` }) },
    {
      name: 'with an istio-proxy preStop',
      text: deployment({ spec: grace(60), containers: APP + proxy('              sleep:\n                seconds: 10\n') }),
      message: /exits 15s into the shutdown \(its 10s preStop plus Istio's default 5s drain\)/,
    },
    { name: 'a gateway pod: the proxy still leaves after 5s', text: deployment({ spec: grace(300), annotations: '      annotations:\n        inject.istio.io/templates: gateway\n', containers: '        - name: istio-proxy\n          image: auto\n' }) },
  ];
  for (const c of fires) {
    test(`fires: ${c.name}`, () => {
      const fs = check(c.text, c.settings, ID);
      assert.equal(fs.length, 1);
      const f = fs[0]!;
      assert.match(pointed(c.text, f), /^\d+$/);
      assert.equal(pointed(c.text, f), /terminationGracePeriodSeconds: (\d+)/.exec(c.text)![1]);
      assert.equal(f.severity, 'information');
      assert.match(f.message, /defaultDrainDuration setting/);
      if (c.message) assert.match(f.message, c.message);
    });
  }

  test('fix: an empty annotation in a JSON manifest gets a JSON string (the document stays JSON)', () => {
    const json = JSON.stringify(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'worker' },
        spec: {
          template: {
            metadata: { labels: { 'sidecar.istio.io/inject': 'true' }, annotations: { 'proxy.istio.io/config': '' } },
            spec: { terminationGracePeriodSeconds: 120, containers: [{ name: 'worker', image: 'worker:1' }] },
          },
        },
      },
      null,
      2,
    );
    const out = applyFix(json, ID, 'Set terminationDrainDuration');
    const parsed = JSON.parse(out) as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    assert.deepEqual(JSON.parse(parsed.spec.template.metadata.annotations['proxy.istio.io/config']!), { terminationDrainDuration: '120s' });
  });

  const quiet: { name: string; text: string; settings?: object }[] = [
    { name: 'grace 30 (the Kubernetes default, written)', text: deployment({ spec: grace(30) }) },
    { name: 'grace not written', text: deployment({}) },
    { name: 'drain set in the pod', text: deployment({ spec: grace(120), annotations: '      annotations:\n        proxy.istio.io/config: |\n          terminationDrainDuration: 5s\n' }) },
    { name: 'drain set mesh-wide (setting)', text: deployment({ spec: grace(120) }), settings: { defaultDrainDuration: '5s' } },
    { name: 'invalid drain', text: deployment({ spec: grace(120), annotations: '      annotations:\n        proxy.istio.io/config: |\n          terminationDrainDuration: 60\n' }) },
    { name: 'no injection evidence', text: deployment({ spec: grace(120), labels: '' }) },
    { name: 'native sidecar', text: deployment({ spec: grace(120), annotations: '      annotations:\n        sidecar.istio.io/nativeSidecar: "true"\n' }) },
    { name: 'native by Istio 1.27 + Kubernetes 1.33 (auto)', text: deployment({ spec: grace(120) }), settings: { istioVersion: '1.27', kubernetesVersion: '1.33' } },
    {
      name: 'EXIT_ON_ZERO: the proxy stays while connections are open',
      text: deployment({ spec: grace(120), annotations: '      annotations:\n        proxy.istio.io/config: |\n          proxyMetadata:\n            EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"\n' }),
    },
    { name: 'istio-proxy preStop already fills the grace period', text: deployment({ spec: grace(40), containers: APP + proxy('              sleep:\n                seconds: 35\n') }) },
    {
      name: 'istio-proxy waits for the app (netstat loop)',
      text: deployment({ spec: grace(120), containers: APP + proxy('              exec:\n                command: ["/bin/sh", "-c", "while [ $(netstat -plunt | grep tcp | grep -v envoy | wc -l | xargs) -ne 0 ]; do sleep 1; done"]\n') }),
    },
    { name: 'grace period not an integer', text: deployment({ spec: grace('"120"') }) },
  ];
  for (const c of quiet) {
    test(`silent: ${c.name}`, () => assert.deepEqual(check(c.text, c.settings, ID), []));
  }

  test('fix (preferred): insert the annotation with drain = grace', () => {
    const out = applyFix(deployment({ spec: grace(120) }), ID);
    assert.match(out, /\n      annotations:\n        proxy.istio.io\/config: \|\n          terminationDrainDuration: 120s\n      labels:\n/);
  });

  test('fix: drain = grace − istio-proxy preStop', () => {
    const text = deployment({ spec: grace(60), containers: APP + proxy('              sleep:\n                seconds: 10\n') });
    const f = check(text, {}, ID)[0]!;
    assert.match(f.fixes[0]!.title, /^Set terminationDrainDuration to 50s \(the grace period minus the istio-proxy preStop\)$/);
    assert.match(applyFix(text, ID), /terminationDrainDuration: 50s\n/);
  });

  test('fix: merge into an existing JSON annotation', () => {
    const text = deployment({ spec: grace(90), annotations: `      annotations:\n        proxy.istio.io/config: '{"holdApplicationUntilProxyStarts": true}'\n` });
    const out = applyFix(text, ID);
    assert.match(out, /proxy.istio.io\/config: '\{"terminationDrainDuration": "90s", "holdApplicationUntilProxyStarts": true\}'/);
  });

  test('fix: merge into an existing block annotation, keeping its comment', () => {
    const text = deployment({ spec: grace(45), annotations: '      annotations:\n        proxy.istio.io/config: |\n          # start the proxy first\n          holdApplicationUntilProxyStarts: true\n' });
    const out = applyFix(text, ID);
    assert.match(out, /config: \|\n          # start the proxy first\n          terminationDrainDuration: 45s\n          holdApplicationUntilProxyStarts: true\n/);
  });

  test('fix: native sidecar, but not on a gateway', () => {
    const out = applyFix(deployment({ spec: grace(120) }), ID, 'native sidecar');
    assert.match(out, /sidecar.istio.io\/nativeSidecar: "true"/);
    const gw = deployment({ spec: grace(300), annotations: '      annotations:\n        inject.istio.io/templates: gateway\n', containers: '        - name: istio-proxy\n          image: auto\n' });
    assert.deepEqual(check(gw, {}, ID)[0]!.fixes.map((f) => f.title), ['Set terminationDrainDuration to 300s (the grace period)']);
  });
});

describe(`${ID}: fuzz regressions`, () => {
  test('no drain fix past Go’s duration range (seed 1128 case 86904)', () => {
    // 1e20s is past time.ParseDuration's int64 nanoseconds (about 2562047h): writing it would be an invalid-duration error.
    const [f] = check(deployment({ spec: grace('100000000000000000000') }), {}, ID);
    assert.ok(f);
    assert.deepEqual(
      f.fixes.map((x) => x.title),
      ['Run istio-proxy as a native sidecar (sidecar.istio.io/nativeSidecar: "true"; needs Istio 1.24+ and Kubernetes 1.29+)'],
    );
  });

  test('a drain just inside Go’s duration range is still offered', () => {
    const out = applyFix(deployment({ spec: grace(9223372036) }), ID, 'Set terminationDrainDuration');
    assert.match(out, /terminationDrainDuration: 9223372036s\n/);
  });
});
