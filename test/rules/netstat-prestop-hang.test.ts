import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'netstat-prestop-hang';

const LOOP = 'while [ $(netstat -plunt | grep tcp | grep -v envoy | wc -l | xargs) -ne 0 ]; do sleep 1; done';
const FIXED = "while [ $(netstat -plunt | grep tcp | egrep -v 'envoy|pilot-agent' | wc -l | xargs) -ne 0 ]; do sleep 1; done";

/** An injected Deployment with a custom istio-proxy whose preStop is `handler` (lines indented 14). */
function deployment(handler: string, opts: { annotations?: string; spec?: string; labels?: string; image?: string; name?: string } = {}): string {
  return (
    dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: orders
    spec:
      template:
        metadata:
    `) +
    (opts.labels ?? '      labels:\n        sidecar.istio.io/inject: "true"\n') +
    (opts.annotations ?? '') +
    '    spec:\n' +
    (opts.spec ?? '') +
    '      containers:\n' +
    '        - name: orders\n' +
    '          image: orders:3\n' +
    `        - name: ${opts.name ?? 'istio-proxy'}\n` +
    `          image: ${opts.image ?? 'auto'}\n` +
    '          lifecycle:\n' +
    '            preStop:\n' +
    handler
  );
}

const blockCommand = (...items: string[]) => '              exec:\n                command:\n' + items.map((i) => `                  - ${i}\n`).join('');
const flowCommand = (items: string) => `              exec:\n                command: ${items}\n`;
const distroless = '      annotations:\n        sidecar.istio.io/proxyImageType: distroless\n';

describe(ID, () => {
  const cases: { name: string; text: string; points: string; message: RegExp; settings?: object }[] = [
    { name: 'the classic loop, plain block item', text: deployment(blockCommand('/bin/sh', '-c', LOOP)), points: LOOP, message: /does not filter out pilot-agent, which itself listens on :15020 .*full grace period of 30s \(Kubernetes default\)/ },
    { name: 'a BRE "envoy|pilot-agent" filters neither', text: deployment(blockCommand('sh', '-c', `"${LOOP.replace('grep -v envoy', 'grep -v \\"envoy|pilot-agent\\"')}"`)), points: `"${LOOP.replace('grep -v envoy', 'grep -v \\"envoy|pilot-agent\\"')}"`, message: /never ends/ },
    { name: 'a custom status port', text: deployment(blockCommand('/bin/sh', '-c', LOOP), { annotations: '      annotations:\n        status.sidecar.istio.io/port: "15021"\n' }), points: LOOP, message: /listens on :15021/ },
    { name: 'native sidecars too', text: deployment(blockCommand('/bin/sh', '-c', LOOP)), settings: { nativeSidecars: 'on' }, points: LOOP, message: /never ends/ },
    { name: 'distroless by annotation: a shell', text: deployment(flowCommand('["/bin/sh", "-c", "sleep 5"]'), { annotations: distroless }), points: '"/bin/sh"', message: /runs a shell \(sh\), but istio-proxy uses the distroless image \(annotation sidecar.istio.io\/proxyImageType: distroless\)/ },
    { name: 'distroless by image tag: a direct sleep', text: deployment(flowCommand('["sleep", "5"]'), { image: 'docker.io/istio/proxyv2:1.22.0-distroless' }), points: '"sleep"', message: /runs sleep, but istio-proxy uses the distroless image \(image docker.io\/istio\/proxyv2:1.22.0-distroless\)/ },
    { name: 'distroless by ProxyConfig image.imageType: the netstat loop fails rather than hangs', text: deployment(blockCommand('/bin/sh', '-c', LOOP), { annotations: '      annotations:\n        proxy.istio.io/config: |\n          image:\n            imageType: distroless\n' }), points: '/bin/sh', message: /distroless image \(proxy.istio.io\/config image.imageType: distroless\)/ },
  ];
  for (const c of cases) {
    test(`fires: ${c.name}`, () => {
      const fs = check(c.text, c.settings, ID);
      assert.equal(fs.length, 1);
      assert.equal(pointed(c.text, fs[0]!), c.points);
      assert.equal(fs[0]!.severity, 'warning');
      assert.match(fs[0]!.message, c.message);
    });
  }

  const quiet: { name: string; text: string; settings?: object }[] = [
    { name: 'pilot-agent filtered with egrep', text: deployment(blockCommand('/bin/sh', '-c', `"${FIXED}"`)) },
    { name: 'pilot-agent filtered by a second grep', text: deployment(blockCommand('/bin/sh', '-c', LOOP.replace('grep -v envoy', 'grep -v envoy | grep -v pilot-agent'))) },
    { name: 'the loop on an app container', text: deployment(blockCommand('/bin/sh', '-c', LOOP), { name: 'worker' }) },
    { name: 'opted out of injection', text: deployment(blockCommand('/bin/sh', '-c', LOOP), { labels: '      labels:\n        sidecar.istio.io/inject: "false"\n' }) },
    { name: 'grace 0: hooks do not run', text: deployment(blockCommand('/bin/sh', '-c', LOOP), { spec: '      terminationGracePeriodSeconds: 0\n' }) },
    { name: 'a shell on the debug image', text: deployment(flowCommand('["/bin/sh", "-c", "sleep 5"]')) },
    { name: 'pilot-agent on distroless', text: deployment(flowCommand('["pilot-agent", "request", "--debug-port=15020", "POST", "drain"]'), { annotations: distroless }) },
    { name: 'a custom non-distroless image wins over the annotation', text: deployment(flowCommand('["/bin/sh", "-c", "sleep 5"]'), { annotations: distroless, image: 'proxyv2:1.22.0' }) },
  ];
  for (const c of quiet) {
    test(`silent: ${c.name}`, () => assert.deepEqual(check(c.text, c.settings, ID), []));
  }

  test('related values: the grace period, the distroless evidence', () => {
    const text = deployment(blockCommand('/bin/sh', '-c', LOOP), { spec: '      terminationGracePeriodSeconds: 60\n' });
    assert.deepEqual(check(text, {}, ID)[0]!.related.map((r) => text.slice(r.range.start, r.range.end)), ['60']);
    const d = deployment(flowCommand('["/bin/sh", "-c", "sleep 5"]'), { annotations: distroless });
    assert.deepEqual(check(d, {}, ID)[0]!.related.map((r) => d.slice(r.range.start, r.range.end)), ['distroless']);
  });

  test('fix: rewrite a plain block item', () => {
    const out = applyFix(deployment(blockCommand('/bin/sh', '-c', LOOP)), ID);
    assert.ok(out.endsWith(`                  - -c\n                  - ${FIXED}\n`), out);
  });

  test('fix: rewrite inside a double-quoted flow element, keeping the rest of the script', () => {
    const text = deployment(flowCommand(`["/bin/sh", "-c", "echo draining; ${LOOP}; echo done"]`));
    const out = applyFix(text, ID);
    assert.ok(out.endsWith(`command: ["/bin/sh", "-c", "echo draining; ${FIXED}; echo done"]\n`), out);
  });

  test('fix: rewrite inside a single-quoted element (quotes doubled)', () => {
    const out = applyFix(deployment(blockCommand('sh', '-c', `'${LOOP}'`)), ID);
    assert.ok(out.endsWith(`                  - '${FIXED.replace(/'/g, "''")}'\n`), out);
  });

  test('fix: rewrite a multi-line loop in a block scalar', () => {
    const text = deployment(
      '              exec:\n                command:\n                  - /bin/sh\n                  - -c\n                  - |\n' +
        '                    while [ $(netstat -plunt | grep tcp | grep -v envoy | wc -l | xargs) -ne 0 ]; do\n' +
        '                      sleep 1\n' +
        '                    done\n' +
        '                    echo bye\n',
    );
    const out = applyFix(text, ID);
    assert.ok(out.endsWith(`                  - |\n                    ${FIXED}\n                    echo bye\n`), out);
  });

  test('fix: distroless sleep becomes the kubelet sleep action (block map)', () => {
    const text = deployment(blockCommand('/bin/sh', '-c', '"sleep 5"'), { annotations: distroless }) + '          ports:\n            - containerPort: 15090\n';
    const out = applyFix(text, ID);
    assert.ok(out.includes('            preStop:\n              sleep:\n                seconds: 5\n          ports:\n'), out);
  });

  test('fix: distroless sleep becomes the kubelet sleep action (flow map)', () => {
    const text = deployment('              exec: {command: ["sleep", "7"]}\n', { annotations: distroless });
    assert.ok(applyFix(text, ID).endsWith('            preStop:\n              sleep: {seconds: 7}\n'));
  });

  test('no sleep-action fix before Kubernetes 1.30, or for a script that does more than sleep', () => {
    const old = deployment(flowCommand('["/bin/sh", "-c", "sleep 5"]'), { annotations: distroless });
    assert.deepEqual(check(old, { kubernetesVersion: '1.29' }, ID)[0]!.fixes, []);
    const more = deployment(flowCommand('["/bin/sh", "-c", "sleep 5; kill 1"]'), { annotations: distroless });
    assert.deepEqual(check(more, {}, ID)[0]!.fixes, []);
  });
});

describe('netstat-prestop-hang on mesh-wide lifecycle', () => {
  const loop = "while [ $(netstat -plunt | grep tcp | grep -v envoy | wc -l | xargs) -ne 0 ]; do sleep 1; done";
  test('injector values JSON: points at the command element, fixes it inside the JSON', () => {
    const text = dedent(`
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: istio-sidecar-injector
    data:
      values: |-
        {"global": {"proxy": {"lifecycle": {"preStop": {"exec": {"command": ["/bin/sh", "-c", ${JSON.stringify(loop)}]}}}}}}
    `);
    const fs = check(text, {}, 'netstat-prestop-hang');
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), JSON.stringify(loop));
    const out = applyFix(text, 'netstat-prestop-hang');
    assert.match(out, /egrep -v 'envoy\|pilot-agent'/);
  });
  test('IstioOperator values: fixed in YAML', () => {
    const text = dedent(`
    apiVersion: install.istio.io/v1alpha1
    kind: IstioOperator
    spec:
      values:
        global:
          proxy:
            lifecycle:
              preStop:
                exec:
                  command: ["/bin/sh", "-c", ${JSON.stringify(loop)}]
    `);
    const out = applyFix(text, 'netstat-prestop-hang');
    assert.match(out, /egrep -v 'envoy\|pilot-agent'/);
  });
});
