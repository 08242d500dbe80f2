import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyFix, check, dedent, pointed } from '../helpers';

const ID = 'job-sidecar-blocks-completion';

const INJECT_LABEL = '      labels:\n        sidecar.istio.io/inject: "true"\n';

/** A Job whose pod template has `metadata` lines `meta` and one container `pi` with `container` lines (indented 10). */
function job(meta = INJECT_LABEL, container = '          command: ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]\n'): string {
  return (
    dedent(`
    apiVersion: batch/v1
    kind: Job
    metadata:
      name: pi
    spec:
      template:
        metadata:
    `) +
    meta +
    '    spec:\n' +
    '      containers:\n' +
    '        - name: pi\n' +
    '          image: perl:5.34.0\n' +
    container +
    '      restartPolicy: Never\n'
  );
}

const cronJob = dedent(`
  apiVersion: batch/v1
  kind: CronJob
  metadata:
    name: report
  spec:
    schedule: "@daily"
    jobTemplate:
      spec:
        template:
          metadata:
            labels:
              istio.io/rev: stable
          spec:
            containers:
              - name: report
                image: report:1
            restartPolicy: OnFailure
`);

const quitArgs = (script: string) => `          args:\n            - /bin/sh\n            - -c\n            - ${script}\n`;

describe(ID, () => {
  const cases: { name: string; text: string; settings?: object; message: RegExp }[] = [
    { name: 'a Job injected by label', text: job(), message: /This Job's pod gets a classic istio-proxy sidecar \(label sidecar.istio.io\/inject: "true", line 9\), and no container POSTs to the agent's localhost:15020\/quitquitquit: .*never completes/ },
    { name: 'a CronJob injected by revision label', text: cronJob, message: /This CronJob's pod .*label istio.io\/rev: stable/ },
    { name: 'a deprecated inject annotation (admiral sample)', text: job('      annotations:\n        sidecar.istio.io/inject: "true"\n'), message: /annotation sidecar.istio.io\/inject/ },
    { name: "Envoy's own quitquitquit does not stop the agent", text: job(INJECT_LABEL, quitArgs('"run-job; curl -X POST localhost:15000/quitquitquit"')), message: /never completes/ },
    { name: 'a GET does not count', text: job(INJECT_LABEL, quitArgs('"run-job; curl localhost:15020/quitquitquit"')), message: /never completes/ },
    { name: 'quitquitquit on the default port when the status port is moved', text: job(INJECT_LABEL + '      annotations:\n        status.sidecar.istio.io/port: "15021"\n', quitArgs('"run-job; curl -X POST localhost:15020/quitquitquit"')), message: /localhost:15021\/quitquitquit/ },
    {
      name: 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS is not an exit path',
      text: job(INJECT_LABEL + '      annotations:\n        proxy.istio.io/config: \'{"proxyMetadata": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": "true"}}\'\n'),
      message: /EXIT_ON_ZERO_ACTIVE_CONNECTIONS does not help/,
    },
    { name: 'injection assumed by setting', text: job(''), settings: { assumeInjection: 'always' }, message: /\(setting assumeInjection: always\), and/ },
  ];
  for (const c of cases) {
    test(`fires: ${c.name}`, () => {
      const fs = check(c.text, c.settings, ID);
      assert.equal(fs.length, 1);
      assert.equal(pointed(c.text, fs[0]!), 'spec');
      assert.equal(fs[0]!.range.start, c.text.lastIndexOf('spec:'));
      assert.equal(fs[0]!.severity, 'warning');
      assert.match(fs[0]!.message, c.message);
    });
  }

  const quiet: { name: string; text: string; settings?: object }[] = [
    { name: 'curl POST to the agent', text: job(INJECT_LABEL, quitArgs('"python run.py && curl -fsS -X POST http://127.0.0.1:15020/quitquitquit"')) },
    { name: 'an EXIT trap (istio/tools config-changer)', text: job(INJECT_LABEL, quitArgs('|-\n                trap "rc=\\$?; curl -X POST -s localhost:15020/quitquitquit; exit \\$rc" EXIT\n                kubectl version')) },
    { name: 'pilot-agent request', text: job(INJECT_LABEL, quitArgs('"run; pilot-agent request POST quitquitquit"')) },
    { name: 'scuttle with ISTIO_QUIT_API', text: job(INJECT_LABEL, '          command: ["scuttle", "python", "run.py"]\n          env:\n            - name: ISTIO_QUIT_API\n              value: http://127.0.0.1:15020\n') },
    { name: 'the custom status port', text: job(INJECT_LABEL + '      annotations:\n        status.sidecar.istio.io/port: "15021"\n', quitArgs('"run; curl -X POST localhost:15021/quitquitquit"')) },
    { name: 'native sidecar annotation', text: job(INJECT_LABEL + '      annotations:\n        sidecar.istio.io/nativeSidecar: "true"\n') },
    { name: 'native by setting', text: job(), settings: { nativeSidecars: 'on' } },
    { name: 'opted out', text: job('      labels:\n        sidecar.istio.io/inject: "false"\n') },
    { name: 'no injection evidence', text: job('') },
    { name: 'a Deployment', text: job().replace('kind: Job', 'kind: Deployment') },
  ];
  for (const c of quiet) {
    test(`silent: ${c.name}`, () => assert.deepEqual(check(c.text, c.settings, ID), []));
  }

  test('related value: the injection evidence', () => {
    const text = job();
    assert.deepEqual(check(text, {}, ID)[0]!.related.map((r) => text.slice(r.range.start, r.range.end)), ['"true"']);
  });

  test('fix: native sidecar annotation (preferred)', () => {
    const out = applyFix(job(), ID);
    assert.match(out, /    metadata:\n      annotations:\n        sidecar.istio.io\/nativeSidecar: "true"\n      labels:\n        sidecar.istio.io\/inject: "true"\n    spec:/);
  });

  test('fix: native sidecar annotation added to existing annotations of a CronJob', () => {
    const text = cronJob.replace('          labels:\n', '          annotations:\n            team: reports\n          labels:\n');
    const out = applyFix(text, ID);
    assert.match(out, /          annotations:\n            sidecar.istio.io\/nativeSidecar: "true"\n            team: reports\n/);
  });

  test('fix: opt out flips the label (not preferred)', () => {
    const f = check(job(), {}, ID)[0]!;
    assert.deepEqual(f.fixes.map((x) => x.preferred === true), [true, false]);
    const out = applyFix(job(), ID, 'Opt the pod out');
    assert.match(out, /      labels:\n        sidecar.istio.io\/inject: "false"\n    spec:/);
  });

  test('fix: opt out adds the label and flips the deprecated annotation', () => {
    const out = applyFix(job('      annotations:\n        sidecar.istio.io/inject: "true"\n'), ID, 'Opt the pod out');
    assert.match(out, /    metadata:\n      labels:\n        sidecar.istio.io\/inject: "false"\n      annotations:\n        sidecar.istio.io\/inject: "false"\n/);
  });

  test('no native fix for an old Istio or Kubernetes; then nothing is preferred', () => {
    for (const s of [{ istioVersion: '1.23' }, { kubernetesVersion: '1.28' }]) {
      const f = check(job(), s, ID)[0]!;
      assert.deepEqual(f.fixes.map((x) => [x.title.startsWith('Opt'), x.preferred === true]), [[true, false]]);
    }
  });
});
