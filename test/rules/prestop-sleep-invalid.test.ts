import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'prestop-sleep-invalid';

/** A Deployment whose container `app` has a preStop `sleep.seconds: <seconds>`. */
function deployment(seconds: string, spec = '', hook = 'preStop'): string {
  return (
    dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
    `) +
    spec +
    '      containers:\n' +
    '        - name: app\n' +
    '          image: app:1\n' +
    '          lifecycle:\n' +
    `            ${hook}:\n` +
    '              sleep:\n' +
    `                seconds: ${seconds}\n`
  );
}

describe(ID, () => {
  const cases: { name: string; text: string; settings?: object; points: string; message: RegExp }[] = [
    { name: 'longer than the default grace period', text: deployment('45'), points: '45', message: /45s is more than the grace period of 30s \(Kubernetes default\).*"must be greater than 0 and less than terminationGracePeriodSeconds \(30\)"/ },
    { name: 'longer than an explicit grace period', text: deployment('25', '      terminationGracePeriodSeconds: 20\n'), points: '25', message: /grace period of 20s \(line 8\)/ },
    { name: 'negative', text: deployment('-1'), points: '-1', message: /a negative sleep is rejected/ },
    { name: 'zero before Kubernetes 1.33', text: deployment('0'), settings: { kubernetesVersion: '1.32' }, points: '0', message: /0 is accepted only from Kubernetes 1.33.*kubernetesVersion is 1.32/ },
    { name: 'fractional', text: deployment('2.5'), points: '2.5', message: /2.5 is not an integer/ },
    { name: 'a quoted number', text: deployment('"10"'), points: '"10"', message: /the string "10"/ },
    { name: 'postStart is validated the same way', text: deployment('40', '', 'postStart'), points: '40', message: /postStart sleep.seconds/ },
    { name: 'positive sleep with grace 0', text: deployment('5', '      terminationGracePeriodSeconds: 0\n'), points: '5', message: /does not run preStop hooks at all/ },
  ];
  for (const c of cases) {
    test(`fires: ${c.name}`, () => {
      const fs = check(c.text, c.settings, ID);
      assert.equal(fs.length, 1);
      assert.equal(pointed(c.text, fs[0]!), c.points);
      assert.equal(fs[0]!.severity, 'error');
      assert.match(fs[0]!.message, c.message);
    });
  }

  test('fires on a restartable init container (native sidecar) too', () => {
    const text = deployment('5').replace('      containers:\n', '      initContainers:\n        - name: proxy\n          image: p\n          restartPolicy: Always\n          lifecycle:\n            preStop:\n              sleep:\n                seconds: 99\n      containers:\n');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), '99');
    assert.match(fs[0]!.message, /init container "proxy"/);
  });

  const quiet: { name: string; text: string; settings?: object }[] = [
    { name: 'equal to the grace period', text: deployment('30') },
    { name: 'within the grace period', text: deployment('15') },
    { name: 'zero without a configured Kubernetes version', text: deployment('0') },
    { name: 'zero on Kubernetes 1.33', text: deployment('0'), settings: { kubernetesVersion: '1.33' } },
    { name: 'a whole float (5.0 is sent as 5)', text: deployment('5.0') },
    { name: 'a placeholder', text: deployment('"${PRESTOP_SECONDS}"') },
    { name: 'an unknown grace period', text: deployment('45', '      terminationGracePeriodSeconds: "{{ .Values.grace }}"\n') },
    { name: 'a plain init container (invalid-lifecycle-handler reports it)', text: deployment('5').replace('      containers:\n', '      initContainers:\n        - name: init\n          image: i\n          lifecycle:\n            preStop:\n              sleep:\n                seconds: 99\n      containers:\n') },
  ];
  for (const c of quiet) {
    test(`silent: ${c.name}`, () => assert.deepEqual(check(c.text, c.settings, ID), []));
  }

  test('related value: the grace period', () => {
    const text = deployment('25', '      terminationGracePeriodSeconds: 20\n');
    const f = check(text, {}, ID)[0]!;
    assert.deepEqual(f.related.map((r) => text.slice(r.range.start, r.range.end)), ['20']);
  });

  test('fix: raise the grace period (preferred), inserting it', () => {
    const out = applyFix(deployment('45'), ID);
    assert.match(out, /\n      terminationGracePeriodSeconds: 50\n      containers:/);
    assert.match(out, /seconds: 45\n/);
  });

  test('fix: raise an existing grace period, keeping its comment, with shutdownMargin', () => {
    const out = applyFix(deployment('25', '      terminationGracePeriodSeconds: 20 # keep\n'), ID, undefined, { shutdownMargin: '10s' });
    assert.match(out, /terminationGracePeriodSeconds: 35 # keep\n/);
  });

  test('fix: lower the sleep to the grace period', () => {
    const out = applyFix(deployment('25', '      terminationGracePeriodSeconds: 20\n'), ID, 'Lower');
    assert.match(out, /seconds: 20\n/);
    assert.match(out, /terminationGracePeriodSeconds: 20\n/);
  });

  test('fix: a negative sleep becomes 1', () => {
    assert.match(applyFix(deployment('-3'), ID), /seconds: 1\n/);
  });

  test('fix: zero becomes 1 before Kubernetes 1.33', () => {
    assert.match(applyFix(deployment('0'), ID, undefined, { kubernetesVersion: '1.32' }), /seconds: 1\n/);
  });

  test('fix: a fractional sleep is rounded up, a quoted one unquoted', () => {
    assert.match(applyFix(deployment('2.5'), ID), /seconds: 3\n/);
    assert.match(applyFix(deployment('"10"'), ID), /seconds: 10\n/);
  });

  test('fix: a quoted sleep longer than the grace period is unquoted while the grace period is raised', () => {
    const out = applyFix(deployment('"45"'), ID);
    assert.match(out, /terminationGracePeriodSeconds: 50\n/);
    assert.match(out, /seconds: 45\n/);
  });

  test('fix: with grace 0 the preferred fix removes the preStop (and the emptied lifecycle)', () => {
    const text = deployment('5', '      terminationGracePeriodSeconds: 0\n');
    const out = applyFix(text, ID);
    assert.doesNotMatch(out, /lifecycle|preStop|sleep/);
    assert.match(out, /image: app:1\n$/);
    assert.match(applyFix(text, ID, 'Raise'), /terminationGracePeriodSeconds: 10\n/);
  });

  test('sleep without seconds reads as 0: reported at the sleep key before Kubernetes 1.33', () => {
    const text = deployment('5').replace('              sleep:\n                seconds: 5\n', '              sleep: {}\n');
    const fs = check(text, { kubernetesVersion: '1.31' }, ID);
    assert.equal(fs.length, 1);
    assert.equal(pointed(text, fs[0]!), 'sleep');
    assert.deepEqual(check(text, {}, ID), []);
  });
});
