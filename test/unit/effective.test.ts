/**
 * The model's effective values: each with the right value and the right source, across
 * workload kinds, sidecar modes, injection evidence and settings.
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PodAnalysis } from '../../server/src/engine/model/effective';
import { analyze, dedent } from '../helpers';

function pods(text: string, over = {}): PodAnalysis[] {
  return analyze(text, over).pods;
}
function one(text: string, over = {}): PodAnalysis {
  const ps = pods(text, over);
  assert.equal(ps.length, 1, `one pod template in:\n${text}`);
  return ps[0]!;
}

const deploy = (meta: string, spec = '') =>
  dedent(`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: d
    namespace: shop
  spec:
    template:
      metadata:
  `) +
  meta +
  '    spec:\n' +
  spec +
  '      containers:\n        - name: app\n          image: app\n';

describe('pod templates of every kind', () => {
  const kinds: [string, string][] = [
    ['Pod', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: a}]\n'],
    ['Deployment', deploy('      labels: {a: b}\n')],
    ['StatefulSet', 'apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:\n      containers: [{name: a}]\n'],
    ['DaemonSet', 'kind: DaemonSet\nspec:\n  template:\n    spec:\n      containers: []\n'],
    ['ReplicaSet', 'kind: ReplicaSet\nspec:\n  template:\n    spec: {containers: [{name: a}]}\n'],
    ['ReplicationController', 'kind: ReplicationController\nspec:\n  template:\n    spec: {containers: [{name: a}]}\n'],
    ['Job', 'kind: Job\nspec:\n  template:\n    spec: {containers: [{name: a}]}\n'],
    ['CronJob', 'kind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec: {containers: [{name: a}]}\n'],
    ['Rollout', 'apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec:\n  template:\n    spec: {containers: [{name: a}]}\n'],
    ['generic CRD', 'apiVersion: example.com/v1\nkind: Thing\nspec:\n  template:\n    spec:\n      containers: [{name: a}]\n'],
    ['JSON document', '{"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}}\n'],
    ['kind after other keys', 'spec:\n  template:\n    spec:\n      containers: [{name: a}]\nkind: Deployment\n'],
  ];
  for (const [name, text] of kinds) test(name, () => assert.equal(pods(text).length, 1));

  test('List items are objects of their own', () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n  - kind: Pod\n    spec: {containers: [{name: a}]}\n  - kind: Job\n    spec:\n      template:\n        spec: {containers: [{name: b}]}\n';
    const ps = pods(text);
    assert.equal(ps.length, 2);
    assert.equal(ps[1]!.pod.isJob, true);
  });

  test('not pod templates: a Service, a ConfigMap, a template without containers of an unknown kind, Helm values', () => {
    for (const text of ['kind: Service\nspec: {ports: []}\n', 'kind: ConfigMap\ndata: {a: b}\n', 'kind: Thing\nspec:\n  template:\n    spec: {x: 1}\n', 'podAnnotations:\n  a: b\n']) assert.equal(pods(text).length, 0, text);
  });

  test('a document that does not parse is skipped; the next one is analysed', () => {
    const r = analyze('a: [\n---\nkind: Pod\nspec: {containers: [{name: a}]}\n');
    assert.equal(r.pods.length, 1);
    assert.match(r.notes[0]!.message, /document 1 does not parse/);
  });
});

describe('grace period', () => {
  test('default 30 from Kubernetes', () => {
    const p = one(deploy(''));
    assert.equal(p.grace.value, 30);
    assert.equal(p.grace.source.kind, 'kubernetes-default');
  });
  test('written value with its range', () => {
    const text = deploy('', '      terminationGracePeriodSeconds: 75\n');
    const p = one(text);
    assert.equal(p.grace.value, 75);
    assert.equal(p.grace.source.kind, 'file');
  });
  test('a string grace period is unknown, never guessed', () => assert.equal(one(deploy('', '      terminationGracePeriodSeconds: "30s"\n')).grace.value, undefined));
  test('Knative Service: the revision timeout, 300 by default', () => {
    const ks = (extra: string) => `apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: k}\nspec:\n  template:\n    spec:\n${extra}      containers: [{image: a}]\n`;
    const p = one(ks(''));
    assert.equal(p.grace.value, 300);
    assert.equal(p.grace.source.kind, 'controller-default');
    assert.equal(one(ks('      timeoutSeconds: 120\n')).grace.value, 120);
  });
});

describe('drain', () => {
  test('Istio default 5s', () => {
    const p = one(deploy(''));
    assert.equal(p.drain.value, 5);
    assert.equal(p.drain.source.kind, 'istio-default');
  });
  test('from the annotation, any Go duration, camel or snake case', () => {
    for (const [v, s] of [['45s', 45], ['1m30s', 90], ['500ms', 0.5], ['"1.5s"', 1.5]] as const) {
      assert.equal(one(deploy(`      annotations:\n        proxy.istio.io/config: |\n          terminationDrainDuration: ${v}\n`)).drain.value, s);
    }
    assert.equal(one(deploy(`      annotations:\n        proxy.istio.io/config: '{"termination_drain_duration": "12s"}'\n`)).drain.value, 12);
  });
  test('setting defaultDrainDuration beats the Istio default; the annotation beats both', () => {
    assert.equal(one(deploy(''), { defaultDrainDuration: '40s' }).drain.value, 40);
    assert.equal(one(deploy(''), { defaultDrainDuration: '40s' }).drain.source.kind, 'setting');
    assert.equal(one(deploy(`      annotations:\n        proxy.istio.io/config: "terminationDrainDuration: 7s"\n`), { defaultDrainDuration: '40s' }).drain.value, 7);
  });
  test('an invalid drain is unknown', () => assert.equal(one(deploy(`      annotations:\n        proxy.istio.io/config: '{"terminationDrainDuration": 60}'\n`)).drain.value, undefined));
  test('a typo leaves the default in force', () => assert.equal(one(deploy(`      annotations:\n        proxy.istio.io/config: '{"terminationDrainDurations": "60s"}'\n`)).drain.value, 5));
  test('legacy TERMINATION_DRAIN_DURATION_SECONDS only counts for Istio < 1.10', () => {
    const text = deploy('', '').replace('      containers:\n', '      containers:\n        - name: istio-proxy\n          image: auto\n          env:\n            - name: TERMINATION_DRAIN_DURATION_SECONDS\n              value: "60"\n');
    assert.equal(one(text, { istioVersion: '1.9' }).drain.value, 60);
    assert.equal(one(text, { istioVersion: '1.20' }).drain.value, 5);
    assert.equal(one(text).drain.value, 5);
  });
});

describe('EXIT_ON_ZERO_ACTIVE_CONNECTIONS', () => {
  const meta = (v: string, extra = '') => deploy(`      annotations:\n        proxy.istio.io/config: |\n          proxyMetadata:\n            EXIT_ON_ZERO_ACTIVE_CONNECTIONS: ${v}\n${extra}`);
  for (const v of ['"1"', '"t"', '"T"', '"true"', '"TRUE"', '"True"']) test(`on for ${v} (Go ParseBool)`, () => assert.equal(one(meta(v)).exitOnZero.value, true));
  for (const v of ['"yes"', '"on"', '"0"', '"false"', '"tRUE"', '""']) test(`off for ${v}`, () => assert.equal(one(meta(v)).exitOnZero.value, false));
  test('an unquoted true is a type error: the pod is denied, so it is off here', () => assert.equal(one(meta('true')).exitOnZero.value, false));
  test('MINIMUM_DRAIN_DURATION: default 5s, written value, invalid falls back', () => {
    assert.equal(one(meta('"true"')).minDrain.value, 5);
    assert.equal(one(meta('"true"', '            MINIMUM_DRAIN_DURATION: "12s"\n')).minDrain.value, 12);
    assert.equal(one(meta('"true"', '            MINIMUM_DRAIN_DURATION: "12"\n')).minDrain.value, 5);
  });
});

describe('native or classic sidecar', () => {
  const ann = (v: string) => deploy(`      annotations:\n        sidecar.istio.io/nativeSidecar: ${v}\n`);
  const cases: [string, object, boolean][] = [
    ['"true"', {}, true],
    ['"false"', {}, false],
    ['"False"', {}, true],
    ['"yes"', {}, true],
    ['"False"', { istioVersion: '1.25' }, false],
    ['"true"', { istioVersion: '1.25' }, true],
    ['"true"', { istioVersion: '1.23' }, false],
    ['"true"', { istioVersion: '1.23', nativeSidecars: 'on' }, true],
  ];
  for (const [v, s, want] of cases) test(`annotation ${v} with ${JSON.stringify(s)} -> ${want ? 'native' : 'classic'}`, () => assert.equal(one(ann(v), s).native.value, want));
  test('no annotation: classic unless configured', () => {
    assert.equal(one(deploy('')).native.value, false);
    assert.equal(one(deploy(''), { nativeSidecars: 'on' }).native.value, true);
    assert.equal(one(deploy(''), { istioVersion: '1.27', kubernetesVersion: '1.33' }).native.value, true);
    assert.equal(one(deploy(''), { istioVersion: '1.27', kubernetesVersion: '1.32' }).native.value, false);
    assert.equal(one(deploy(''), { istioVersion: '1.27' }).native.value, false);
    assert.equal(one(deploy(''), { istioVersion: '1.28', kubernetesVersion: '1.34', nativeSidecars: 'off' }).native.value, false);
  });
  test('an injected pod with istio-proxy as a restartable init container is native', () => {
    const text = deploy('').replace('    spec:\n', '    spec:\n      initContainers:\n        - name: istio-proxy\n          image: proxyv2\n          restartPolicy: Always\n');
    assert.equal(one(text).native.value, true);
  });
  test('restartPolicy on a regular container does not mean native', () => {
    const text = deploy('').replace('          image: app\n', '          image: app\n          restartPolicy: Never\n');
    assert.equal(one(text).native.value, false);
  });
});

describe('injection evidence', () => {
  const ns = (labels: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n${labels}---\n`;
  const cases: [string, string, object, boolean][] = [
    ['no evidence', deploy(''), {}, false],
    ['label inject "true"', deploy('      labels:\n        sidecar.istio.io/inject: "true"\n'), {}, true],
    ['label istio.io/rev', deploy('      labels:\n        istio.io/rev: canary\n'), {}, true],
    ['an Istio annotation', deploy('      annotations:\n        proxy.istio.io/config: "{}"\n'), {}, true],
    ['label "false" opts out', deploy('      labels:\n        sidecar.istio.io/inject: "false"\n      annotations:\n        proxy.istio.io/config: "{}"\n'), {}, false],
    ['annotation "false" opts out', deploy('      annotations:\n        sidecar.istio.io/inject: "false"\n'), {}, false],
    ['a label "true" wins over an annotation "false"', deploy('      labels:\n        sidecar.istio.io/inject: "true"\n      annotations:\n        sidecar.istio.io/inject: "false"\n'), {}, true],
    ['Namespace istio-injection=enabled', ns('    istio-injection: enabled\n') + deploy(''), {}, true],
    ['Namespace istio.io/rev', ns('    istio.io/rev: default\n') + deploy(''), {}, true],
    ['Namespace istio-injection=disabled beats the pod label', ns('    istio-injection: disabled\n') + deploy('      labels:\n        sidecar.istio.io/inject: "true"\n'), {}, false],
    ['assumeInjection always', deploy(''), { assumeInjection: 'always' }, true],
    ['assumeInjection never', deploy('      labels:\n        sidecar.istio.io/inject: "true"\n'), { assumeInjection: 'never' }, false],
    ['hostNetwork', deploy('      labels:\n        sidecar.istio.io/inject: "true"\n', '      hostNetwork: true\n'), {}, false],
    ['kube-system is never injected', deploy('      labels:\n        sidecar.istio.io/inject: "true"\n').replace('namespace: shop', 'namespace: kube-system'), {}, false],
  ];
  for (const [name, text, s, want] of cases) {
    test(name, () => {
      const ps = pods(text, s);
      assert.equal(ps.length, 1);
      assert.equal(ps[0]!.injection.injected, want, ps[0]!.injection.reason);
    });
  }
});

describe('preStop hooks and gateways', () => {
  const withProxy = (hook: string) =>
    deploy('').replace('      containers:\n', `      containers:\n        - name: istio-proxy\n          image: auto\n          lifecycle:\n            preStop:\n${hook}`);
  test('sleep action', () => assert.equal(one(withProxy('              sleep:\n                seconds: 12\n')).proxyPreStop.seconds, 12));
  test('exec sleep', () => assert.equal(one(withProxy('              exec:\n                command: ["/bin/sh", "-c", "sleep 20"]\n')).proxyPreStop.seconds, 20));
  test('sleep then more: a known lower bound', () => {
    const p = one(withProxy('              exec:\n                command: ["sh", "-c", "sleep 5 && nginx -s quit"]\n'));
    assert.equal(p.proxyPreStop.seconds, 5);
    assert.equal(p.proxyPreStop.exact, false);
  });
  test('netstat loop waits for the app', () => {
    const p = one(withProxy(`              exec:\n                command: ["/bin/sh", "-c", "while [ $(netstat -plunt | grep tcp | egrep -v 'envoy|pilot-agent' | wc -l | xargs) -ne 0 ]; do sleep 1; done"]\n`));
    assert.equal(p.proxyPreStop.waitsForApp, true);
    assert.equal(p.proxyPreStop.seconds, 0);
  });
  test('unknown commands are not guessed', () => assert.equal(one(withProxy('              exec:\n                command: ["sh", "-c", "sleep $DRAIN"]\n')).proxyPreStop.seconds, 0));
  test('gateway template and lone image: auto istio-proxy', () => {
    assert.equal(one(deploy('      annotations:\n        inject.istio.io/templates: gateway\n')).gateway, true);
    const lone = deploy('').replace('        - name: app\n          image: app\n', '        - name: istio-proxy\n          image: auto\n');
    assert.equal(one(lone).gateway, true);
    assert.equal(one(deploy('')).gateway, false);
  });
  test('status port from the annotation', () => assert.equal(one(deploy('      annotations:\n        status.sidecar.istio.io/port: "15021"\n')).statusPort, 15021));
});

describe('review regressions', () => {
  test('a namespace with istio-injection=enabled selects the default revision, whatever the pod label says', () => {
    const text = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled\n---\n' + deploy('      labels:\n        istio.io/rev: canary\n');
    assert.equal(one(text).revision, 'default');
    const rev = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio.io/rev: blue\n---\n' + deploy('      labels:\n        istio.io/rev: canary\n');
    assert.equal(one(rev).revision, 'blue');
    assert.equal(one(deploy('      labels:\n        istio.io/rev: canary\n')).revision, 'canary');
  });
  test('duplicate keys in the annotation: accepted, the last one wins', () => {
    const text = deploy(`      annotations:\n        proxy.istio.io/config: |\n          terminationDrainDuration: 45s\n          terminationDrainDuration: 12s\n`);
    assert.equal(one(text).drain.value, 12);
    assert.deepEqual(analyze(text).findings.filter((f) => f.ruleId === 'invalid-proxy-config'), []);
    const bad = deploy(`      annotations:\n        proxy.istio.io/config: |\n          terminationDrainDuration: 45s\n          terminationDrainDuration: 12\n`);
    assert.equal(one(bad).drain.value, undefined);
  });
});
