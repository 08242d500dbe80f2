import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'deprecated-inject-annotation';

/** A Deployment whose pod template metadata is `meta` (lines indented for the template's metadata). */
const deployment = (meta: string) =>
  dedent(`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
  spec:
    template:
      metadata:
  `) +
  meta +
  '    spec:\n      containers:\n        - name: app\n          image: app\n';

describe(ID, () => {
  test('"true" as an annotation next to other annotations moves to the existing labels', () => {
    const text = deployment('      labels:\n        app: web\n      annotations:\n        prometheus.io/scrape: "true"\n        sidecar.istio.io/inject: "true"  # mesh it\n');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), 'sidecar.istio.io/inject');
    assert.equal(fs[0]!.severity, 'information');
    assert.match(fs[0]!.message, /deprecated since Istio 1.15 \(IST0135\)/);
    assert.match(fs[0]!.message, /does not inject by itself/);
    assert.equal(fs[0]!.fixes[0]!.title, 'Move it to the pod labels: sidecar.istio.io/inject: "true"');
    assert.equal(applyFix(text, ID, "labels"), deployment('      labels:\n        sidecar.istio.io/inject: "true"\n        app: web\n      annotations:\n        prometheus.io/scrape: "true"\n'));
  });

  test('the only annotation and no labels: annotations: becomes labels:, the value gets quoted', () => {
    const text = deployment('      annotations:\n        # keep this pod out of the mesh\n        sidecar.istio.io/inject: false\n');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /"false" here still opts the pod out/);
    assert.equal(applyFix(text, ID), deployment('      labels:\n        # keep this pod out of the mesh\n        sidecar.istio.io/inject: "false"\n'));
  });

  test('the only annotation with labels present: annotations: goes, the label is added', () => {
    const text = deployment('      annotations:\n        sidecar.istio.io/inject: \'false\'\n      labels:\n        app: web\n');
    assert.equal(applyFix(text, ID), deployment('      labels:\n        sidecar.istio.io/inject: "false"\n        app: web\n'));
  });

  test('on a Pod, in flow style', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {app: p}\n  annotations: {sidecar.istio.io/inject: "true", a: b}\nspec:\n  containers: [{name: app, image: app}]\n';
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), 'sidecar.istio.io/inject');
    assert.equal(applyFix(text, ID, "labels"), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {sidecar.istio.io/inject: "true", app: p}\n  annotations: {a: b}\nspec:\n  containers: [{name: app, image: app}]\n');
  });

  test('a value Istio does not read', () => {
    const text = deployment('      annotations:\n        sidecar.istio.io/inject: "enabled"\n');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /only reads "true" or "false"/);
  });

  test('before Istio 1.15 only the ineffective "true" is reported', () => {
    assert.equal(check(deployment('      annotations:\n        sidecar.istio.io/inject: "false"\n'), { istioVersion: '1.14' }, ID).length, 0);
    const fs = check(deployment('      annotations:\n        sidecar.istio.io/inject: "true"\n'), { istioVersion: '1.14' }, ID);
    assert.equal(fs.length, 1);
    assert.doesNotMatch(fs[0]!.message, /deprecated/);
  });

  const quiet: { name: string; meta: string }[] = [
    { name: 'label and annotation (the label wins; istioctl is silent too)', meta: '      labels:\n        sidecar.istio.io/inject: "true"\n      annotations:\n        sidecar.istio.io/inject: "true"\n' },
    { name: 'label only', meta: '      labels:\n        sidecar.istio.io/inject: "false"\n' },
    { name: 'other Istio annotations', meta: '      annotations:\n        sidecar.istio.io/nativeSidecar: "true"\n' },
  ];
  for (const c of quiet) test(`silent: ${c.name}`, () => assert.deepEqual(check(deployment(c.meta), {}, ID), []));

  test("silent on a workload's own metadata (misplaced-annotation's job)", () => {
    const text = dedent(`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
        annotations:
          sidecar.istio.io/inject: "true"
      spec:
        template:
          spec:
            containers:
              - name: app
      `);
    assert.deepEqual(check(text, {}, ID), []);
  });
});
