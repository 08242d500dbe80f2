import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'app-outlives-sidecar';

const INJECT = '      labels:\n        sidecar.istio.io/inject: "true"\n';

/** A Deployment with an inject label, optional annotations and spec lines, and app containers (YAML list items at 8 spaces). */
function deployment(opts: { annotations?: string; spec?: string; labels?: string; containers: string }): string {
  return (
    dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        metadata:
    `) +
    (opts.labels ?? INJECT) +
    (opts.annotations ?? '') +
    '    spec:\n' +
    (opts.spec ?? '') +
    '      containers:\n' +
    opts.containers
  );
}

const sleepApp = (seconds: string | number, name = 'web') =>
  `        - name: ${name}\n          image: web:1\n          lifecycle:\n            preStop:\n              sleep:\n                seconds: ${seconds}\n`;
const execApp = (command: string, name = 'web') =>
  `        - name: ${name}\n          image: web:1\n          lifecycle:\n            preStop:\n              exec:\n                command: ${command}\n`;
const proxy = (preStop: string) => `        - name: istio-proxy\n          image: auto\n          lifecycle:\n            preStop:\n${preStop}`;
const ann = (inner: string) => `      annotations:\n        proxy.istio.io/config: |\n${inner.replace(/^/gm, '          ')}\n`;
const EXIT_ON_ZERO = 'proxyMetadata:\n  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"';

describe(ID, () => {
  const fires: { name: string; text: string; settings?: object; points: string; message?: RegExp }[] = [
    { name: 'sleep.seconds 15 vs default 5s drain', text: deployment({ containers: sleepApp(15) }), points: '15', message: /sleeps 15s in its preStop, but istio-proxy gets SIGTERM at once and exits after its 5s drain \(Istio default\), 10s before the app even gets SIGTERM/ },
    { name: 'equal counts (A = P + D)', text: deployment({ containers: sleepApp(5) }), points: '5', message: /just as the app gets SIGTERM/ },
    { name: 'sh -c "sleep 20"', text: deployment({ containers: execApp('["sh", "-c", "sleep 20"]') }), points: '"sleep 20"' },
    { name: 'direct sleep command', text: deployment({ containers: execApp('["/bin/sleep", "30"]') }), points: '"30"' },
    { name: 'a script that starts with a sleep (at least)', text: deployment({ containers: execApp('["sh", "-c", "sleep 20; nginx -s quit"]') }), points: '"sleep 20; nginx -s quit"', message: /sleeps at least 20s/ },
    {
      name: 'drain written in the pod, too short',
      text: deployment({ annotations: ann('terminationDrainDuration: 10s'), containers: sleepApp(12) }),
      points: '12',
      message: /after its 10s drain \(line 12\), 2s before/,
    },
    { name: 'mesh default from the settings', text: deployment({ containers: sleepApp(20) }), settings: { defaultDrainDuration: '15s' }, points: '20', message: /15s drain \(setting defaultDrainDuration\)/ },
    {
      name: 'proxy preStop plus drain shorter than the app',
      text: deployment({ containers: sleepApp(15) + proxy('              sleep:\n                seconds: 5\n') }),
      points: '15',
      message: /runs its 5s preStop, drains for 5s \(Istio default\) and exits 10s into the shutdown, 5s before/,
    },
    {
      name: 'EXIT_ON_ZERO: an idle app sleeping 10s against MINIMUM_DRAIN_DURATION 5s (drain 30s does not matter)',
      text: deployment({ annotations: ann(`terminationDrainDuration: 30s\n${EXIT_ON_ZERO}`), containers: sleepApp(10) }),
      points: '10',
      message: /EXIT_ON_ZERO_ACTIVE_CONNECTIONS on \(line 14\) istio-proxy may exit 5s after SIGTERM \(MINIMUM_DRAIN_DURATION, Istio default\).*does not help/,
    },
    {
      name: 'EXIT_ON_ZERO with MINIMUM_DRAIN_DURATION set',
      text: deployment({ annotations: ann(`${EXIT_ON_ZERO}\n  MINIMUM_DRAIN_DURATION: "8s"`), containers: sleepApp(8) }),
      points: '8',
      message: /may exit 8s after SIGTERM \(MINIMUM_DRAIN_DURATION, line 14\)/,
    },
    { name: 'Istio annotation is the injection evidence', text: deployment({ labels: '', annotations: ann('holdApplicationUntilProxyStarts: true'), containers: sleepApp(15) }), points: '15' },
  ];
  for (const c of fires) {
    test(`fires: ${c.name}`, () => {
      const fs = check(c.text, c.settings, ID);
      assert.equal(fs.length, 1);
      assert.equal(pointed(c.text, fs[0]!), c.points);
      assert.equal(fs[0]!.severity, 'warning');
      if (c.message) assert.match(fs[0]!.message, c.message);
    });
  }

  const quiet: { name: string; text: string; settings?: object }[] = [
    { name: 'app preStop shorter than the drain', text: deployment({ containers: sleepApp(4) }) },
    { name: 'drain raised past the app', text: deployment({ annotations: ann('terminationDrainDuration: 20s'), containers: sleepApp(15) }) },
    { name: 'no preStop', text: deployment({ containers: '        - name: web\n          image: web:1\n' }) },
    { name: 'unknown app preStop (variable)', text: deployment({ containers: execApp('["sh", "-c", "sleep $DELAY"]') }) },
    { name: 'httpGet preStop has no known length', text: deployment({ containers: '        - name: web\n          image: web:1\n          lifecycle:\n            preStop:\n              httpGet:\n                path: /drain\n                port: 8080\n' }) },
    { name: 'no injection evidence', text: deployment({ labels: '', containers: sleepApp(15) }) },
    { name: 'opted out', text: deployment({ labels: '      labels:\n        sidecar.istio.io/inject: "false"\n', containers: sleepApp(15) }) },
    { name: 'native sidecar annotation', text: deployment({ annotations: '      annotations:\n        sidecar.istio.io/nativeSidecar: "true"\n', containers: sleepApp(15) }) },
    { name: 'native sidecars by setting', text: deployment({ containers: sleepApp(15) }), settings: { nativeSidecars: 'on' } },
    { name: 'gateway pod', text: deployment({ annotations: '      annotations:\n        inject.istio.io/templates: gateway\n', containers: sleepApp(15) }) },
    {
      name: 'istio-proxy waits for the app (netstat loop)',
      text: deployment({
        containers:
          sleepApp(15) +
          proxy(`              exec:\n                command: ["/bin/sh", "-c", "while [ $(netstat -plunt | grep tcp | grep -v envoy | grep -v pilot-agent | wc -l | xargs) -ne 0 ]; do sleep 1; done"]\n`),
      }),
    },
    { name: 'istio-proxy preStop of unknown length', text: deployment({ containers: sleepApp(15) + proxy('              exec:\n                command: ["pilot-agent", "request", "POST", "drain"]\n') }) },
    { name: 'grace 0 runs no hooks', text: deployment({ spec: '      terminationGracePeriodSeconds: 0\n', containers: sleepApp(15) }) },
    { name: 'invalid drain: unknown', text: deployment({ annotations: ann('terminationDrainDuration: 5'), containers: sleepApp(15) }) },
    { name: 'EXIT_ON_ZERO, app shorter than MINIMUM_DRAIN_DURATION', text: deployment({ annotations: ann(`${EXIT_ON_ZERO}\n  MINIMUM_DRAIN_DURATION: "12s"`), containers: sleepApp(10) }) },
  ];
  for (const c of quiet) {
    test(`silent: ${c.name}`, () => assert.deepEqual(check(c.text, c.settings, ID), []));
  }

  test('one finding per app container that outlives the proxy', () => {
    const text = deployment({ containers: sleepApp(15, 'web') + sleepApp(2, 'metrics') + execApp('["sleep", "9"]', 'worker') });
    const fs = check(text, {}, ID);
    assert.deepEqual(fs.map((f) => pointed(text, f)), ['15', '"9"']);
    assert.match(fs[1]!.message, /^Container "worker" sleeps 9s/);
  });

  test('related: the drain written in the pod and the proxy preStop', () => {
    const text = deployment({ annotations: ann('terminationDrainDuration: 3s'), containers: sleepApp(15) + proxy('              sleep:\n                seconds: 2\n') });
    const f = check(text, {}, ID)[0]!;
    assert.deepEqual(
      f.related.map((r) => [text.slice(r.range.start, r.range.end), r.message]),
      [
        ['2', 'istio-proxy preStop: 2s'],
        ['3s', 'drain: 3s'],
      ],
    );
  });

  test('related: EXIT_ON_ZERO and MINIMUM_DRAIN_DURATION', () => {
    const text = deployment({ annotations: ann(`${EXIT_ON_ZERO}\n  MINIMUM_DRAIN_DURATION: "6s"`), containers: sleepApp(10) });
    const f = check(text, {}, ID)[0]!;
    assert.deepEqual(f.related.map((r) => text.slice(r.range.start, r.range.end)), ['"true"', '"6s"']);
  });

  test('fix (preferred): insert the drain past the app preStop; grace 30 still fits', () => {
    const out = applyFix(deployment({ containers: sleepApp(15) }), ID);
    assert.match(out, /\n    metadata:\n      annotations:\n        proxy.istio.io\/config: \|\n          terminationDrainDuration: 20s\n      labels:\n/);
    assert.doesNotMatch(out, /terminationGracePeriodSeconds/);
  });

  test('fix: merge into the existing block annotation and raise the grace period with it', () => {
    const text = deployment({ annotations: ann('terminationDrainDuration: 10s # mesh says 5s\nholdApplicationUntilProxyStarts: true'), containers: sleepApp(28) });
    const out = applyFix(text, ID);
    assert.match(out, /terminationDrainDuration: 33s # mesh says 5s\n          holdApplicationUntilProxyStarts: true\n/);
    assert.match(out, /\n      terminationGracePeriodSeconds: 38\n      containers:/);
  });

  test('fix: an empty block annotation is replaced, keeping its line break', () => {
    // Regression (fuzzer, seed 1128, case 59241): `proxy.istio.io/config: |` with nothing in it
    // lost its line break, so `spec:` ended up on the annotation's line.
    const text = deployment({ annotations: '      annotations:\n        proxy.istio.io/config: |\n', containers: sleepApp(15) });
    const out = applyFix(text, ID);
    assert.match(out, /\n        proxy.istio.io\/config: '\{"terminationDrainDuration": "20s"\}'\n    spec:\n/);
  });

  test('fix: keeps the snake_case key instead of adding a second spelling', () => {
    const text = deployment({ annotations: `      annotations:\n        proxy.istio.io/config: '{"termination_drain_duration": "5s"}'\n`, containers: sleepApp(15) });
    const out = applyFix(text, ID);
    assert.match(out, /proxy.istio.io\/config: '\{"termination_drain_duration": "20s"\}'/);
  });

  test('fix: counts the istio-proxy preStop (A − P + margin)', () => {
    const text = deployment({ containers: sleepApp(15) + proxy('              sleep:\n                seconds: 5\n') });
    const out = applyFix(text, ID);
    assert.match(out, /terminationDrainDuration: 15s/);
  });

  test('fix: a zero shutdownMargin still leaves a second', () => {
    const out = applyFix(deployment({ containers: sleepApp(15) }), ID, undefined, { shutdownMargin: '0s' });
    assert.match(out, /terminationDrainDuration: 16s/);
  });

  test('fix: native sidecar annotation', () => {
    const text = deployment({ annotations: ann('terminationDrainDuration: 10s'), containers: sleepApp(15) });
    const out = applyFix(text, ID, 'native sidecar');
    assert.match(out, /      annotations:\n        sidecar.istio.io\/nativeSidecar: "true"\n        proxy.istio.io\/config: \|/);
    const f = check(text, {}, ID)[0]!;
    assert.match(f.fixes.find((x) => x.title.includes('native'))!.title, /Istio 1\.24\+ and Kubernetes 1\.29\+/);
    assert.ok(!f.fixes.find((x) => x.title.includes('native'))!.preferred);
  });

  test('EXIT_ON_ZERO: no drain fix (it would not help), only the native sidecar', () => {
    const text = deployment({ annotations: ann(EXIT_ON_ZERO), containers: sleepApp(10) });
    const f = check(text, {}, ID)[0]!;
    assert.deepEqual(f.fixes.map((x) => x.title.replace(/ \(.*/, '')), ['Run istio-proxy as a native sidecar']);
    applyFix(text, ID, 'native sidecar');
  });

  test('no native fix for Istio before 1.24, Kubernetes before 1.29, or with a custom istio-proxy preStop', () => {
    const base = deployment({ containers: sleepApp(15) });
    const titles = (text: string, over = {}) => check(text, over, ID)[0]!.fixes.map((x) => x.title);
    assert.equal(titles(base).length, 2);
    assert.equal(titles(base, { istioVersion: '1.23' }).length, 1);
    assert.equal(titles(base, { kubernetesVersion: '1.28' }).length, 1);
    assert.equal(titles(deployment({ containers: sleepApp(15) + proxy('              sleep:\n                seconds: 2\n') })).length, 1);
  });
});
