import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'prestop-exceeds-grace';

/** A Deployment with one container whose preStop is `handler` (lines indented under `preStop:`). */
function deployment(handler: string, spec = '', container = 'app', labels = ''): string {
  return (
    dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
    `) +
    (labels ? `    metadata:\n      labels:\n${labels}` : '') +
    '    spec:\n' +
    spec +
    '      containers:\n' +
    `        - name: ${container}\n` +
    '          image: app:1\n' +
    '          lifecycle:\n' +
    '            preStop:\n' +
    handler
  );
}

const execSleep = (args: string) => `              exec:\n                command: ${args}\n`;

describe(ID, () => {
  const cases: { name: string; text: string; points: string; message: RegExp }[] = [
    { name: 'sleep equal to the default grace period', text: deployment(execSleep('["sleep", "30"]')), points: '"30"', message: /runs for 30s, as long as the grace period of 30s \(Kubernetes default\)/ },
    { name: 'shell sleep longer than an explicit grace period', text: deployment(execSleep('["sh", "-c", "sleep 45"]'), '      terminationGracePeriodSeconds: 40\n'), points: '"sleep 45"', message: /runs for 45s, 5s longer than the grace period of 40s \(line 8\)/ },
    { name: 'a leading sleep of a longer script (at least)', text: deployment(execSleep('["/bin/sh", "-c", "sleep 30 && nginx -s quit"]')), points: '"sleep 30 && nginx -s quit"', message: /runs for at least 30s/ },
    { name: 'block-sequence command', text: deployment('              exec:\n                command:\n                  - sleep\n                  - "1m"\n'), points: '"1m"', message: /runs for 1m0s|runs for 60s/ },
  ];
  for (const c of cases) {
    test(`fires: ${c.name}`, () => {
      const fs = check(c.text, {}, ID);
      assert.equal(fs.length, 1);
      assert.equal(pointed(c.text, fs[0]!), c.points);
      assert.equal(fs[0]!.severity, 'warning');
      assert.match(fs[0]!.message, c.message);
      assert.match(fs[0]!.message, /SIGTERM with only about 2s before SIGKILL/);
    });
  }

  const quiet: { name: string; text: string; settings?: object }[] = [
    { name: 'shorter than the grace period', text: deployment(execSleep('["sleep", "29"]')) },
    { name: 'an unknown duration', text: deployment(execSleep('["sh", "-c", "sleep $DRAIN"]')) },
    { name: 'grace 0: hooks do not run', text: deployment(execSleep('["sleep", "30"]'), '      terminationGracePeriodSeconds: 0\n') },
    { name: 'a sleep action (prestop-sleep-invalid covers it)', text: deployment('              sleep:\n                seconds: 40\n') },
    {
      name: 'a classic istio-proxy already reported by drain-exceeds-grace',
      text: deployment(execSleep('["sleep", "30"]'), '', 'istio-proxy', '        sidecar.istio.io/inject: "true"\n'),
    },
  ];
  for (const c of quiet) {
    test(`silent: ${c.name}`, () => assert.deepEqual(check(c.text, c.settings, ID), []));
  }

  test('a native istio-proxy is checked (drain-exceeds-grace does not apply there)', () => {
    const text = deployment(execSleep('["sleep", "30"]'), '', 'istio-proxy', '        sidecar.istio.io/inject: "true"\n');
    const fs = check(text, { nativeSidecars: 'on' }, ID);
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.message, /container "istio-proxy"/);
  });

  test('related value: the grace period', () => {
    const text = deployment(execSleep('["sleep", "50"]'), '      terminationGracePeriodSeconds: 40\n');
    const f = check(text, {}, ID)[0]!;
    assert.deepEqual(f.related.map((r) => text.slice(r.range.start, r.range.end)), ['40']);
  });

  test('fix: insert the grace period (preferred)', () => {
    const out = applyFix(deployment(execSleep('["sleep", "30"]')), ID);
    assert.match(out, /\n      terminationGracePeriodSeconds: 35\n      containers:/);
  });

  test('fix: raise an existing grace period, keeping its comment, with shutdownMargin', () => {
    const out = applyFix(deployment(execSleep('["sh", "-c", "sleep 45"]'), '      terminationGracePeriodSeconds: 40 # budget\n'), ID, undefined, { shutdownMargin: '15s' });
    assert.match(out, /terminationGracePeriodSeconds: 60 # budget\n/);
  });

  test('fix: with shutdownMargin 0s, a hook as long as the grace period raises it past the hook', () => {
    // Regression (fuzzer, seed 1128, cases 5874, 39226, 59510, 96350): the fix raised 30 to 30.
    const text = deployment(execSleep('["sleep", "30"]'), '      terminationGracePeriodSeconds: 30\n');
    const f = check(text, { shutdownMargin: '0s' }, ID)[0]!;
    assert.deepEqual(f.fixes.map((x) => x.title), ['Raise terminationGracePeriodSeconds to 31']);
    const out = applyFix(text, ID, undefined, { shutdownMargin: '0s' });
    assert.match(out, /\n      terminationGracePeriodSeconds: 31\n/);
  });
});

describe(`${ID}: a hook past 2^53 seconds (fuzz, seed 4242, cases 403, 14275)`, () => {
  test('no fix: the raised grace period could not be written exactly', () => {
    const text = deployment(execSleep('["sleep", "9223372036854775808"]'), '      terminationGracePeriodSeconds: 30\n');
    const fs = check(text, {}, ID);
    assert.equal(fs.length, 1);
    assert.deepEqual(fs[0]!.fixes, []);
  });
  test('a large hook that can be written still gets its fix', () => {
    const out = applyFix(deployment(execSleep('["sleep", "4000000000"]'), '      terminationGracePeriodSeconds: 30\n'), ID);
    assert.match(out, /terminationGracePeriodSeconds: 4000000005\n/);
  });
});
