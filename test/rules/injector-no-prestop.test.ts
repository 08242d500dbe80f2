import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'injector-no-prestop';

const injector = (values: string) =>
  dedent(`
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: istio-sidecar-injector
    namespace: istio-system
  data:
  `) + values;

function lifecycleOf(fixed: string): unknown {
  // The JSON inside the fixed ConfigMap parses and holds the loop.
  const m = /values: (?:\|-?\n([\s\S]*)|'(.*)')$/m.exec(fixed);
  assert.ok(m, 'values found');
  const json = m[1] !== undefined ? m[1].replace(/^ {4}/gm, '') : m[2]!.replace(/''/g, "'");
  return JSON.parse(json).global.proxy.lifecycle;
}

describe(ID, () => {
  test('pretty JSON in a block scalar: points at "proxy", inserts keeping the format', () => {
    const text = injector('  values: |-\n    {\n      "global": {\n        "hub": "docker.io/istio",\n        "proxy": {\n          "image": "proxyv2"\n        }\n      }\n    }\n');
    const [f] = check(text, {}, ID);
    assert.equal(pointed(text, f!), '"proxy"');
    const out = applyFix(text, ID, 'Insert a preStop');
    assert.match(out, /\n {10}"lifecycle": \{\n {12}"preStop": \{\n/);
    assert.match(out, /\n {10}"image": "proxyv2"\n/);
    const lc = lifecycleOf(out) as { preStop: { exec: { command: string[] } } };
    assert.deepEqual(lc.preStop.exec.command.slice(0, 2), ['/bin/sh', '-c']);
    assert.match(lc.preStop.exec.command[2]!, /egrep -v 'envoy\|pilot-agent'/);
  });

  test("one-line JSON in single quotes: the loop's quotes are doubled", () => {
    const text = injector(`  values: '{"global": {"proxy": {"image": "proxyv2"}}, "revision": ""}'\n`);
    const out = applyFix(text, ID, 'Insert a preStop');
    assert.match(out, /values: '\{"global": \{"proxy": \{"lifecycle": \{"preStop": \{"exec": \{"command": \["\/bin\/sh", "-c", "while .*egrep -v ''envoy\|pilot-agent''.*"\]\}\}\}, "image": "proxyv2"\}\}, "revision": ""\}'/);
    assert.ok(lifecycleOf(out));
  });

  test('no proxy object: inserted under global, pointing at values', () => {
    const text = injector('  values: |-\n    {"global": {"hub": "x"}}\n');
    const [f] = check(text, {}, ID);
    assert.equal(pointed(text, f!), 'values');
    assert.ok(lifecycleOf(applyFix(text, ID, 'Insert a preStop')));
  });

  test('IstioOperator: inserts spec.values.global.proxy.lifecycle as YAML', () => {
    const text = dedent(`
    apiVersion: install.istio.io/v1alpha1
    kind: IstioOperator
    metadata:
      name: cp
    spec:
      values:
        global:
          proxy:
            image: proxyv2 # keep
    `);
    const [f] = check(text, {}, ID);
    assert.equal(pointed(text, f!), 'proxy');
    const out = applyFix(text, ID, 'Insert a preStop');
    assert.match(out, /\n {6}proxy:\n {8}lifecycle:\n {10}preStop:\n {12}exec:\n {14}command:\n {16}- \/bin\/sh\n {16}- -c\n {16}- "while /);
    assert.match(out, /image: proxyv2 # keep/);
  });

  test('istiod Helm values recognised by content', () => {
    const text = 'global:\n  hub: docker.io/istio\n  proxy:\n    resources: {}\nmeshConfig:\n  accessLogFile: /dev/stdout\n';
    const out = applyFix(text, ID, 'Insert a preStop');
    assert.match(out, /^ {2}proxy:\n {4}lifecycle:\n {6}preStop:/m);
  });

  test('silent: a lifecycle is set; native sidecars on; not Istio config', () => {
    assert.deepEqual(check(injector('  values: \'{"global": {"proxy": {"lifecycle": {"preStop": {"sleep": {"seconds": 5}}}}}}\'\n'), {}, ID), []);
    assert.deepEqual(check(injector('  values: \'{"global": {"proxy": {}}, "pilot": {"env": {"ENABLE_NATIVE_SIDECARS": "true"}}}\'\n'), {}, ID), []);
    assert.deepEqual(check(injector('  values: \'{"global": {"proxy": {}}}\'\n'), { nativeSidecars: 'on' }, ID), []);
    assert.deepEqual(check('global:\n  name: x\nreplicas: 2\n', {}, ID), []);
  });

  test('distroless: reported without the shell fix', () => {
    const [f] = check(injector('  values: \'{"global": {"variant": "distroless", "proxy": {}}}\'\n'), {}, ID);
    assert.match(f!.message, /distroless/);
    assert.equal(f!.fixes.length, 0);
  });
});

describe(`${ID}: when the fix is not offered`, () => {
  test('holdApplicationUntilProxyStarts on in the revision: a lifecycle would disable it', () => {
    const text = dedent(`
    apiVersion: install.istio.io/v1alpha1
    kind: IstioOperator
    spec:
      meshConfig:
        defaultConfig:
          holdApplicationUntilProxyStarts: true
      values:
        global:
          proxy:
            image: proxyv2
    `);
    const [f] = check(text, {}, ID);
    assert.ok(f);
    assert.deepEqual(f.fixes, []);
  });
  test('never preferred: --fix does not rewrite mesh-wide configuration blind', () => {
    const [f] = check('global:\n  hub: x\n  proxy:\n    image: y\n', {}, ID);
    assert.ok(f && f.fixes.length === 1 && !f.fixes[0]!.preferred);
  });
});

// Regressions (fuzzer, seed 777, cases 7072 and 10897): a document that writes its sequences flush
// with their key got an indented one, because a comment after the key hid its sequence and a
// `- key:` line was measured from its dash, not from its key.
describe(`${ID}: the inserted command list follows the document's sequence style`, () => {
  const LOOP = `"while [ $(netstat -plunt | grep tcp | egrep -v 'envoy|pilot-agent' | wc -l | xargs) -ne 0 ]; do sleep 1; done"`;
  const values = (rest: string) => `global:\n  hub: x\n  proxy:\n    image: y\n${rest}`;
  const fixed = (items: string, rest: string) =>
    `global:\n  hub: x\n  proxy:\n    lifecycle:\n      preStop:\n        exec:\n          command:\n${items}- /bin/sh\n${items}- -c\n${items}- ${LOOP}\n    image: y\n${rest}`;

  test('a flush sequence under a key with a comment after it: flush', () => {
    const rest = 'ports: # note\n- 80\n';
    assert.equal(applyFix(values(rest), ID, 'Insert a preStop'), fixed(' '.repeat(10), rest));
  });

  test('a flush sequence under a `- key:` item: flush', () => {
    const rest = 'tls:\n- match:\n  - port: 1\n';
    assert.equal(applyFix(values(rest), ID, 'Insert a preStop'), fixed(' '.repeat(10), rest));
  });

  test('an indented sequence: indented', () => {
    const rest = 'ports:\n  - 80\n';
    assert.equal(applyFix(values(rest), ID, 'Insert a preStop'), fixed(' '.repeat(12), rest));
  });

  test('both styles in the document: the style of the sequence nearest to the insertion', () => {
    const flushFirst = 'tls:\n- a\nports:\n  - 80\n';
    assert.equal(applyFix(values(flushFirst), ID, 'Insert a preStop'), fixed(' '.repeat(10), flushFirst));
    const indentedFirst = 'ports:\n  - 80\ntls:\n- a\n';
    assert.equal(applyFix(values(indentedFirst), ID, 'Insert a preStop'), fixed(' '.repeat(12), indentedFirst));
  });
});
