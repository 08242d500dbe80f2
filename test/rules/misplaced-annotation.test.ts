import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'misplaced-annotation';

describe(ID, () => {
  test("fires on istioctl's misannotated fixture and moves the pair into a comment-only (null) annotations:", () => {
    const text = dedent(`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: fortio-deploy
        annotations:
           # This annotation belongs on the spec/template so it can be applied to a pod, not here
           sidecar.istio.io/statsInclusionPrefixes: cluster.outbound
      spec:
        replicas: 1
        selector:
          matchLabels:
            app: fortio
        template:
          metadata:
            annotations:
              # sidecar.istio.io/statsInclusionPrefixes should be here
            labels:
              app: fortio
          spec:
            containers:
            - name: fortio
      `);
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), 'sidecar.istio.io/statsInclusionPrefixes');
    assert.equal(fs[0]!.severity, 'warning');
    assert.match(fs[0]!.message, /Deployment's own metadata has no effect/);
    assert.equal(pointed(text, { ...fs[0]!, range: fs[0]!.related[0]!.range }), 'annotations');
    assert.equal(
      applyFix(text, ID),
      dedent(`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: fortio-deploy
           # This annotation belongs on the spec/template so it can be applied to a pod, not here
      spec:
        replicas: 1
        selector:
          matchLabels:
            app: fortio
        template:
          metadata:
            annotations:
              sidecar.istio.io/statsInclusionPrefixes: cluster.outbound
              # sidecar.istio.io/statsInclusionPrefixes should be here
            labels:
              app: fortio
          spec:
            containers:
            - name: fortio
      `),
    );
  });

  test('moves a block scalar proxy.istio.io/config, re-indented, next to existing annotations, keeping the other workload annotations', () => {
    const text = dedent(`
      apiVersion: apps/v1
      kind: StatefulSet
      metadata:
        name: db
        annotations:
          team: data
          proxy.istio.io/config: |-
            # drain for long queries
            terminationDrainDuration: 20s
          owner: me
      spec:
        template:
          metadata:
            annotations:
                prometheus.io/scrape: "true"
          spec:
            containers:
              - name: db
                image: db
      `);
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), 'proxy.istio.io/config');
    assert.equal(
      applyFix(text, ID),
      dedent(`
      apiVersion: apps/v1
      kind: StatefulSet
      metadata:
        name: db
        annotations:
          team: data
          owner: me
      spec:
        template:
          metadata:
            annotations:
                proxy.istio.io/config: |-
                  # drain for long queries
                  terminationDrainDuration: 20s
                prometheus.io/scrape: "true"
          spec:
            containers:
              - name: db
                image: db
      `),
    );
  });

  test('a moved drain that outlasts the grace period raises terminationGracePeriodSeconds in the same fix', () => {
    const text = dedent(`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
        annotations:
          proxy.istio.io/config: '{"terminationDrainDuration": "60s"}'  # long drain
      spec:
        template:
          metadata:
            labels:
              app: web
          spec:
            terminationGracePeriodSeconds: 30
            containers:
              - name: web
                image: web
      `);
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.fixes[0]!.title, 'Move it to the pod template annotations and raise terminationGracePeriodSeconds to 65');
    const out = applyFix(text, ID);
    assert.match(out, / {4}metadata:\n {6}annotations:\n {8}proxy.istio.io\/config: '\{"terminationDrainDuration": "60s"\}'  # long drain\n {6}labels:/);
    assert.match(out, /terminationGracePeriodSeconds: 65\n/);
    assert.doesNotMatch(out.split('spec:')[0]!, /annotations/);
  });

  test('a moved config Istio would reject gets no fix (it would get the pod denied)', () => {
    const text = dedent(`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
        annotations:
          proxy.istio.io/config: |
            terminationDrainDuration: 20
      spec:
        template:
          spec:
            containers:
              - name: web
      `);
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.deepEqual(fs[0]!.fixes, []);
  });

  test('when the pod template already has the annotation, the fix only removes the ignored copy', () => {
    const text = dedent(`
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
        annotations:
          sidecar.istio.io/nativeSidecar: "false"
      spec:
        template:
          metadata:
            annotations:
              sidecar.istio.io/nativeSidecar: "true"
          spec:
            containers:
              - name: web
      `);
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /which sets it to a different value/);
    assert.equal(fs[0]!.related.length, 2);
    assert.equal(fs[0]!.fixes.length, 1);
    assert.match(fs[0]!.fixes[0]!.title, /^Remove it/);
    const out = applyFix(text, ID);
    assert.equal(out, text.replace('  annotations:\n    sidecar.istio.io/nativeSidecar: "false"\n', ''));
  });

  test('sidecar.istio.io/inject moves to the pod template labels (preferred) or annotations', () => {
    const text = dedent(`
      apiVersion: batch/v1
      kind: CronJob
      metadata:
        name: nightly
        annotations: {sidecar.istio.io/inject: "false", owner: ops}
      spec:
        schedule: "0 3 * * *"
        jobTemplate:
          spec:
            template:
              metadata:
                labels:
                  app: nightly
              spec:
                restartPolicy: Never
                containers:
                  - name: job
                    image: job
      `);
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), 'sidecar.istio.io/inject');
    assert.deepEqual(
      fs[0]!.fixes.map((f) => [f.title, !!f.preferred]),
      [
        ['Move it to the pod template labels as sidecar.istio.io/inject: "false"', true],
        ['Move it to the pod template annotations', false],
      ],
    );
    const out = applyFix(text, ID);
    assert.match(out, /annotations: \{owner: ops\}\n/);
    assert.match(out, / {10}labels:\n {12}sidecar.istio.io\/inject: "false"\n {12}app: nightly\n/);
    const out2 = applyFix(text, ID, 'annotations');
    assert.match(out2, / {8}metadata:\n {10}annotations:\n {12}sidecar.istio.io\/inject: "false"\n {10}labels:\n/);
  });

  test('creates metadata.annotations in a template without metadata; CRLF kept', () => {
    const text = dedent(`
      apiVersion: apps/v1
      kind: DaemonSet
      metadata:
        name: agent
        annotations:
          sidecar.istio.io/proxyCPU: 100m
      spec:
        template:
          spec:
            containers:
              - name: agent
      `).replace(/\n/g, '\r\n');
    const out = applyFix(text, ID);
    assert.equal(
      out,
      dedent(`
      apiVersion: apps/v1
      kind: DaemonSet
      metadata:
        name: agent
      spec:
        template:
          metadata:
            annotations:
              sidecar.istio.io/proxyCPU: 100m
          spec:
            containers:
              - name: agent
      `).replace(/\n/g, '\r\n'),
    );
  });

  test('readiness, status-port, traffic and inject.istio.io annotations all count', () => {
    const text = dedent(`
      apiVersion: argoproj.io/v1alpha1
      kind: Rollout
      metadata:
        name: r
        annotations:
          readiness.status.sidecar.istio.io/periodSeconds: "10"
          status.sidecar.istio.io/port: "15021"
          traffic.sidecar.istio.io/excludeOutboundPorts: "5432"
          inject.istio.io/templates: grpc-agent
      spec:
        template:
          metadata:
            annotations: {}
          spec:
            containers:
              - name: app
      `);
    const fs = check(text, {}, ID);
    assert.deepEqual(
      fs.map((f) => pointed(text, f)),
      ['readiness.status.sidecar.istio.io/periodSeconds', 'status.sidecar.istio.io/port', 'traffic.sidecar.istio.io/excludeOutboundPorts', 'inject.istio.io/templates'],
    );
    // Each fix on its own: into the empty flow map.
    const first = check(text, {}, ID)[0]!.fixes[0]!;
    assert.equal(first.edits.find((e) => e.newText !== '')!.newText, 'readiness.status.sidecar.istio.io/periodSeconds: "10"');
  });

  test('the inject switch on a CronJob whose pod template has the label with another value: remove the copy', () => {
    const text = dedent(`
      apiVersion: batch/v1
      kind: CronJob
      metadata:
        name: nightly
        annotations:
          sidecar.istio.io/inject: "true"
      spec:
        jobTemplate:
          spec:
            template:
              metadata:
                labels:
                  sidecar.istio.io/inject: "false"
              spec:
                containers:
                  - name: job
      `);
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /sets it to a different value/);
    assert.equal(fs[0]!.fixes[0]!.title, "Remove it (the pod template's labels already set sidecar.istio.io/inject)");
    assert.equal(applyFix(text, ID), text.replace('  annotations:\n    sidecar.istio.io/inject: "true"\n', ''));
    assert.deepEqual(check(text.replace('"false"', '"true"'), {}, ID), [], 'same value as the label: nothing is lost');
  });

  const quiet: { name: string; text: string }[] = [
    {
      name: 'the same value on the workload and the pod template (kustomize commonAnnotations)',
      text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n    sidecar.istio.io/nativeSidecar: "true"\nspec:\n  template:\n    metadata:\n      annotations:\n        sidecar.istio.io/nativeSidecar: "true"\n    spec:\n      containers:\n        - name: a\n',
    },
    {
      name: 'a Pod (its own metadata is the pod)',
      text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    proxy.istio.io/config: "{}"\n    sidecar.istio.io/inject: "false"\nspec:\n  containers:\n    - name: a\n',
    },
    {
      name: 'a Service (no pod template)',
      text: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    sidecar.istio.io/inject: "false"\n    networking.istio.io/exportTo: "."\nspec:\n  ports: [{port: 80}]\n',
    },
    {
      name: 'non-pod Istio annotations and other annotations on a Deployment',
      text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\n    networking.istio.io/exportTo: "."\n    galley.istio.io/analyze-suppress: IST0103\n    deployment.kubernetes.io/revision: "3"\n    istio.io/rev: canary\nspec:\n  template:\n    metadata:\n      annotations:\n        proxy.istio.io/config: "{}"\n    spec:\n      containers:\n        - name: a\n',
    },
    {
      name: 'a pod template annotation (the right place)',
      text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    metadata:\n      annotations:\n        sidecar.istio.io/nativeSidecar: "true"\n    spec:\n      containers:\n        - name: a\n',
    },
  ];
  for (const c of quiet) test(`silent: ${c.name}`, () => assert.deepEqual(check(c.text, {}, ID), []));
});
