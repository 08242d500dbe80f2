import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { check, dedent, pointed } from '../helpers';

const ID = 'unsupported-for-istio-version';

const pod = (annotations: string) =>
  dedent(`
  apiVersion: v1
  kind: Pod
  metadata:
    name: p
    annotations:
  `) +
  annotations +
  'spec:\n  containers:\n    - name: app\n      image: app\n';

const everything = pod(
  '    sidecar.istio.io/nativeSidecar: "true"\n' +
    '    proxy.istio.io/config: |\n' +
    '      terminationDrainDuration: 20s\n' +
    '      holdApplicationUntilProxyStarts: true\n' +
    '      proxyMetadata:\n' +
    '        EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"\n' +
    '        MINIMUM_DRAIN_DURATION: "10s"\n',
);

describe(ID, () => {
  test('silent without istioVersion', () => assert.deepEqual(check(everything, {}, ID), []));

  const byVersion: { version: string; points: string[] }[] = [
    { version: '1.6', points: ['sidecar.istio.io/nativeSidecar', 'terminationDrainDuration', 'holdApplicationUntilProxyStarts', 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS', 'MINIMUM_DRAIN_DURATION'] },
    { version: '1.7.8', points: ['sidecar.istio.io/nativeSidecar', 'holdApplicationUntilProxyStarts', 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS', 'MINIMUM_DRAIN_DURATION'] },
    { version: '1.11', points: ['sidecar.istio.io/nativeSidecar', 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS', 'MINIMUM_DRAIN_DURATION'] },
    { version: '1.23', points: ['sidecar.istio.io/nativeSidecar'] },
    { version: '1.24', points: [] },
    { version: 'v1.30.1', points: [] },
  ];
  for (const c of byVersion) {
    test(`istioVersion ${c.version}`, () => {
      const fs = check(everything, { istioVersion: c.version }, ID);
      assert.deepEqual(fs.map((f) => pointed(everything, f)), c.points);
      for (const f of fs) {
        assert.equal(f.severity, 'warning');
        assert.ok(f.message.includes(`Istio ${c.version}`), f.message);
        assert.deepEqual(f.fixes, []);
      }
    });
  }

  test('messages say what the old version does instead', () => {
    const fs = check(everything, { istioVersion: '1.11' }, ID);
    assert.match(fs[0]!.message, /ignores the sidecar.istio.io\/nativeSidecar annotation \(added in 1.24\): native sidecars arrive only in Istio 1.19/);
    const mid = check(everything, { istioVersion: '1.20' }, ID);
    assert.match(mid[0]!.message, /switched mesh-wide by istiod's ENABLE_NATIVE_SIDECARS/);
    assert.match(fs[1]!.message, /EXIT_ON_ZERO_ACTIVE_CONNECTIONS has no effect on Istio 1.11: pilot-agent reads it since Istio 1.12/);
    const old = check(everything, { istioVersion: '1.6' }, ID);
    assert.match(old[1]!.message, /TERMINATION_DRAIN_DURATION_SECONDS/);
  });

  test('snake_case field names count too', () => {
    const text = pod("    proxy.istio.io/config: '{\"termination_drain_duration\": \"20s\"}'\n");
    const fs = check(text, { istioVersion: '1.6' }, ID);
    assert.deepEqual(fs.map((f) => pointed(text, f)), ['"termination_drain_duration"']);
  });

  test('a nativeSidecar value that is neither "true" nor "false" means different things across versions', () => {
    const text = pod('    sidecar.istio.io/nativeSidecar: "yes"\n');
    const mid = check(text, { istioVersion: '1.25' }, ID);
    assert.equal(mid.length, 1);
    assert.equal(pointed(text, mid[0]!), '"yes"');
    assert.match(mid[0]!.message, /Istio 1.25 turns native sidecars on only for "true", so "yes" gives a classic sidecar/);
    const late = check(text, { istioVersion: '1.27' }, ID);
    assert.equal(late.length, 1);
    assert.match(late[0]!.message, /so "yes" means native; Istio 1.24–1.26 read it as off/);
    assert.deepEqual(check(text, {}, ID), []);
    assert.deepEqual(check(pod('    sidecar.istio.io/nativeSidecar: "false"\n'), { istioVersion: '1.25' }, ID), []);
  });
});
