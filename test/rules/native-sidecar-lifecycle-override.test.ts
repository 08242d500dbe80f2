import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'native-sidecar-lifecycle-override';

const NATIVE = '      annotations:\n        sidecar.istio.io/nativeSidecar: "true"\n';

/** An injected Deployment with a custom istio-proxy whose `lifecycle:` holds `lifecycle` (indented 12). */
function deployment(lifecycle: string, annotations = NATIVE, after = ''): string {
  return (
    dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: search
    spec:
      template:
        metadata:
          labels:
            sidecar.istio.io/inject: "true"
    `) +
    annotations +
    '    spec:\n' +
    '      containers:\n' +
    '        - name: search\n' +
    '          image: search:5\n' +
    '        - name: istio-proxy\n' +
    '          image: auto\n' +
    '          lifecycle:\n' +
    lifecycle +
    after
  );
}

const sleepPreStop = '            preStop:\n              sleep:\n                seconds: 10\n';
const execPreStop = '            preStop:\n              exec:\n                command: ["sleep", "10"]\n';

describe(ID, () => {
  const cases: { name: string; text: string; settings?: object; message: RegExp }[] = [
    { name: 'a sleep preStop merges next to the drain exec', text: deployment(sleepPreStop), message: /istio-proxy runs as a native sidecar \(line 11\), .*its sleep handler lands next to that exec: .*Kubernetes rejects every pod \("may not specify more than 1 handler type"\)/ },
    { name: 'an httpGet preStop too', text: deployment('            preStop:\n              httpGet:\n                port: 8080\n'), message: /its httpGet handler lands next to that exec/ },
    { name: 'an exec preStop replaces the drain command', text: deployment(execPreStop), message: /replaces the command of the injected drain preStop.*Envoy is then not drained when termination starts.*for 5s \(Istio default\)/ },
    { name: 'native by setting', text: deployment(execPreStop, ''), settings: { nativeSidecars: 'on' }, message: /native sidecar \(setting nativeSidecars: on\)/ },
    { name: '$patch: replace', text: deployment('            preStop:\n              $patch: replace\n              sleep:\n                seconds: 10\n'), message: /replaces the injected drain preStop with a sleep hook \(\$patch: replace\)/ },
    { name: '$patch: delete on the lifecycle', text: deployment('            $patch: delete\n'), message: /deletes the injected lifecycle/ },
    { name: 'pilot-agent drain to Envoy admin (no --debug-port) does not drain', text: deployment('            preStop:\n              exec:\n                command: ["pilot-agent", "request", "POST", "drain"]\n'), message: /replaces the command/ },
  ];
  for (const c of cases) {
    test(`fires: ${c.name}`, () => {
      const fs = check(c.text, c.settings, ID);
      assert.equal(fs.length, 1);
      assert.equal(pointed(c.text, fs[0]!), 'lifecycle');
      assert.equal(fs[0]!.severity, 'warning');
      assert.match(fs[0]!.message, c.message);
    });
  }

  const quiet: { name: string; text: string; settings?: object }[] = [
    { name: 'classic sidecar', text: deployment(sleepPreStop, '') },
    { name: 'the annotation says "false"', text: deployment(sleepPreStop, '      annotations:\n        sidecar.istio.io/nativeSidecar: "false"\n') },
    { name: 'annotation ignored before Istio 1.24', text: deployment(sleepPreStop), settings: { istioVersion: '1.23' } },
    { name: 'postStart only', text: deployment('            postStart:\n              exec:\n                command: ["pilot-agent", "wait"]\n') },
    { name: 'an empty lifecycle', text: deployment('            {}\n') },
    { name: 'a custom preStop that still drains', text: deployment('            preStop:\n              exec:\n                command: ["sh", "-c", "sleep 2; pilot-agent request --debug-port=15020 POST drain"]\n') },
    { name: 'a curl POST to /drain on the status port', text: deployment('            preStop:\n              exec:\n                command: ["curl", "-X", "POST", "http://localhost:15020/drain"]\n') },
    { name: 'two handlers (invalid-lifecycle-handler reports it)', text: deployment('            preStop:\n              exec:\n                command: ["sleep", "1"]\n              sleep:\n                seconds: 1\n') },
    { name: 'an already injected pod', text: deployment(sleepPreStop, NATIVE + "        sidecar.istio.io/status: '{}'\n") },
    { name: 'not injected', text: deployment(sleepPreStop).replace('sidecar.istio.io/inject: "true"', 'sidecar.istio.io/inject: "false"') },
  ];
  for (const c of quiet) {
    test(`silent: ${c.name}`, () => assert.deepEqual(check(c.text, c.settings, ID), []));
  }

  test('related values: the native annotation and the custom preStop', () => {
    const text = deployment(sleepPreStop);
    const f = check(text, {}, ID)[0]!;
    assert.deepEqual(f.related.map((r) => text.slice(r.range.start, r.range.end)), ['"true"', 'preStop']);
  });

  test('fix: remove the custom preStop (preferred when the merge is rejected), dropping the emptied lifecycle', () => {
    const out = applyFix(deployment(sleepPreStop, NATIVE, '          resources: {}\n'), ID);
    assert.match(out, /        - name: istio-proxy\n          image: auto\n          resources: \{\}\n$/);
  });

  test('fix: for an exec override the removal is offered but not preferred; a postStart stays', () => {
    const text = deployment(execPreStop + '            postStart:\n              exec:\n                command: ["true"]\n');
    const f = check(text, {}, ID)[0]!;
    assert.deepEqual(f.fixes.map((x) => x.preferred === true), [false]);
    const out = applyFix(text, ID, 'Remove the custom preStop');
    assert.match(out, /          lifecycle:\n            postStart:\n              exec:\n                command: \["true"\]\n$/);
  });

  test('no fix when a lifecycle-level $patch directive would keep the drain hook away', () => {
    const text = deployment('            $patch: replace\n' + sleepPreStop);
    const f = check(text, {}, ID)[0]!;
    assert.deepEqual(f.fixes, []);
  });
});

describe('native-sidecar-lifecycle-override on mesh-wide lifecycle', () => {
  const iop = (env: string) =>
    dedent(`
    apiVersion: install.istio.io/v1alpha1
    kind: IstioOperator
    spec:
      values:
        pilot:
          env:
            ENABLE_NATIVE_SIDECARS: "${env}"
        global:
          proxy:
            lifecycle:
              preStop:
                sleep:
                  seconds: 5
    `);
  test('fires on the lifecycle key when the revision runs native sidecars', () => {
    const text = iop('true');
    const fs = check(text, {}, 'native-sidecar-lifecycle-override');
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), 'lifecycle');
  });
  test('silent for classic sidecars', () => assert.deepEqual(check(iop('false'), {}, 'native-sidecar-lifecycle-override'), []));
});
