import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'invalid-lifecycle-handler';

/** A Deployment whose container `app` has `lifecycle:` followed by `lifecycle` (indented 12). */
function deployment(lifecycle: string, extra = ''): string {
  return (
    dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          containers:
            - name: app
              image: app:1
    `) +
    '          lifecycle:\n' +
    lifecycle +
    extra
  );
}

/** A Deployment with an init container holding `body` lines (indented 10). */
function withInit(body: string): string {
  return (
    dedent(`
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          initContainers:
            - name: migrate
              image: migrate:1
    `) +
    body +
    '      containers:\n        - name: app\n          image: app:1\n'
  );
}

const twoHandlers = '            preStop:\n              exec:\n                command: ["sleep", "5"]\n              sleep:\n                seconds: 5\n';
const tcpPreStop = '            preStop:\n              tcpSocket:\n                port: 8080\n';

describe(ID, () => {
  const cases: { name: string; text: string; points: string; message: RegExp }[] = [
    { name: 'two handler types', text: deployment(twoHandlers), points: 'sleep', message: /has 2 handler types \(exec, sleep\).*"may not specify more than 1 handler type".*Deployment cannot be applied/ },
    { name: 'an empty hook', text: deployment('            preStop: {}\n'), points: 'preStop', message: /no handler type.*"must specify a handler type"/ },
    { name: 'command without exec', text: deployment('            preStop:\n              command: ["sleep", "5"]\n'), points: 'preStop', message: /The `command` key belongs under `exec:`/ },
    { name: 'tcpSocket preStop', text: deployment(tcpPreStop), points: 'tcpSocket', message: /kubelet cannot run it, so the preStop fails at once \(FailedPreStopHook\)/ },
    { name: 'tcpSocket postStart', text: deployment('            postStart:\n              tcpSocket:\n                port: 8080\n'), points: 'tcpSocket', message: /kills the container/ },
    { name: 'lifecycle on a plain init container', text: withInit('          lifecycle:\n            postStart:\n              exec:\n                command: ["true"]\n'), points: 'lifecycle', message: /Init container "migrate" has no restartPolicy: Always.*"may not be set for init containers without restartPolicy=Always"/ },
  ];
  for (const c of cases) {
    test(`fires: ${c.name}`, () => {
      const fs = check(c.text, {}, ID);
      assert.equal(fs.length, 1);
      assert.equal(pointed(c.text, fs[0]!), c.points);
      assert.equal(fs[0]!.severity, 'error');
      assert.match(fs[0]!.message, c.message);
    });
  }

  const quiet: { name: string; text: string }[] = [
    { name: 'one exec handler', text: deployment('            preStop:\n              exec:\n                command: ["sleep", "5"]\n') },
    { name: 'httpGet and sleep handlers in different hooks', text: deployment('            preStop:\n              sleep:\n                seconds: 5\n            postStart:\n              httpGet:\n                port: 80\n') },
    { name: 'a null hook is unset', text: deployment('            preStop:\n') },
    { name: 'a null extra handler does not count', text: deployment('            preStop:\n              exec:\n                command: ["sleep", "5"]\n              sleep: ~\n') },
    { name: 'a restartable init container may have hooks', text: withInit('          restartPolicy: Always\n          lifecycle:\n            preStop:\n              sleep:\n                seconds: 5\n') },
    { name: 'a plain init container with lifecycle: null', text: withInit('          lifecycle:\n') },
    {
      name: 'an empty hook on a custom istio-proxy merges into the injected one',
      text: deployment('            preStop: {}\n').replace('        - name: app\n', '        - name: istio-proxy\n'),
    },
  ];
  for (const c of quiet) {
    test(`silent: ${c.name}`, () => assert.deepEqual(check(c.text, {}, ID), []));
  }

  test('related value: the first handler', () => {
    const text = deployment(twoHandlers);
    const f = check(text, {}, ID)[0]!;
    assert.deepEqual(f.related.map((r) => text.slice(r.range.start, r.range.end)), ['exec']);
  });

  test('fixes: keep one handler, none preferred', () => {
    const text = deployment(twoHandlers);
    const f = check(text, {}, ID)[0]!;
    assert.deepEqual(f.fixes.map((x) => [x.title, x.preferred]), [['Keep only the exec handler', false], ['Keep only the sleep handler', false]]);
    const keepExec = applyFix(text, ID, 'Keep only the exec');
    assert.match(keepExec, /            preStop:\n              exec:\n                command: \["sleep", "5"\]\n$/);
    const keepSleep = applyFix(text, ID, 'Keep only the sleep');
    assert.match(keepSleep, /            preStop:\n              sleep:\n                seconds: 5\n$/);
  });

  test('fix: with tcpSocket as the extra handler, dropping it is preferred', () => {
    const text = deployment('            preStop:\n              tcpSocket:\n                port: 80\n              exec:\n                command: ["sleep", "5"] # keep\n');
    const out = applyFix(text, ID);
    assert.match(out, /            preStop:\n              exec:\n                command: \["sleep", "5"\] # keep\n$/);
  });

  test('fixes: keeping only a tcpSocket handler is not offered (it would be reported again)', () => {
    // Regression (fuzzer, seed 1128, case 26602).
    const text = deployment('            preStop:\n              httpGet:\n                port: 91\n              tcpSocket:\n                port: 93\n');
    const f = check(text, {}, ID)[0]!;
    assert.deepEqual(f.fixes.map((x) => [x.title, x.preferred]), [['Keep only the httpGet handler', true]]);
  });

  test('fix: remove a tcpSocket hook (not preferred), keeping the other hook', () => {
    const text = deployment(tcpPreStop + '            postStart:\n              exec:\n                command: ["true"]\n');
    const f = check(text, {}, ID)[0]!;
    assert.ok(f.fixes.every((x) => !x.preferred));
    const out = applyFix(text, ID, 'Remove the preStop hook');
    assert.match(out, /          lifecycle:\n            postStart:\n              exec:\n/);
    assert.doesNotMatch(out, /tcpSocket|preStop/);
  });

  test('fix: removing the only hook removes the lifecycle block', () => {
    const out = applyFix(deployment(tcpPreStop, '          ports:\n            - containerPort: 80\n'), ID, 'Remove');
    assert.match(out, /          image: app:1\n          ports:\n/);
    assert.doesNotMatch(out, /lifecycle/);
  });

  test('fix: remove lifecycle from a plain init container', () => {
    const out = applyFix(withInit('          lifecycle:\n            postStart:\n              exec:\n                command: ["true"]\n'), ID, 'Remove the lifecycle block');
    assert.match(out, /          image: migrate:1\n      containers:\n/);
  });

  test('silent on YAML with no lifecycle at all', () => {
    assert.deepEqual(check(deployment('            {}\n').replace('          lifecycle:\n            {}\n', ''), {}, ID), []);
  });
});
