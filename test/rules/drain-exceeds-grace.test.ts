import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'drain-exceeds-grace';

function deployment(annotations: string, spec = '', labels = '      labels:\n        sidecar.istio.io/inject: "true"\n'): string {
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
    labels +
    annotations +
    '    spec:\n' +
    spec +
    '      containers:\n        - name: app\n          image: app:1\n'
  );
}

const drainAnn = (v: string) => `      annotations:\n        proxy.istio.io/config: |\n          terminationDrainDuration: ${v}\n`;

describe(ID, () => {
  const cases: { name: string; text: string; settings?: object; points?: string }[] = [
    { name: 'drain 45s vs default grace 30', text: deployment(drainAnn('45s')), points: '45s' },
    { name: 'drain 1m vs grace 40', text: deployment(drainAnn('1m'), '      terminationGracePeriodSeconds: 40\n'), points: '1m' },
    { name: 'default drain vs grace 3', text: deployment('', '      terminationGracePeriodSeconds: 3\n'), points: '3' },
    { name: 'mesh default from setting vs default grace', text: deployment(''), settings: { defaultDrainDuration: '40s' }, points: 'spec' },
  ];
  for (const c of cases) {
    test(`fires: ${c.name}`, () => {
      const fs = check(c.text, c.settings, ID);
      assert.equal(fs.length, 1);
      assert.equal(pointed(c.text, fs[0]!), c.points);
      assert.equal(fs[0]!.severity, 'error');
    });
  }

  const quiet: { name: string; text: string; settings?: object }[] = [
    { name: 'equal is fine', text: deployment(drainAnn('30s')) },
    { name: 'grace 0 is a deliberate kill', text: deployment(drainAnn('45s'), '      terminationGracePeriodSeconds: 0\n') },
    { name: 'no injection evidence', text: deployment('', '      terminationGracePeriodSeconds: 3\n', '') },
    { name: 'opted out by label', text: deployment('', '      terminationGracePeriodSeconds: 3\n', '      labels:\n        sidecar.istio.io/inject: "false"\n') },
    { name: 'native sidecar annotation', text: deployment(drainAnn('45s') + '        sidecar.istio.io/nativeSidecar: "true"\n') },
    { name: 'native sidecars on by setting', text: deployment(drainAnn('45s')), settings: { nativeSidecars: 'on' } },
    {
      name: 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS on',
      text: deployment(`      annotations:\n        proxy.istio.io/config: |\n          terminationDrainDuration: 45s\n          proxyMetadata:\n            EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"\n`),
    },
    { name: 'hostNetwork pods are never injected', text: deployment(drainAnn('45s'), '      hostNetwork: true\n') },
    { name: 'assumeInjection never', text: deployment(drainAnn('45s')), settings: { assumeInjection: 'never' } },
  ];
  for (const c of quiet) {
    test(`silent: ${c.name}`, () => assert.deepEqual(check(c.text, c.settings, ID), []));
  }

  test('counts the istio-proxy preStop of a custom istio-proxy container', () => {
    const text = deployment(
      '',
      '',
    ).replace(
      '      containers:\n',
      '      containers:\n        - name: istio-proxy\n          image: auto\n          lifecycle:\n            preStop:\n              exec:\n                command: ["sleep", "28"]\n',
    );
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /28s preStop/);
    assert.equal(pointed(text, fs[0]!), 'spec');
    assert.ok(fs[0]!.related.some((r) => pointed(text, { ...fs[0]!, range: r.range }) === '"28"'));
  });

  test('message names the values and their sources', () => {
    const fs = check(deployment(drainAnn('45s')), {}, ID);
    assert.match(fs[0]!.message, /45s \(line 12\)/);
    assert.match(fs[0]!.message, /30s \(Kubernetes default\)/);
    assert.match(fs[0]!.message, /15s before the drain ends/);
  });

  test('fix: insert the grace period (preferred)', () => {
    const out = applyFix(deployment(drainAnn('45s')), ID);
    assert.match(out, /\n      terminationGracePeriodSeconds: 50\n      containers:/);
  });

  test('fix: update an existing grace period and keep its comment', () => {
    const text = deployment(drainAnn('45s'), '      terminationGracePeriodSeconds: 40 # keep me\n');
    const out = applyFix(text, ID);
    assert.match(out, /terminationGracePeriodSeconds: 50 # keep me/);
  });

  test('fix: lower the drain inside a block annotation', () => {
    const text = deployment(drainAnn('45s'), '      terminationGracePeriodSeconds: 40\n');
    const out = applyFix(text, ID, 'Lower');
    assert.match(out, /terminationDrainDuration: 40s\n/);
  });

  test('fix: lower the drain inside single-quoted JSON', () => {
    const text = deployment(`      annotations:\n        proxy.istio.io/config: '{"terminationDrainDuration": "45s"}'\n`);
    const out = applyFix(text, ID, 'Lower');
    assert.match(out, /proxy.istio.io\/config: '\{"terminationDrainDuration": "30s"\}'/);
  });

  test('fix: respects shutdownMargin', () => {
    const out = applyFix(deployment(drainAnn('45s')), ID, undefined, { shutdownMargin: '10s' });
    assert.match(out, /terminationGracePeriodSeconds: 55/);
  });
});

describe(`${ID}: review regressions`, () => {
  test('a snake_case drain is lowered in place, not duplicated', () => {
    const text = deployment(`      annotations:\n        proxy.istio.io/config: |\n          termination_drain_duration: 45s\n`);
    const out = applyFix(text, ID, 'Lower');
    assert.match(out, /termination_drain_duration: 30s\n/);
    assert.doesNotMatch(out, /terminationDrainDuration/);
  });
  test('Knative: no grace-period fix (the controller sets it from timeoutSeconds)', () => {
    const text = 'apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: k}\nspec:\n  template:\n    metadata:\n      annotations:\n        proxy.istio.io/config: \'{"terminationDrainDuration": "400s"}\'\n    spec:\n      containers: [{image: a}]\n';
    const [f] = check(text, {}, ID);
    assert.ok(f);
    assert.ok(f.fixes.every((x) => !/terminationGracePeriodSeconds/.test(x.title)), f.fixes.map((x) => x.title).join(' | '));
  });
});

describe(`${ID}: fuzz regressions`, () => {
  test('a grace period written as a mapping is replaced, and the next key keeps its line (seed 1128 case 86573)', () => {
    const text = deployment('', '      terminationGracePeriodSeconds:\n        a: b\n        c: d\n      subdomain: s\n');
    const [f] = check(text, { defaultDrainDuration: '60s' }, ID);
    assert.ok(f);
    assert.match(f.message, /30s \(Kubernetes default\)/);
    const out = applyFix(text, ID, undefined, { defaultDrainDuration: '60s' });
    assert.match(out, /\n      terminationGracePeriodSeconds:\n        65\n      subdomain: s\n      containers:/);
  });

  for (const [name, map] of [
    ['a comment line', '        a: b\n        # keep me\n        c: d\n'],
    ['a comment after a value', '        a: b # keep me\n        c: d\n'],
  ]) {
    test(`no grace-period fix replaces a mapping that holds ${name}`, () => {
      const text = deployment('', `      terminationGracePeriodSeconds:\n${map}`);
      const [f] = check(text, { defaultDrainDuration: '60s' }, ID);
      assert.ok(f);
      assert.ok(f.fixes.every((x) => !/terminationGracePeriodSeconds/.test(x.title)), f.fixes.map((x) => x.title).join(' | '));
    });
  }
});

describe(`${ID}: a drain written twice (fuzz, seed 777, case 70125)`, () => {
  test('"Lower terminationDrainDuration" edits the last one, which Istio reads', () => {
    const text = deployment(`      annotations:\n        proxy.istio.io/config: |\n          terminationDrainDuration: 45s\n          terminationDrainDuration: 45s\n`);
    const out = applyFix(text, ID, 'Lower terminationDrainDuration');
    assert.match(out, /terminationDrainDuration: 45s\n {10}terminationDrainDuration: 30s\n/);
  });
});
